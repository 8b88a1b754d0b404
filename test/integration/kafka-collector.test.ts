/**
 * The hub in Kafka mode: the Segment collector answers 200 only once the
 * broker has acknowledged the events; the in-process worker then applies them
 * from the topic, so they appear in the graph exactly as if applied directly.
 */

import type { Admin, Kafka } from 'kafkajs';
import { senderOf } from '../../api/collector/collector-router';
import { createConfig } from '../../app/config';
import { type Hub, startHub } from '../../app/processes';
import type { RawMessage } from '../../ingest';
import { dumpWholeGraph } from '../helpers/graph-dump';
import {
  allTopicNames,
  baselineDump,
  silentLogger,
  testBrokers,
  testKafka,
  uniqueTopics,
  waitForCaughtUp,
} from '../helpers/kafka-test-kit';
import { makeTempDir, type TempDir, uniqueName } from '../helpers/unique';

jest.setTimeout(120_000);

let kafka: Kafka;
let admin: Admin;
let hub: Hub | null = null;
let dir: TempDir | null = null;

beforeAll(async () => {
  kafka = testKafka();
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await hub?.close();
  await dir?.cleanup();
  await admin?.disconnect();
});

async function highWatermarks(topic: string): Promise<number> {
  return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
}

test('POST /v1/batch → 200 after the broker acknowledged → the worker applies the events to the graph', async () => {
  const topics = uniqueTopics();
  const groupId = uniqueName('c360-collector');
  dir = await makeTempDir('c360-kafka-collector-');
  const config = createConfig({
    kafkaBrokers: [...testBrokers()],
    dataDir: dir.path,
    port: 0,
    writeKeys: ['wk-test'],
    // Outside demo mode the hub refuses to start without API credentials.
    apiKeys: [{ name: 'kafka-collector-test', roles: ['admin'], key: 'kafka-collector-test-admin-key-0001' }],
    logLevel: 'silent',
    topicClickstream: topics.clickstream,
    topicTelemetry: topics.telemetry,
    topicDlq: topics.dlq,
    topicActions: topics.actions,
    cdcPrefix: topics.cdcPrefix,
    kafkaGroupId: groupId,
    kafkaSessionTimeoutMs: 6_000,
    kafkaTopicPartitions: 3,
  });
  hub = await startHub(config, { logger: silentLogger });

  const events = [
    {
      type: 'identify',
      userId: 'kc-user-1',
      anonymousId: 'kc-anon-1',
      messageId: 'kc-m-1',
      timestamp: '2026-01-10T10:00:00.000Z',
      traits: { email: 'kc-user-1@example.com', name: 'Kim Collector' },
    },
    {
      type: 'track',
      userId: 'kc-user-1',
      event: 'Order Completed',
      messageId: 'kc-m-2',
      timestamp: '2026-01-10T10:05:00.000Z',
      properties: { order_id: 'kc-o-1', total: 42.5 },
    },
    { type: 'track', event: 'No Identity', messageId: 'kc-m-3', timestamp: '2026-01-10T10:06:00.000Z' },
  ];
  const res = await fetch(`${hub.url}/v1/batch`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from('wk-test:').toString('base64')}`,
    },
    body: JSON.stringify({ batch: events }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { success: boolean; rejected: { index: number; code: string }[] };
  expect(body.success).toBe(true);
  expect(body.rejected.map((r) => r.index)).toEqual([2]);

  // Acknowledged by the broker before the answer: the two valid events are on the topic, the invalid one on the DLQ.
  expect(await highWatermarks(topics.clickstream)).toBe(2);
  expect(await highWatermarks(topics.dlq)).toBe(1);

  await waitForCaughtUp(admin, groupId, allTopicNames(topics).slice(0, 2), 60_000);
  // The same events applied directly (the collector's per-event bytes: each event re-serialized,
  // stamped with its sender, which travels through Kafka and scopes the event ids).
  const direct: RawMessage[] = events.slice(0, 2).map((e, i) => ({
    source: 'segment',
    value: Buffer.from(JSON.stringify({ ...e, c360SenderId: senderOf('wk-test') })),
    position: { source: 'segment', transport: 'test', index: i },
    receivedAtMs: Date.now(),
  }));
  const expected = await baselineDump(direct);
  const actual = await dumpWholeGraph(hub.store);
  expect(Object.keys(expected.vertices).length).toBeGreaterThan(0);
  // Everything the events wrote is there; hub features (derived traits) may add to it after them.
  const propsOf = (d: typeof actual) =>
    Object.fromEntries(Object.entries(d.vertices).map(([id, v]) => [id, (v as { props: unknown }).props]));
  expect(Object.keys(actual.vertices).sort()).toEqual(Object.keys(expected.vertices).sort());
  expect(propsOf(actual)).toMatchObject(propsOf(expected));
  expect(Object.keys(actual.edges).sort()).toEqual(Object.keys(expected.edges).sort());
});
