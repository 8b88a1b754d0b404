/**
 * Ingest from Kafka into each store: the demo mix (Debezium CRM snapshot and
 * changes, Segment clickstream, router telemetry) is produced once to topics of
 * its own, then consumed by the real worker composition (kafka-ingest-child.ts)
 * once per store with a fresh consumer group — batched, and the naive
 * one-call-per-element baseline for the ratio.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as gremlin from 'gremlin';
import { type Kafka, type Message, Partitioners } from 'kafkajs';
import neo4j from 'neo4j-driver';
import type { SourceKind } from '../../ingest';
import { classifyGremlinError } from '../../services/graph/gremlin';
import { ensureTopics } from '../../services/kafka';
import { DEMO_FILES, readDemoFile } from '../demo';
import type { ScenarioResult } from './bench-result';
import type { KafkaIngestChildArgs, KafkaIngestChildResult } from './kafka-ingest-child';
import { runTsChild } from './run-child';

/** `gremlin` is Gremlin Server with TinkerGraph, `janusgraph` JanusGraph on Cassandra: the same Gremlin store. */
export type BenchStore = 'embedded' | 'gremlin' | 'janusgraph' | 'neo4j';
export type RemoteBenchStore = Exclude<BenchStore, 'embedded'>;

export interface BenchTopics {
  readonly clickstream: string;
  readonly telemetry: string;
  /** Debezium-style CDC topics are `<cdcPrefix>.crm.<table>`. */
  readonly cdcPrefix: string;
  /** Every topic produced to. */
  readonly names: readonly string[];
}

export interface ProducedDemo {
  readonly topics: BenchTopics;
  readonly records: number;
  readonly seconds: number;
}

const silent = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
} as unknown as import('pino').Logger;

/** Keyed like the collector keys them: a person's (or device's) events share a partition, CDC by row key. */
function keyOf(source: SourceKind, value: Buffer | null, key: Buffer | null | undefined): Buffer | string | null {
  if (source === 'cdc') return key ?? null;
  if (value === null) return null;
  const body = JSON.parse(value.toString('utf8')) as Record<string, unknown>;
  const id = source === 'segment' ? (body.userId ?? body.anonymousId) : body.deviceId;
  return typeof id === 'string' ? id : null;
}

/** Produces the demo files to fresh topics named after `run` (acks=all, 1,000 records per request). */
export async function produceDemoToKafka(
  kafka: Kafka,
  demoDir: string,
  run: string,
  options: { partitions: number; onProgress?: (records: number) => void },
): Promise<ProducedDemo> {
  // Letters and digits only: the CDC prefix becomes part of the worker's topic pattern.
  const prefix = `bench${run.replace(/[^a-zA-Z0-9]/g, '')}`;
  const clickstream = `${prefix}.clickstream`;
  const telemetry = `${prefix}.telemetry`;
  const cdcTopics = new Set<string>();
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const started = performance.now();
  let records = 0;
  try {
    await ensureTopics(
      admin,
      [
        { topic: clickstream, numPartitions: options.partitions },
        { topic: telemetry, numPartitions: options.partitions },
      ],
      silent,
    );
    for (const source of ['cdc', 'segment', 'telemetry'] as SourceKind[]) {
      let pending = new Map<string, Message[]>();
      let count = 0;
      const flush = async () => {
        if (count === 0) return;
        await producer.sendBatch({
          acks: -1,
          topicMessages: [...pending].map(([topic, messages]) => ({ topic, messages })),
        });
        records += count;
        options.onProgress?.(records);
        pending = new Map();
        count = 0;
      };
      for await (const m of readDemoFile(join(demoDir, DEMO_FILES[source]), source)) {
        let topic = source === 'segment' ? clickstream : telemetry;
        if (source === 'cdc') {
          // The demo names Debezium topics `c360.crm.<table>`; the bench's own prefix keeps runs apart.
          topic = `${prefix}.crm.${m.position.topic?.split('.').pop()}`;
          if (!cdcTopics.has(topic)) {
            await flush();
            await ensureTopics(admin, [{ topic, numPartitions: 2 }], silent);
            cdcTopics.add(topic);
          }
        }
        const list = pending.get(topic) ?? [];
        list.push({ key: keyOf(source, m.value, m.key), value: m.value });
        pending.set(topic, list);
        if (++count === 1000) await flush();
      }
      await flush();
    }
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
  return {
    topics: { clickstream, telemetry, cdcPrefix: prefix, names: [clickstream, telemetry, ...cdcTopics] },
    records,
    seconds: (performance.now() - started) / 1000,
  };
}

export interface RemoteGraphEndpoints {
  readonly gremlin: { readonly url: string };
  readonly janusgraph: { readonly url: string };
  readonly neo4j: { readonly url: string; readonly user: string; readonly password: string };
}

/**
 * Empties the Gremlin, JanusGraph or Neo4j graph so each run starts from nothing (the version
 * rule would otherwise make a rerun a cheap no-op). Only for the local test servers.
 */
export async function clearRemoteGraph(store: RemoteBenchStore, endpoints: RemoteGraphEndpoints): Promise<void> {
  if (store === 'gremlin' || store === 'janusgraph') {
    const connection = new gremlin.driver.DriverRemoteConnection(endpoints[store].url, {
      enableUserAgentOnConnect: false,
    } as ConstructorParameters<typeof gremlin.driver.DriverRemoteConnection>[1]);
    try {
      const g = gremlin.process.AnonymousTraversalSource.traversal().withRemote(connection);
      if (store === 'gremlin') {
        await g.V().drop().iterate();
        return;
      }
      // JanusGraph: one transaction per request, so a big graph is dropped in bounded slices; a slice
      // whose commit loses a lock race (other writers, the previous run's leftovers) is simply retried.
      for (let failures = 0; ; ) {
        try {
          const dropped = await g.V().limit(2000).sideEffect(gremlin.process.statics.drop()).count().next();
          if (Number(dropped.value) === 0) break;
          failures = 0;
        } catch (error) {
          if (!classifyGremlinError('clearRemoteGraph', error).retriable || ++failures > 20) throw error;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    } finally {
      await connection.close();
    }
    return;
  }
  const driver = neo4j.driver(endpoints.neo4j.url, neo4j.auth.basic(endpoints.neo4j.user, endpoints.neo4j.password));
  const session = driver.session({ database: 'neo4j' });
  try {
    // Batched so a large graph does not become one huge transaction.
    await session.run('MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS');
  } finally {
    await session.close();
    await driver.close();
  }
}

export interface KafkaIngestParams {
  readonly store: BenchStore;
  readonly graphUrl: string | null;
  readonly brokers: readonly string[];
  readonly produced: ProducedDemo;
  readonly customers: number;
  readonly naive: boolean;
  readonly maxSeconds: number;
  readonly run: string;
}

export interface KafkaIngestRun {
  readonly result: ScenarioResult;
  /** The embedded run's data dir (its graph is served by the view scenario); removed by cleanup. */
  readonly dataDir: string;
  readonly eventsPerSecond: number;
  readonly elementsPerSecond: number;
  cleanup(): void;
}

export async function kafkaIngestScenario(
  root: string,
  params: KafkaIngestParams,
  onProgress?: (committed: number) => void,
): Promise<KafkaIngestRun> {
  const dataDir = mkdtempSync(join(tmpdir(), `c360-bench-kafka-${params.store}-`));
  const args: KafkaIngestChildArgs = {
    dataDir,
    // JanusGraph is the Gremlin store pointed at JanusGraph Server.
    graph: params.store === 'janusgraph' ? 'gremlin' : params.store,
    graphUrl: params.graphUrl,
    brokers: params.brokers,
    topics: params.produced.topics,
    topicNames: params.produced.topics.names,
    groupId: `${params.produced.topics.cdcPrefix}-${params.store}${params.naive ? '-naive' : ''}-${params.run}`,
    maxSeconds: params.maxSeconds,
    naive: params.naive,
    ...(params.naive ? { maxBytesPerPartition: 4 * 1024 } : {}),
  };
  const r = await runTsChild<KafkaIngestChildResult>(
    root,
    'scripts/bench/kafka-ingest-child.ts',
    [JSON.stringify(args)],
    onProgress,
  );
  const eventsPerSecond = r.measuredSeconds > 0 ? Math.round(r.measuredRecords / r.measuredSeconds) : 0;
  const elementsPerSecond = r.measuredSeconds > 0 ? Math.round(r.elementsWritten / r.measuredSeconds) : 0;
  return {
    dataDir,
    eventsPerSecond,
    elementsPerSecond,
    cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
    result: {
      name: params.naive ? 'ingest-kafka-naive' : 'ingest-kafka',
      store: params.store,
      params: {
        customers: params.customers,
        records: r.total,
        writer: params.naive ? 'one store call per element' : 'batched',
        maxSeconds: params.maxSeconds,
      },
      metrics: {
        committed: r.committed,
        caughtUp: r.caughtUp ? 1 : 0,
        eventsPerSecond,
        elementsWritten: r.elementsWritten,
        elementsPerSecond,
        measuredSeconds: Math.round(r.measuredSeconds * 10) / 10,
        joinSeconds: Math.round(r.joinSeconds * 10) / 10,
        peakRssMiB: r.peakRssMiB ?? 0,
        ...(params.store === 'embedded' ? { diskMiB: Math.round((r.diskBytes / 2 ** 20) * 10) / 10 } : {}),
        vertices: r.vertices,
        edges: r.edges,
      },
      units: {
        committed: 'records',
        caughtUp: 'bool',
        eventsPerSecond: 'events/s',
        elementsWritten: 'count',
        elementsPerSecond: 'elements/s',
        measuredSeconds: 's',
        joinSeconds: 's',
        peakRssMiB: 'MiB',
        diskMiB: 'MiB',
        vertices: 'count',
        edges: 'count',
      },
      notes: [
        'events/s = offsets committed by the consumer group (durable in the store) per second, from the first store write to the last commit',
        ...(r.caughtUp
          ? []
          : [`stopped after ${params.maxSeconds} s with ${r.committed} of ${r.total} records committed`]),
        'peak RSS is the worker process (VmHWM)',
      ],
    },
  };
}

export interface NoopConsumeRun {
  readonly result: ScenarioResult;
  readonly recordsPerSecond: number;
}

/**
 * The layer underneath the worker: the same topics through a kafkajs consumer group that
 * does what the worker does around its work — a batch per partition, every partition in
 * flight at once, the batch's offset committed after it — and nothing else. The worker's
 * events/s as a fraction of this is how much of Kafka's own speed ingest keeps.
 */
export async function noopConsumeScenario(
  kafka: Kafka,
  produced: ProducedDemo,
  options: { run: string; maxSeconds: number; partitionsConsumedConcurrently: number; maxBytesPerPartition: number },
): Promise<NoopConsumeRun> {
  const consumer = kafka.consumer({
    groupId: `${produced.topics.cdcPrefix}-noop-${options.run}`,
    maxBytesPerPartition: options.maxBytesPerPartition,
    maxWaitTimeInMs: 500,
  });
  let count = 0;
  let firstMs = 0;
  let lastMs = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...produced.topics.names], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
      eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
        if (batch.messages.length === 0) return;
        if (firstMs === 0) firstMs = performance.now();
        count += batch.messages.length;
        const last = batch.lastOffset();
        resolveOffset(last);
        await commitOffsetsIfNecessary({
          topics: [
            {
              topic: batch.topic,
              partitions: [{ partition: batch.partition, offset: (BigInt(last) + 1n).toString() }],
            },
          ],
        });
        lastMs = performance.now();
        if (count >= produced.records) done();
      },
    });
    await Promise.race([finished, new Promise((r) => setTimeout(r, options.maxSeconds * 1000))]);
  } finally {
    await consumer.disconnect();
  }
  const seconds = (lastMs - firstMs) / 1000;
  const recordsPerSecond = seconds > 0 ? Math.round(count / seconds) : 0;
  return {
    recordsPerSecond,
    result: {
      name: 'consume-kafka-noop',
      store: 'embedded',
      params: {
        records: produced.records,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
        maxBytesPerPartition: options.maxBytesPerPartition,
      },
      metrics: { consumed: count, recordsPerSecond, seconds: Math.round(seconds * 10) / 10 },
      units: { consumed: 'records', recordsPerSecond: 'records/s', seconds: 's' },
      notes: [
        'the same topics as the ingest runs, a fresh consumer group doing nothing but committing each batch (kafkajs, the worker’s defaults)',
      ],
    },
  };
}
