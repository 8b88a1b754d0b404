/**
 * Composition root of the Kafka ingest benchmark's child process: the worker's
 * own composition (app/processes/worker.ts — Kafka client and dead-letter
 * producer, store, ingest pipeline, consumer-group worker) consuming topics the
 * parent filled, until its group has committed every offset or time runs out.
 * Committed means durable: the worker commits only after the store resolved.
 * A separate process so that its peak RSS is the worker's alone.
 *
 * argv[2]: the JSON of `KafkaIngestChildArgs`. Prints `progress <n>` lines on
 * stderr and one JSON line (`KafkaIngestChildResult`) on stdout.
 */
import pino from 'pino';
import { Registry } from 'prom-client';
import { createConfig } from '../../app/config';
import { connectKafka, createIngest, createIngestWorker, openGraphStore } from '../../app/processes';
import type { GraphStore } from '../../graph-schema';
import { diskUsageBytes } from './disk-usage';
import { peakRssMiB } from './machine';
import { oneCallPerElement, withApply } from './naive-store';

export interface KafkaIngestChildArgs {
  readonly dataDir: string;
  readonly graph: 'embedded' | 'gremlin' | 'neo4j';
  readonly graphUrl: string | null;
  readonly brokers: readonly string[];
  readonly topics: { readonly clickstream: string; readonly telemetry: string; readonly cdcPrefix: string };
  /** Every topic the worker consumes, for the lag check. */
  readonly topicNames: readonly string[];
  readonly groupId: string;
  /** Stop after this long even if the group has not caught up (the baseline and slow stores). */
  readonly maxSeconds: number;
  /** Write through `oneCallPerElement` (the naive baseline). */
  readonly naive: boolean;
  /**
   * Fetch size per partition. The baseline uses a small one so that its polls
   * finish (and commit) within the time box; batching in the store is what is
   * compared, and the baseline makes one store call per element either way.
   */
  readonly maxBytesPerPartition?: number;
}

export interface KafkaIngestChildResult {
  /** Records committed by the group, i.e. durable in the store. */
  readonly committed: number;
  readonly total: number;
  /** From the first store write to the last sample, so the group join is not counted. */
  readonly measuredSeconds: number;
  readonly measuredRecords: number;
  /** Coalesced vertex and edge writes the store finished in the measured time. */
  readonly elementsWritten: number;
  readonly joinSeconds: number;
  readonly caughtUp: boolean;
  readonly peakRssMiB: number | null;
  readonly diskBytes: number;
  readonly vertices: number;
  readonly edges: number;
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as KafkaIngestChildArgs;
  const logger = pino({ level: 'warn' });
  const config = createConfig({
    dataDir: args.dataDir,
    graph: args.graph,
    graphUrl: args.graphUrl,
    kafkaBrokers: [...args.brokers],
    topicClickstream: args.topics.clickstream,
    topicTelemetry: args.topics.telemetry,
    topicDlq: `${args.topics.cdcPrefix}.dlq`,
    topicActions: `${args.topics.cdcPrefix}.actions`,
    cdcPrefix: args.topics.cdcPrefix,
    kafkaGroupId: args.groupId,
    kafkaClientId: args.groupId,
    ...(args.maxBytesPerPartition ? { kafkaMaxBytesPerPartition: args.maxBytesPerPartition } : {}),
  });
  const registry = new Registry();
  const connection = await connectKafka(config, registry, logger);
  const opened = await openGraphStore(config, logger);
  // Elements the store has written (resolved applies): the baseline's time box can end before its
  // first poll commits, so the ratio is also taken over elements written per second.
  let elementsWritten = 0;
  const counted = withApply(opened, async (batch) => {
    const r = await opened.apply(batch);
    elementsWritten += batch.vertices.length + batch.edges.length;
    return r;
  });
  const writer: GraphStore = args.naive ? oneCallPerElement(counted) : counted;
  // The clock starts when the first poll reaches the store, so joining the group is not counted
  // and the first batch is (a time box that ends mid-batch must not report zero).
  let firstApplyAt: number | null = null;
  const store = withApply(writer, (batch) => {
    firstApplyAt ??= performance.now();
    return writer.apply(batch);
  });
  const ingest = createIngest(config, store, registry, logger, undefined, connection.deadLetters);
  const worker = createIngestWorker(config, connection, ingest.pipeline, registry, logger);
  const admin = connection.kafka.admin();
  await admin.connect();

  const ends = new Map<string, number>();
  let total = 0;
  for (const topic of args.topicNames) {
    for (const p of await admin.fetchTopicOffsets(topic)) {
      ends.set(`${topic}[${p.partition}]`, Number(p.high));
      total += Number(p.high) - Number(p.low);
    }
  }
  const committedNow = async (): Promise<number> => {
    let n = 0;
    for (const t of await admin.fetchOffsets({ groupId: args.groupId, topics: [...args.topicNames] })) {
      for (const p of t.partitions) n += Math.max(0, Number(p.offset));
    }
    return n;
  };

  const started = performance.now();
  await worker.start();
  let last = { at: started, n: 0 };
  const deadline = started + args.maxSeconds * 1000;
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const n = await committedNow();
    const at = performance.now();
    last = { at, n };
    process.stderr.write(`progress ${n}\n`);
    if (n >= total || at >= deadline) break;
  }
  await worker.stop();
  await ingest.close();
  const stats = await opened.stats();
  await admin.disconnect();
  await connection.disconnect();
  await opened.close();
  const result: KafkaIngestChildResult = {
    committed: last.n,
    total,
    measuredSeconds: firstApplyAt === null ? 0 : (last.at - firstApplyAt) / 1000,
    measuredRecords: last.n,
    elementsWritten,
    joinSeconds: firstApplyAt === null ? 0 : (firstApplyAt - started) / 1000,
    caughtUp: last.n >= total,
    peakRssMiB: peakRssMiB(process.pid),
    diskBytes: diskUsageBytes(args.dataDir),
    vertices: Object.values(stats.vertices).reduce((a, b) => a + (b ?? 0), 0),
    edges: Object.values(stats.edges).reduce((a, b) => a + (b ?? 0), 0),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
