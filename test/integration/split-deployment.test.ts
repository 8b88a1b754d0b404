/**
 * The split deployment does everything the hub does, for real: Kafka, two
 * `c360 worker` processes in one consumer group and two `c360 api` replicas
 * (the CLI, configured by environment only) over Neo4j, and again over Gremlin
 * Server. One worker is SIGKILLed mid-run. The same scripted input — customers
 * identified with traits, clickstream, router telemetry going RED then GREEN,
 * and a saved segment that customers enter and leave — goes through a single
 * embedded `c360 start` hub (no Kafka) as the reference. Then:
 * - every customer's 360° view (traits, identities, devices, timeline, segments,
 *   health) on replica A and on replica B equals the hub's;
 * - the saved segment's members equal the hub's;
 * - the set of action ids on the actions topic equals the set in the hub's action log;
 * - a `healthChanged` subscription on replica A hears transitions that workers
 *   computed while replica B was serving queries;
 * - each replica's schema has every root field the hub's has.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import pino from 'pino';
import WebSocket from 'ws';
import { hashApiKey } from '../../api/auth';
import { createConfig } from '../../app/config';
import { type Hub, startHub } from '../../app/processes';
import { type HubAction, readActionLog } from '../../features/actions';
import type { RawMessage } from '../../ingest';
import { type C360Child, spawnC360 } from '../helpers/c360-process';
import { raw } from '../helpers/hub-pipeline';
import { testEndpoints } from '../helpers/infra';
import {
  connectProducer,
  createTestTopics,
  groupLag,
  produceAll,
  testBrokers,
  testKafka,
  uniqueTopics,
  waitForCaughtUp,
} from '../helpers/kafka-test-kit';
import { secureRandom, uniqueName } from '../helpers/unique';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(600_000);

const ADMIN_KEY = `c360_split_${secureRandom()}${secureRandom()}`;
const API_KEYS = JSON.stringify([{ name: 'split-admin', roles: ['admin'], keyHash: hashApiKey(ADMIN_KEY) }]);
const WRITE_KEY = `wk-${secureRandom()}`;
const CUSTOMERS = 24;
const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 20, 8, 0, 0);
const RECEIVED = Date.UTC(2026, 10, 20, 12, 0, 0);

/** The input, in two phases: the second starts once the first is applied everywhere. */
function script(p: string): { phaseA: RawMessage[]; phaseB: RawMessage[]; gold: string } {
  const gold = `${p}-gold`;
  const basic = `${p}-basic`;
  const seg = (e: Record<string, unknown>) =>
    raw('segment', JSON.stringify({ sentAt: new Date(RECEIVED).toISOString(), ...e }), RECEIVED);
  const tel = (device: string, customer: string, min: number, seq: number, packetErrors: number) =>
    raw(
      'telemetry',
      JSON.stringify({
        deviceId: device,
        entityId: customer,
        timestamp: new Date(T0 + min * MIN).toISOString(),
        seq,
        indicators: { uptimeSec: 100_000 + min * 60, packetErrors, signalDbm: -45, firmwareDownloadErrors: 0 },
      }),
      RECEIVED,
    );
  const phaseA: RawMessage[] = [];
  for (let i = 1; i <= CUSTOMERS; i++) {
    const user = `${p}-C${i}`;
    const at = (m: number) => new Date(T0 + m * MIN + i * 1000).toISOString();
    phaseA.push(
      seg({
        type: 'identify',
        messageId: `${user}-id1`,
        userId: user,
        anonymousId: `${user}-anon`,
        timestamp: at(1),
        traits: { email: `${user}@example.com`, name: `Split Customer ${i}`, plan: i % 2 === 1 ? gold : basic },
      }),
      seg({
        type: 'page',
        messageId: `${user}-p1`,
        anonymousId: `${user}-anon`,
        name: 'Home',
        timestamp: at(2),
      }),
      seg({
        type: 'track',
        messageId: `${user}-t1`,
        userId: user,
        event: 'Product Viewed',
        properties: { product_id: `${p}-sku-${i % 5}`, category: 'tv' },
        timestamp: at(3),
      }),
    );
    // Odd customers' routers go RED (packet errors for 30 min, held 10 min) and recover.
    const device = `${p}-rtr-${i}`;
    for (let k = 0; k <= 14; k++) {
      const min = k * 5;
      const bad = i % 2 === 1 && min >= 10 && min <= 40;
      phaseA.push(tel(device, user, min, k, bad ? 300 : 1));
    }
  }
  const phaseB = [
    // C1 leaves the gold plan, C2 joins it.
    seg({
      type: 'identify',
      messageId: `${p}-C1-id2`,
      userId: `${p}-C1`,
      timestamp: new Date(T0 + 9 * MIN).toISOString(),
      traits: { plan: basic },
    }),
    seg({
      type: 'identify',
      messageId: `${p}-C2-id2`,
      userId: `${p}-C2`,
      timestamp: new Date(T0 + 9 * MIN).toISOString(),
      traits: { plan: gold },
    }),
  ];
  return { phaseA, phaseB, gold };
}

const VIEW = /* GraphQL */ `
  query View($id: ID!) {
    customer(id: $id) {
      id
      traits
      identities { type value }
      devices(first: 10) { edges { node { id } } }
      timeline(first: 30) { edges { node { __typename ts } } }
      segments { id name }
      health { status reasons }
    }
  }
`;
const MEMBERS = /* GraphQL */ `
  query Members($id: ID!) {
    segment(id: $id) { id members(first: 100) { edges { node { id } } } }
  }
`;
const SAVE = /* GraphQL */ `
  mutation Save($id: ID!, $name: String!, $d: JSON!) {
    saveSegment(id: $id, name: $name, definition: $d) { id }
  }
`;
const ROOTS = /* GraphQL */ `
  {
    __schema {
      queryType { fields { name } }
      mutationType { fields { name } }
      subscriptionType { fields { name } }
    }
  }
`;

async function gql(url: string, query: string, variables: Record<string, unknown> = {}): Promise<unknown> {
  const r = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await r.json()) as { data?: unknown; errors?: unknown[] };
  if (body.errors) throw new Error(`GraphQL errors from ${url}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

async function snapshot(url: string, p: string, gold: string): Promise<unknown> {
  const views: unknown[] = [];
  for (let i = 1; i <= CUSTOMERS; i++) views.push(await gql(url, VIEW, { id: `Customer:${p}-C${i}` }));
  const members = await gql(url, MEMBERS, { id: `Segment:${gold}` });
  return { views, members };
}

function rootFields(data: unknown): string[] {
  const s = (data as { __schema: Record<string, { fields: { name: string }[] } | null> }).__schema;
  return Object.entries(s)
    .flatMap(([kind, t]) => (t ? t.fields.map((f) => `${kind}.${f.name}`) : []))
    .sort();
}

/** Each distinct action id once, with what it is about (a mismatch then says which transition). */
function described(actions: readonly HubAction[]): string[] {
  const byId = new Map<string, HubAction>();
  for (const a of actions) byId.set(a.id, a);
  return [...byId.values()]
    .map(
      (a) =>
        `${a.id} ${a.type} ${a.subjectId} ${String(a.payload.segmentId ?? a.payload.deviceId)} ${String(a.payload.to ?? '')}`,
    )
    .sort();
}

/** Our actions only: the shared test servers hold other tests' segments too. */
function ours(actions: readonly HubAction[], p: string, gold: string): HubAction[] {
  return actions.filter((a) =>
    a.type === 'health.changed'
      ? String(a.payload.deviceId).startsWith(`Device:${p}-`)
      : a.payload.segmentId === `Segment:${gold}`,
  );
}

/** Health: odd customers go RED and back to GREEN; segment: odd enter, then C1 leaves and C2 enters. */
const expectedActions = { afterA: CUSTOMERS + CUSTOMERS / 2, afterB: CUSTOMERS + CUSTOMERS / 2 + 2 };

interface Reference {
  readonly snapshot: unknown;
  readonly actionIds: string[];
  readonly roots: string[];
}

async function runReference(p: string): Promise<Reference> {
  const { phaseA, phaseB, gold } = script(p);
  const dir = mkdtempSync(join(tmpdir(), 'c360-split-ref-'));
  const config = createConfig(
    { graph: 'embedded', dataDir: dir, port: 0, writeKeys: [WRITE_KEY] },
    { C360_API_KEYS: API_KEYS, C360_LOG_LEVEL: 'silent' },
  );
  let hub: Hub | null = null;
  try {
    hub = await startHub(config, { logger: pino({ level: 'silent' }) });
    const h = hub;
    await gql(h.url, SAVE, { id: gold, name: `Gold ${p}`, d: { trait: { name: 'plan', op: 'eq', value: gold } } });
    const settled = async (n: number) =>
      waitFor(async () => ours(await readActionLog(join(dir, 'actions.ndjson')), p, gold).length >= n, {
        timeoutMs: 60_000,
        description: `reference hub: ${n} actions`,
      });
    await h.pipeline.submit(phaseA);
    await settled(expectedActions.afterA);
    await h.pipeline.submit(phaseB);
    await settled(expectedActions.afterB);
    return {
      snapshot: await snapshot(h.url, p, gold),
      actionIds: described(ours(await readActionLog(join(dir, 'actions.ndjson')), p, gold)),
      roots: rootFields(await gql(h.url, ROOTS)),
    };
  } finally {
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads the actions topic from the start, into a map by id. */
async function followActions(
  kafka: Kafka,
  topic: string,
): Promise<{ actions: Map<string, HubAction>; consumer: Consumer }> {
  const actions = new Map<string, HubAction>();
  const consumer = kafka.consumer({ groupId: uniqueName('split-actions'), maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (message.value === null) return;
      const a = JSON.parse(message.value.toString('utf8')) as HubAction;
      actions.set(a.id, a);
    },
  });
  return { actions, consumer };
}

function defineSplitDeployment(storeName: 'neo4j' | 'gremlin'): void {
  describe(`split deployment over ${storeName}: 2 workers (one SIGKILLed) + 2 API replicas = the hub`, () => {
    const children: C360Child[] = [];
    const dirs: string[] = [];
    let kafka: Kafka;
    let admin: Admin;
    let producer: Producer;
    let follower: Consumer | null = null;

    beforeAll(async () => {
      kafka = testKafka();
      admin = kafka.admin();
      await admin.connect();
      producer = await connectProducer(kafka);
    });
    afterAll(async () => {
      for (const c of children) c.kill('SIGKILL');
      await Promise.all(children.map((c) => c.exited));
      await follower?.disconnect();
      await producer?.disconnect();
      await admin?.disconnect();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    it('answers like the single hub for the same input', () =>
      explainedWith(children, async () => {
        const p = uniqueName('sp').replace(/-/g, '');
        const { phaseA, phaseB, gold } = script(p);
        const reference = await runReference(p);

        const topics = uniqueTopics();
        await createTestTopics(admin, topics);
        const groupId = uniqueName('c360-split');
        const endpoints = testEndpoints();
        const storeEnv: Record<string, string> =
          storeName === 'neo4j'
            ? {
                C360_GRAPH: 'neo4j',
                C360_GRAPH_URL: endpoints.neo4j.url,
                C360_GRAPH_USER: endpoints.neo4j.user,
                C360_GRAPH_PASSWORD: endpoints.neo4j.password,
              }
            : { C360_GRAPH: 'gremlin', C360_GRAPH_URL: endpoints.gremlin.url };
        const env = (role: string): Record<string, string> => {
          const dataDir = mkdtempSync(join(tmpdir(), `c360-split-${role}-`));
          dirs.push(dataDir);
          return {
            ...storeEnv,
            C360_KAFKA_BROKERS: testBrokers().join(','),
            C360_DATA_DIR: dataDir,
            C360_TOPIC_CLICKSTREAM: topics.clickstream,
            C360_TOPIC_TELEMETRY: topics.telemetry,
            C360_TOPIC_DLQ: topics.dlq,
            C360_TOPIC_ACTIONS: topics.actions,
            C360_TOPIC_CHANGES: topics.changes,
            C360_CDC_PREFIX: topics.cdcPrefix,
            C360_KAFKA_GROUP_ID: groupId,
            // The broker's minimum: a killed member's partitions move after 6 s.
            C360_KAFKA_SESSION_TIMEOUT_MS: '6000',
            // Small fetches: many batches, so the kill lands mid-run.
            C360_KAFKA_MAX_BYTES_PER_PARTITION: '4096',
            C360_API_KEYS: API_KEYS,
            // Every api replica shares it, so an opaque id from one is accepted by the other.
            C360_ID_SECRET: 'split-deployment-test-id-secret-0123456789abcdef',
            C360_WRITE_KEYS: WRITE_KEY,
            C360_LOG_LEVEL: 'warn',
            // The test reads every view many times over; the per-principal limit is not under test here.
            C360_GRAPHQL_RATE_LIMIT_PER_MINUTE: '1000000',
          };
        };
        const start = async (command: string, role: string) => {
          const child = await spawnC360([command], env(role));
          children.push(child);
          return child;
        };
        const [w1, w2, apiA, apiB] = await Promise.all([
          start('worker', 'w1'),
          start('worker', 'w2'),
          start('api', 'a'),
          start('api', 'b'),
        ]);
        await Promise.all([w1.ready, w2.ready, apiA.ready, apiB.ready]);

        // Every replica answers every root field the hub answers.
        expect(rootFields(await gql(apiA.url, ROOTS))).toEqual(reference.roots);
        expect(rootFields(await gql(apiB.url, ROOTS))).toEqual(reference.roots);

        // A subscriber on replica A, before anything happens.
        const heard: { deviceId: string; to: string; customerStatus: string }[] = [];
        const ws = createClient({
          url: `${apiA.url.replace('http', 'ws')}/graphql`,
          webSocketImpl: WebSocket,
          connectionParams: { authorization: `Bearer ${ADMIN_KEY}` },
          retryAttempts: 0,
        });
        const subscribed = new Promise<void>((resolve) => ws.on('connected', () => resolve()));
        const stop = ws.subscribe(
          { query: 'subscription { healthChanged { deviceId to customerStatus } }' },
          {
            next: (m) => {
              const c = (m.data as { healthChanged?: (typeof heard)[number] } | undefined)?.healthChanged;
              if (c) heard.push(c);
            },
            error: () => undefined,
            complete: () => undefined,
          },
        );
        await subscribed;

        const followed = await followActions(kafka, topics.actions);
        follower = followed.consumer;

        await gql(apiA.url, SAVE, {
          id: gold,
          name: `Gold ${p}`,
          d: { trait: { name: 'plan', op: 'eq', value: gold } },
        });

        // Replica B serves 360° views the whole time the workers ingest.
        let serving = true;
        let servedByB = 0;
        // A failed request ends the loop and is reported below (never an unhandled rejection
        // outliving this test when something else failed first and the replicas were killed).
        let loopError: unknown;
        const bLoop = (async () => {
          while (serving) {
            try {
              await gql(apiB.url, VIEW, { id: `Customer:${p}-C${1 + (servedByB % CUSTOMERS)}` });
            } catch (e) {
              loopError = e;
              return;
            }
            servedByB++;
            // An agent's pace, not a load test: the workers share the graph server with it.
            await new Promise((r) => setTimeout(r, 100));
          }
        })();

        const names = [topics.clickstream, topics.telemetry];
        await produceAll(producer, topics, phaseA);
        const before = await groupLag(admin, groupId, names);
        await waitFor(async () => (await groupLag(admin, groupId, names)) <= before * 0.8, {
          timeoutMs: 120_000,
          intervalMs: 20,
          description: 'some progress before the kill',
        });
        const lagAtKill = await groupLag(admin, groupId, names);
        w1.kill('SIGKILL');
        expect(await w1.exited).toBeNull();
        expect(lagAtKill).toBeGreaterThan(0);

        await waitForCaughtUp(admin, groupId, names, 240_000);
        const oursOnTopic = () => ours([...followed.actions.values()], p, gold);
        await waitFor(() => oursOnTopic().length >= expectedActions.afterA, {
          timeoutMs: 240_000,
          description: `${expectedActions.afterA} actions on the topic after phase A`,
        });
        await produceAll(producer, topics, phaseB);
        await waitForCaughtUp(admin, groupId, names, 240_000);
        await waitFor(() => oursOnTopic().length >= expectedActions.afterB, {
          timeoutMs: 240_000,
          description: `${expectedActions.afterB} actions on the topic after phase B`,
        });
        serving = false;
        await bLoop;
        expect(loopError).toBeUndefined();
        expect(servedByB).toBeGreaterThan(0);

        // Same graph, segments, health and actions as the hub — on both replicas.
        const onA = await waitFor(
          async () => {
            const s = await snapshot(apiA.url, p, gold);
            return JSON.stringify(s) === JSON.stringify(reference.snapshot) ? s : null;
          },
          { timeoutMs: 60_000, intervalMs: 1000, description: 'replica A to answer like the hub' },
        ).catch(async () => snapshot(apiA.url, p, gold));
        expect(onA).toEqual(reference.snapshot);
        expect(await snapshot(apiB.url, p, gold)).toEqual(reference.snapshot);
        expect(described(oursOnTopic())).toEqual(reference.actionIds);

        // The subscriber on A heard the workers' transitions, rolled up per customer.
        await waitFor(() => heard.filter((h) => h.deviceId.startsWith(`Device:${p}-`)).length >= CUSTOMERS, {
          timeoutMs: 30_000,
          description: 'healthChanged on replica A',
        });
        const first = heard.find((h) => h.deviceId === `Device:${p}-rtr-1` && h.to === 'RED');
        expect(first).toMatchObject({ to: 'RED', customerStatus: 'RED' });
        stop();
        await ws.dispose();
        // The surviving worker logged no error of its own (kafkajs reports the rebalance at error level).
        const ownErrors = w2
          .output()
          .split('\n')
          .filter((l) => /"level":(50|60)/.test(l) && !l.includes('"component":"kafkajs"'));
        expect(ownErrors).toEqual([]);
        expect(w2.output()).not.toContain('change notice not sent');
      }));
  });
}

/** A failure shows what the processes said last: the test's own message rarely says why. */
async function explainedWith(children: readonly C360Child[], run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (e) {
    const outputs = children.map((c, i) => `--- process ${i} (pid ${c.pid}) ---\n${c.output().slice(-4000)}`);
    (e as Error).message += `\n${outputs.join('\n')}`;
    throw e;
  }
}

defineSplitDeployment('neo4j');
defineSplitDeployment('gremlin');
