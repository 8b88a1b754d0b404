/**
 * What the Kafka integration tests share: unique topics per test on the real
 * broker, producing demo events the way the collector and Debezium would, and
 * waiting for a consumer group to catch up (by committed offsets, not sleeps).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { type Admin, type Kafka, type Message, Partitioners, type Producer } from 'kafkajs';
import pino from 'pino';
import type { Registry } from 'prom-client';
import type { IngestPipeline, RawMessage } from '../../ingest';
import { generateDemo } from '../../scripts/demo/generate-demo';
import {
  cdcTopicPattern,
  createKafkaClient,
  createKafkaIngestWorker,
  ensureTopics,
  HEADERS,
  type HubTopics,
  type KafkaIngestWorker,
  type KafkaIngestWorkerOptions,
} from '../../services/kafka';
import { dumpWholeGraph, type GraphDump } from './graph-dump';
import { createTestPipeline } from './hub-pipeline';
import { testEndpoints } from './infra';
import { uniqueName } from './unique';
import { waitFor } from './wait-for';

export const silentLogger = pino({ level: 'silent' });

export function testBrokers(): readonly string[] {
  return testEndpoints().kafka.brokers;
}

export function testKafka(clientId = uniqueName('c360-test')): Kafka {
  return createKafkaClient({ brokers: testBrokers(), clientId, logger: silentLogger });
}

/** Fresh topic names (the CDC prefix is unique too, so the pattern matches only this test's tables). */
export function uniqueTopics(): HubTopics {
  // Letters and digits only: the CDC prefix becomes part of a regular expression and of Debezium-style names.
  const p = uniqueName('t').replace('-', '');
  return {
    clickstream: `${p}.clickstream`,
    telemetry: `${p}.telemetry`,
    dlq: `${p}.dlq`,
    actions: `${p}.actions`,
    changes: `${p}.changes`,
    cdcPrefix: p,
  };
}

export const CRM_TABLES = [
  'products',
  'customers',
  'addresses',
  'accounts',
  'orders',
  'order_items',
  'support_tickets',
];

/** The topic a demo message goes to under `topics` (the demo names Debezium topics `c360.crm.<table>`). */
export function topicOf(m: RawMessage, topics: HubTopics): string {
  switch (m.source) {
    case 'segment':
      return topics.clickstream;
    case 'telemetry':
      return topics.telemetry;
    case 'cdc':
      return `${topics.cdcPrefix}.crm.${m.position.topic?.split('.').pop()}`;
    default:
      throw new Error(`unknown source ${String(m.source)}`);
  }
}

export function allTopicNames(topics: HubTopics): string[] {
  return [topics.clickstream, topics.telemetry, ...CRM_TABLES.map((t) => `${topics.cdcPrefix}.crm.${t}`)];
}

/** Creates every topic of the test up front: clickstream/telemetry with `partitions`, each CDC table with 2, dlq 1. */
export async function createTestTopics(admin: Admin, topics: HubTopics, partitions = 6): Promise<void> {
  await ensureTopics(
    admin,
    [
      { topic: topics.clickstream, numPartitions: partitions },
      { topic: topics.telemetry, numPartitions: partitions },
      { topic: topics.dlq, numPartitions: 1 },
      ...CRM_TABLES.map((t) => ({ topic: `${topics.cdcPrefix}.crm.${t}`, numPartitions: 2 })),
    ],
    silentLogger,
  );
  if (!cdcTopicPattern(topics.cdcPrefix).test(`${topics.cdcPrefix}.crm.customers`)) throw new Error('bad prefix');
}

/** Demo events in arrival order; the same options give byte-identical messages. */
export function demoMessages(customers: number, days: number, seed = 7): RawMessage[] {
  return [...generateDemo({ customers, seed, startMs: Date.UTC(2026, 0, 15), days })];
}

/** Keyed like the collector keys them (person → partition), CDC by Debezium's row key. */
function keyOf(m: RawMessage): Buffer | string | null {
  if (m.source === 'cdc') return m.key ?? null;
  if (m.value === null) return null;
  try {
    const body = JSON.parse(m.value.toString('utf8')) as Record<string, unknown>;
    const id = m.source === 'segment' ? (body.userId ?? body.anonymousId) : body.deviceId;
    return typeof id === 'string' ? id : null;
  } catch {
    return null;
  }
}

export function toRecord(m: RawMessage): Message {
  return { key: keyOf(m), value: m.value, headers: { [HEADERS.receivedAtMs]: String(m.receivedAtMs) } };
}

export async function connectProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  return producer;
}

/** Produces in arrival order, in chunks, acks=-1. */
export async function produceAll(
  producer: Producer,
  topics: HubTopics,
  messages: readonly RawMessage[],
): Promise<void> {
  for (let i = 0; i < messages.length; i += 1000) {
    const byTopic = new Map<string, Message[]>();
    for (const m of messages.slice(i, i + 1000)) {
      const t = topicOf(m, topics);
      byTopic.set(t, [...(byTopic.get(t) ?? []), toRecord(m)]);
    }
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })),
    });
  }
}

/** Sum over partitions of (high watermark − committed offset); 0 means the group has committed everything. */
export async function groupLag(admin: Admin, groupId: string, topicNames: readonly string[]): Promise<number> {
  const committed = await admin.fetchOffsets({ groupId, topics: [...topicNames] });
  let lag = 0;
  for (const topic of topicNames) {
    const ends = await admin.fetchTopicOffsets(topic);
    const c = committed.find((t) => t.topic === topic)?.partitions ?? [];
    for (const p of ends) {
      const at = Number(c.find((x) => x.partition === p.partition)?.offset ?? '-1');
      lag += Number(p.high) - (at < 0 ? Number(p.low) : at);
    }
  }
  return lag;
}

export async function waitForCaughtUp(
  admin: Admin,
  groupId: string,
  topicNames: readonly string[],
  timeoutMs = 120_000,
): Promise<void> {
  await waitFor(async () => (await groupLag(admin, groupId, topicNames)) === 0, {
    description: `group ${groupId} to commit everything`,
    timeoutMs,
    intervalMs: 200,
  });
}

export interface WorkerChild {
  readonly pid: number;
  /** Resolves with the worker's ops URL once it consumes. */
  readonly ready: Promise<string>;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
  output(): string;
}

/** Starts test/helpers/kafka-worker-process.ts under tsx with `env` added to this process's environment. */
export function spawnWorker(env: Readonly<Record<string, string>>): WorkerChild {
  const root = join(__dirname, '..', '..');
  // tsx's loader in the node process itself: the tsx CLI would run the script in a grandchild that SIGKILL misses.
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'kafka-worker-process.ts')], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const m = /READY (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.stderr.on('data', (d: Buffer) => {
      out = (out + d.toString('utf8')).slice(-20_000);
    });
    void exited.then((code) => reject(new Error(`worker exited (${code}) before it was ready:\n${out}`)));
  });
  ready.catch(() => undefined);
  return {
    pid: child.pid ?? -1,
    ready,
    exited,
    kill: (signal) => {
      child.kill(signal);
    },
    output: () => out,
  };
}

/** Applies `messages` once, directly through a pipeline over a fresh embedded store: the expected graph. */
export async function baselineDump(
  messages: readonly RawMessage[],
  options: { cdc?: boolean } = {},
): Promise<GraphDump> {
  const base = await createTestPipeline({ cdc: options.cdc === true });
  try {
    for (let i = 0; i < messages.length; i += 500) await base.pipeline.submit(messages.slice(i, i + 500));
    return await dumpWholeGraph(base.store);
  } finally {
    await base.close();
  }
}

/** A worker for in-process tests: small fetches, the broker's minimum session timeout, no background sampling. */
export function testWorker(
  kafka: Kafka,
  groupId: string,
  topics: HubTopics,
  pipeline: IngestPipeline,
  registry: Registry,
  overrides: Partial<KafkaIngestWorkerOptions> = {},
): KafkaIngestWorker {
  return createKafkaIngestWorker({
    kafka,
    groupId,
    topics: {
      clickstream: topics.clickstream,
      telemetry: topics.telemetry,
      cdcPattern: cdcTopicPattern(topics.cdcPrefix),
    },
    pipeline,
    logger: silentLogger,
    registry,
    sessionTimeoutMs: 6_000,
    maxBytesPerPartition: 8192,
    lagSampleIntervalMs: 0,
    topicRefreshMs: 0,
    ...overrides,
  });
}
