/**
 * Proactive care, end to end: telemetry submitted to the ingest pipeline →
 * durable in the graph → health transition → action durable → GraphQL
 * subscription message over WebSocket. `subscriptionLatencyScenario` measures
 * that path (p50/p99); `startProactiveCareServer` is the wiring it measures,
 * shared with the subscription tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createClient } from 'graphql-ws';
import pino from 'pino';
import { Registry } from 'prom-client';
import WebSocket from 'ws';
import { createHttpApp, type RunningHttpServer, startHttpServer } from '../../api';
import { type ActionBus, createActionBus, createFileActionSink } from '../../features/actions';
import { type ChangeFeed, createChangeFeed, createSubscriptionsModule } from '../../features/actions/graphql';
import { createHealthConfig, createProactiveCare, type HealthConfig, type ProactiveCare } from '../../features/health';
import { createHealthModule } from '../../features/health/graphql';
import { defaultMappings, type GraphStore } from '../../graph-schema';
import {
  createEventMapper,
  createFileDeadLetterSink,
  createLmdbDedupe,
  createPipeline,
  type IngestPipeline,
  type RawMessage,
} from '../../ingest';
import { createDecoders } from '../../ingest/decoders';
import { createEmbeddedStore } from '../../services/graph';
import { createLmdbStateStore } from '../../services/state';
import type { ScenarioResult } from './bench-result';

export const WRITE_KEY = 'proactive-care';

export interface ProactiveCareServer {
  readonly url: string;
  readonly graphqlUrl: string;
  readonly wsUrl: string;
  readonly store: GraphStore;
  readonly pipeline: IngestPipeline;
  readonly bus: ActionBus;
  readonly changes: ChangeFeed;
  readonly care: ProactiveCare;
  readonly server: RunningHttpServer;
  /** Listeners subscriptions hold on the bus and the change feed: > 0 once a subscription is live on the server. */
  activeListeners(): number;
  close(): Promise<void>;
}

/** The hub's proactive-care wiring over the embedded store in a fresh temp dir. */
export async function startProactiveCareServer(options: { health?: HealthConfig } = {}): Promise<ProactiveCareServer> {
  const dir = mkdtempSync(join(tmpdir(), 'c360-care-'));
  const logger = pino({ level: 'silent' });
  const store = await createEmbeddedStore({ path: join(dir, 'graph') });
  const dedupe = createLmdbDedupe({ path: join(dir, 'dedupe') });
  const deadLetters = createFileDeadLetterSink(join(dir, 'dead-letters.ndjson'));
  const bus = createActionBus(createFileActionSink(join(dir, 'actions.ndjson')));
  const changes = createChangeFeed();
  const care = createProactiveCare({
    store,
    stateStore: createLmdbStateStore({ path: join(dir, 'derived-state') }),
    actions: bus,
    deadLetters,
    logger,
    ...(options.health ? { health: options.health } : {}),
    onTraitsWritten: (ids) => changes.publish(ids),
  });
  const pipeline = createPipeline({
    store,
    decoders: createDecoders({}),
    mapper: createEventMapper(defaultMappings),
    dedupe,
    deadLetters,
    logger,
    batchMaxWaitMs: 1,
    onApplied: (applied) => {
      changes.publish(applied.vertexIds);
      // Awaited, as the composition does.
      return care.onApplied(applied);
    },
  });
  let listeners = 0;
  const counted = <A extends unknown[]>(subscribe: (...args: A) => () => void) => {
    return (...args: A) => {
      const off = subscribe(...args);
      listeners++;
      return () => {
        listeners--;
        off();
      };
    };
  };
  const http = createHttpApp({
    store,
    pipeline,
    registry: new Registry(),
    logger,
    config: {
      writeKeys: [WRITE_KEY],
      maxEventBytes: 32 * 1024,
      maxBatchBytes: 500 * 1024,
      playground: false,
      graphqlPath: '/graphql',
    },
    readiness: () => ({ ready: true, reasons: [] }),
    modules: [
      createHealthModule({ health: care.health }),
      createSubscriptionsModule({
        actions: { subscribe: counted(bus.subscribe) },
        changes: { publish: changes.publish, subscribe: counted(changes.subscribe) },
      }),
    ],
  });
  const server = await startHttpServer(http, { port: 0, host: '127.0.0.1', subscriptions: true });
  return {
    url: server.url,
    graphqlUrl: `${server.url}/graphql`,
    wsUrl: `${server.url.replace(/^http/, 'ws')}/graphql`,
    store,
    pipeline,
    bus,
    changes,
    care,
    server,
    activeListeners: () => listeners,
    async close() {
      await server.close();
      await pipeline.close();
      await care.close();
      await bus.close();
      await deadLetters.close();
      await dedupe.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One telemetry reading as the telemetry topic carries it. */
export function telemetryMessage(reading: {
  deviceId: string;
  entityId: string;
  timestampMs: number;
  seq: number;
  indicators: Record<string, number>;
}): RawMessage {
  const { timestampMs, ...rest } = reading;
  return {
    source: 'telemetry',
    value: Buffer.from(JSON.stringify({ ...rest, timestamp: new Date(timestampMs).toISOString() })),
    position: { source: 'telemetry', transport: 'test' },
    receivedAtMs: Date.now(),
  };
}

export interface SubscriptionLatencyOptions {
  /** Transitions to measure, one after the other. */
  readonly samples: number;
  /** Gives up on one sample after this long (a hang guard, not a target). */
  readonly sampleTimeoutMs?: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/**
 * Event submitted → subscription message: each sample is a new router whose
 * first reading is RED (hold time 0, so one reading is a transition); the
 * clock starts before `pipeline.submit` and stops when the graphql-ws client
 * receives that device's `healthChanged`. Server and client share one process.
 */
export async function subscriptionLatencyScenario(options: SubscriptionLatencyOptions): Promise<ScenarioResult> {
  const sampleTimeoutMs = options.sampleTimeoutMs ?? 10_000;
  const care = await startProactiveCareServer({ health: createHealthConfig({ holdMs: 0 }) });
  const client = createClient({ url: care.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
  const waiting = new Map<string, (receivedAt: number) => void>();
  const latencies: number[] = [];
  try {
    const unsubscribe = client.subscribe<{ healthChanged: { deviceId: string } }>(
      { query: 'subscription { healthChanged { deviceId to at } }' },
      {
        next: (msg) => {
          const id = msg.data?.healthChanged.deviceId;
          if (id) waiting.get(id)?.(performance.now());
        },
        error: () => undefined,
        complete: () => undefined,
      },
    );
    const deadline = Date.now() + sampleTimeoutMs;
    while (care.activeListeners() === 0) {
      if (Date.now() > deadline) throw new Error('subscriptionLatencyScenario: the subscription never became live');
      await new Promise((r) => setTimeout(r, 10));
    }
    const baseMs = Date.now() - 60_000;
    for (let i = 0; i < options.samples; i++) {
      const deviceId = `bench-router-${i}`;
      const received = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no healthChanged for ${deviceId}`)), sampleTimeoutMs);
        waiting.set(`Device:${deviceId}`, (at) => {
          clearTimeout(timer);
          resolve(at);
        });
      });
      const started = performance.now();
      await care.pipeline.submit([
        telemetryMessage({
          deviceId,
          entityId: `bench-customer-${i}`,
          timestampMs: baseMs + i,
          seq: 1,
          indicators: { packetErrors: 500, signalDbm: -50, uptimeSec: 1000 },
        }),
      ]);
      latencies.push((await received) - started);
    }
    unsubscribe();
  } finally {
    await client.dispose();
    await care.close();
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    name: 'subscription-latency',
    store: 'embedded',
    params: { samples: options.samples, holdMs: 0, transport: 'graphql-ws in process' },
    metrics: {
      p50: round(percentile(sorted, 50)),
      p99: round(percentile(sorted, 99)),
      max: round(sorted.at(-1) ?? 0),
    },
    units: { p50: 'ms', p99: 'ms', max: 'ms' },
    notes: [
      'event submitted to the ingest pipeline → durable in the graph → health transition → action fsynced → graphql-ws message received',
    ],
  };
}
