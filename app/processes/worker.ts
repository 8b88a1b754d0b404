/**
 * `c360 worker`: one member of the ingest consumer group — the wiring's
 * (app/wiring.ts) ingest and every feature's write side (health, computed
 * traits, live segment membership, actions to the actions topic) — with
 * /healthz, /readyz and /metrics on the port. Run several: Kafka shares the
 * partitions among them, and live state lives in the shared store so a
 * partition can move after a rebalance or a crash.
 *
 * Lifecycle: starting → ready → draining → stopped. Draining stops consuming
 * (in-flight batches finish and commit what became durable, then the worker
 * leaves the group so its partitions move at once), flushes the pipeline and
 * the features, then disconnects the producer and closes the store.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createOperationsRouter, type Readiness } from '../../api';
import type { GraphStore } from '../../graph-schema';
import type { AppliedEvents } from '../../ingest';
import type { KafkaIngestWorker } from '../../services/kafka';
import type { C360Config } from '../config';
import { requireKafka, wire } from '../wiring';

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
  const w = await wire(config, { role: 'worker', logger, ...(deps.onApplied ? { onApplied: deps.onApplied } : {}) });
  const worker = w.worker as KafkaIngestWorker;
  await w.start();

  const readiness = (): Readiness => {
    if (phase !== 'ready') return { ready: false, reasons: [`worker is ${phase}`] };
    return w.readiness();
  };
  const app = express();
  app.disable('x-powered-by');
  app.use(createOperationsRouter({ registry: w.registry, readiness, logger: logger.child({ component: 'http' }) }));
  let http: { url: string; close(): Promise<void> };
  try {
    http = await listen(app, config.port, config.host);
  } catch (e) {
    await w.close();
    throw e;
  }
  phase = 'ready';
  logger.info({ url: http.url, groupId: config.kafka.groupId }, 'c360 worker is consuming');

  let closing: Promise<void> | null = null;
  return {
    url: http.url,
    store: w.store,
    worker,
    registry: w.registry,
    phase: () => phase,
    readiness,
    close() {
      closing ??= (async () => {
        phase = 'draining';
        await w.close();
        await http.close();
        phase = 'stopped';
        logger.info('stopped');
      })();
      return closing;
    },
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
