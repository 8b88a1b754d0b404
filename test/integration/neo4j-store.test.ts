/**
 * The Neo4j store against the real Neo4j 5.26 the integration globalSetup starts: the shared
 * conformance suite (same answers as the embedded store, convergence property included),
 * then what only a remote, concurrent backend has — racing writers, hostile data on a real
 * server, the schema it creates, index use, and classified errors.
 */
import neo4j, { type Driver } from 'neo4j-driver';
import {
  coalesce,
  type GraphStore,
  type JsonObject,
  type Mutation,
  makeVersion,
  VERTEX_LABELS,
  type VertexRef,
  vertexId,
} from '../../graph-schema';
import { createNeo4jStore, type Neo4jStoreOptions, planWriteStatements } from '../../services/graph/neo4j';
import { getVerticesStatement, lookupStatement, searchStatement } from '../../services/graph/neo4j/cypher-reads';
import { defineGraphStoreSuite, dumpGraph, referenceDump, referenceGraph } from '../conformance';
import { testEndpoints } from '../helpers/infra';
import { uniqueName } from '../helpers/unique';

const endpoint = testEndpoints().neo4j;
const open = (overrides: Partial<Neo4jStoreOptions> = {}) =>
  createNeo4jStore({
    url: endpoint.url,
    user: endpoint.user,
    password: endpoint.password,
    database: 'neo4j',
    ...overrides,
  });

defineGraphStoreSuite('neo4j', async () => ({ store: await open() }), { timeoutMs: 900_000 });

/** The operator names of an EXPLAIN plan, depth first, without the runtime suffix (`@neo4j`). */
function planOperators(plan: unknown): string[] {
  const node = plan as { operatorType: string; children: unknown[] };
  return [node.operatorType.split('@')[0], ...node.children.flatMap(planOperators)];
}

describe('Neo4jStore against a live server', () => {
  const stores: GraphStore[] = [];
  let driver: Driver;
  // Per-test timeouts: jest.setTimeout here would also shorten the conformance suite's.
  const timeoutMs = 180_000;
  beforeAll(() => {
    driver = neo4j.driver(endpoint.url, neo4j.auth.basic(endpoint.user, endpoint.password));
  }, timeoutMs);
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await driver?.close();
  }, timeoutMs);
  const opened = async (overrides: Partial<Neo4jStoreOptions> = {}) => {
    const store = await open(overrides);
    stores.push(store);
    return store;
  };
  const ref = (label: VertexRef['label'], key: string): VertexRef => ({ label, key });

  test(
    'racing writers on the same elements, through two drivers, converge on the reference merge',
    async () => {
      const [a, b] = await Promise.all([opened({ batchSize: 7 }), opened({ batchSize: 7 })]);
      const p = uniqueName('race');
      const customers = [0, 1, 2].map((n) => ref('Customer', `${p}-c${n}`));
      const orders = [0, 1].map((n) => ref('Order', `${p}-o${n}`));
      const all: Mutation[] = [];
      // Versions are a permutation of times, so arrival order and version order disagree.
      for (let t = 1; t <= 240; t++) {
        const version = makeVersion(1000 + ((t * 37) % 241), `w${t % 2}`);
        const c = customers[t % customers.length];
        const o = orders[t % orders.length];
        const kind = t % 9;
        if (kind === 0) all.push({ op: 'deleteVertex', ...o, version });
        else if (kind === 4) all.push({ op: 'deleteEdge', label: 'PLACED', from: c, to: o, version });
        else if (kind % 2 === 0)
          all.push({ op: 'upsertEdge', label: 'PLACED', from: c, to: o, props: { n: t }, version });
        else all.push({ op: 'upsertVertex', ...c, props: { plan: `plan-${t}`, [`w${t % 2}`]: t }, version });
      }
      const streams: Mutation[][] = [[], []];
      for (const [i, m] of all.entries()) streams[i % 2].push(m);
      // Both writers at once, several small concurrent batches each, so transactions really overlap.
      await Promise.all(
        streams.map(async (stream, w) => {
          const store = w === 0 ? a : b;
          const batches: Mutation[][] = [];
          for (let i = 0; i < stream.length; i += 5) batches.push(stream.slice(i, i + 5));
          for (let i = 0; i < batches.length; i += 3) {
            await Promise.all(batches.slice(i, i + 3).map((batch) => store.apply(coalesce(batch))));
          }
        }),
      );
      const pool = [...customers, ...orders].map(vertexId);
      expect(await dumpGraph(a, pool)).toEqual(referenceDump(referenceGraph(all), pool));
    },
    timeoutMs,
  );

  test(
    'hostile keys, property names and values round-trip exactly',
    async () => {
      const store = await opened();
      const p = uniqueName('hostile');
      const hostile = [
        "O'Brien",
        'say "hi"',
        'back`tick`',
        '}) DETACH DELETE n //',
        '`}]->() DELETE r //',
        '$rows',
        'c360live',
        'c360v:name',
        'c360p:x',
        '%00',
        'Zoë 東京 🚀',
        'nul\u0000byte',
        '',
        '\uffff',
      ];
      const props: JsonObject = {};
      hostile.forEach((h, i) => {
        props[h] = i % 3 === 0 ? h : i % 3 === 1 ? { [h]: [h, i, null, true, { deep: h }] } : i + 0.5;
      });
      props.email = `${p}${hostile.join('|')}`;
      const mutations: Mutation[] = hostile.flatMap((h, i): Mutation[] => [
        { op: 'upsertVertex', label: 'Customer', key: `${p}${h}`, props, version: makeVersion(10 + i, h) },
        {
          op: 'upsertEdge',
          label: 'HAS_IDENTITY',
          from: ref('Customer', `${p}${h}`),
          to: ref('Identity', `${p}${h}-i`),
          props: { [h]: h, rule: h },
          version: makeVersion(20 + i, h),
        },
      ]);
      await store.apply(coalesce(mutations));
      const ids = hostile.flatMap((h) => [`Customer:${p}${h}`, `Identity:${p}${h}-i`]);
      expect(await dumpGraph(store, ids)).toEqual(referenceDump(referenceGraph(mutations), ids));
      expect(await store.lookup('Customer', 'email', props.email)).toEqual(
        hostile.map((h) => `Customer:${p}${h}`).sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))),
      );
    },
    timeoutMs,
  );

  test(
    'startup creates the constraints and indexes once; a second store finds them',
    async () => {
      await opened();
      await opened();
      const constraints = await driver.executeQuery(
        'SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties',
        {},
        {
          database: 'neo4j',
        },
      );
      const customer = constraints.records.map((r) => r.toObject()).find((c) => c.name === 'c360_Customer_id');
      expect(customer).toEqual({
        name: 'c360_Customer_id',
        type: 'UNIQUENESS',
        labelsOrTypes: ['Customer'],
        properties: ['c360id'],
      });
      const indexes = await driver.executeQuery('SHOW INDEXES YIELD name, type, state', {}, { database: 'neo4j' });
      const byName = new Map(indexes.records.map((r) => [r.get('name') as string, r.toObject()]));
      expect(byName.get('c360_Identity_value')).toEqual({
        name: 'c360_Identity_value',
        type: 'RANGE',
        state: 'ONLINE',
      });
      expect(byName.get('c360_Customer_search_name')).toEqual({
        name: 'c360_Customer_search_name',
        type: 'TEXT',
        state: 'ONLINE',
      });
      // One uniqueness constraint per vertex label of the model (State included).
      expect([...byName.keys()].filter((n) => n.startsWith('c360_') && n.endsWith('_id')).sort()).toEqual(
        VERTEX_LABELS.map((l) => `c360_${l}_id`).sort(),
      );
    },
    timeoutMs,
  );

  test(
    'processes starting together all create the schema they need without failing',
    async () => {
      // Dropping one index makes every starting store try to create it at the same moment.
      await driver.executeQuery('DROP INDEX c360_Segment_search_name IF EXISTS', {}, { database: 'neo4j' });
      await Promise.all([opened(), opened(), opened(), opened()]);
      const indexes = await driver.executeQuery(
        "SHOW INDEXES YIELD name, state WHERE name = 'c360_Segment_search_name' RETURN state",
        {},
        { database: 'neo4j' },
      );
      expect(indexes.records.map((r) => r.get('state'))).toEqual(['ONLINE']);
    },
    timeoutMs,
  );

  test(
    'reads by id, lookups and searches are planned as index seeks',
    async () => {
      await opened();
      const plans = [
        getVerticesStatement(['Customer:x', 'Order:y']),
        lookupStatement('Identity', 'value', 'ann@example.com'),
        searchStatement('Customer', 'ann', 10, null),
      ];
      const operators: string[][] = [];
      for (const statement of plans) {
        if (statement === null) throw new Error('expected a statement');
        const result = await driver.executeQuery(`EXPLAIN ${statement.text}`, statement.params, { database: 'neo4j' });
        const names = planOperators(result.summary.plan);
        operators.push(names);
      }
      expect(operators[0]).toContain('NodeUniqueIndexSeek');
      expect(operators[1].some((o) => o.startsWith('NodeIndexSeek'))).toBe(true);
      expect(operators[2].filter((o) => o === 'NodeIndexSeekByRange')).toHaveLength(4);
      for (const names of operators) expect(names).not.toContain('AllNodesScan');
    },
    timeoutMs,
  );

  test(
    'writes are planned as locking unique-index seeks, which no statistics can improve',
    async () => {
      // The write statements keep their first plan (CYPHER replan=skip), which may have been
      // made on an empty graph: it must not be one that stops scaling as the graph grows.
      await opened();
      const p = uniqueName('plan');
      const batch = coalesce([
        {
          op: 'upsertVertex',
          label: 'Customer',
          key: `${p}-c`,
          props: { name: 'Ann' },
          version: makeVersion(1, 'plan'),
        },
        {
          op: 'upsertEdge',
          label: 'PLACED',
          from: ref('Customer', `${p}-c`),
          to: ref('Order', `${p}-o`),
          props: {},
          version: makeVersion(2, 'plan'),
        },
      ]);
      const statements = planWriteStatements(batch);
      expect(statements).toHaveLength(3);
      for (const statement of statements) {
        expect(statement.text.startsWith('CYPHER replan=skip\n')).toBe(true);
        const result = await driver.executeQuery(`EXPLAIN ${statement.text}`, statement.params, { database: 'neo4j' });
        const names = planOperators(result.summary.plan);
        expect(names).toContain('NodeUniqueIndexSeek(Locking)');
        expect(names.filter((o) => /Scan/.test(o))).toEqual([]);
        if (statement.text.includes('-[e:')) expect(names).toContain('Expand(Into)');
      }
    },
    timeoutMs,
  );

  test(
    'an unreachable server is a retriable SERVICE_UNAVAILABLE; a closed store refuses calls',
    async () => {
      await expect(open({ url: 'bolt://127.0.0.1:1' })).rejects.toMatchObject({
        name: 'Neo4jStoreError',
        code: 'SERVICE_UNAVAILABLE',
        retriable: true,
      });
      const store = await open();
      await store.close();
      await expect(store.getVertices(['Customer:x'])).rejects.toMatchObject({ code: 'STORE_CLOSED' });
      await expect(store.apply({ vertices: [], edges: [] })).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    },
    timeoutMs,
  );
});
