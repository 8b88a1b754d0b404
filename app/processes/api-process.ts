/**
 * The API-only process (`c360 api`): GraphQL, the playground and the Segment
 * collector, with the collector appending to Kafka — the workers apply the
 * events. Stateless, so any number of replicas can run; it needs a graph store
 * that other processes can write to (the embedded store lives in one process).
 *
 * Lifecycle: starting → ready → draining → stopped. Draining stops accepting
 * HTTP (in-flight collector requests finish once the broker acknowledged),
 * then disconnects the producer and closes the store.
 */
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createHttpApp, startHttpServer } from '../../api';
import type { AuthConfig } from '../../api/auth';
import { ConfigError, type GraphStore } from '../../graph-schema';
import type { IngestPipeline } from '../../ingest';
import { createDecoders } from '../../ingest/decoders';
import { createKafkaProducerPipeline } from '../../services/kafka';
import { type C360Config, requireApiAuth } from '../config';
import { openGraphStore } from './hub';
import { connectKafka, type KafkaConnection, requireKafka } from './worker';

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

/** Who may call the API and how much, from the config (both processes that serve the API use it). */
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

export type ApiPhase = 'starting' | 'ready' | 'draining' | 'stopped';

export interface ApiProcess {
  readonly url: string;
  readonly store: GraphStore;
  readonly registry: Registry;
  phase(): ApiPhase;
  close(): Promise<void>;
}

export async function startApi(config: C360Config, deps: { readonly logger: Logger }): Promise<ApiProcess> {
  const { logger } = deps;
  requireKafka(config, 'c360 api');
  if (config.graph === 'embedded') {
    throw new ConfigError(
      'C360_GRAPH',
      "c360 api runs apart from the workers, so it needs a shared store (gremlin or neo4j); the embedded store lives in one process — use 'c360 start'",
    );
  }
  if (config.writeKeys.length === 0) {
    throw new ConfigError('C360_WRITE_KEYS', 'set at least one collector write key');
  }
  const security = apiSecurity(config);
  let phase: ApiPhase = 'starting';
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'c360_' });
  const connection = await connectKafka(config, registry, logger);
  const store = await openGraphStore(config, logger.child({ component: 'store', store: config.graph }));
  const pipeline = createCollectorPipeline(config, connection, logger);
  const app = createHttpApp({
    store,
    pipeline,
    registry,
    logger: logger.child({ component: 'http' }),
    config: {
      writeKeys: config.writeKeys,
      maxEventBytes: config.maxEventBytes,
      maxBatchBytes: config.maxBatchBytes,
      playground: security.playground,
      graphqlPath: '/graphql',
      auth: security.auth,
      limits: security.limits,
    },
    readiness: () =>
      phase === 'ready' ? { ready: true, reasons: [] } : { ready: false, reasons: [`api is ${phase}`] },
  });
  const http = await startHttpServer(app, { port: config.port, host: config.host });
  phase = 'ready';
  logger.info({ url: `${http.url}/graphql` }, 'c360 api is serving; the collector writes to Kafka');

  let closing: Promise<void> | null = null;
  return {
    url: http.url,
    store,
    registry,
    phase: () => phase,
    close() {
      closing ??= (async () => {
        phase = 'draining';
        await http.close();
        await pipeline.close();
        await connection.disconnect();
        await store.close();
        phase = 'stopped';
      })();
      return closing;
    },
  };
}
