/**
 * Dead letters can be worked in Kafka mode (issue 19 item 7): `c360 dead-letters
 * list|show|replay` with Kafka configured reads the dead-letter topic (records as the
 * sink writes them), filters by reason and time, replays through the worker's wiring —
 * a fixed letter is applied, a still-bad one goes back to the topic as a new letter —
 * and records the replay on `<dlq>.replayed`, so a second replay takes nothing twice.
 */
import type { Admin, Kafka, Producer } from 'kafkajs';
import type { DeadLetter } from '../../ingest';
import { createEmbeddedStore } from '../../services/graph';
import { createKafkaDeadLetterSink } from '../../services/kafka';
import { runC360 } from '../helpers/c360-process';
import { connectProducer, createTestTopics, testBrokers, testKafka, uniqueTopics } from '../helpers/kafka-test-kit';
import { makeTempDir, type TempDir, uniqueName } from '../helpers/unique';

jest.setTimeout(180_000);

let kafka: Kafka;
let admin: Admin;
let producer: Producer;
let dir: TempDir;

beforeAll(async () => {
  kafka = testKafka();
  admin = kafka.admin();
  await admin.connect();
  producer = await connectProducer(kafka);
  dir = await makeTempDir('c360-kafka-dlq-cli-');
});

afterAll(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
  await dir?.cleanup();
});

const lines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

test('dead letters can be worked in Kafka mode: list, show and replay the dead-letter topic', async () => {
  const topics = uniqueTopics();
  await createTestTopics(admin, topics, 1);
  const userId = uniqueName('kdl-user');
  const fixed = {
    type: 'identify',
    messageId: uniqueName('kdl-m'),
    userId,
    timestamp: '2026-11-01T09:00:00.000Z',
    traits: { email: `${userId}@example.com` },
  };
  const letters: DeadLetter[] = [
    {
      at: Date.parse('2026-11-01T09:00:01Z'),
      code: 'UNMAPPED_TABLE',
      message: 'no mapping (then)',
      position: { source: 'segment', transport: 'kafka', topic: topics.clickstream, partition: 0, offset: '7' },
      originalBase64: Buffer.from(JSON.stringify(fixed)).toString('base64'),
    },
    {
      at: Date.parse('2026-11-02T09:00:00Z'),
      code: 'INVALID_JSON',
      message: 'not JSON',
      position: { source: 'segment', transport: 'kafka', topic: topics.clickstream, partition: 0, offset: '8' },
      originalBase64: Buffer.from('{not json').toString('base64'),
    },
  ];
  await createKafkaDeadLetterSink(producer, topics.dlq).write(letters);

  const env = {
    C360_LOG_LEVEL: 'silent',
    C360_KAFKA_BROKERS: testBrokers().join(','),
    C360_DATA_DIR: dir.path,
    C360_TOPIC_CLICKSTREAM: topics.clickstream,
    C360_TOPIC_TELEMETRY: topics.telemetry,
    C360_TOPIC_DLQ: topics.dlq,
    C360_TOPIC_ACTIONS: topics.actions,
    C360_TOPIC_CHANGES: topics.changes,
    C360_CDC_PREFIX: topics.cdcPrefix,
    C360_KAFKA_GROUP_ID: uniqueName('kdl-group'),
  };
  const c360 = async (args: string[]) => {
    const r = await runC360(['dead-letters', ...args], env);
    expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
    return r.stdout;
  };

  const all = lines(await c360(['list']));
  expect(all.map((l) => [l.reason, l.replayedAt])).toEqual([
    ['UNMAPPED_TABLE', null],
    ['INVALID_JSON', null],
  ]);
  expect(lines(await c360(['list', '--since', '2026-11-02'])).map((l) => l.reason)).toEqual(['INVALID_JSON']);
  expect(lines(await c360(['list', '--reason', 'UNMAPPED_TABLE'])).map((l) => l.id)).toEqual([all[0].id]);
  expect(JSON.parse(await c360(['show', String(all[0].id)]))).toMatchObject({
    reason: 'UNMAPPED_TABLE',
    position: { topic: topics.clickstream, offset: '7' },
    original: JSON.stringify(fixed),
  });

  expect(JSON.parse(await c360(['replay']))).toEqual({ replayed: 2, applied: 1, deadLetteredAgain: 1, skipped: 0 });
  const after = lines(await c360(['list']));
  expect(after.map((l) => [l.reason, l.replayedAt === null])).toEqual([
    ['UNMAPPED_TABLE', false],
    ['INVALID_JSON', false],
    // Still bad: back on the dead-letter topic as a new letter, nothing lost.
    ['INVALID_JSON', true],
  ]);
  expect(JSON.parse(await c360(['replay']))).toEqual({ replayed: 1, applied: 0, deadLetteredAgain: 1, skipped: 0 });

  // The fixed letter went through the worker's wiring into the graph.
  const store = await createEmbeddedStore({ path: `${dir.path}/graph` });
  try {
    expect((await store.getVertices([`Customer:${userId}`]))[0]?.props.email).toBe(`${userId}@example.com`);
  } finally {
    await store.close();
  }
});
