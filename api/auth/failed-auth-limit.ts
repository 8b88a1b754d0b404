/**
 * Throttles credential guessing: refused credentials (401 from GraphQL or the
 * collector) are counted per client address, and an address over the budget
 * gets 429 with Retry-After for every credentialed request until its window
 * ends — right keys included, so a guesser cannot tell a hit from the throttle.
 * One counter for both endpoints: switching from API keys to write keys does
 * not reset it. Only refusals count (a busy client with a good key never
 * notices). The client address is Express's `req.ip`, which follows the
 * trusted-proxy setting (ApiLimits.trustedProxies): behind a trusted load
 * balancer each client is its own bucket, and a client that is not behind one
 * cannot pick its address with X-Forwarded-For.
 */
import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';

const WINDOW_MS = 60_000;
/** Addresses remembered at once; past it, expired windows are dropped first. */
const MAX_ADDRESSES = 100_000;

/** Mount each before authentication on its endpoint; they share one count per address. */
export interface FailedAuthLimit {
  /** For transports that are not Express routes (graphql-ws connection_init): over the budget? */
  blocked(clientAddress: string): boolean;
  /** Counts one refused credential from this address. */
  recordFailure(clientAddress: string): void;
  /** GraphQL: 429 in GraphQL's error shape. */
  readonly graphql: RequestHandler;
  /** The collector: 429 in the collector's `{ success, code, message }` shape. */
  readonly collector: RequestHandler;
}

export function createFailedAuthLimit(perMinute: number, now: () => number = Date.now): FailedAuthLimit {
  const windows = new Map<string, { failures: number; resetAt: number }>();

  const prune = (t: number) => {
    for (const [k, w] of windows) if (w.resetAt <= t) windows.delete(k);
    // Still full of live windows: forget the oldest (Map iterates in insertion order).
    for (const k of windows.keys()) {
      if (windows.size < MAX_ADDRESSES) break;
      windows.delete(k);
    }
  };

  const retryAfterMs = (address: string): number | null => {
    const current = windows.get(ipKeyGenerator(address));
    const t = now();
    return current && current.resetAt > t && current.failures >= perMinute ? current.resetAt - t : null;
  };

  const recordFailure = (address: string) => {
    if (perMinute <= 0) return;
    const key = ipKeyGenerator(address);
    const at = now();
    let w = windows.get(key);
    if (!w || w.resetAt <= at) {
      if (windows.size >= MAX_ADDRESSES) prune(at);
      w = { failures: 0, resetAt: at + WINDOW_MS };
      windows.set(key, w);
    }
    w.failures++;
  };

  const middleware =
    (shape: 'graphql' | 'collector'): RequestHandler =>
    (req: Request, res, next) => {
      if (perMinute <= 0 || req.method === 'OPTIONS') return next();
      const address = req.ip ?? 'unknown';
      const wait = retryAfterMs(address);
      if (wait !== null) {
        res.setHeader('Retry-After', String(Math.ceil(wait / 1000)));
        const message = 'Too many refused credentials from this address; retry after the Retry-After delay.';
        if (shape === 'graphql') {
          res.status(429).json({ errors: [{ message, extensions: { code: 'RATE_LIMITED' } }] });
        } else {
          res.status(429).json({ success: false, code: 'RATE_LIMITED', message });
        }
        return;
      }
      res.on('finish', () => {
        if (res.statusCode === 401) recordFailure(address);
      });
      next();
    };
  return {
    graphql: middleware('graphql'),
    collector: middleware('collector'),
    blocked: (address) => perMinute > 0 && retryAfterMs(address) !== null,
    recordFailure,
  };
}
