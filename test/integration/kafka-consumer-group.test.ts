/**
 * Workers scale out in one consumer group: two share the partitions, and when
 * one leaves, the other takes over its partitions and nothing is lost.
 */
import type { Admin, Kafka, Producer } from 'kafkajs';
import { dumpWholeGraph } from '../helpers/graph-dump';
import { createTestPipeline, type TestPipeline } from '../helpers/hub-pipeline';
import {
  allTopicNames,
  baselineDump,
  connectProducer,
  createTestTopics,
  demoMessages,
  groupLag,
  produceAll,
  testKafka,
  testWorker,
  uniqueTopics,
  waitForCaughtUp,
} from '../helpers/kafka-test-kit';
import { uniqueName } from '../helpers/unique';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(180_000);

let kafka: Kafka;
let admin: Admin;
let producer: Producer;
let tp: TestPipeline | null = null;

beforeAll(async () => {
  kafka = testKafka();
  admin = kafka.admin();
  await admin.connect();
  producer = await connectProducer(kafka);
});

afterAll(async () => {
  await tp?.close();
  await producer?.disconnect();
  await admin?.disconnect();
});

const count = (a: Readonly<Record<string, readonly number[]>>) => Object.values(a).reduce((n, ps) => n + ps.length, 0);
const keys = (a: Readonly<Record<string, readonly number[]>>) =>
  Object.entries(a).flatMap(([t, ps]) => ps.map((p) => `${t}[${p}]`));

test('two workers share the partitions; stopping one moves its partitions to the other without loss', async () => {
  const topics = uniqueTopics();
  const groupId = uniqueName('c360-group');
  await createTestTopics(admin, topics, 6);
  const names = allTopicNames(topics);
  const totalPartitions = 6 + 6 + 7 * 2;
  const messages = demoMessages(30, 4);
  const expected = await baselineDump(messages);

  tp = await createTestPipeline();
  const a = testWorker(kafka, groupId, topics, tp.pipeline, tp.registry);
  const b = testWorker(kafka, groupId, topics, tp.pipeline, tp.registry);
  try {
    await a.start();
    await waitFor(() => count(a.assignment()) === totalPartitions, {
      description: 'a owns every partition',
      timeoutMs: 60_000,
    });
    await b.start();
    await waitFor(
      () => {
        const ka = keys(a.assignment());
        const kb = keys(b.assignment());
        return (
          ka.length > 0 &&
          kb.length > 0 &&
          new Set([...ka, ...kb]).size === totalPartitions &&
          ka.length + kb.length === totalPartitions
        );
      },
      { description: 'a and b split the partitions', timeoutMs: 60_000 },
    );

    const third = Math.floor(messages.length / 3);
    await produceAll(producer, topics, messages.slice(0, 2 * third));
    // Both consume: progress while both own partitions, then a leaves mid-stream.
    // Measuring the lag takes a round trip per topic; fast workers may have committed
    // everything by then, and 0 is progress too (`0 < 0 * 0.7` never holds).
    const before = await groupLag(admin, groupId, names);
    await waitFor(async () => before === 0 || (await groupLag(admin, groupId, names)) < before * 0.7, {
      description: 'some progress',
      timeoutMs: 60_000,
      intervalMs: 20,
    });
    await a.stop();
    await waitFor(() => count(b.assignment()) === totalPartitions, {
      description: 'b owns every partition after a left',
      timeoutMs: 60_000,
    });
    expect(a.state()).toBe('stopped');

    await produceAll(producer, topics, messages.slice(2 * third));
    await waitForCaughtUp(admin, groupId, names);
    expect(b.readiness()).toEqual({ ready: true, reasons: [] });
  } finally {
    await a.stop();
    await b.stop();
  }
  expect(await dumpWholeGraph(tp.store)).toEqual(expected);
});
