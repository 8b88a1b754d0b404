/**
 * The broker goes away for a while (every connection of the worker's client is
 * reset and refused) while events keep arriving: the worker reports it in
 * readiness, never crashes for good, and when the broker is back it catches up
 * on its own — the graph ends up exactly as if nothing had happened.
 *
 * The outage is cut at the client's sockets rather than by stopping the shared
 * broker, so that Kafka Connect and every other test keep their broker.
 */

import type { Admin } from 'kafkajs';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { createKafkaDeadLetterSink, createKafkaMetrics } from '../../services/kafka';
import { dumpWholeGraph } from '../helpers/graph-dump';
import { createTestPipeline, raw, type TestPipeline } from '../helpers/hub-pipeline';
import { createNetworkFault } from '../helpers/kafka-network-fault';
import {
  allTopicNames,
  baselineDump,
  connectProducer,
  createTestTopics,
  demoMessages,
  produceAll,
  testBrokers,
  testKafka,
  testWorker,
  toRecord,
  uniqueTopics,
  waitForCaughtUp,
} from '../helpers/kafka-test-kit';
import { uniqueName } from '../helpers/unique';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(240_000);

let admin: Admin;
let producer: Producer;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const kafka = testKafka();
  admin = kafka.admin();
  await admin.connect();
  producer = await connectProducer(kafka);
});

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await producer?.disconnect();
  await admin?.disconnect();
});

test('broker unreachable for a while: the worker waits, says so in readiness, and recovers by itself', async () => {
  const topics = uniqueTopics();
  const groupId = uniqueName('c360-outage');
  await createTestTopics(admin, topics, 3);
  const names = allTopicNames(topics);
  const demo = demoMessages(12, 2);
  // A poison event after the outage needs the dead-letter producer, which is cut off too.
  const poison = raw('segment', 'not json at all');
  const expected = await baselineDump([...demo, poison]);

  const fault = createNetworkFault();
  const kafka = new Kafka({
    clientId: uniqueName('c360-outage-worker'),
    brokers: [...testBrokers()],
    logLevel: logLevel.NOTHING,
    socketFactory: fault.socketFactory,
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
  });
  const dlqProducer = kafka.producer({ idempotent: true, retry: { retries: 3, maxRetryTime: 1_000 } });
  await dlqProducer.connect();
  closers.push(() => dlqProducer.disconnect());
  const registry = new Registry();
  const deadLetters = createKafkaDeadLetterSink(dlqProducer, topics.dlq, { metrics: createKafkaMetrics(registry) });
  const tp: TestPipeline = await createTestPipeline({ overrides: { deadLetters } });
  closers.push(() => tp.close());
  const worker = testWorker(kafka, groupId, topics, tp.pipeline, registry, {
    maxRetries: 2,
    retryBaseMs: 100,
    pauseMs: 1_000,
  });
  closers.push(() => worker.stop());

  const half = Math.floor(demo.length / 2);
  await produceAll(producer, topics, demo.slice(0, half));
  await worker.start();
  await waitForCaughtUp(admin, groupId, names);

  fault.down();
  // Events keep arriving while the worker cannot reach the broker.
  await produceAll(producer, topics, demo.slice(half));
  await producer.send({ topic: topics.clickstream, acks: -1, messages: [toRecord(poison)] });
  await waitFor(() => !worker.readiness().ready, { description: 'readiness reports the outage', timeoutMs: 60_000 });
  // Down long enough that kafkajs exhausted its own retries and the consumer had to be restarted.
  const during = await waitFor(
    () => {
      const r = worker.readiness();
      return r.reasons.some((reason) => reason.includes('crashed')) ? r : undefined;
    },
    { description: 'the consumer crashed on the outage and is restarting', timeoutMs: 120_000, intervalMs: 200 },
  );
  expect(during.ready).toBe(false);
  expect(worker.state()).toBe('running');

  fault.up();
  await waitForCaughtUp(admin, groupId, names, 180_000);
  await waitFor(() => worker.readiness().ready, { description: 'ready again', timeoutMs: 60_000 });
  await worker.stop();
  expect(await dumpWholeGraph(tp.store)).toEqual(expected);
  const dlq = await admin.fetchTopicOffsets(topics.dlq);
  expect(dlq.reduce((n, p) => n + Number(p.high), 0)).toBeGreaterThanOrEqual(1);
});
