/**
 * Health reports the right state over Kafka (issue #19, item 4): the hub in Kafka
 * mode consumes telemetry from the topic. A Kafka batch holding a router's RED and its
 * later GREEN must announce RED with `customerStatus: RED` (it once said GREEN, the
 * status at the end of the batch); readings produced one at a time must leave
 * `customer { health { status } }` current once the group has committed them, never a
 * transition behind; and the transitions are the customer's history on its timeline.
 */
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import { createConfig } from '../../app/config';
import { type Hub, startHub } from '../../app/processes';
import {
  connectProducer,
  silentLogger,
  testBrokers,
  testKafka,
  uniqueTopics,
  waitForCaughtUp,
} from '../helpers/kafka-test-kit';
import { makeTempDir, type TempDir, uniqueName } from '../helpers/unique';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(120_000);

const ADMIN_KEY = 'kafka-health-test-admin-key-0001';
const T0 = Date.UTC(2026, 10, 20, 8, 0, 0);
const MIN = 60_000;

interface Action {
  id: string;
  type: string;
  subjectId: string;
  payload: { deviceId: string; from: string; to: string; customerStatus: string };
}

let kafka: Kafka;
let admin: Admin;
let producer: Producer;
let actionsReader: Consumer;
let hub: Hub;
let dir: TempDir;
const topics = uniqueTopics();
const groupId = uniqueName('c360-health');
const heard: Action[] = [];

beforeAll(async () => {
  kafka = testKafka();
  admin = kafka.admin();
  await admin.connect();
  producer = await connectProducer(kafka);
  dir = await makeTempDir('c360-kafka-health-');
  const config = createConfig({
    kafkaBrokers: [...testBrokers()],
    dataDir: dir.path,
    port: 0,
    writeKeys: ['wk-health'],
    apiKeys: [{ name: 'kafka-health-test', roles: ['admin'], key: ADMIN_KEY }],
    logLevel: 'silent',
    topicClickstream: topics.clickstream,
    topicTelemetry: topics.telemetry,
    topicDlq: topics.dlq,
    topicActions: topics.actions,
    topicChanges: topics.changes,
    cdcPrefix: topics.cdcPrefix,
    kafkaGroupId: groupId,
    kafkaSessionTimeoutMs: 6_000,
    kafkaTopicPartitions: 1,
  });
  hub = await startHub(config, { logger: silentLogger });
  actionsReader = kafka.consumer({ groupId: uniqueName('c360-health-actions') });
  await actionsReader.connect();
  await actionsReader.subscribe({ topics: [topics.actions], fromBeginning: true });
  await actionsReader.run({
    eachMessage: async ({ message }) => {
      if (message.value) heard.push(JSON.parse(message.value.toString('utf8')) as Action);
    },
  });
});

afterAll(async () => {
  await actionsReader?.disconnect();
  await hub?.close();
  await producer?.disconnect();
  await admin?.disconnect();
  await dir?.cleanup();
});

const reading = (device: string, customer: string, min: number, bad: boolean) => ({
  key: device,
  value: JSON.stringify({
    deviceId: device,
    entityId: customer,
    timestamp: new Date(T0 + min * MIN).toISOString(),
    seq: min,
    indicators: { packetErrors: bad ? 300 : 1, signalDbm: -45, uptimeSec: 100_000 + min * 60 },
  }),
});

async function read(customerId: string) {
  const res = await fetch(`${hub.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
    body: JSON.stringify({
      query: `query($id: ID!) { customer(id: $id) {
        health { status }
        timeline(first: 20, types: [HEALTH]) { edges { node { ... on HealthTransition { from to customerStatus } } } }
      } }`,
      variables: { id: customerId },
    }),
  });
  const body = (await res.json()) as {
    data: {
      customer: {
        health: { status: string };
        timeline: { edges: { node: { from: string; to: string; customerStatus: string } }[] };
      };
    };
  };
  return body.data.customer;
}

const actionsOf = (customerId: string) =>
  heard.filter((a) => a.type === 'health.changed' && a.subjectId === customerId);

test('health reports the right state: a Kafka batch holding a RED transition announces customerStatus RED, then GREEN', async () => {
  const customer = uniqueName('kh-batch');
  const router = `${customer}-rtr`;
  const stb = `${customer}-stb`;
  const bad = new Set([5, 10, 15, 20]);
  // One send, one partition: the worker takes the readings as one batch.
  await producer.send({
    topic: topics.telemetry,
    acks: -1,
    messages: [0, 5, 10, 15, 20, 25, 30, 35].flatMap((m) => [
      reading(router, customer, m, bad.has(m)),
      reading(stb, customer, m, false),
    ]),
  });
  await waitForCaughtUp(admin, groupId, [topics.telemetry], 60_000);
  const customerId = `Customer:${customer}`;
  const actions = await waitFor(() => (actionsOf(customerId).length >= 2 ? actionsOf(customerId) : null), {
    description: 'two health.changed actions on the actions topic',
    timeoutMs: 30_000,
  });
  expect(actions.map((a) => [a.payload.deviceId, a.payload.to, a.payload.customerStatus])).toEqual([
    [`Device:${router}`, 'RED', 'RED'],
    [`Device:${router}`, 'GREEN', 'GREEN'],
  ]);
  const now = await read(customerId);
  expect(now.health.status).toBe('GREEN');
  expect(now.timeline.edges.map(({ node }) => [node.from, node.to, node.customerStatus])).toEqual([
    ['RED', 'GREEN', 'GREEN'],
    ['GREEN', 'RED', 'RED'],
  ]);
});

test('health reports the right state: readings one at a time over Kafka leave customer { health { status } } current', async () => {
  const customer = uniqueName('kh-one');
  const router = `${customer}-rtr`;
  const customerId = `Customer:${customer}`;
  // Committed status after each reading (hold 10 minutes): RED once BAD held from 5 to 15, GREEN once GOOD held from 25 to 35.
  const story: [number, boolean, string][] = [
    [0, false, 'GREEN'],
    [5, true, 'GREEN'],
    [10, true, 'GREEN'],
    [15, true, 'RED'],
    [20, true, 'RED'],
    [25, false, 'RED'],
    [30, false, 'RED'],
    [35, false, 'GREEN'],
  ];
  for (const [min, bad, expected] of story) {
    await producer.send({ topic: topics.telemetry, acks: -1, messages: [reading(router, customer, min, bad)] });
    // Offsets are committed only after the features ran: what is read now is current.
    await waitForCaughtUp(admin, groupId, [topics.telemetry], 60_000);
    expect([min, (await read(customerId)).health.status]).toEqual([min, expected]);
  }
  expect((await read(customerId)).timeline.edges.map(({ node }) => [node.from, node.to, node.customerStatus])).toEqual([
    ['RED', 'GREEN', 'GREEN'],
    ['GREEN', 'RED', 'RED'],
  ]);
});
