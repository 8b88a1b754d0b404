/**
 * Kafka mode's composition pieces and the worker-only process (`c360 worker`):
 * config → Kafka client, topics, dead-letter producer → store, ingest pipeline
 * → consumer-group worker, with /healthz, /readyz and /metrics on the port.
 *
 * Lifecycle: starting → ready → draining → stopped. Draining stops consuming
 * (in-flight batches finish and commit what became durable, then the worker
 * leaves the group so its partitions move at once), flushes the pipeline,
 * then disconnects the producer and closes the store — in that order.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { type Kafka, Partitioners, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createOperationsRouter, type Readiness } from '../../api';
import { ConfigError, type GraphStore } from '../../graph-schema';
import type { AppliedEvents, DeadLetterSink, IngestPipeline } from '../../ingest';
import {
  cdcTopicPattern,
  createKafkaClient,
  createKafkaDeadLetterSink,
  createKafkaIngestWorker,
  createKafkaMetrics,
  ensureTopics,
  hubTopicSpecs,
  type KafkaIngestWorker,
  type KafkaMetrics,
} from '../../services/kafka';
import type { C360Config } from '../config';
import { createIngest, openGraphStore } from './hub';

export interface KafkaConnection {
  readonly kafka: Kafka;
  /** Idempotent, acks=-1 per send: dead letters and the collector's records. */
  readonly producer: Producer;
  /** Dead letters as records on the dead-letter topic. */
  readonly deadLetters: DeadLetterSink;
  readonly metrics: KafkaMetrics;
  disconnect(): Promise<void>;
}

export function requireKafka(config: C360Config, what: string): void {
  if (config.kafkaBrokers.length === 0) {
    throw new ConfigError('C360_KAFKA_BROKERS', `${what} needs Kafka; set host:port[,host:port…]`);
  }
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

export type WorkerPhase = 'starting' | 'ready' | 'draining' | 'stopped';

export interface WorkerProcess {
  /** Base URL of /healthz, /readyz and /metrics. */
  readonly url: string;
  readonly store: GraphStore;
  readonly worker: KafkaIngestWorker;
  readonly registry: Registry;
  phase(): WorkerPhase;
  readiness(): Readiness;
  /** Drain and stop. Idempotent. */
  close(): Promise<void>;
}

export interface WorkerDeps {
  readonly logger: Logger;
  readonly onApplied?: (applied: AppliedEvents) => void;
}

export async function startWorker(config: C360Config, deps: WorkerDeps): Promise<WorkerProcess> {
  const { logger } = deps;
  requireKafka(config, 'c360 worker');
  let phase: WorkerPhase = 'starting';
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'c360_' });

  const connection = await connectKafka(config, registry, logger);
  const store = await openGraphStore(config, logger.child({ component: 'store', store: config.graph }));
  const ingest = createIngest(config, store, registry, logger, deps.onApplied, connection.deadLetters);
  const worker = createIngestWorker(config, connection, ingest.pipeline, registry, logger);
  await worker.start();

  const readiness = (): Readiness => {
    if (phase !== 'ready') return { ready: false, reasons: [`worker is ${phase}`] };
    return worker.readiness();
  };
  const app = express();
  app.disable('x-powered-by');
  app.use(createOperationsRouter({ registry, readiness, logger: logger.child({ component: 'http' }) }));
  const http = await listen(app, config.port, config.host);
  phase = 'ready';
  logger.info({ url: http.url, groupId: config.kafka.groupId }, 'c360 worker is consuming');

  let closing: Promise<void> | null = null;
  return {
    url: http.url,
    store,
    worker,
    registry,
    phase: () => phase,
    readiness,
    close() {
      closing ??= (async () => {
        phase = 'draining';
        await worker.stop();
        await ingest.close();
        await connection.disconnect();
        await http.close();
        await store.close();
        phase = 'stopped';
        logger.info('stopped');
      })();
      return closing;
    },
  };
}

/** Readiness of several parts: ready when all are, with every reason. */
export function combineReadiness(...parts: (() => Readiness)[]): () => Readiness {
  return () => {
    const states = parts.map((p) => p());
    return { ready: states.every((s) => s.ready), reasons: states.flatMap((s) => [...s.reasons]) };
  };
}

/** The worker serves only operations endpoints: a plain HTTP server, no GraphQL to start or drain. */
async function listen(
  app: express.Express,
  port: number,
  host: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
