/**
 * Analytics traits on a schedule (`C360_ANALYTICS_REFRESH_MS`): every period the
 * trait-writing algorithms run on the current projection, so `pagerank`, `community`,
 * `component`, … on customers follow the graph even when nobody asks the analytics API
 * (segments and triggers read them). Runs go through the service's queue one after the
 * other; a tick that finds the previous one still running is skipped rather than piling
 * up behind it.
 */
import type { Logger } from 'pino';
import type { AnalyticsRun, AnalyticsService } from './analytics-service';
import type { AlgorithmKind } from './run-algorithm';

/** Every algorithm that writes a trait, cheapest first. */
export const SCHEDULED_ANALYTICS: readonly AlgorithmKind[] = [
  'DEGREE',
  'COMPONENTS',
  'PAGERANK',
  'LOUVAIN',
  'BETWEENNESS',
];

export interface AnalyticsScheduleTimers {
  setInterval(run: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export interface AnalyticsScheduleOptions {
  readonly service: AnalyticsService;
  readonly everyMs: number;
  readonly logger: Logger;
  readonly kinds?: readonly AlgorithmKind[];
  /** Tests drive ticks themselves; the default is the process's timers (unref'd). */
  readonly timers?: AnalyticsScheduleTimers;
}

export interface AnalyticsSchedule {
  start(): void;
  /** One refresh now: resolves with the runs it made (none when one is already in progress). */
  tick(): Promise<readonly AnalyticsRun[]>;
  /** Resolves once the refresh in progress (if any) has finished. */
  idle(): Promise<void>;
  /** Stops ticking; a refresh in progress finishes the run it is in, then stops. */
  stop(): Promise<void>;
}

const processTimers: AnalyticsScheduleTimers = {
  setInterval(run, ms) {
    const handle = setInterval(run, ms);
    // A schedule never keeps a process alive on its own.
    handle.unref();
    return handle;
  },
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

export function createAnalyticsSchedule(options: AnalyticsScheduleOptions): AnalyticsSchedule {
  const { service, everyMs } = options;
  const kinds = options.kinds ?? SCHEDULED_ANALYTICS;
  const timers = options.timers ?? processTimers;
  const logger = options.logger.child({ component: 'analytics-schedule' });
  let handle: unknown = null;
  let inFlight: Promise<readonly AnalyticsRun[]> | null = null;
  let stopped = false;

  async function refresh(): Promise<readonly AnalyticsRun[]> {
    const runs: AnalyticsRun[] = [];
    for (const kind of kinds) {
      if (stopped) break;
      const run = await service.run(kind);
      runs.push(run);
      if (run.status !== 'SUCCEEDED') logger.warn({ kind, error: run.error }, 'scheduled analytics run failed');
    }
    logger.info({ runs: runs.map((r) => [r.kind, r.status]) }, 'analytics traits refreshed');
    return runs;
  }

  function tick(): Promise<readonly AnalyticsRun[]> {
    if (inFlight || stopped) return Promise.resolve([]);
    const current = refresh()
      .catch((e: unknown) => {
        logger.error({ err: e }, 'scheduled analytics refresh failed');
        return [];
      })
      .finally(() => {
        inFlight = null;
      });
    inFlight = current;
    return current;
  }

  return {
    start() {
      if (handle !== null || stopped) return;
      handle = timers.setInterval(() => void tick(), everyMs);
    },
    tick,
    async idle() {
      await inFlight;
    },
    async stop() {
      stopped = true;
      if (handle !== null) timers.clearInterval(handle);
      handle = null;
      await inFlight;
    },
  };
}
