/**
 * Graph analytics against any GraphStore: the projection read through the
 * store's public API must be exactly the graph the data describes, and every
 * answer built on it identical whatever the backend. The Gremlin and Neo4j
 * suites call `defineAnalyticsSuite` with their store factory.
 *
 * Isolation: each test writes a fresh fixture under a random key prefix that
 * no other data connects to, and asserts only on local answers (paths,
 * similarity, component membership, degree) or on its own vertices, so the
 * suite also runs against a shared server that holds other data.
 */

import {
  addProjectedEdge,
  CUSTOMER_GRAPH,
  createAnalyticsService,
  createProjectionGraph,
  loadProjection,
  type ProjectionGraph,
  toCsr,
} from '../../features/analytics';
import {
  coalesce,
  type EdgeLabel,
  type GraphStore,
  type Mutation,
  makeVersion,
  type VertexLabel,
  type VertexRef,
} from '../../graph-schema';
import type { CreatedStore } from './graph-store-suite';

export interface AnalyticsSuiteOptions {
  /** Per-test timeout in ms (default 60,000). */
  readonly timeoutMs?: number;
}

export interface AnalyticsFixture {
  readonly prefix: string;
  readonly mutations: readonly Mutation[];
  /** The fixture as a projection built directly, without any store. */
  readonly graph: ProjectionGraph;
  /** Full vertex id of a fixture name (c1, dA, p3, …). */
  id(name: string): string;
}

const FIXTURE_EDGES: readonly [EdgeLabel, string, string][] = [
  // Household A: c1 and c2 share a tablet; c1 also buys through its email identity.
  ['USES_DEVICE', 'c1', 'dA'],
  ['USES_DEVICE', 'c2', 'dA'],
  ['HAS_IDENTITY', 'c1', 'i1'],
  ['PLACED', 'c1', 'o1'],
  ['PLACED', 'i1', 'o4'],
  ['PLACED', 'c2', 'o2'],
  ['PLACED', 'c3', 'o3'],
  ['CONTAINS', 'o1', 'p1'],
  ['CONTAINS', 'o1', 'p2'],
  ['CONTAINS', 'o2', 'p1'],
  ['CONTAINS', 'o2', 'p2'],
  ['CONTAINS', 'o2', 'p3'],
  ['CONTAINS', 'o3', 'p3'],
  ['CONTAINS', 'o4', 'p4'],
  // Household B: c3 and c4 share a router, c4 and c5 an address.
  ['USES_DEVICE', 'c3', 'dB'],
  ['USES_DEVICE', 'c4', 'dB'],
  ['HAS_ADDRESS', 'c4', 'aB'],
  ['HAS_ADDRESS', 'c5', 'aB'],
];
const LABELS: Record<string, VertexLabel> = {
  c: 'Customer',
  d: 'Device',
  i: 'Identity',
  o: 'Order',
  p: 'Product',
  a: 'Address',
};

export function analyticsFixture(prefix: string): AnalyticsFixture {
  const ref = (name: string): VertexRef => ({ label: LABELS[name[0]], key: `${prefix}${name}` });
  const id = (name: string) => `${LABELS[name[0]]}:${prefix}${name}`;
  const v = makeVersion(Date.UTC(2026, 0, 1), `fixture:${prefix}`);
  const names = new Set(['c6']);
  for (const [, a, b] of FIXTURE_EDGES) names.add(a).add(b);
  const mutations: Mutation[] = [...names].map(
    (n): Mutation => ({
      op: 'upsertVertex',
      ...ref(n),
      props: n[0] === 'o' ? { ts: Date.UTC(2026, 0, Number(n.slice(1))) } : { name: n },
      version: v,
    }),
  );
  for (const [label, a, b] of FIXTURE_EDGES) {
    mutations.push({ op: 'upsertEdge', label, from: ref(a), to: ref(b), props: {}, version: v });
  }
  const graph = createProjectionGraph('undirected');
  for (const n of [...names].sort()) graph.addNode(id(n), { label: LABELS[n[0]] });
  for (const [label, a, b] of FIXTURE_EDGES) addProjectedEdge(graph, id(a), id(b), label);
  return { prefix, mutations, graph, id };
}

function uniquePrefix(): string {
  return `an${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

/** The induced subgraph on `ids`, as sorted edge strings, so projections compare regardless of load order. */
function edgesAmong(graph: ProjectionGraph, ids: ReadonlySet<string>): string[] {
  const out: string[] = [];
  graph.forEachEdge((_e, attrs, s, t) => {
    if (!ids.has(s) || !ids.has(t)) return;
    const [a, b] = s < t ? [s, t] : [t, s];
    out.push(`${a} ${b} ${[...attrs.labels].sort().join('+')}`);
  });
  return out.sort();
}

export function defineAnalyticsSuite(
  name: string,
  createStore: () => Promise<CreatedStore>,
  options: AnalyticsSuiteOptions = {},
): void {
  const timeout = options.timeoutMs ?? 60_000;

  describe(`analytics conformance: ${name}`, () => {
    let created: CreatedStore;
    let store: GraphStore;
    beforeAll(async () => {
      created = await createStore();
      store = created.store;
    }, timeout);
    afterAll(async () => {
      await store?.close();
      await created?.cleanup?.();
    }, timeout);

    async function seeded(): Promise<AnalyticsFixture> {
      const f = analyticsFixture(uniquePrefix());
      await store.apply(coalesce(f.mutations));
      return f;
    }

    test(
      'the projection read from the store is exactly the fixture graph',
      async () => {
        const f = await seeded();
        const projected = await loadProjection(store, CUSTOMER_GRAPH, { vertexPageSize: 7, neighborPageSize: 2 });
        const ids = new Set(f.graph.nodes());
        for (const id of ids) expect(projected.getNodeAttributes(id)).toEqual(f.graph.getNodeAttributes(id));
        expect(edgesAmong(projected, ids)).toEqual(edgesAmong(f.graph, ids));
        // Nothing outside the fixture touches it (the prefix is fresh).
        for (const id of ids) for (const n of projected.neighbors(id)) expect(ids.has(n)).toBe(true);
      },
      timeout,
    );

    test(
      'degree, components, paths and similarity give the answers computed by hand',
      async () => {
        const f = await seeded();
        const service = createAnalyticsService({ store, writeTraits: false });
        try {
          const snap = await service.projection();
          const i = (n: string) => snap.csr.index.get(f.id(n)) as number;
          expect(snap.csr.offsets[i('c1') + 1] - snap.csr.offsets[i('c1')]).toBe(3);

          const path = await service.shortestPath(f.id('c1'), f.id('c5'), 10);
          expect(path?.nodes).toEqual(['c1', 'dA', 'c2', 'o2', 'p3', 'o3', 'c3', 'dB', 'c4', 'aB', 'c5'].map(f.id));
          expect(path?.edges.map((e) => e.label)).toEqual([
            'USES_DEVICE',
            'USES_DEVICE',
            'PLACED',
            'CONTAINS',
            'CONTAINS',
            'PLACED',
            'USES_DEVICE',
            'USES_DEVICE',
            'HAS_ADDRESS',
            'HAS_ADDRESS',
          ]);
          expect(await service.shortestPath(f.id('c1'), f.id('c5'), 9)).toBeNull();
          expect(await service.shortestPath(f.id('c1'), f.id('c6'), 10)).toBeNull();

          // c1 has {p1, p2, p4 (through its identity), dA}; c2 has {p1, p2, p3, dA}: 3 shared of 5.
          const similar = await service.similarCustomers(f.id('c1'), { first: 5 });
          expect(similar).toEqual([{ id: f.id('c2'), score: 3 / 5, shared: 3 }]);
          expect(await service.similarCustomers(f.id('c4'), { first: 5, measure: 'OVERLAP' })).toEqual(
            [
              { id: f.id('c3'), score: 1 / 2, shared: 1 },
              { id: f.id('c5'), score: 1, shared: 1 },
            ].sort((a, b) => b.score - a.score),
          );

          // p1 is in o1, o2; p2 in o1, o2 (Jaccard 1); p3 in o2, o3 (1/3).
          expect(await service.productsBoughtTogether(f.id('p1'), { first: 5 })).toEqual([
            { id: f.id('p2'), score: 1, shared: 2 },
            { id: f.id('p3'), score: 1 / 3, shared: 1 },
          ]);

          // On a shared server other tests' vertices form many more components: ask for all of them.
          const components = await service.communities('COMPONENTS', { first: 1_000_000, membersPerCommunity: 1000 });
          const own = components.communities.filter((c) => c.members.some((m) => f.graph.hasNode(m)));
          const expected = [
            f.graph
              .nodes()
              .filter((n) => n !== f.id('c6'))
              .sort(),
            [f.id('c6')],
          ];
          expect(own.map((c) => [...c.members].sort())).toEqual(expected);
          // A community is named by its smallest customer, not by the address or account that sorts first.
          expect(own.map((c) => c.id)).toEqual([f.id('c1'), f.id('c6')]);
        } finally {
          await service.close();
        }
      },
      timeout,
    );

    test(
      'results are written back as traits without resurrecting a vertex deleted after the projection was read',
      async () => {
        const f = await seeded();
        const service = createAnalyticsService({ store });
        try {
          await service.projection();
          const c6 = { label: 'Customer' as const, key: `${f.prefix}c6` };
          await store.apply(
            coalesce([{ op: 'deleteVertex', ...c6, version: makeVersion(Date.UTC(2026, 0, 2), 'del') }]),
          );
          const run = await service.run('PAGERANK');
          expect(run.status).toBe('SUCCEEDED');
          const communities = await service.run('LOUVAIN');
          expect(communities.status).toBe('SUCCEEDED');
          const [c1, c2, gone] = await store.getVertices([f.id('c1'), f.id('c2'), f.id('c6')]);
          expect(gone).toBeNull();
          expect(c1?.props).toMatchObject({
            name: 'c1',
            pagerank: expect.any(Number),
            influenceRank: expect.any(Number),
          });
          expect(c1?.props.community).toEqual(expect.any(String));
          // Louvain keeps a household together.
          expect(c2?.props.community).toBe(c1?.props.community);
        } finally {
          await service.close();
        }
      },
      timeout,
    );

    test(
      'an incremental refresh from touched vertex ids equals a fresh projection',
      async () => {
        const f = await seeded();
        const service = createAnalyticsService({ store, writeTraits: false });
        try {
          await service.projection();
          const edge: Mutation = {
            op: 'upsertEdge',
            label: 'USES_DEVICE',
            from: { label: 'Customer', key: `${f.prefix}c6` },
            to: { label: 'Device', key: `${f.prefix}dA` },
            props: {},
            version: makeVersion(Date.UTC(2026, 0, 3), 'late'),
          };
          const removed: Mutation = {
            op: 'deleteEdge',
            label: 'CONTAINS',
            from: { label: 'Order', key: `${f.prefix}o2` },
            to: { label: 'Product', key: `${f.prefix}p3` },
            version: makeVersion(Date.UTC(2026, 0, 3), 'late'),
          };
          await store.apply(coalesce([edge, removed]));
          service.onApplied({ vertexIds: [f.id('c6'), f.id('dA'), f.id('o2'), f.id('p3')] });
          const incremental = await service.projection();
          const fresh = toCsr(await loadProjection(store, CUSTOMER_GRAPH));
          const ids = new Set(f.graph.nodes());
          expect(edgesAmong(incremental.graph, ids)).toEqual(
            edgesAmong(await loadProjection(store, CUSTOMER_GRAPH), ids),
          );
          expect(incremental.csr.ids.filter((id) => ids.has(id))).toEqual(fresh.ids.filter((id) => ids.has(id)));
          // c6 now shares the tablet: with c2 ({p1, p2, dA} since p3 left o2) 1/3, with c1 ({p1, p2, p4, dA}) 1/4.
          expect(await service.similarCustomers(f.id('c6'), { first: 5 })).toEqual([
            { id: f.id('c2'), score: 1 / 3, shared: 1 },
            { id: f.id('c1'), score: 1 / 4, shared: 1 },
          ]);
          expect(await service.shortestPath(f.id('c1'), f.id('c5'), 10)).toBeNull();
        } finally {
          await service.close();
        }
      },
      timeout,
    );
  });
}
