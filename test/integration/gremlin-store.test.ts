/**
 * The Gremlin store against the real Gremlin Server the integration globalSetup starts:
 * the shared conformance suite (same answers as the embedded store), then what only a
 * remote, concurrent backend has — racing writers and classified errors.
 */
import '../setup/node-websocket';
import {
  coalesce,
  type ElementState,
  type GraphStore,
  type Mutation,
  makeVersion,
  mergeStates,
  stateOfUpsert,
  visibleProps,
} from '../../graph-schema';
import { createGremlinStore, GremlinStoreError } from '../../services/graph/gremlin';
import { defineGraphStoreSuite } from '../conformance';
import { testEndpoints } from '../helpers/infra';

const endpoint = testEndpoints().gremlin;
const open = () => createGremlinStore({ url: endpoint.url, traversalSource: endpoint.traversalSource, connections: 2 });

defineGraphStoreSuite('gremlin', async () => ({ store: await open() }), { timeoutMs: 600_000 });

describe('GremlinStore against a live server', () => {
  const stores: GraphStore[] = [];
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
  });
  const unique = () => `g${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

  test('two writers racing on the same vertices never lose the newest write of a property', async () => {
    const [a, b] = await Promise.all([open(), open()]);
    stores.push(a, b);
    const p = unique();
    const keys = [0, 1, 2].map((n) => `${p}-c${n}`);
    const writes: Mutation[][] = [[], []];
    let expected: Record<string, ElementState> = {};
    for (let t = 1; t <= 60; t++) {
      const key = keys[t % keys.length];
      const m: Mutation = {
        op: 'upsertVertex',
        label: 'Customer',
        key,
        props: { plan: `plan-${t}`, [`w${t % 2}`]: t },
        version: makeVersion(1000 + ((t * 37) % 61), `w${t % 2}`),
      };
      writes[t % 2].push(m);
      const state = stateOfUpsert(m.props, m.version);
      expected = { ...expected, [key]: expected[key] ? mergeStates(expected[key], state) : state };
    }
    // Each writer applies its own mutations one batch at a time, both at once.
    await Promise.all([
      (async () => {
        for (const m of writes[0]) await a.apply(coalesce([m]));
      })(),
      (async () => {
        for (const m of writes[1]) await b.apply(coalesce([m]));
      })(),
    ]);
    const found = await a.getVertices(keys.map((k) => `Customer:${k}`));
    expect(found.map((v) => v?.props ?? null)).toEqual(keys.map((k) => visibleProps(expected[k])));
  }, 120_000);

  test('a bad batch is refused before anything is sent, as a non-retriable GremlinStoreError', async () => {
    const store = await open();
    stores.push(store);
    const bad = coalesce([
      { op: 'upsertVertex', label: 'Customer', key: unique(), props: { name: 'x' }, version: 'bad\u0001version' },
    ]);
    await expect(store.apply(bad)).rejects.toMatchObject({
      name: 'GremlinStoreError',
      code: 'INVALID_ELEMENT',
      retriable: false,
    });
    await expect(store.lookup('Customer', 'plan', 'x')).rejects.toBeInstanceOf(GremlinStoreError);
  }, 30_000);

  test('a server that is not there fails fast at open with a retriable connection error', async () => {
    await expect(
      createGremlinStore({ url: 'ws://127.0.0.1:1/gremlin', maxAttempts: 1, requestTimeoutMs: 10_000 }),
    ).rejects.toMatchObject({ name: 'GremlinStoreError', code: 'CONNECTION_FAILED', retriable: true });
  }, 30_000);
});
