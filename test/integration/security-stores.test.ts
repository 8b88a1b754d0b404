/**
 * Injection against the Gremlin and Neo4j stores: the real HTTP API and
 * collector in front of each store (the same harness as the unit API tests,
 * with the remote store in place of the embedded one). Hostile strings in
 * every string argument of every root field and in collector events reach the
 * stores only as bytecode arguments / Cypher parameters: a canary vertex and a
 * seeded customer survive unchanged, and hostile values round-trip byte for byte.
 */
import { createHash } from 'node:crypto';
import { buildClientSchema, getIntrospectionQuery, type IntrospectionQuery } from 'graphql';
import {
  createCustomerForgetter,
  createIdentityResolver,
  createIdentityRules,
  createMemoryAuditLog,
} from '../../features/identity';
import { createIdentityModule } from '../../features/identity/graphql';
import { BatchBuilder, type GraphStore, makeVersion, type Vertex } from '../../graph-schema';
import { createGremlinStore, createNeo4jStore } from '../../services/graph';
import { testEndpoints } from '../helpers/infra';
import { uniqueName } from '../helpers/unique';
import { waitFor } from '../helpers/wait-for';
import { API_KEYS, type ApiHarness, startApi, WRITE_KEY } from '../unit/api/api-harness';
import { codesOf, INJECTIONS, rootOperations } from '../unit/security/security-kit';

const endpoints = testEndpoints();
const CLIENT_CODES = new Set(['BAD_USER_INPUT', 'INVALID_CURSOR']);

const stores: Record<string, () => Promise<GraphStore>> = {
  gremlin: () => createGremlinStore({ url: endpoints.gremlin.url, traversalSource: endpoints.gremlin.traversalSource }),
  neo4j: () =>
    createNeo4jStore({
      url: endpoints.neo4j.url,
      user: endpoints.neo4j.user,
      password: endpoints.neo4j.password,
      database: 'neo4j',
    }),
};

jest.setTimeout(180_000);

describe.each(Object.keys(stores))('hostile input against the %s store', (kind) => {
  let store: GraphStore;
  let api: ApiHarness;
  const run = uniqueName('sec');
  const canaryId = `Product:${run}-canary`;
  const customerId = `Customer:${run}-ann`;

  const snapshot = async (): Promise<(Vertex | null)[]> => store.getVertices([canaryId, customerId]);

  beforeAll(async () => {
    store = await stores[kind]();
    const resolver = createIdentityResolver({ store, rules: createIdentityRules() });
    api = await startApi({
      // The remote store replaces the embedded one for both the pipeline and the API.
      wrapPipelineStore: () => store,
      wrapApiStore: () => store,
      modules: [
        createIdentityModule({
          resolver,
          forgetter: createCustomerForgetter({ store, resolver, auditLog: createMemoryAuditLog() }),
        }),
      ],
    });
    const b = new BatchBuilder();
    const v = makeVersion(Date.UTC(2026, 0, 1), run);
    b.add({ op: 'upsertVertex', label: 'Product', key: `${run}-canary`, props: { name: 'canary' }, version: v });
    b.add({
      op: 'upsertVertex',
      label: 'Customer',
      key: `${run}-ann`,
      props: { email: `${run}@example.com` },
      version: v,
    });
    await store.apply(b.build());
  });
  afterAll(async () => {
    await api?.close();
    await store?.close();
  });

  test('every string argument of every root field', async () => {
    const intro = await api.gql<IntrospectionQuery>(getIntrospectionQuery());
    const schema = buildClientSchema(intro.body.data as IntrospectionQuery);
    const before = await snapshot();
    for (const hostile of INJECTIONS) {
      for (const op of rootOperations(schema, hostile).filter((o) => o.kind !== 'subscription')) {
        const { status, body } = await api.gqlAs(API_KEYS.admin, op.query, op.variables);
        expect({ op: op.coordinate, hostile, status }).toEqual({ op: op.coordinate, hostile, status: 200 });
        expect({ op: op.coordinate, hostile, codes: codesOf(body).filter((c) => !CLIENT_CODES.has(c)) }).toEqual({
          op: op.coordinate,
          hostile,
          codes: [],
        });
      }
      // Identifier lookups go to the store with the hostile value as a parameter (userId: no format check first).
      const r = await api.gql('query ($v: String!) { customer(identifier: { type: "userId", value: $v }) { id } }', {
        v: hostile,
      });
      expect(codesOf(r.body).filter((c) => !CLIENT_CODES.has(c))).toEqual([]);
      expect(r.body.data).toEqual({ customer: null });
    }
    expect(await snapshot()).toEqual(before);
    expect(before[0]).not.toBeNull();
  });

  test('every field of collector events', async () => {
    const before = await snapshot();
    const batch = INJECTIONS.filter((s) => !s.includes('\u0000')).map((hostile, i) => ({
      type: 'identify',
      messageId: `${run}-inj-${i}`,
      userId: `${run}-${createHash('sha256').update(hostile).digest('hex').slice(0, 8)}-${hostile}`,
      timestamp: '2026-03-05T10:00:00.000Z',
      traits: { firstName: hostile, plan: hostile },
    }));
    const res = await fetch(`${api.url}/v1/batch`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`,
      },
      body: JSON.stringify({ batch }),
    });
    expect(res.status).toBe(200);
    const ids = batch.map((e) => `Customer:${e.userId}`);
    await waitFor(async () => (await store.getVertices(ids)).every((v) => v !== null), {
      timeoutMs: 60_000,
      description: 'hostile events applied',
    });
    const stored = await store.getVertices(ids);
    expect(stored.map((v) => v?.props.firstName)).toEqual(batch.map((e) => e.traits.firstName));
    expect(await snapshot()).toEqual(before);
  });
});
