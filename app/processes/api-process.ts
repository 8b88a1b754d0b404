/**
 * `c360 api`: a stateless API replica — GraphQL with every feature's module
 * (the same wiring as the hub, app/wiring.ts), subscriptions fed from the
 * actions and changes topics (so they hear what any worker did), the
 * playground and the Segment collector appending to Kafka — the workers apply
 * the events. Any number of replicas can run; they need a graph store that
 * other processes can write to (the embedded store lives in one process).
 *
 * Lifecycle: starting → ready → draining → stopped. Draining stops accepting
 * HTTP (in-flight collector requests finish once the broker acknowledged),
 * then stops the live feed, disconnects the producer and closes the store.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ConfigError, type GraphStore } from '../../graph-schema';
import type { C360Config } from '../config';
import { requireSharedIdSecret } from '../id-secret';
import { apiSecurity, requireKafka, wire } from '../wiring';
import { type ServedHttp, serveHttp } from './serve-http';

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
  // Before anything opens: an API without credentials, or without the shared id secret, does not start.
  apiSecurity(config);
  requireSharedIdSecret(config);
  let phase: ApiPhase = 'starting';
  const w = await wire(config, { role: 'api', logger });
  await w.start();
  let http: ServedHttp;
  try {
    http = await serveHttp(w, {
      writeKeys: config.writeKeys,
      readiness: () =>
        phase === 'ready' ? { ready: true, reasons: [] } : { ready: false, reasons: [`api is ${phase}`] },
    });
  } catch (e) {
    await w.close();
    throw e;
  }
  phase = 'ready';
  logger.info({ url: `${http.url}/graphql` }, 'c360 api is serving; the collector writes to Kafka');

  let closing: Promise<void> | null = null;
  return {
    url: http.url,
    store: w.store,
    registry: w.registry,
    phase: () => phase,
    close() {
      closing ??= (async () => {
        phase = 'draining';
        await http.close();
        await w.close();
        phase = 'stopped';
      })();
      return closing;
    },
  };
}
