/**
 * Bounds the requests whose cost grows with the whole graph rather than with what they
 * return (a segment preview scans every customer; saving a segment recounts it). The query
 * cost limit refuses too many of them in one operation; this bounds them across operations
 * and transports: at most `running` at once in the process, at most `perPrincipal` of them
 * for one principal, and a short queue per principal behind that. Past the queue a request
 * is refused at once with RATE_LIMITED — one marketer's burst waits on their own queue, never
 * on everybody's, and never piles up in memory. A request whose operation ran out of time
 * leaves the queue (or is told to stop, when already running).
 */
import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import PQueue from 'p-queue';

export interface HeavyWorkLimits {
  /** At most this many heavy requests run at once in the process. */
  readonly running: number;
  /** At most this many of them run at once for one principal. */
  readonly perPrincipal: number;
  /** A principal's further requests wait in a queue this long; past it they are refused. */
  readonly waitingPerPrincipal: number;
}

export const DEFAULT_HEAVY_WORK_LIMITS: HeavyWorkLimits = { running: 2, perPrincipal: 1, waitingPerPrincipal: 4 };

export interface HeavyWorkLimiter {
  /**
   * Runs `work` when the limits allow. `signal` ends the wait (the promise rejects with its
   * reason) and is handed to `work`, which stops at its next checkpoint when it fires.
   */
  run<T>(principal: string, signal: AbortSignal | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T>;
  /** Requests running and waiting now (metrics, tests). */
  stats(): { readonly running: number; readonly waiting: number };
}

export const HEAVY_WORK_REFUSED = 'RATE_LIMITED';

/** Seconds a refused client is told to wait: roughly one heavy request's worth. */
const RETRY_AFTER_SECONDS = 5;

export function createHeavyWorkLimiter(
  limits: HeavyWorkLimits = DEFAULT_HEAVY_WORK_LIMITS,
  what = 'segment previews',
): HeavyWorkLimiter {
  const global = new PQueue({ concurrency: limits.running });
  const byPrincipal = new Map<string, PQueue>();
  const never = new AbortController().signal;

  return {
    async run(principal, signal, work) {
      signal?.throwIfAborted();
      let queue = byPrincipal.get(principal);
      if (!queue) {
        const created = new PQueue({ concurrency: limits.perPrincipal });
        // Forget idle principals: the map holds only principals with work in flight.
        created.on('idle', () => {
          if (byPrincipal.get(principal) === created) byPrincipal.delete(principal);
        });
        byPrincipal.set(principal, created);
        queue = created;
      }
      if (queue.size >= limits.waitingPerPrincipal) {
        throw new GraphQLError(
          `Too many ${what} at once for this principal (${limits.perPrincipal} running, ${limits.waitingPerPrincipal} waiting); retry in ${RETRY_AFTER_SECONDS} s.`,
          {
            extensions: {
              code: HEAVY_WORK_REFUSED,
              retryAfterSeconds: RETRY_AFTER_SECONDS,
              // Over HTTP, the same answer as every other limit: 429 with Retry-After (Apollo
              // applies and strips `http`; an operation with other fields answered still gets it).
              http: { status: 429, headers: new HeaderMap([['retry-after', String(RETRY_AFTER_SECONDS)]]) },
            },
          },
        );
      }
      const options = signal ? { signal } : {};
      return queue.add(() => global.add(() => work(signal ?? never), options), options);
    },
    stats() {
      let waiting = global.size;
      for (const q of byPrincipal.values()) waiting += q.size;
      return { running: global.pending, waiting };
    },
  };
}
