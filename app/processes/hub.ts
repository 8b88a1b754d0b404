/**
 * `c360 start`: the all-in-one hub — the whole wiring (app/wiring.ts) in one
 * process: ingest (with a Kafka consumer-group member when Kafka is set), every
 * feature's write side, and HTTP (GraphQL with every module, subscriptions,
 * playground, collector, operations).
 *
 * Lifecycle (STYLE §9): starting → seeding (demo data, while already serving)
 * → ready → draining → stopped. Draining stops accepting HTTP, flushes
 * in-flight batches, then closes the features, dedupe, dead letters and the
 * store — in that order, so nothing acknowledged is lost.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ConfigError, type GraphStore } from '../../graph-schema';
import type { AppliedEvents, IngestPipeline, RawMessage } from '../../ingest';
import type { C360Config } from '../config';
import { apiSecurity, wire } from '../wiring';
import { combineReadiness } from './readiness';
import { type ServedHttp, serveHttp } from './serve-http';

export type HubPhase = 'starting' | 'seeding' | 'ready' | 'draining' | 'stopped';

export interface Hub {
  readonly url: string;
  readonly store: GraphStore;
  readonly pipeline: IngestPipeline;
  readonly registry: Registry;
  phase(): HubPhase;
  /** Resolves when demo data (if any) is loaded. */
  readonly seeded: Promise<void>;
  /** Drain and stop. Idempotent. */
  close(): Promise<void>;
}

/** Loads demo data through `submit`; the CLI passes the demo generator (scripts/demo) in. */
export type DemoLoader = (options: {
  readonly customers: number;
  readonly seed: number;
  readonly submit: (batch: readonly RawMessage[]) => Promise<unknown>;
}) => Promise<object>;

export interface HubDeps {
  readonly logger: Logger;
  /** Listeners for applied events (tests). */
  readonly onApplied?: (applied: AppliedEvents) => void;
  /** Required when `config.demo` is set. */
  readonly demo?: DemoLoader;
  /** Real values for the playground's examples (the demo data's first customer). */
  readonly playgroundExamples?: { readonly email?: string; readonly customerId?: string };
}

/** Demo data is loaded once per data dir and seed; a restart does not reload it. */
async function seedDemo(config: C360Config, pipeline: IngestPipeline, demo: DemoLoader, logger: Logger): Promise<void> {
  const marker = join(config.dataDir, 'demo-seeded.json');
  const wanted = JSON.stringify({ seed: config.demoSeed, customers: config.demoCustomers });
  const existing = await readFile(marker, 'utf8').catch(() => null);
  if (existing === wanted) {
    logger.info({ customers: config.demoCustomers }, 'demo data already loaded');
    return;
  }
  logger.info({ customers: config.demoCustomers, seed: config.demoSeed }, 'loading demo data');
  const result = await demo({
    customers: config.demoCustomers,
    seed: config.demoSeed,
    submit: (batch) => pipeline.submit(batch),
  });
  await writeFile(marker, wanted);
  logger.info({ ...result }, 'demo data loaded');
}

export async function startHub(config: C360Config, deps: HubDeps): Promise<Hub> {
  const { logger } = deps;
  // Before anything opens: a hub that would serve the API without credentials does not start.
  apiSecurity(config);
  const writeKeys = config.writeKeys.length > 0 ? config.writeKeys : config.demo ? ['demo'] : [];
  if (writeKeys.length === 0) {
    throw new ConfigError(
      'C360_WRITE_KEYS',
      'set at least one collector write key (or start with --demo for the key "demo")',
    );
  }
  if (config.demo && !deps.demo) throw new ConfigError('C360_DEMO', 'demo mode needs the demo data generator');
  let phase: HubPhase = 'starting';
  const w = await wire(config, { role: 'hub', logger, ...(deps.onApplied ? { onApplied: deps.onApplied } : {}) });
  const pipeline = w.ingest?.pipeline as IngestPipeline;
  await w.start();

  let http: ServedHttp;
  try {
    http = await serveHttp(w, {
      writeKeys,
      ...(deps.playgroundExamples ? { playgroundExamples: deps.playgroundExamples } : {}),
      readiness: combineReadiness(
        () =>
          phase === 'ready' || phase === 'seeding'
            ? { ready: true, reasons: phase === 'seeding' ? ['demo data still loading'] : [] }
            : { ready: false, reasons: [`hub is ${phase}`] },
        () => w.readiness(),
      ),
    });
  } catch (e) {
    await w.close();
    throw e;
  }
  logger.info({ url: `${http.url}/graphql`, store: config.graph }, 'c360 is serving');

  let seeded: Promise<void> = Promise.resolve();
  if (config.demo && deps.demo) {
    phase = 'seeding';
    seeded = seedDemo(config, pipeline, deps.demo, logger).then(
      () => {
        if (phase === 'seeding') phase = 'ready';
      },
      (e) => {
        logger.error({ err: e }, 'demo data failed to load');
        if (phase === 'seeding') phase = 'ready';
      },
    );
  } else {
    phase = 'ready';
  }

  let closing: Promise<void> | null = null;
  return {
    url: http.url,
    store: w.store,
    pipeline,
    registry: w.registry,
    phase: () => phase,
    seeded,
    close() {
      closing ??= (async () => {
        phase = 'draining';
        logger.info('draining: no new requests, flushing in-flight batches');
        await http.close();
        await w.close();
        phase = 'stopped';
        logger.info('stopped');
      })();
      return closing;
    },
  };
}
