/**
 * The same events, four stores, one answer: the full ingest pipeline writes a
 * customer's story into the embedded store, Gremlin Server (TinkerGraph), JanusGraph
 * on Cassandra and Neo4j, and the GraphQL 360° view read back through the real HTTP
 * API is identical. Then the identity conformance suite runs on the remote stores too. (The analytics suite
 * projects the whole graph, which on a shared test server means every other
 * test's data too; it runs on the embedded store in the unit project.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createHttpApp, startHttpServer } from '../../api';
import { defaultMappings, type GraphStore } from '../../graph-schema';
import {
  createEventMapper,
  createMemoryDedupe,
  createPipeline,
  type DeadLetterSink,
  type RawMessage,
} from '../../ingest';
import { createDecoders } from '../../ingest/decoders';
import { createEmbeddedStore } from '../../services/graph';
import { createGremlinStore } from '../../services/graph/gremlin';
import { createNeo4jStore } from '../../services/graph/neo4j';
import { defineIdentitySuite } from '../conformance/identity-suite';
import { testEndpoints } from '../helpers/infra';
import { uniqueName } from '../helpers/unique';

const endpoints = testEndpoints();
const openGremlin = () =>
  createGremlinStore({
    url: endpoints.gremlin.url,
    traversalSource: endpoints.gremlin.traversalSource,
    connections: 2,
  });
const openJanusGraph = () =>
  createGremlinStore({
    url: endpoints.janusgraph.url,
    traversalSource: endpoints.janusgraph.traversalSource,
    connections: 4,
  });
const openNeo4j = () =>
  createNeo4jStore({
    url: endpoints.neo4j.url,
    user: endpoints.neo4j.user,
    password: endpoints.neo4j.password,
    database: 'neo4j',
  });

const AGENT_VIEW = /* GraphQL */ `
  query View($id: ID!) {
    customer(id: $id) {
      id
      traits
      identities { type value }
      devices(first: 10) { edges { node { id type manufacturer properties } } pageInfo { hasNextPage } }
      orders(first: 10) { edges { node { id status total currency } } }
      interactions(first: 10) { edges { node { id } } }
      timeline(first: 20) { edges { node { __typename ts ... on Event { id name } ... on Order { id total } } } }
    }
  }
`;

function story(p: string): RawMessage[] {
  const at = (iso: string) => iso;
  const seg = (e: Record<string, unknown>) => ({
    source: 'segment' as const,
    value: Buffer.from(JSON.stringify({ sentAt: e.timestamp, ...e })),
    position: { source: 'segment' as const, transport: 'test' as const },
    receivedAtMs: Date.parse('2026-11-01T12:00:00Z'),
  });
  return [
    seg({
      type: 'page',
      messageId: `${p}-m1`,
      anonymousId: `${p}-anon`,
      name: 'Home',
      timestamp: at('2026-11-01T09:00:00Z'),
    }),
    seg({
      type: 'identify',
      messageId: `${p}-m2`,
      userId: `${p}-C1`,
      anonymousId: `${p}-anon`,
      traits: { email: `${p}@example.com`, name: 'Ann Lee', plan: 'fiber-500' },
      timestamp: at('2026-11-01T09:01:00Z'),
    }),
    seg({
      type: 'track',
      messageId: `${p}-m3`,
      userId: `${p}-C1`,
      event: 'Order Completed',
      context: { device: { id: `${p}-phone`, type: 'ios', manufacturer: 'Apple' } },
      properties: {
        order_id: `${p}-O1`,
        total: 59.9,
        currency: 'EUR',
        products: [{ product_id: `${p}-SKU1`, price: 59.9, quantity: 1, category: 'tv' }],
      },
      timestamp: at('2026-11-01T09:05:00Z'),
    }),
    {
      source: 'telemetry',
      value: Buffer.from(
        JSON.stringify({
          deviceId: `${p}-router`,
          entityId: `${p}-C1`,
          timestamp: '2026-11-01T09:10:00Z',
          seq: 1,
          indicators: { packetErrors: 3 },
        }),
      ),
      position: { source: 'telemetry', transport: 'test' },
      receivedAtMs: Date.parse('2026-11-01T12:00:00Z'),
    },
  ];
}

const noLetters: DeadLetterSink = { write: async () => undefined, close: async () => undefined };

async function viewThrough(store: GraphStore, messages: RawMessage[], id: string): Promise<unknown> {
  const pipeline = createPipeline({
    store,
    decoders: createDecoders({}),
    mapper: createEventMapper(defaultMappings),
    dedupe: createMemoryDedupe(),
    deadLetters: noLetters,
    logger: pino({ level: 'silent' }),
    batchMaxWaitMs: 1,
  });
  const result = await pipeline.submit(messages);
  expect(result).toMatchObject({ applied: messages.length, deadLettered: 0 });
  await pipeline.close();
  const app = createHttpApp({
    store,
    pipeline,
    registry: new Registry(),
    logger: pino({ level: 'silent' }),
    config: {
      writeKeys: ['cross-store'],
      maxEventBytes: 32 * 1024,
      maxBatchBytes: 500 * 1024,
      playground: false,
      graphqlPath: '/graphql',
      auth: { demo: true, apiKeys: [], jwt: null },
    },
    readiness: () => ({ ready: true, reasons: [] }),
  });
  const server = await startHttpServer(app, { port: 0, host: '127.0.0.1' });
  try {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: AGENT_VIEW, variables: { id } }),
    });
    const body = (await res.json()) as { data?: unknown; errors?: unknown };
    expect(body.errors).toBeUndefined();
    return body.data;
  } finally {
    await server.close();
  }
}

describe('one story, four stores, one 360° view', () => {
  test('embedded, Gremlin Server, JanusGraph and Neo4j serve the identical GraphQL answer', async () => {
    const p = uniqueName('x');
    const messages = story(p);
    const id = `Customer:${p}-C1`;
    const dir = mkdtempSync(join(tmpdir(), 'c360-cross-store-'));
    const stores: GraphStore[] = [];
    try {
      const embedded = await createEmbeddedStore({ path: join(dir, 'graph') });
      const gremlin = await openGremlin();
      const janusgraph = await openJanusGraph();
      const neo4jStore = await openNeo4j();
      stores.push(embedded, gremlin, janusgraph, neo4jStore);
      const fromEmbedded = await viewThrough(embedded, messages, id);
      expect(fromEmbedded).toMatchObject({ customer: { id, traits: { plan: 'fiber-500' } } });
      expect(await viewThrough(gremlin, messages, id)).toEqual(fromEmbedded);
      expect(await viewThrough(janusgraph, messages, id)).toEqual(fromEmbedded);
      expect(await viewThrough(neo4jStore, messages, id)).toEqual(fromEmbedded);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});

defineIdentitySuite('gremlin', async () => ({ store: await openGremlin() }));
defineIdentitySuite('janusgraph', async () => ({ store: await openJanusGraph() }));
defineIdentitySuite('neo4j', async () => ({ store: await openNeo4j() }));
