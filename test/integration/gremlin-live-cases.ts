/**
 * What only a remote, concurrent Gremlin backend has — racing writers and classified errors —
 * as cases that run against each Gremlin server the integration setup starts (Gremlin Server
 * with TinkerGraph, JanusGraph on Cassandra). Not a test file itself: gremlin-store.test.ts and
 * janusgraph-store.test.ts call it.
 */
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
import { type GremlinGraphStore, GremlinStoreError } from '../../services/graph/gremlin';

const unique = () => `g${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

export function defineGremlinLiveCases(name: string, open: () => Promise<GremlinGraphStore>): void {
  describe(`GremlinStore against a live server: ${name}`, () => {
    const stores: GraphStore[] = [];
    afterAll(async () => {
      await Promise.all(stores.map((s) => s.close()));
    });

    test('two writers racing on the same vertices never lose the newest write of a property', async () => {
      const [a, b] = await Promise.all([open(), open()]);
      stores.push(a, b);
      const p = unique();
      const keys = [0, 1, 2].map((n) => `${p}-c${n}`);
      const writes: Mutation[][] = [[], []];
      let expected: Record<string, ElementState> = {};
      for (let t = 1; t <= 60; t++) {
        const key = keys[t % keys.length]!;
        const m: Mutation = {
          op: 'upsertVertex',
          label: 'Customer',
          key,
          props: { plan: `plan-${t}`, [`w${t % 2}`]: t },
          version: makeVersion(1000 + ((t * 37) % 61), `w${t % 2}`),
        };
        writes[t % 2]!.push(m);
        const state = stateOfUpsert(m.props, m.version);
        expected = { ...expected, [key]: expected[key] ? mergeStates(expected[key], state) : state };
      }
      // Each writer applies its own mutations one batch at a time, both at once.
      await Promise.all([
        (async () => {
          for (const m of writes[0]!) await a.apply(coalesce([m]));
        })(),
        (async () => {
          for (const m of writes[1]!) await b.apply(coalesce([m]));
        })(),
      ]);
      const found = await a.getVertices(keys.map((k) => `Customer:${k}`));
      expect(found.map((v) => v?.props ?? null)).toEqual(keys.map((k) => visibleProps(expected[k]!)));
    }, 180_000);

    test('writers racing to create the same edges leave one edge each, with the newest properties', async () => {
      const [a, b] = await Promise.all([open(), open()]);
      stores.push(a, b);
      const p = unique();
      const customer = { label: 'Customer' as const, key: `${p}-c` };
      const devices = [0, 1, 2, 3].map((n) => ({ label: 'Device' as const, key: `${p}-d${n}` }));
      // Both writers create every edge, with versions interleaved so that each wins some properties.
      const batches = (writer: number) =>
        devices.map((to, i) =>
          coalesce([
            {
              op: 'upsertEdge',
              label: 'USES_DEVICE',
              from: customer,
              to,
              props: { since: `w${writer}-${i}` },
              version: makeVersion(2000 + i * 2 + ((i + writer) % 2), `w${writer}`),
            },
          ]),
        );
      await Promise.all([
        (async () => {
          for (const batch of batches(0)) await a.apply(batch);
        })(),
        (async () => {
          for (const batch of batches(1)) await b.apply(batch);
        })(),
      ]);
      const [page] = await a.neighbors([{ id: `Customer:${p}-c`, direction: 'out', first: 10 }]);
      expect(page!.items.map((n) => [n.vertex.id, n.edge.props.since])).toEqual(
        devices.map((d, i) => [`Device:${d.key}`, `w${(i + 1) % 2}-${i}`]),
      );
    }, 180_000);

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
  });
}
