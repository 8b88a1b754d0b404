/**
 * The composition root of the all-in-one hub process: config → store, dedupe,
 * dead letters, decoders, mapper, pipeline → HTTP (GraphQL, playground,
 * collector, operations). Everything the rest of the code uses is built here
 * and passed down; nothing below reads the environment.
 *
 * Lifecycle (STYLE §9): starting → seeding (demo data, while already serving)
 * → ready → draining → stopped. Draining stops accepting HTTP, flushes
 * in-flight batches, then closes dedupe, dead letters and the store — in that
 * order, so nothing acknowledged is lost.
 */
import { mkdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createHttpApp, type GraphQLModule, startHttpServer } from '../../api';
import { createFileSecurityAuditLog } from '../../api/auth';
import { type ActionBus, createActionBus, createFileActionSink } from '../../features/actions';
import { type ChangeFeed, createChangeFeed, createSubscriptionsModule } from '../../features/actions/graphql';
import { createAnalyticsService } from '../../features/analytics';
import { createAnalyticsModule } from '../../features/analytics/graphql';
import { createProactiveCare } from '../../features/health';
import { createHealthModule } from '../../features/health/graphql';
import {
  createCustomerForgetter,
  createFileAuditLog,
  createIdentityResolver,
  createIdentityRules,
} from '../../features/identity';
import { createIdentityModule } from '../../features/identity/graphql';
import { createSegmentService } from '../../features/segments';
import { createSegmentsModule } from '../../features/segments/graphql';
import { ConfigError, defaultMappings, type GraphStore } from '../../graph-schema';
import {
  type AppliedEvents,
  createCdcPipeline,
  createFileDeadLetterSink,
  createLmdbDedupe,
  createPipelineMetrics,
  type DeadLetterSink,
  type IngestPipeline,
  type RawMessage,
} from '../../ingest';
import { createDecoders } from '../../ingest/decoders';
import { runDemo } from '../../scripts/demo';
import { createEmbeddedStore, createGremlinStore, createNeo4jStore } from '../../services/graph';
import type { C360Config } from '../config';
import { apiSecurity, createCollectorPipeline } from './api-process';
import { combineReadiness, connectKafka, createIngestWorker } from './worker';

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

export interface HubDeps {
  readonly logger: Logger;
  /** Listeners for applied events (tests, later: segments and triggers). */
  readonly onApplied?: (applied: AppliedEvents) => void;
}

/** The store the config names. Gremlin and Neo4j adapters land with their own issues. */
export async function openGraphStore(config: C360Config, logger: Logger): Promise<GraphStore> {
  switch (config.graph) {
    case 'embedded':
      return createEmbeddedStore({ path: join(config.dataDir, 'graph'), logger });
    case 'gremlin':
      return createGremlinStore({ url: config.graphUrl as string, traversalSource: 'g', logger });
    case 'neo4j':
      return createNeo4jStore({
        url: config.graphUrl as string,
        user: config.graphUser ?? 'neo4j',
        password: config.graphPassword ?? '',
        database: 'neo4j',
        logger,
      });
    default: {
      const never: never = config.graph;
      throw new ConfigError('C360_GRAPH', `unknown store ${String(never)}`);
    }
  }
}

export interface Ingest {
  readonly pipeline: IngestPipeline;
  close(): Promise<void>;
}

/** The ingest half (used by the hub, `c360 seed`, `c360 replay`). */
export function createIngest(
  config: C360Config,
  store: GraphStore,
  registry: Registry,
  logger: Logger,
  onApplied?: (applied: AppliedEvents) => void | Promise<void>,
  /** Kafka mode passes the dead-letter topic's sink; otherwise a file in the data dir. */
  deadLetterSink?: DeadLetterSink,
): Ingest {
  mkdirSync(config.dataDir, { recursive: true });
  const dedupe = createLmdbDedupe({ path: join(config.dataDir, 'dedupe'), maxEntries: config.dedupeMaxEntries });
  const deadLetters = deadLetterSink ?? createFileDeadLetterSink(join(config.dataDir, 'dead-letters.ndjson'));
  // The CDC-aware pipeline: truncates become versioned tombstones of what the table wrote.
  const pipeline = createCdcPipeline({
    store,
    decoders: createDecoders({ maxEventBytes: config.maxEventBytes }),
    mappings: defaultMappings,
    dedupe,
    deadLetters,
    logger: logger.child({ component: 'pipeline' }),
    metrics: createPipelineMetrics(registry),
    batchMaxMutations: config.batchMaxMutations,
    batchMaxWaitMs: config.batchMaxWaitMs,
    ...(onApplied ? { onApplied } : {}),
  });
  return {
    pipeline,
    async close() {
      await pipeline.close();
      await deadLetters.close();
      await dedupe.close();
    },
  };
}

/**
 * A feature that rides on the hub: it may serve GraphQL (a module), react to
 * durable events, and needs closing before the store does.
 */
interface HubFeature {
  readonly name: string;
  readonly module?: GraphQLModule;
  /** May return a promise: the pipeline marks events seen only once it settles. */
  readonly onApplied?: (applied: AppliedEvents) => void | Promise<void>;
  /** Work to do once the hub serves (e.g. recount saved segments). */
  readonly start?: () => Promise<void>;
  readonly close?: () => Promise<void>;
}

interface FeatureDeps {
  readonly config: C360Config;
  readonly store: GraphStore;
  readonly logger: Logger;
  readonly actions: ActionBus;
  readonly deadLetters: DeadLetterSink;
  readonly changes: ChangeFeed;
}

function createFeatures({ config, store, logger, actions, deadLetters, changes }: FeatureDeps): HubFeature[] {
  const analytics = createAnalyticsService({ store, logger });
  const resolver = createIdentityResolver({ store, rules: createIdentityRules() });
  const auditLog = createFileAuditLog(join(config.dataDir, 'audit', 'identity.ndjson'));
  const segments = createSegmentService({ store, actions, logger: logger.child({ component: 'segments' }) });
  const care = createProactiveCare({
    store,
    dataDir: config.dataDir,
    actions,
    deadLetters,
    logger: logger.child({ component: 'proactive-care' }),
    onTraitsWritten: (ids) => changes.publish(ids),
  });
  return [
    // First, so that later modules may still take over single Customer fields (e.g. health).
    {
      name: 'identity',
      module: createIdentityModule({
        resolver,
        forgetter: createCustomerForgetter({ store, resolver, auditLog }),
      }),
    },
    {
      name: 'analytics',
      module: createAnalyticsModule(analytics),
      onApplied: (applied) => analytics.onApplied(applied),
      close: () => analytics.close(),
    },
    {
      name: 'segments',
      module: createSegmentsModule(segments),
      // Not awaited: a missed re-evaluation is repaired by the recount at start.
      onApplied: (applied) => segments.live.onApplied(applied),
      start: () => segments.start(),
      close: () => segments.close(),
    },
    {
      name: 'proactive-care',
      module: createHealthModule({ health: care.health }),
      // Awaited: health and window traits are state of their own that a redelivery must reach.
      onApplied: (applied) => {
        care.onApplied(applied);
        return care.idle();
      },
      close: () => care.close(),
    },
    {
      name: 'subscriptions',
      module: createSubscriptionsModule({ actions, changes }),
      onApplied: (applied) => changes.publish(applied.vertexIds),
    },
  ];
}

/** Demo data is loaded once per data dir and seed; a restart does not reload it. */
async function seedDemo(config: C360Config, pipeline: IngestPipeline, logger: Logger): Promise<void> {
  const marker = join(config.dataDir, 'demo-seeded.json');
  const wanted = JSON.stringify({ seed: config.demoSeed, customers: config.demoCustomers });
  const existing = await readFile(marker, 'utf8').catch(() => null);
  if (existing === wanted) {
    logger.info({ customers: config.demoCustomers }, 'demo data already loaded');
    return;
  }
  logger.info({ customers: config.demoCustomers, seed: config.demoSeed }, 'loading demo data');
  const result = await runDemo({
    customers: config.demoCustomers,
    seed: config.demoSeed,
    submit: (batch: readonly RawMessage[]) => pipeline.submit(batch),
    batchSize: 500,
    progress: process.stdout.isTTY === true,
  });
  await writeFile(marker, wanted);
  logger.info({ ...result }, 'demo data loaded');
}

export async function startHub(config: C360Config, deps: HubDeps): Promise<Hub> {
  const { logger } = deps;
  // Before anything opens: a hub that would serve the API without credentials does not start.
  const security = apiSecurity(config);
  let phase: HubPhase = 'starting';
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'c360_' });

  const store = await openGraphStore(config, logger.child({ component: 'store', store: config.graph }));
  // Kafka mode (brokers set): collector → Kafka → this process's worker → pipeline → store (see ./worker.ts).
  const kafka = config.kafkaBrokers.length > 0 ? await connectKafka(config, registry, logger) : null;
  const deadLetters = kafka?.deadLetters ?? createFileDeadLetterSink(join(config.dataDir, 'dead-letters.ndjson'));
  const actions = createActionBus(createFileActionSink(join(config.dataDir, 'actions.ndjson')), (e) =>
    logger.error({ err: e }, 'action listener failed'),
  );
  const changes = createChangeFeed((e) => logger.error({ err: e }, 'change listener failed'));
  const features = createFeatures({ config, store, logger, actions, deadLetters, changes });
  const onApplied = async (applied: AppliedEvents) => {
    const pending: Promise<void>[] = [];
    for (const f of features) {
      try {
        const r = f.onApplied?.(applied);
        if (r) pending.push(r);
      } catch (e) {
        logger.error({ err: e, feature: f.name }, 'feature failed to take applied events');
      }
    }
    deps.onApplied?.(applied);
    await Promise.all(pending);
  };
  const ingest = createIngest(config, store, registry, logger, onApplied, deadLetters);
  const worker = kafka ? createIngestWorker(config, kafka, ingest.pipeline, registry, logger) : null;
  const collector = kafka ? createCollectorPipeline(config, kafka, logger) : ingest.pipeline;
  await worker?.start();
  const writeKeys = config.writeKeys.length > 0 ? config.writeKeys : config.demo ? ['demo'] : [];
  if (writeKeys.length === 0) {
    throw new ConfigError(
      'C360_WRITE_KEYS',
      'set at least one collector write key (or start with --demo for the key "demo")',
    );
  }

  const auditLog = createFileSecurityAuditLog(join(config.dataDir, 'audit', 'security.ndjson'));
  const app = createHttpApp({
    store,
    pipeline: collector,
    auditLog,
    registry,
    logger: logger.child({ component: 'http' }),
    config: {
      writeKeys,
      maxEventBytes: config.maxEventBytes,
      maxBatchBytes: config.maxBatchBytes,
      playground: security.playground,
      graphqlPath: '/graphql',
      auth: security.auth,
      limits: security.limits,
    },
    modules: features.flatMap((f) => (f.module ? [f.module] : [])),
    readiness: combineReadiness(
      () =>
        phase === 'ready' || phase === 'seeding'
          ? { ready: true, reasons: phase === 'seeding' ? ['demo data still loading'] : [] }
          : { ready: false, reasons: [`hub is ${phase}`] },
      () => worker?.readiness() ?? { ready: true, reasons: [] },
    ),
  });
  const http = await startHttpServer(app, { port: config.port, host: config.host, subscriptions: true });
  logger.info({ url: `${http.url}/graphql`, store: config.graph }, 'c360 is serving');
  for (const f of features) {
    f.start?.().catch((e) => logger.error({ err: e, feature: f.name }, 'feature failed to start'));
  }

  let seeded: Promise<void> = Promise.resolve();
  if (config.demo) {
    phase = 'seeding';
    seeded = seedDemo(config, ingest.pipeline, logger).then(
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
    store,
    pipeline: ingest.pipeline,
    registry,
    phase: () => phase,
    seeded,
    close() {
      closing ??= (async () => {
        phase = 'draining';
        logger.info('draining: no new requests, flushing in-flight batches');
        await http.close();
        await auditLog.close();
        if (collector !== ingest.pipeline) await collector.close();
        await worker?.stop();
        await ingest.close();
        await kafka?.disconnect();
        for (const f of features) await f.close?.();
        await actions.close();
        await store.close();
        phase = 'stopped';
        logger.info('stopped');
      })();
      return closing;
    },
  };
}
