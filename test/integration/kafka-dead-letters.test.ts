/**
 * Poison inputs on the hub topics land on the dead-letter topic — original
 * bytes, reason code and original position in headers — and the good events
 * around them are applied as if the poison had never been there.
 */
import type { Admin, Consumer, IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { type RawMessage, readDeadLetterFile } from '../../ingest';
import { createKafkaDeadLetterSink, createKafkaMetrics, HEADERS, headerText } from '../../services/kafka';
import { dumpWholeGraph } from '../helpers/graph-dump';
import { createTestPipeline, raw, type TestPipeline } from '../helpers/hub-pipeline';
import {
  allTopicNames,
  connectProducer,
  createTestTopics,
  demoMessages,
  produceAll,
  testKafka,
  testWorker,
  topicOf,
  toRecord,
  uniqueTopics,
  waitForCaughtUp,
} from '../helpers/kafka-test-kit';
import { uniqueName } from '../helpers/unique';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(120_000);

let kafka: Kafka;
let admin: Admin;
let producer: Producer;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  kafka = testKafka();
  admin = kafka.admin();
  await admin.connect();
  producer = await connectProducer(kafka);
});

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await producer?.disconnect();
  await admin?.disconnect();
});

async function readTopic(topic: string, expected: number): Promise<KafkaMessage[]> {
  const consumer: Consumer = kafka.consumer({ groupId: uniqueName('c360-dlq-reader') });
  const seen: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message);
      },
    });
    await waitFor(() => seen.length >= expected, { description: `${expected} records on ${topic}`, timeoutMs: 30_000 });
    return seen;
  } finally {
    await consumer.disconnect();
  }
}

const header = (h: IHeaders | undefined, name: string) => headerText(h, name);

test('poison messages go to the dead-letter topic with reason and position; good ones around them are applied', async () => {
  const topics = uniqueTopics();
  const groupId = uniqueName('c360-dlq');
  await createTestTopics(admin, topics, 3);
  const good = demoMessages(8, 2);
  const poison: RawMessage[] = [
    raw('segment', 'this is not json'),
    raw('segment', JSON.stringify({ type: 'track', event: 'Viewed', messageId: 'm-no-ids' })),
    raw('telemetry', JSON.stringify({ deviceId: 'dev-1', timestamp: '2026-01-10T00:00:00Z', indicators: {} })),
    {
      ...raw('cdc', '{"before":null,"after":{"id":1},"op":"c"}'),
      position: { source: 'cdc', transport: 'test', topic: 'c360.crm.customers' },
    },
  ];

  // Expected reasons: what the pipeline says about the same bytes, written to its file sink.
  const reference = await createTestPipeline();
  closers.push(() => reference.close());
  for (const m of [...good, ...poison]) await reference.pipeline.submit([m]);
  const expectedDump = await dumpWholeGraph(reference.store);
  const referenceLetters = await readDeadLetterFile(reference.deadLetterPath);
  expect(referenceLetters).toHaveLength(poison.length);

  // Poison in the middle of the stream, each produced alone so its position is known.
  const half = Math.floor(good.length / 2);
  await produceAll(producer, topics, good.slice(0, half));
  const positions: { topic: string; partition: number; offset: string }[] = [];
  for (const m of poison) {
    const topic = topicOf(m, topics);
    const [meta] = await producer.send({ topic, acks: -1, messages: [toRecord(m)] });
    positions.push({ topic, partition: meta.partition, offset: meta.baseOffset ?? '' });
  }
  await produceAll(producer, topics, good.slice(half));

  const registry = new Registry();
  const deadLetters = createKafkaDeadLetterSink(producer, topics.dlq, { metrics: createKafkaMetrics(registry) });
  const tp: TestPipeline = await createTestPipeline({ overrides: { deadLetters } });
  closers.push(() => tp.close());
  const worker = testWorker(kafka, groupId, topics, tp.pipeline, registry);
  closers.push(() => worker.stop());
  await worker.start();
  await waitForCaughtUp(admin, groupId, allTopicNames(topics));
  await worker.stop();

  const letters = await readTopic(topics.dlq, poison.length);
  expect(letters).toHaveLength(poison.length);
  poison.forEach((m, i) => {
    const at = positions[i];
    const letter = letters.find(
      (l) =>
        header(l.headers, HEADERS.originalTopic) === at.topic &&
        header(l.headers, HEADERS.originalPartition) === String(at.partition) &&
        header(l.headers, HEADERS.originalOffset) === at.offset,
    );
    expect(letter).toBeDefined();
    expect(letter?.value?.equals(m.value as Buffer)).toBe(true);
    expect(header(letter?.headers, HEADERS.reason)).toBe(referenceLetters[i].code);
    expect(header(letter?.headers, HEADERS.source)).toBe(m.source);
    expect(header(letter?.headers, HEADERS.transport)).toBe('kafka');
    expect(header(letter?.headers, HEADERS.error)).toBe(referenceLetters[i].message);
  });
  expect(await dumpWholeGraph(tp.store)).toEqual(expectedDump);
  const produced = await registry.getSingleMetric('c360_kafka_dlq_produced_total')?.get();
  const byReason = Object.fromEntries((produced?.values ?? []).map((v) => [v.labels.reason, v.value]));
  const expectedByReason: Record<string, number> = {};
  for (const l of referenceLetters) expectedByReason[l.code] = (expectedByReason[l.code] ?? 0) + 1;
  expect(byReason).toEqual(expectedByReason);
});
