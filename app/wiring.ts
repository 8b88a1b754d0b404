/**
 * The one wiring of c360: config → store, Kafka, live state, actions, the
 * ingest pipeline and every feature. `c360 start`, `c360 worker` and `c360 api`
 * all call `wire()`; they differ only in which parts they run:
 *
 * | part                                        | start | worker | api |
 * | ------------------------------------------- | ----- | ------ | --- |
 * | ingest pipeline (+ Kafka consumer group)    |  yes  |  yes   |     |
 * | write-side features: health, traits, live   |  yes  |  yes   |     |
 * |   segment membership (`onApplied`, `start`) |       |        |     |
 * | GraphQL modules: every feature's            |  yes  |        | yes |
 * | read-side feeds: subscriptions, analytics   |  yes  |        | yes |
 *
 * So a feature wired here works in every process split. Where the parts of one
 * deployment meet:
 * - Live state (device health, trait windows) lives in the graph store when it is
 *   shared (gremlin, neo4j), so any worker can take over a partition and any API
 *   replica reads it; the embedded hub keeps it in LMDB beside its graph.
 * - Actions go to the actions topic when Kafka is configured (the file log
 *   otherwise); every process that serves subscriptions hears them back from
 *   the topic, whichever worker published them. "Vertices changed" notices
 *   travel the same way on the changes topic.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Kafka, Partitioners, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { type GraphQLModule, type Readiness, registerHeavyWorkGauge } from '../api';
import { type AuthConfig, createHeavyWorkLimiter, type HeavyWorkLimiter } from '../api/auth';
import {
  type ActionBus,
  type ActionSink,
  createActionBus,
  createFileActionSink,
  type HubAction,
} from '../features/actions';
import { type ChangeFeed, createChangeFeed, createSubscriptionsModule } from '../features/actions/graphql';
import { ANALYTICS_TRAITS, createAnalyticsSchedule, createAnalyticsService } from '../features/analytics';
import { createAnalyticsModule } from '../features/analytics/graphql';
import { createDeadLettersModule } from '../features/dead-letters/graphql';
import { createHealthMonitor, createProactiveCare, type HealthMonitor, type ProactiveCare } from '../features/health';
import { createHealthModule } from '../features/health/graphql';
import {
  type CustomerForgetter,
  createCustomerForgetter,
  createFileAuditLog,
  createIdentityResolver,
  createIdentityRules,
  createProfileCache,
  type ProfileCacheSlots,
} from '../features/identity';
import { createIdentityModule } from '../features/identity/graphql';
import {
  createCypherSegmentEvaluator,
  createEmbeddedSegmentEvaluator,
  createGremlinSegmentEvaluator,
  createSegmentService,
  createWorkerSegmentEvaluator,
  type SegmentEvaluator,
  type SegmentService,
  withFallbackEvaluator,
} from '../features/segments';
import { createSegmentsModule } from '../features/segments/graphql';
import { DEFAULT_TRAITS_CONFIG } from '../features/traits';
import {
  ConfigError,
  type GraphBatch,
  type GraphStore,
  setDefaultPhoneRegion,
  VERTICES,
  vertexId,
} from '../graph-schema';
import {
  type AppliedEvents,
  countingDeadLetters,
  createCdcPipeline,
  createFileDeadLetterArchive,
  createFileDeadLetterSink,
  createGraphWriter,
  createLmdbDedupe,
  createPipelineMetrics,
  type DeadLetterArchive,
  type DeadLetterSink,
  type GraphWriter,
  type IngestPipeline,
  type PipelineMetrics,
  writingThrough,
} from '../ingest';
import { createDecoders } from '../ingest/decoders';
import {
  createEmbeddedStore,
  createGremlinStore,
  createNeo4jStore,
  type EmbeddedGraphStore,
  type GremlinGraphStore,
  GremlinStoreError,
  type Neo4jGraphStore,
} from '../services/graph';
import {
  cdcTopicPattern,
  createKafkaActionSink,
  createKafkaChangePublisher,
  createKafkaClient,
  createKafkaDeadLetterArchive,
  createKafkaDeadLetterSink,
  createKafkaIngestWorker,
  createKafkaLiveFeed,
  createKafkaMetrics,
  createKafkaProducerPipeline,
  ensureTopics,
  hubTopicSpecs,
  type KafkaChangePublisher,
  type KafkaIngestWorker,
  type KafkaLiveFeed,
  type KafkaMetrics,
} from '../services/kafka';
import { createGraphStateStore, createLmdbStateStore, type StateStore } from '../services/state';
import { type C360Config, requireApiAuth } from './config';
import { lockDataDir } from './data-dir-lock';
import { absorbLmdbCommitDuplicates } from './lmdb-rejections';
import { mappingsOf } from './mappings';
import type { SegmentEvaluationWorkerConfig } from './processes/segment-evaluation-worker';
import { verifyDataDir } from './verify-data-dir';

const isEmbedded = (store: GraphStore): store is EmbeddedGraphStore => store.kind === 'embedded';

/**
 * The store with `onWritten` told the ids every applied batch touched (its vertices and both
 * ends of its edges), once the batch is visible and before the caller is — so nothing
 * acknowledged is ever answered from what was cached before it. Called on failure too: a
 * store that applies in chunks may have written part of the batch. Everything else is the
 * store's own (kind, health, traverse, readCypher…).
 */
function observingWrites(store: GraphStore, onWritten: (ids: readonly string[]) => void): GraphStore {
  const apply = async (batch: GraphBatch) => {
    try {
      return await store.apply(batch);
    } finally {
      const ids = new Set<string>();
      for (const v of batch.vertices) ids.add(v.id);
      for (const e of batch.edges) {
        ids.add(vertexId(e.from));
        ids.add(vertexId(e.to));
      }
      onWritten([...ids]);
    }
  };
  // Methods are bound once: every read of the hub goes through this proxy.
  const bound = new Map<PropertyKey, unknown>([['apply', apply]]);
  return new Proxy(store, {
    get(target, property) {
      const known = bound.get(property);
      if (known !== undefined) return known;
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const method = value.bind(target);
      bound.set(property, method);
      return method;
    },
  });
}

/** Which parts of the wiring a process runs (see the table above). */
export type ProcessRole = 'hub' | 'worker' | 'api';

const INGESTS: Record<ProcessRole, boolean> = { hub: true, worker: true, api: false };
const SERVES: Record<ProcessRole, boolean> = { hub: true, worker: false, api: true };

/** The store the config names. */
export async function openGraphStore(config: C360Config, logger: Logger): Promise<GraphStore> {
  // The mapping file's labels join the model before the store derives its schema from it.
  mappingsOf(config);
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

export function requireKafka(config: C360Config, what: string): void {
  if (config.kafkaBrokers.length === 0) {
    throw new ConfigError('C360_KAFKA_BROKERS', `${what} needs Kafka; set host:port[,host:port…]`);
  }
}

export interface KafkaConnection {
  readonly kafka: Kafka;
  /** Idempotent, acks=-1 per send: dead letters, actions and the collector's records. */
  readonly producer: Producer;
  /** Dead letters as records on the dead-letter topic. */
  readonly deadLetters: DeadLetterSink;
  readonly metrics: KafkaMetrics;
  disconnect(): Promise<void>;
}

/** Client, topics created if missing, and the one producer of this process. */
export async function connectKafka(config: C360Config, registry: Registry, logger: Logger): Promise<KafkaConnection> {
  requireKafka(config, 'Kafka mode');
  const kafka = createKafkaClient({ brokers: config.kafkaBrokers, clientId: config.kafka.clientId, logger });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(
      admin,
      hubTopicSpecs(config.topics, { events: config.kafka.topicPartitions, actions: config.kafka.actionsPartitions }),
      logger,
    );
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer({
    idempotent: true,
    // Bounded: a collector request fails with 503 (and the SDK retries) instead of hanging on a dead broker.
    retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 5_000 },
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const metrics = createKafkaMetrics(registry);
  return {
    kafka,
    producer,
    deadLetters: createKafkaDeadLetterSink(producer, config.topics.dlq, { metrics }),
    metrics,
    disconnect: () => producer.disconnect(),
  };
}

/**
 * Where this deployment's dead letters are, for `c360 dead-letters` and the admin's
 * GraphQL: the dead-letter topic with Kafka (through `kafka`'s client and producer, or a
 * client of its own, disconnected by `close`), else the data dir's file.
 */
export async function openDeadLetterArchive(
  config: C360Config,
  logger: Logger,
  kafka: Pick<KafkaConnection, 'kafka' | 'producer'> | null = null,
): Promise<{ archive: DeadLetterArchive; close(): Promise<void> }> {
  if (config.kafkaBrokers.length === 0) {
    return {
      archive: createFileDeadLetterArchive(
        join(config.dataDir, 'dead-letters.ndjson'),
        join(config.dataDir, 'dead-letters.replayed.ndjson'),
      ),
      close: async () => undefined,
    };
  }
  let own: Producer | null = null;
  let connection = kafka;
  if (!connection) {
    const client = createKafkaClient({ brokers: config.kafkaBrokers, clientId: config.kafka.clientId, logger });
    own = client.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
    await own.connect();
    connection = { kafka: client, producer: own };
  }
  return {
    archive: createKafkaDeadLetterArchive({
      kafka: connection.kafka,
      producer: connection.producer,
      topic: config.topics.dlq,
      logger: logger.child({ component: 'dead-letters' }),
    }),
    close: async () => {
      await own?.disconnect();
    },
  };
}

/** The consumer-group member that feeds `pipeline`; not started. */
export function createIngestWorker(
  config: C360Config,
  connection: KafkaConnection,
  pipeline: IngestPipeline,
  registry: Registry,
  logger: Logger,
): KafkaIngestWorker {
  const k = config.kafka;
  return createKafkaIngestWorker({
    kafka: connection.kafka,
    groupId: k.groupId,
    topics: {
      clickstream: config.topics.clickstream,
      telemetry: config.topics.telemetry,
      cdcPattern: cdcTopicPattern(config.topics.cdcPrefix),
    },
    pipeline,
    logger,
    registry,
    partitionsConsumedConcurrently: k.partitionsConsumedConcurrently,
    sessionTimeoutMs: k.sessionTimeoutMs,
    maxRetries: k.maxRetries,
    retryBaseMs: k.retryBaseMs,
    pauseMs: k.pauseMs,
    lagSampleIntervalMs: k.lagSampleIntervalMs,
    topicRefreshMs: k.topicRefreshMs,
    maxBytesPerPartition: k.maxBytesPerPartition,
  });
}

/** The collector's pipeline in Kafka mode: validated events to the hub's topics, acks=-1. */
export function createCollectorPipeline(
  config: C360Config,
  connection: KafkaConnection,
  logger: Logger,
): IngestPipeline {
  return createKafkaProducerPipeline({
    producer: connection.producer,
    topics: {
      clickstream: config.topics.clickstream,
      telemetry: config.topics.telemetry,
      cdcPrefix: config.topics.cdcPrefix,
    },
    decoders: createDecoders({ maxEventBytes: config.maxEventBytes }),
    deadLetters: connection.deadLetters,
    logger: logger.child({ component: 'collector-producer' }),
    metrics: connection.metrics,
  });
}

/** Who may call the API and how much, from the config (every process that serves the API). */
export function apiSecurity(config: C360Config): {
  auth: AuthConfig;
  limits: C360Config['apiLimits'];
  playground: boolean;
} {
  requireApiAuth(config);
  return {
    auth: { demo: config.demo, apiKeys: config.apiKeys, jwt: config.jwt },
    limits: config.apiLimits,
    playground: config.playground,
  };
}

export interface Ingest {
  readonly pipeline: IngestPipeline;
  close(): Promise<void>;
}

/** The ingest pipeline over a store (the processes, `c360 seed`, `c360 replay`). */
export function createIngest(
  config: C360Config,
  store: GraphStore,
  registry: Registry,
  logger: Logger,
  onApplied?: (applied: AppliedEvents) => void | Promise<void>,
  /** Kafka mode passes the dead-letter topic's sink; otherwise a file in the data dir. */
  deadLetterSink?: DeadLetterSink,
  /** The process's metrics and write path when the wiring shares them with the features. */
  shared?: { readonly metrics: PipelineMetrics; readonly writer: GraphWriter },
): Ingest {
  mkdirSync(config.dataDir, { recursive: true });
  const dedupe = createLmdbDedupe({ path: join(config.dataDir, 'dedupe'), maxEntries: config.dedupeMaxEntries });
  const deadLetters = deadLetterSink ?? createFileDeadLetterSink(join(config.dataDir, 'dead-letters.ndjson'));
  // The CDC-aware pipeline: truncates become versioned tombstones of what the table wrote.
  const pipeline = createCdcPipeline({
    store,
    decoders: createDecoders({ maxEventBytes: config.maxEventBytes }),
    mappings: mappingsOf(config),
    dedupe,
    deadLetters,
    logger: logger.child({ component: 'pipeline' }),
    metrics: shared?.metrics ?? createPipelineMetrics(registry),
    ...(shared ? { writer: shared.writer } : {}),
    batchMaxMutations: config.batchMaxMutations,
    batchMaxWaitMs: config.batchMaxWaitMs,
    // The embedded store writes the next batch while the last one syncs (measured: docs/benchmarks.md,
    // "Two store batches in flight"). A Gremlin server gets two as well: its store orders batches that
    // share a vertex (keyed locks), so they never race on TinkerGraph's mergeV or JanusGraph's locks,
    // and the next batch is prepared and sent while the last one's round trip runs (+5 and +8 % in two
    // alternated pairs). Neo4j keeps one: two transactions MERGEing the same nodes contend for their locks.
    storeWritesInFlight: store.kind === 'neo4j' ? 1 : 2,
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

/** Where the embedded hub's previews run: worker threads over its LMDB directory. */
export interface EmbeddedPreviewWorkers {
  readonly path: string;
  readonly threads: number;
}

/**
 * Segment previews and counts run where the data is: the store's own compiler when it has
 * one; over the embedded store, on worker threads (off the event loop that serves requests
 * and applies events) when `workers` names its directory.
 */
export function previewEvaluatorFor(
  store: GraphStore,
  logger?: Logger,
  workers?: EmbeddedPreviewWorkers,
): (SegmentEvaluator & { close?(): Promise<void> }) | undefined {
  switch (store.kind) {
    case 'gremlin': {
      const g = store as GremlinGraphStore;
      // TinkerPop 3.7 servers (JanusGraph 1.1, Neptune) lack the 3.8 step numeric conditions
      // compile to: those definitions run through the store's own API instead — same answer.
      return withFallbackEvaluator(
        createGremlinSegmentEvaluator({ run: (build) => g.traverse(build) }),
        createEmbeddedSegmentEvaluator({ store }),
        (e) => e instanceof GremlinStoreError && e.code === 'TRAVERSAL_REJECTED',
        (e) =>
          logger?.warn(
            { err: e },
            'the Gremlin server cannot run a compiled segment condition (TinkerPop < 3.8?): such definitions are evaluated through the store API, slower',
          ),
      );
    }
    case 'neo4j': {
      const n = store as Neo4jGraphStore;
      return createCypherSegmentEvaluator({ read: (query) => n.readCypher(query) });
    }
    case 'embedded':
      return workers
        ? createWorkerSegmentEvaluator({
            entry: join(__dirname, 'processes', 'segment-evaluation-worker.ts'),
            config: { path: workers.path } satisfies SegmentEvaluationWorkerConfig,
            threads: workers.threads,
            backend: 'embedded',
            ...(logger ? { logger } : {}),
          })
        : undefined;
    default: {
      const never: never = store.kind;
      throw new TypeError(`previewEvaluatorFor: unknown store ${String(never)}`);
    }
  }
}

/**
 * A capability as the wiring sees it: a GraphQL module (served where the API is),
 * a write-side reaction to durable events (run where events are applied), a
 * read-side reaction to changed vertices (run where the API is), and a lifecycle.
 */
export interface Feature {
  readonly name: string;
  readonly module?: GraphQLModule;
  /** May return a promise: the pipeline marks events seen (and Kafka commits) only once it settles. */
  readonly onApplied?: (applied: AppliedEvents) => void | Promise<void>;
  readonly onChanged?: (vertexIds: ReadonlySet<string>) => void;
  /** Write-side work once the process runs (recount saved segments). */
  readonly start?: () => Promise<void>;
  /** Read-side work once a process that serves GraphQL runs (the analytics schedule). */
  readonly startServing?: () => void;
  readonly close?: () => Promise<void>;
}

export interface Wiring {
  readonly role: ProcessRole;
  readonly config: C360Config;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly store: GraphStore;
  readonly kafka: KafkaConnection | null;
  readonly deadLetters: DeadLetterSink;
  readonly actions: ActionBus;
  readonly changes: ChangeFeed;
  readonly features: readonly Feature[];
  /** GraphQL modules of every feature (empty for a worker). */
  readonly modules: readonly GraphQLModule[];
  /** The ingest pipeline and (with Kafka) the consumer-group member feeding it; null for `api`. */
  readonly ingest: Ingest | null;
  readonly worker: KafkaIngestWorker | null;
  /** What the collector submits to: Kafka when configured, else the pipeline; null for a worker. */
  readonly collector: IngestPipeline | null;
  /** Starts consuming, following the live feed and the features' write-side work. */
  start(): Promise<void>;
  /** Only the features' write-side work (for `seed` and `replay`, which submit to the pipeline themselves). */
  startFeatures(): void;
  readiness(): Readiness;
  /** Stops consuming and closes everything in dependency order. Idempotent. */
  close(): Promise<void>;
}

export interface WireOptions {
  readonly role: ProcessRole;
  readonly logger: Logger;
  /** Tests: hear every applied batch after the features did. */
  readonly onApplied?: (applied: AppliedEvents) => void;
}

function randomId(): string {
  return randomBytes(6).toString('hex');
}

export async function wire(config: C360Config, options: WireOptions): Promise<Wiring> {
  const { role, logger } = options;
  // Dedupe and live state are LMDB in every process, the embedded graph too: see the file.
  absorbLmdbCommitDuplicates(logger);
  // Every writer and reader of a deployment keys phone numbers alike (graph-schema normalize.ts).
  setDefaultPhoneRegion(config.phoneRegion);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'c360_' });
  const opened: (() => Promise<void>)[] = [];
  try {
    // The embedded store lives in one process: a second one on the same data dir refuses to start.
    const lock = config.graph === 'embedded' ? lockDataDir(config.dataDir, role === 'hub' ? 'start' : role) : null;
    if (lock) opened.push(async () => lock.release());
    verifyDataDir(config.dataDir, config.graph === 'embedded');
    const rawStore = await openGraphStore(config, logger.child({ component: 'store', store: config.graph }));
    opened.push(() => rawStore.close());
    // The embedded hub is the one process every graph write passes through (its data dir lock
    // keeps `c360 replay` and friends out while it runs): it may keep resolved identity
    // profiles between reads, dropped by the write path below. A shared graph server can be
    // written by other processes, so hubs on one resolve on every read.
    const profiles = role === 'hub' && config.graph === 'embedded' ? createProfileCache() : null;
    const store = profiles ? observingWrites(rawStore, (ids) => profiles.invalidate(ids)) : rawStore;
    const kafka = config.kafkaBrokers.length > 0 ? await connectKafka(config, registry, logger) : null;
    if (kafka) opened.push(() => kafka.disconnect());
    mkdirSync(config.dataDir, { recursive: true });
    const deadLetters = kafka?.deadLetters ?? createFileDeadLetterSink(join(config.dataDir, 'dead-letters.ndjson'));

    const actionSink: ActionSink = kafka
      ? createKafkaActionSink(kafka.producer, config.topics.actions)
      : createFileActionSink(join(config.dataDir, 'actions.ndjson'));
    const actions = createActionBus(actionSink, (e) => logger.error({ err: e }, 'action listener failed'), {
      deliverOnPublish: kafka === null,
    });
    const changes = createChangeFeed((e) => logger.error({ err: e }, 'change listener failed'));
    const changePublisher: KafkaChangePublisher | null = kafka
      ? createKafkaChangePublisher(kafka.producer, config.topics.changes, (e) =>
          logger.warn({ err: e }, 'change notice not sent (subscribers refresh on the next change)'),
        )
      : null;
    /** Vertices written here: to local listeners, or to every process through the changes topic. */
    const notifyChanged = (ids: Iterable<string>) => {
      if (changePublisher) changePublisher.publish(ids);
      else changes.publish(ids);
    };

    // One write path for the pipeline, live state and every feature: the same retries and metrics.
    const metrics = createPipelineMetrics(registry);
    const writer = createGraphWriter({ store, logger: logger.child({ component: 'writer' }), metrics });
    const writerStore = writingThrough(store, writer);
    const stateStore: StateStore =
      store.kind === 'embedded'
        ? createLmdbStateStore({ path: join(config.dataDir, 'derived-state') })
        : createGraphStateStore({ store: writerStore, writerId: randomId() });

    // Whole-graph requests, bounded per principal and per process (previews, saves).
    const heavyWork = createHeavyWorkLimiter(config.heavyWork);
    registerHeavyWorkGauge(registry, () => heavyWork.stats());

    const features = createFeatures({
      role,
      config,
      store: writerStore,
      heavyWork,
      profiles,
      logger,
      actions,
      // The pipeline counts its own letters; the features' (TOO_LATE) are counted here.
      deadLetters: countingDeadLetters(deadLetters, metrics.deadLettered),
      changes,
      stateStore,
      notifyChanged,
    });
    const featureOnApplied = async (applied: AppliedEvents) => {
      const pending: Promise<void>[] = [];
      for (const f of features) {
        try {
          const r = f.onApplied?.(applied);
          if (r) pending.push(r);
        } catch (e) {
          logger.error({ err: e, feature: f.name }, 'feature failed to take applied events');
        }
      }
      notifyChanged(applied.vertexIds);
      options.onApplied?.(applied);
      await Promise.all(pending);
    };
    for (const f of features) {
      if (f.onChanged) {
        const onChanged = f.onChanged;
        changes.subscribe((ids) => onChanged(ids));
      }
    }

    const ingest = INGESTS[role]
      ? createIngest(config, store, registry, logger, featureOnApplied, kafka?.deadLetters, { metrics, writer })
      : null;
    const worker = ingest && kafka ? createIngestWorker(config, kafka, ingest.pipeline, registry, logger) : null;
    const collector = !SERVES[role]
      ? null
      : kafka
        ? createCollectorPipeline(config, kafka, logger)
        : (ingest?.pipeline ?? null);
    // Operators' dead letters over GraphQL (admin): replays go where this process submits.
    const deadLetterArchive = SERVES[role] ? (await openDeadLetterArchive(config, logger, kafka)).archive : null;
    const allFeatures: readonly Feature[] = deadLetterArchive
      ? [
          ...features,
          {
            name: 'dead-letters',
            module: createDeadLettersModule({ archive: deadLetterArchive, pipeline: collector }),
          },
        ]
      : features;
    const liveFeed: KafkaLiveFeed | null =
      kafka && SERVES[role]
        ? createKafkaLiveFeed({
            kafka: kafka.kafka,
            topics: { actions: config.topics.actions, changes: config.topics.changes },
            groupPrefix: `${config.kafka.groupId}-live`,
            logger: logger.child({ component: 'live-feed' }),
            onAction: (a) => actions.deliver([a as HubAction]),
            onChanged: (ids) => changes.publish(ids),
          })
        : null;

    const startFeatures = () => {
      if (!INGESTS[role]) return;
      for (const f of features) {
        f.start?.().catch((e) => logger.error({ err: e, feature: f.name }, 'feature failed to start'));
      }
    };
    let closing: Promise<void> | null = null;
    return {
      role,
      config,
      logger,
      registry,
      store,
      kafka,
      deadLetters,
      actions,
      changes,
      features: allFeatures,
      modules: SERVES[role] ? allFeatures.flatMap((f) => (f.module ? [f.module] : [])) : [],
      ingest,
      worker,
      collector,
      async start() {
        // The feed first: a subscription opened once this process is ready hears every later action.
        await liveFeed?.start();
        await worker?.start();
        startFeatures();
        if (SERVES[role]) for (const f of features) f.startServing?.();
      },
      startFeatures,
      readiness: () => {
        const parts: Readiness[] = [worker?.readiness() ?? { ready: true, reasons: [] }];
        if (isEmbedded(store)) parts.push(store.health());
        return { ready: parts.every((p) => p.ready), reasons: parts.flatMap((p) => [...p.reasons]) };
      },
      close() {
        closing ??= (async () => {
          if (collector && collector !== ingest?.pipeline) await collector.close();
          await worker?.stop();
          await ingest?.close();
          await liveFeed?.stop();
          for (const f of features) await f.close?.();
          await changePublisher?.close();
          await actions.close();
          await stateStore.close();
          if (!kafka) await deadLetters.close();
          await kafka?.disconnect();
          await store.close();
          lock?.release();
        })();
        return closing;
      },
    };
  } catch (e) {
    for (const close of opened.reverse()) await close().catch(() => undefined);
    throw e;
  }
}

interface FeatureDeps {
  readonly role: ProcessRole;
  readonly config: C360Config;
  readonly store: GraphStore;
  readonly heavyWork: HeavyWorkLimiter;
  /** Resolved identity profiles kept between reads (hub only; see observingWrites). */
  readonly profiles: ProfileCacheSlots | null;
  readonly logger: Logger;
  readonly actions: ActionBus;
  readonly deadLetters: DeadLetterSink;
  readonly changes: ChangeFeed;
  readonly stateStore: StateStore;
  readonly notifyChanged: (ids: Iterable<string>) => void;
}

/**
 * Erasure told downstream: the segments the customer was in (read before the erasure
 * removes its MEMBER_OF edges) each get a `segment.left`, so audiences drop the person;
 * the forgetter itself publishes `customer.forgotten`.
 */
function announcingErasure(forgetter: CustomerForgetter, segments: SegmentService): CustomerForgetter {
  return {
    async forget(id, request) {
      const before = (await segments.catalog.membershipsOf([id])).get(id) ?? new Map();
      const result = await forgetter.forget(id, request);
      if (result) await segments.live.forgotten(id, before);
      return result;
    },
  };
}

/** Customer properties some source declares or computes: previews warn about trait names outside them. */
const KNOWN_TRAITS: ReadonlySet<string> = new Set([
  ...Object.keys(VERTICES.Customer.properties),
  ...DEFAULT_TRAITS_CONFIG.traits.map((t) => t.name),
  ...Object.values(ANALYTICS_TRAITS),
]);

/** Every feature, configured the same way in every process; the role only picks which parts run. */
function createFeatures(deps: FeatureDeps): Feature[] {
  const { role, config, store, logger, actions, deadLetters, changes, stateStore } = deps;
  const ingests = INGESTS[role];
  const resolver = createIdentityResolver({
    store,
    rules: createIdentityRules(),
    ...(deps.profiles ? { cache: deps.profiles } : {}),
  });
  const previewEvaluator = previewEvaluatorFor(
    store,
    logger,
    config.graph === 'embedded'
      ? { path: join(config.dataDir, 'graph'), threads: config.heavyWork.running }
      : undefined,
  );
  const segments = createSegmentService({
    store,
    actions,
    logger: logger.child({ component: 'segments' }),
    stateStore,
    ...(previewEvaluator ? { previewEvaluator } : {}),
  });
  // On a shared graph store, a customer's devices are its USES_DEVICE neighbours (an indexed
  // adjacency read), not a key-prefix scan of State vertices (no index on JanusGraph).
  const devicesOf = store.kind === 'embedded' ? undefined : (customerId: string) => usedDevices(store, customerId);
  // Write side: health state machines and trait windows advance where events are applied.
  const care: ProactiveCare | null = ingests
    ? createProactiveCare({
        store,
        stateStore,
        ...(devicesOf ? { devicesOf } : {}),
        actions,
        deadLetters,
        logger: logger.child({ component: 'proactive-care' }),
        onTraitsWritten: (ids) => deps.notifyChanged(ids),
      })
    : null;
  // Read side only: an API replica reads the health that workers keep in the shared store.
  const health: HealthMonitor =
    care?.health ??
    createHealthMonitor({
      stateStore,
      actions,
      deadLetters,
      logger: logger.child({ component: 'health' }),
      ...(devicesOf ? { devicesOf } : {}),
    });
  const analytics = SERVES[role] ? createAnalyticsService({ store, logger }) : null;

  const features: Feature[] = [
    // First, so that later modules may still take over single Customer fields (e.g. health).
    {
      name: 'identity',
      module: createIdentityModule({
        resolver,
        forgetter: announcingErasure(
          createCustomerForgetter({
            store,
            resolver,
            auditLog: createFileAuditLog(join(config.dataDir, 'audit', 'identity.ndjson')),
            actions,
          }),
          segments,
        ),
      }),
    },
    {
      name: 'segments',
      module: createSegmentsModule({
        ...segments,
        knownTraits: KNOWN_TRAITS,
        limiter: deps.heavyWork,
      }),
      // Awaited: offsets are committed only once membership changes are published and written,
      // so a worker killed mid-evaluation leaves the events to be redelivered (no lost transition).
      ...(ingests ? { onApplied: (applied: AppliedEvents) => segments.live.onApplied(applied) } : {}),
      ...(ingests ? { start: () => segments.start() } : {}),
      close: () => segments.close(),
    },
    {
      name: 'proactive-care',
      module: createHealthModule({ health }),
      ...(care
        ? {
            // Awaited: health and window traits are state of their own that a redelivery must
            // reach; a failure fails the submit (retriable) instead of marking the events seen.
            onApplied: (applied: AppliedEvents) => care.onApplied(applied),
            close: () => care.close(),
          }
        : { close: () => health.close() }),
    },
    { name: 'subscriptions', module: createSubscriptionsModule({ actions, changes }) },
  ];
  if (analytics) {
    // Traits that follow the graph without anyone asking (C360_ANALYTICS_REFRESH_MS; 0: only when queried).
    const schedule =
      config.analyticsRefreshMs > 0
        ? createAnalyticsSchedule({ service: analytics, everyMs: config.analyticsRefreshMs, logger })
        : null;
    features.splice(1, 0, {
      name: 'analytics',
      module: createAnalyticsModule(analytics),
      // Read side: the next analytics read refreshes the vertices written anywhere.
      onChanged: (vertexIds) => analytics.onApplied({ vertexIds }),
      ...(schedule ? { startServing: () => schedule.start() } : {}),
      close: async () => {
        await schedule?.stop();
        await analytics.close();
      },
    });
  }
  return features;
}

/** The devices a customer uses, every page of them. */
async function usedDevices(store: GraphStore, customerId: string): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  for (;;) {
    const [page] = await store.neighbors([
      { id: customerId, direction: 'out', edgeLabels: ['USES_DEVICE'], vertexLabels: ['Device'], first: 500, after },
    ]);
    for (const n of page.items) ids.push(n.vertex.id);
    if (!page.hasNextPage) return ids;
    after = page.cursors[page.cursors.length - 1] ?? null;
  }
}
