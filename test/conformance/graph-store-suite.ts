/**
 * The GraphStore conformance suite: scenarios with expected answers that every backend
 * (embedded, Gremlin, Neo4j) must pass identically — graphology's `specs(Graph)` and
 * Apollo's `defineIntegrationTestSuite` play the same role there.
 *
 * Rules the scenarios pin down beyond graph-store.ts's comments, so every store agrees:
 * - Neighbours are ordered by edge label, then neighbour id (UTF-8 byte order). With
 *   `both`, an out and an in edge of the same label to the same neighbour come out first,
 *   then in; a self-loop is listed once (as its out side).
 * - A timeline item's `ts` is its visible numeric `ts` property, or 0 when it has none;
 *   an item reached over several timeline edges of the owners appears once, `via` the
 *   first of those edge labels in byte order.
 * - Stats list only labels with a non-zero count.
 * - `apply` reports the number of vertex and edge writes of the batch it applied.
 *
 * Isolation: one store per suite; every test builds keys from a fresh random prefix, so
 * the suite also runs against a shared server that holds other data. Stats scenarios
 * compare deltas, which assumes no other writer uses the server while they run (jest
 * runs integration files in band). The suite closes the store, then calls `cleanup`.
 */
import fc from 'fast-check';
import {
  coalesce,
  type EdgeLabel,
  edgeId,
  type GraphBatch,
  type GraphStore,
  type JsonObject,
  type Mutation,
  makeVersion,
  type Neighbor,
  type StoreStats,
  searchableProperties,
  type VertexLabel,
  type VertexRef,
  vertexId,
} from '../../graph-schema';
import { allNeighbors, dumpGraph, readAll } from './dump-graph';
import {
  byteOrder,
  referenceDump,
  referenceGraph,
  referenceLookup,
  referenceSearch,
  referenceStats,
} from './reference-graph';

export interface CreatedStore {
  readonly store: GraphStore;
  readonly cleanup?: () => Promise<void>;
}

export interface GraphStoreSuiteOptions {
  /** fast-check runs of the convergence property (default 100); remote backends may lower it. */
  readonly propertyRuns?: number;
  /** Per-test timeout in ms (default 60,000). */
  readonly timeoutMs?: number;
}

const ver = (t: number, tie = 'conformance') => makeVersion(t, tie);

function uniquePrefix(): string {
  return `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

const ref = (label: VertexLabel, key: string): VertexRef => ({ label, key });

function upsertVertex(label: VertexLabel, key: string, props: JsonObject, t: number, tie?: string): Mutation {
  return { op: 'upsertVertex', label, key, props, version: ver(t, tie) };
}
function deleteVertex(label: VertexLabel, key: string, t: number): Mutation {
  return { op: 'deleteVertex', label, key, version: ver(t) };
}
function upsertEdge(label: EdgeLabel, from: VertexRef, to: VertexRef, t: number, props: JsonObject = {}): Mutation {
  return { op: 'upsertEdge', label, from, to, props, version: ver(t) };
}
function deleteEdge(label: EdgeLabel, from: VertexRef, to: VertexRef, t: number): Mutation {
  return { op: 'deleteEdge', label, from, to, version: ver(t) };
}

function statsDelta(before: StoreStats, after: StoreStats): StoreStats {
  const diff = (a: Readonly<Record<string, number | undefined>>, b: Readonly<Record<string, number | undefined>>) => {
    const out: Record<string, number> = {};
    for (const label of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = (b[label] ?? 0) - (a[label] ?? 0);
      if (d !== 0) out[label] = d;
    }
    return out;
  };
  return { vertices: diff(before.vertices, after.vertices), edges: diff(before.edges, after.edges) };
}

export function defineGraphStoreSuite(
  name: string,
  createStore: () => Promise<CreatedStore>,
  options: GraphStoreSuiteOptions = {},
): void {
  describe(`GraphStore conformance: ${name}`, () => {
    let created: CreatedStore;
    let store: GraphStore;
    let p: string;

    jest.setTimeout(options.timeoutMs ?? 60_000);

    beforeAll(async () => {
      created = await createStore();
      store = created.store;
    });
    afterAll(async () => {
      await store?.close();
      await created?.cleanup?.();
    });
    beforeEach(() => {
      p = uniquePrefix();
    });

    const apply = (...mutations: Mutation[]) => store.apply(coalesce(mutations));
    /** One batch per mutation, in the order given: the order matters to what is asserted. */
    const applyEach = async (...mutations: Mutation[]) => {
      for (const m of mutations) await store.apply(coalesce([m]));
    };
    const one = async (id: string) => (await store.getVertices([id]))[0];
    const ids = (items: readonly Neighbor[]) => items.map((n) => `${n.edge.label} ${n.vertex.id}`);

    describe('vertices', () => {
      test('setVertexProps sets properties without making the vertex exist (a stock row after its product)', async () => {
        const id = `Product:${p}-p1`;
        await applyEach({
          op: 'setVertexProps',
          label: 'Product',
          key: `${p}-p1`,
          props: { onHand: 3 },
          version: ver(10),
        });
        expect(await one(id)).toBeNull();
        await applyEach(upsertVertex('Product', `${p}-p1`, { name: 'Lamp' }, 20));
        expect((await one(id))?.props).toEqual({ name: 'Lamp', onHand: 3 });
        // The product's delete, then (later in the WAL) its stock row's: the unset must not bring it back.
        await applyEach(deleteVertex('Product', `${p}-p1`, 30), {
          op: 'setVertexProps',
          label: 'Product',
          key: `${p}-p1`,
          props: { onHand: null },
          version: ver(40),
        });
        expect(await one(id)).toBeNull();
      });

      test('an upserted vertex reads back with sorted props, its id, and the newest visible version', async () => {
        await apply(upsertVertex('Customer', `${p}-c1`, { plan: 'gold', country: 'SE', name: 'Ann' }, 10));
        const v = await one(`Customer:${p}-c1`);
        expect(v).toEqual({
          id: `Customer:${p}-c1`,
          label: 'Customer',
          key: `${p}-c1`,
          props: { country: 'SE', name: 'Ann', plan: 'gold' },
          version: ver(10),
        });
        expect(Object.keys(v?.props ?? {})).toEqual(['country', 'name', 'plan']);
      });

      test('getVertices keeps the order asked and answers null for missing ids', async () => {
        await apply(upsertVertex('Customer', `${p}-a`, { name: 'A' }, 10), upsertVertex('Order', `${p}-b`, {}, 10));
        const found = await store.getVertices([`Order:${p}-b`, `Customer:${p}-missing`, `Customer:${p}-a`]);
        expect(found.map((v) => v?.id ?? null)).toEqual([`Order:${p}-b`, null, `Customer:${p}-a`]);
        expect(await store.getVertices([])).toEqual([]);
      });

      test('properties are last-writer-wins by version: an older write after a newer one changes only what it alone wrote', async () => {
        await applyEach(
          upsertVertex('Customer', `${p}-c`, { name: 'New', plan: 'gold' }, 20),
          upsertVertex('Customer', `${p}-c`, { name: 'Old', country: 'NO' }, 10),
        );
        expect(await one(`Customer:${p}-c`)).toMatchObject({
          props: { country: 'NO', name: 'New', plan: 'gold' },
          version: ver(20),
        });
      });

      test('an explicit null unsets a property, and an older value does not bring it back', async () => {
        await applyEach(
          upsertVertex('Customer', `${p}-c`, { email: 'a@example.com', name: 'Ann' }, 10),
          upsertVertex('Customer', `${p}-c`, { email: null }, 20),
          upsertVertex('Customer', `${p}-c`, { email: 'b@example.com' }, 15),
        );
        expect(await one(`Customer:${p}-c`)).toMatchObject({ props: { name: 'Ann' }, version: ver(20) });
        await apply(upsertVertex('Customer', `${p}-c`, { email: 'c@example.com' }, 30));
        expect((await one(`Customer:${p}-c`))?.props).toEqual({ email: 'c@example.com', name: 'Ann' });
      });

      test('two writes with the same version resolve the same way in either order (greater JSON value wins)', async () => {
        const ann = upsertVertex('Customer', `${p}-x`, { name: 'Ann' }, 10, 'same');
        const bob = upsertVertex('Customer', `${p}-x`, { name: 'Bob' }, 10, 'same');
        await applyEach(ann, bob);
        await applyEach({ ...bob, key: `${p}-y` } as Mutation, { ...ann, key: `${p}-y` } as Mutation);
        const [x, y] = await store.getVertices([`Customer:${p}-x`, `Customer:${p}-y`]);
        expect(x?.props).toEqual({ name: 'Bob' });
        expect(y?.props).toEqual({ name: 'Bob' });
      });
    });

    describe('deletes', () => {
      test('a delete leaves a tombstone: an older upsert does not resurrect, a newer one does with only newer props', async () => {
        const id = `Customer:${p}-c`;
        await applyEach(
          upsertVertex('Customer', `${p}-c`, { name: 'Ann', plan: 'gold' }, 10),
          deleteVertex('Customer', `${p}-c`, 20),
        );
        expect(await one(id)).toBeNull();
        await apply(upsertVertex('Customer', `${p}-c`, { name: 'Late' }, 15));
        expect(await one(id)).toBeNull();
        await apply(upsertVertex('Customer', `${p}-c`, { country: 'FI' }, 30));
        expect(await one(id)).toMatchObject({ props: { country: 'FI' }, version: ver(30) });
      });

      test('a tombstone that arrives first still wins over older upserts; an upsert at the same version stays deleted', async () => {
        await applyEach(
          deleteVertex('Customer', `${p}-c`, 20),
          upsertVertex('Customer', `${p}-c`, { name: 'Ann' }, 10),
          upsertVertex('Customer', `${p}-c`, { name: 'Same' }, 20),
        );
        expect(await one(`Customer:${p}-c`)).toBeNull();
      });
    });

    describe('edges and neighbours', () => {
      const setup = async () => {
        const c = ref('Customer', `${p}-c`);
        const o = [1, 2, 3].map((n) => ref('Order', `${p}-o${n}`));
        const i = [1, 2].map((n) => ref('Identity', `${p}-i${n}`));
        const d = ref('Device', `${p}-d`);
        const a = ref('Account', `${p}-a`);
        await apply(
          upsertVertex('Customer', c.key, { name: 'Ann' }, 10),
          ...o.map((x, n) => upsertVertex('Order', x.key, { ts: 100 + n }, 10)),
          ...o.map((x) => upsertEdge('PLACED', c, x, 10)),
          ...i.map((x) => upsertEdge('HAS_IDENTITY', c, x, 10, { rule: 'crm' })),
          upsertEdge('USES_DEVICE', c, d, 10),
          upsertEdge('OWNS', c, a, 10),
          upsertEdge('PLACED', i[0], o[0], 10),
        );
        return { c, o, i, d, a, cid: vertexId(c) };
      };

      test('an edge implies its endpoints, as of the edge version', async () => {
        await apply(upsertEdge('PLACED', ref('Customer', `${p}-c`), ref('Order', `${p}-o`), 10, { channel: 'web' }));
        const [c, o] = await store.getVertices([`Customer:${p}-c`, `Order:${p}-o`]);
        expect(c).toEqual({ id: `Customer:${p}-c`, label: 'Customer', key: `${p}-c`, props: {}, version: ver(10) });
        expect(o).toMatchObject({ props: {}, version: ver(10) });
        const [page] = await store.neighbors([{ id: `Customer:${p}-c`, direction: 'out', first: 10 }]);
        expect(page.items).toEqual([
          {
            edge: {
              id: edgeId('PLACED', `Customer:${p}-c`, `Order:${p}-o`),
              label: 'PLACED',
              from: `Customer:${p}-c`,
              to: `Order:${p}-o`,
              props: { channel: 'web' },
              version: ver(10),
            },
            vertex: o,
          },
        ]);
        expect(page.cursors).toHaveLength(1);
        expect(page.hasNextPage).toBe(false);
      });

      test('out, in and both list neighbours by edge label, then neighbour id', async () => {
        const { c, o, i, d, a, cid } = await setup();
        const out = await allNeighbors(store, { id: cid, direction: 'out', first: 100 });
        expect(ids(out)).toEqual([
          `HAS_IDENTITY ${vertexId(i[0])}`,
          `HAS_IDENTITY ${vertexId(i[1])}`,
          `OWNS ${vertexId(a)}`,
          `PLACED ${vertexId(o[0])}`,
          `PLACED ${vertexId(o[1])}`,
          `PLACED ${vertexId(o[2])}`,
          `USES_DEVICE ${vertexId(d)}`,
        ]);
        expect(out[0].edge).toMatchObject({ from: cid, to: vertexId(i[0]), props: { rule: 'crm' } });
        const inward = await allNeighbors(store, { id: vertexId(o[0]), direction: 'in', first: 100 });
        expect(ids(inward)).toEqual([`PLACED ${vertexId(c)}`, `PLACED ${vertexId(i[0])}`]);
        expect(inward[0].edge).toMatchObject({ from: cid, to: vertexId(o[0]) });
        const both = await allNeighbors(store, { id: vertexId(i[0]), direction: 'both', first: 100 });
        expect(ids(both)).toEqual([`HAS_IDENTITY ${cid}`, `PLACED ${vertexId(o[0])}`]);
      });

      test('edge-label and vertex-label filters', async () => {
        const { o, i, cid } = await setup();
        const byEdge = await allNeighbors(store, {
          id: cid,
          direction: 'out',
          first: 100,
          edgeLabels: ['PLACED', 'HAS_IDENTITY'],
        });
        expect(ids(byEdge)).toEqual([
          `HAS_IDENTITY ${vertexId(i[0])}`,
          `HAS_IDENTITY ${vertexId(i[1])}`,
          ...o.map((x) => `PLACED ${vertexId(x)}`),
        ]);
        const byVertex = await allNeighbors(store, { id: cid, direction: 'both', first: 100, vertexLabels: ['Order'] });
        expect(ids(byVertex)).toEqual(o.map((x) => `PLACED ${vertexId(x)}`));
        const none = await allNeighbors(store, {
          id: cid,
          direction: 'out',
          first: 100,
          edgeLabels: ['OWNS'],
          vertexLabels: ['Order'],
        });
        expect(none).toEqual([]);
      });

      test('pages follow cursors to the end, whatever the page size, and batched queries answer in order', async () => {
        const { i, cid } = await setup();
        const full = await allNeighbors(store, { id: cid, direction: 'out', first: 100 });
        for (const first of [1, 2, 3, 6, 7]) {
          expect(await allNeighbors(store, { id: cid, direction: 'out', first })).toEqual(full);
        }
        const [p1] = await store.neighbors([{ id: cid, direction: 'out', first: 3 }]);
        expect(p1.items).toEqual(full.slice(0, 3));
        expect(p1.hasNextPage).toBe(true);
        const [p2] = await store.neighbors([{ id: cid, direction: 'out', first: 3, after: p1.cursors[2] }]);
        expect(p2.items).toEqual(full.slice(3, 6));
        expect(p2.hasNextPage).toBe(true);
        const [p3] = await store.neighbors([{ id: cid, direction: 'out', first: 3, after: p2.cursors[2] }]);
        expect(p3.items).toEqual(full.slice(6));
        expect(p3.hasNextPage).toBe(false);
        const [mid] = await store.neighbors([{ id: cid, direction: 'out', first: 2, after: p1.cursors[0] }]);
        expect(mid.items).toEqual(full.slice(1, 3));

        const [empty] = await store.neighbors([{ id: cid, direction: 'out', first: 0 }]);
        expect(empty).toEqual({ items: [], cursors: [], hasNextPage: true });
        const both = await allNeighbors(store, { id: vertexId(i[0]), direction: 'both', first: 1 });
        expect(ids(both)).toHaveLength(2);

        const pages = await store.neighbors([
          { id: vertexId(i[0]), direction: 'in', first: 10 },
          { id: `Customer:${p}-nobody`, direction: 'both', first: 10 },
          { id: cid, direction: 'out', first: 1, edgeLabels: ['OWNS'] },
        ]);
        expect(pages.map((page) => ids(page.items))).toEqual([[`HAS_IDENTITY ${cid}`], [], [`OWNS Account:${p}-a`]]);
        expect(pages[1]).toEqual({ items: [], cursors: [], hasNextPage: false });
      });

      test('both lists an out edge before an in edge of the same label and neighbour, and a self-loop once', async () => {
        const x = ref('Customer', `${p}-x`);
        const y = ref('Customer', `${p}-y`);
        await apply(upsertEdge('OWNS', x, y, 10), upsertEdge('OWNS', y, x, 10), upsertEdge('OWNS', x, x, 10));
        for (const first of [1, 10]) {
          const both = await allNeighbors(store, { id: vertexId(x), direction: 'both', first });
          expect(both.map((n) => [n.edge.from, n.edge.to])).toEqual([
            [vertexId(x), vertexId(x)],
            [vertexId(x), vertexId(y)],
            [vertexId(y), vertexId(x)],
          ]);
        }
        const out = await allNeighbors(store, { id: vertexId(x), direction: 'out', first: 10 });
        const inward = await allNeighbors(store, { id: vertexId(x), direction: 'in', first: 10 });
        expect(out.map((n) => n.vertex.id)).toEqual([vertexId(x), vertexId(y)]);
        expect(inward.map((n) => n.vertex.id)).toEqual([vertexId(x), vertexId(y)]);
      });

      test('an edge to a deleted vertex is invisible from both sides', async () => {
        const { o, i, cid } = await setup();
        await apply(deleteVertex('Order', o[1].key, 20));
        const out = await allNeighbors(store, { id: cid, direction: 'out', first: 100, edgeLabels: ['PLACED'] });
        expect(out.map((n) => n.vertex.id)).toEqual([vertexId(o[0]), vertexId(o[2])]);
        expect(await allNeighbors(store, { id: vertexId(o[1]), direction: 'both', first: 10 })).toEqual([]);
        await apply(deleteVertex('Customer', `${p}-c`, 20));
        const inward = await allNeighbors(store, { id: vertexId(o[0]), direction: 'in', first: 10 });
        expect(inward.map((n) => n.vertex.id)).toEqual([vertexId(i[0])]);
      });

      test('an edge written before an endpoint was deleted stays invisible when the endpoint is re-created', async () => {
        const c = ref('Customer', `${p}-c`);
        const o = ref('Order', `${p}-o`);
        await applyEach(upsertEdge('PLACED', c, o, 10), deleteVertex('Order', o.key, 20));
        await apply(upsertVertex('Order', o.key, { ts: 5 }, 30));
        expect(await one(vertexId(o))).toMatchObject({ props: { ts: 5 }, version: ver(30) });
        expect(await allNeighbors(store, { id: vertexId(c), direction: 'out', first: 10 })).toEqual([]);
        expect(await allNeighbors(store, { id: vertexId(o), direction: 'in', first: 10 })).toEqual([]);
        await apply(upsertEdge('PLACED', c, o, 40));
        const out = await allNeighbors(store, { id: vertexId(c), direction: 'out', first: 10 });
        expect(out.map((n) => [n.vertex.id, n.edge.version])).toEqual([[vertexId(o), ver(40)]]);
      });

      test('deleteEdge hides the edge but not its endpoints; only a newer upsert brings it back', async () => {
        const { o, cid } = await setup();
        const placed = async () =>
          (await allNeighbors(store, { id: cid, direction: 'out', first: 10, edgeLabels: ['PLACED'] })).map(
            (n) => n.vertex.id,
          );
        await apply(deleteEdge('PLACED', ref('Customer', `${p}-c`), o[2], 20));
        expect(await placed()).toEqual([vertexId(o[0]), vertexId(o[1])]);
        expect(await one(vertexId(o[2]))).not.toBeNull();
        await apply(upsertEdge('PLACED', ref('Customer', `${p}-c`), o[2], 15, { late: true }));
        expect(await placed()).toEqual([vertexId(o[0]), vertexId(o[1])]);
        await apply(upsertEdge('PLACED', ref('Customer', `${p}-c`), o[2], 30, { channel: 'app' }));
        const out = await allNeighbors(store, { id: cid, direction: 'out', first: 10, edgeLabels: ['PLACED'] });
        expect(out[2].edge).toMatchObject({ props: { channel: 'app' }, version: ver(30) });
      });

      test('neighbour ids are ordered by UTF-8 bytes, not UTF-16 code units', async () => {
        const c = ref('Customer', `${p}-c`);
        // Byte order: z (7A) < é (C3 A9) < ！ (EF BC 81) < 😀 (F0 9F 98 80); UTF-16 puts 😀 (D83D) before ！ (FF01).
        const keys = ['😀', 'é', '！', 'z'].map((suffix) => `${p}-${suffix}`);
        await apply(...keys.map((key) => upsertEdge('OWNS', c, ref('Account', key), 10)));
        for (const first of [1, 10]) {
          const out = await allNeighbors(store, { id: vertexId(c), direction: 'out', first });
          expect(out.map((n) => n.vertex.key)).toEqual([`${p}-z`, `${p}-é`, `${p}-！`, `${p}-😀`]);
        }
      });

      test('edge properties are last-writer-wins per property', async () => {
        const c = ref('Customer', `${p}-c`);
        const a = ref('Address', `${p}-a`);
        await applyEach(
          upsertEdge('HAS_ADDRESS', c, a, 10, { kind: 'billing', since: 2001 }),
          upsertEdge('HAS_ADDRESS', c, a, 30, { kind: 'shipping' }),
          upsertEdge('HAS_ADDRESS', c, a, 20, { kind: 'home', note: 'gate code' }),
        );
        const [n] = await allNeighbors(store, { id: vertexId(c), direction: 'out', first: 10 });
        expect(n.edge).toMatchObject({ props: { kind: 'shipping', note: 'gate code', since: 2001 }, version: ver(30) });
      });
    });

    describe('timeline', () => {
      const setup = async () => {
        const c = ref('Customer', `${p}-c`);
        const i = ref('Identity', `${p}-i`);
        const o1 = ref('Order', `${p}-o1`);
        const o0 = ref('Order', `${p}-o0`);
        const e1 = ref('Event', `${p}-e1`);
        const e2 = ref('Event', `${p}-e2`);
        const t1 = ref('Interaction', `${p}-t1`);
        await apply(
          upsertVertex('Order', o1.key, { ts: 100, total: 5 }, 10),
          upsertVertex('Event', e1.key, { ts: 200, name: 'Viewed' }, 10),
          upsertVertex('Event', e2.key, { ts: 200, name: 'Clicked' }, 10),
          upsertVertex('Interaction', t1.key, { ts: 300, channel: 'chat' }, 10),
          upsertEdge('HAS_IDENTITY', c, i, 10),
          upsertEdge('PLACED', c, o1, 10),
          upsertEdge('PLACED', i, o1, 10),
          upsertEdge('PERFORMED', i, e1, 10),
          upsertEdge('PERFORMED', c, e2, 10),
          upsertEdge('CONTACTED', c, t1, 10),
          upsertEdge('PLACED', c, o0, 10),
          upsertEdge('USES_DEVICE', c, ref('Device', `${p}-d`), 10),
        );
        return { owners: [vertexId(c), vertexId(i)], c, i, o1, o0, e1, e2, t1 };
      };
      const items = async (ownerIds: string[], first = 100, labels?: VertexLabel[]) =>
        (await readAll((after) => store.timeline({ ownerIds, first, after, labels }))).map(
          (x) => `${x.ts} ${x.via} ${x.vertex.id}`,
        );

      test('merges the owners, newest first by ts then id descending, each item once', async () => {
        const { owners, c, i, o1, o0, e1, e2, t1 } = await setup();
        const expected = [
          `300 CONTACTED ${vertexId(t1)}`,
          `200 PERFORMED ${vertexId(e2)}`,
          `200 PERFORMED ${vertexId(e1)}`,
          `100 PLACED ${vertexId(o1)}`,
          `0 PLACED ${vertexId(o0)}`,
        ];
        expect(await items(owners)).toEqual(expected);
        expect(await items([...owners, ...owners])).toEqual(expected);
        expect(await items([vertexId(c)])).toEqual([expected[0], expected[1], expected[3], expected[4]]);
        expect(await items([vertexId(i)])).toEqual([expected[2], expected[3]]);
        const page = await store.timeline({ ownerIds: owners, first: 5 });
        expect(page.items[1].vertex).toEqual({
          id: vertexId(e2),
          label: 'Event',
          key: e2.key,
          props: { name: 'Clicked', ts: 200 },
          version: ver(10),
        });
        expect(page.cursors).toHaveLength(5);
        expect(page.hasNextPage).toBe(false);
      });

      test('filters by item label and pages with cursors', async () => {
        const { owners, o1, o0, t1 } = await setup();
        expect(await items(owners, 100, ['Order', 'Interaction'])).toEqual([
          `300 CONTACTED ${vertexId(t1)}`,
          `100 PLACED ${vertexId(o1)}`,
          `0 PLACED ${vertexId(o0)}`,
        ]);
        const all = await items(owners);
        for (const first of [1, 2, 3, 4]) expect(await items(owners, first)).toEqual(all);
        const p1 = await store.timeline({ ownerIds: owners, first: 2 });
        expect(p1.hasNextPage).toBe(true);
        const p2 = await store.timeline({ ownerIds: owners, first: 2, after: p1.cursors[1] });
        const p3 = await store.timeline({ ownerIds: owners, first: 2, after: p2.cursors[1] });
        expect([p1.hasNextPage, p2.hasNextPage, p3.hasNextPage]).toEqual([true, true, false]);
        expect([...p1.items, ...p2.items, ...p3.items].map((x) => x.vertex.id)).toEqual(
          all.map((line) => line.split(' ')[2]),
        );
      });

      test('follows changes of ts, deleted items and deleted owners', async () => {
        const { owners, c, o1, o0, e1, e2 } = await setup();
        await apply(upsertVertex('Order', o1.key, { ts: 500 }, 20), upsertVertex('Order', o0.key, { ts: 250 }, 20));
        await apply(upsertVertex('Order', o1.key, { ts: 1 }, 15));
        await apply(deleteVertex('Event', e2.key, 20));
        expect(await items(owners)).toEqual([
          `500 PLACED ${vertexId(o1)}`,
          `300 CONTACTED Interaction:${p}-t1`,
          `250 PLACED ${vertexId(o0)}`,
          `200 PERFORMED ${vertexId(e1)}`,
        ]);
        await apply(upsertVertex('Order', o1.key, { ts: null }, 30));
        await apply(deleteVertex('Customer', c.key, 30));
        expect(await items(owners)).toEqual([`200 PERFORMED ${vertexId(e1)}`, `0 PLACED ${vertexId(o1)}`]);
        expect(await items([vertexId(c)])).toEqual([]);
      });
    });

    describe('lookup', () => {
      test('finds vertices by an indexed property, sorted by id', async () => {
        const value = `${p}@example.com`;
        await apply(
          upsertVertex('Identity', `${p}-b`, { type: 'email', value }, 10),
          upsertVertex('Identity', `${p}-a`, { type: 'email', value }, 10),
          upsertVertex('Identity', `${p}-z`, { type: 'email', value: `${value}.other` }, 10),
        );
        expect(await store.lookup('Identity', 'value', value)).toEqual([`Identity:${p}-a`, `Identity:${p}-b`]);
        expect(await store.lookup('Identity', 'value', `${p}@nowhere`)).toEqual([]);
      });

      test('an update moves the index entry, an older write does not move it back, a delete removes it', async () => {
        const a = `${p}-a@example.com`;
        const b = `${p}-b@example.com`;
        await apply(upsertVertex('Customer', `${p}-c`, { email: a }, 10));
        expect(await store.lookup('Customer', 'email', a)).toEqual([`Customer:${p}-c`]);
        await apply(upsertVertex('Customer', `${p}-c`, { email: b }, 20));
        await apply(upsertVertex('Customer', `${p}-c`, { email: a }, 15));
        expect(await store.lookup('Customer', 'email', a)).toEqual([]);
        expect(await store.lookup('Customer', 'email', b)).toEqual([`Customer:${p}-c`]);
        await apply(deleteVertex('Customer', `${p}-c`, 30));
        expect(await store.lookup('Customer', 'email', b)).toEqual([]);
        await apply(upsertVertex('Customer', `${p}-c`, { email: b }, 40));
        expect(await store.lookup('Customer', 'email', b)).toEqual([`Customer:${p}-c`]);
        await apply(upsertVertex('Customer', `${p}-c`, { email: null }, 50));
        expect(await store.lookup('Customer', 'email', b)).toEqual([]);
      });
    });

    describe('search', () => {
      const setup = () =>
        apply(
          upsertVertex('Customer', `${p}-c1`, { name: `${p}Ann` }, 10),
          upsertVertex('Customer', `${p}-c2`, { firstName: `${p}ANNA` }, 10),
          upsertVertex('Customer', `${p}-c3`, { name: `${p}Bob`, email: `${p}ann@example.com` }, 10),
          upsertVertex('Customer', `${p}-c4`, { name: `${p}Annette`, email: `${p}annette@example.com` }, 10),
          upsertVertex('Customer', `${p}-c5`, { name: `${p}Carl`, country: `${p}an` }, 10),
          upsertVertex('Account', `${p}-a1`, { name: `${p}Anchor Ltd` }, 10),
        );
      const search = async (label: VertexLabel, text: string, first = 100) =>
        (await readAll((after) => store.search(label, text, { first, after }))).map((v) => v.id);

      test('matches a searchable property by prefix, ignoring case, ordered by id, each vertex once', async () => {
        await setup();
        const expected = [1, 2, 3, 4].map((n) => `Customer:${p}-c${n}`);
        expect(await search('Customer', `${p}aN`)).toEqual(expected);
        expect(await search('Customer', `${p.toUpperCase()}AN`)).toEqual(expected);
        expect(await search('Customer', `${p}annE`)).toEqual([`Customer:${p}-c4`]);
        expect(await search('Customer', `${p}zz`)).toEqual([]);
        expect(await search('Account', `${p}an`)).toEqual([`Account:${p}-a1`]);
        const page = await store.search('Customer', `${p}an`, { first: 3 });
        expect(page.items.map((v) => v.id)).toEqual(expected.slice(0, 3));
        expect(page.hasNextPage).toBe(true);
        expect(page.items[0]).toEqual({
          id: `Customer:${p}-c1`,
          label: 'Customer',
          key: `${p}-c1`,
          props: { name: `${p}Ann` },
          version: ver(10),
        });
        const rest = await store.search('Customer', `${p}an`, { first: 3, after: page.cursors[2] });
        expect(rest.items.map((v) => v.id)).toEqual(expected.slice(3));
        expect(rest.hasNextPage).toBe(false);
        for (const first of [1, 2]) expect(await search('Customer', `${p}an`, first)).toEqual(expected);
      });

      test('follows renames and deletes', async () => {
        await setup();
        await apply(
          upsertVertex('Customer', `${p}-c1`, { name: `${p}Zed` }, 20),
          deleteVertex('Customer', `${p}-c2`, 20),
        );
        expect(await search('Customer', `${p}an`)).toEqual([`Customer:${p}-c3`, `Customer:${p}-c4`]);
        expect(await search('Customer', `${p}ze`)).toEqual([`Customer:${p}-c1`]);
      });

      test('an empty text lists every vertex of the label in id order', async () => {
        await apply(
          ...[3, 1, 2, 4].map((n) => upsertVertex('Segment', `${p}-s${n}`, { name: `Segment ${n}` }, 10)),
          deleteVertex('Segment', `${p}-s4`, 20),
        );
        for (const first of [2, 1000]) {
          const all = await search('Segment', '', first);
          expect([...all].sort(byteOrder)).toEqual(all);
          expect(new Set(all).size).toBe(all.length);
          expect(all.filter((id) => id.startsWith(`Segment:${p}-`))).toEqual(
            [1, 2, 3].map((n) => `Segment:${p}-s${n}`),
          );
          expect(all.every((id) => id.startsWith('Segment:'))).toBe(true);
        }
      });
    });

    describe('scanStates', () => {
      // Address: a label few suites write, so paging by 2 stays cheap on a store other suites filled.
      test('lists every state of a label, visible or not, with the values it holds, in id order', async () => {
        await applyEach(
          upsertVertex('Address', `${p}-s1`, { city: 'Oslo', zip: '0150' }, 10),
          { op: 'setVertexProps', label: 'Address', key: `${p}-s2`, props: { zip: '0151' }, version: ver(10) },
          upsertVertex('Address', `${p}-s3`, { city: 'Bergen' }, 10),
          deleteVertex('Address', `${p}-s3`, 20),
        );
        // s2 is no vertex yet: search does not list it, scanStates does — with the value waiting for it.
        expect(
          (await readAll((after) => store.search('Address', '', { first: 100, after }))).map((v) => v.id),
        ).not.toContain(`Address:${p}-s2`);
        for (const first of [2, 1000]) {
          const all = await readAll((after) => store.scanStates('Address', { first, after }));
          expect(all.map((s) => s.id)).toEqual([...all.map((s) => s.id)].sort(byteOrder));
          expect(all.every((s) => s.id.startsWith('Address:'))).toBe(true);
          expect(all.filter((s) => s.id.startsWith(`Address:${p}-s`))).toEqual([
            { id: `Address:${p}-s1`, props: { city: 'Oslo', zip: '0150' } },
            { id: `Address:${p}-s2`, props: { zip: '0151' } },
            { id: `Address:${p}-s3`, props: {} },
          ]);
        }
      });
    });

    describe('stats', () => {
      test('counts visible vertices and edges by label (as deltas: the store may hold other data)', async () => {
        const c = ref('Customer', `${p}-c`);
        const batch = coalesce([
          upsertVertex('Customer', c.key, { name: 'Ann' }, 10),
          upsertEdge('PLACED', c, ref('Order', `${p}-o1`), 10),
          upsertEdge('PLACED', c, ref('Order', `${p}-o2`), 10),
          upsertEdge('OWNS', c, ref('Account', `${p}-a`), 10),
        ]);
        const before = await store.stats();
        await store.apply(batch);
        const afterApply = await store.stats();
        expect(statsDelta(before, afterApply)).toEqual({
          vertices: { Account: 1, Customer: 1, Order: 2 },
          edges: { OWNS: 1, PLACED: 2 },
        });
        await store.apply(batch);
        expect(await store.stats()).toEqual(afterApply);
        await apply(deleteVertex('Order', `${p}-o2`, 20), deleteEdge('OWNS', c, ref('Account', `${p}-a`), 20));
        expect(statsDelta(before, await store.stats())).toEqual({
          vertices: { Account: 1, Customer: 1, Order: 1 },
          edges: { PLACED: 1 },
        });
        await apply(deleteVertex('Customer', c.key, 30));
        expect(statsDelta(before, await store.stats())).toEqual({ vertices: { Account: 1, Order: 1 }, edges: {} });
        for (const counts of [...Object.values(afterApply.vertices), ...Object.values(afterApply.edges)]) {
          expect(counts).toBeGreaterThan(0);
        }
      });
    });

    describe('batches', () => {
      test('a large batch is wholly visible once apply resolves, and reports its writes', async () => {
        const mutations: Mutation[] = [];
        for (let n = 0; n < 300; n++) {
          const c = ref('Customer', `${p}-c${String(n).padStart(3, '0')}`);
          mutations.push(upsertVertex('Customer', c.key, { name: `Customer ${n}` }, 10));
          mutations.push(upsertEdge('PLACED', c, ref('Order', `${p}-o${n}`), 10));
        }
        const batch = coalesce(mutations);
        expect(await store.apply(batch)).toEqual({ vertices: 600, edges: 300 });
        const found = await store.getVertices(batch.vertices.map((v) => v.id));
        expect(found.filter((v) => v === null)).toHaveLength(0);
        const pages = await store.neighbors(
          batch.vertices.filter((v) => v.label === 'Customer').map((v) => ({ id: v.id, direction: 'out', first: 5 })),
        );
        expect(pages.map((page) => page.items.length)).toEqual(new Array(300).fill(1));
      });

      test('concurrent applies of overlapping batches end where the reference merge does', async () => {
        const c = ref('Customer', `${p}-c`);
        const mutations: Mutation[] = [];
        for (let n = 0; n < 12; n++) {
          mutations.push(
            upsertVertex('Customer', c.key, { plan: `plan-${n}`, [`seen${n % 3}`]: n }, 10 + ((n * 7) % 12)),
          );
          mutations.push(upsertEdge('PLACED', c, ref('Order', `${p}-o${n % 4}`), 10 + n, { n }));
          if (n % 5 === 4) mutations.push(deleteVertex('Order', `${p}-o${n % 4}`, 10 + n));
        }
        const results = await Promise.all(mutations.map((m) => store.apply(coalesce([m]))));
        expect(results).toHaveLength(mutations.length);
        const pool = [vertexId(c), ...[0, 1, 2, 3].map((n) => `Order:${p}-o${n}`)];
        expect(await dumpGraph(store, pool)).toEqual(referenceDump(referenceGraph(mutations), pool));
      });

      test('applying the same batch again changes nothing', async () => {
        const c = ref('Customer', `${p}-c`);
        const batch: GraphBatch = coalesce([
          upsertVertex('Customer', c.key, { name: 'Ann', email: `${p}@example.com` }, 10),
          upsertVertex('Order', `${p}-o1`, { ts: 5 }, 12),
          upsertEdge('PLACED', c, ref('Order', `${p}-o1`), 11),
          deleteVertex('Order', `${p}-o2`, 13),
          upsertEdge('PLACED', c, ref('Order', `${p}-o2`), 12),
          deleteEdge('OWNS', c, ref('Account', `${p}-a`), 9),
        ]);
        const all = [`Customer:${p}-c`, `Order:${p}-o1`, `Order:${p}-o2`, `Account:${p}-a`];
        await store.apply(batch);
        const dump = await dumpGraph(store, all);
        const stats = await store.stats();
        await store.apply(batch);
        expect(await dumpGraph(store, all)).toEqual(dump);
        expect(await store.stats()).toEqual(stats);
        expect(await store.lookup('Customer', 'email', `${p}@example.com`)).toEqual([`Customer:${p}-c`]);
        expect(dump.out[`Customer:${p}-c`].map((n) => n.vertex.id)).toEqual([`Order:${p}-o1`]);
      });
    });

    describe('convergence (property-based)', () => {
      test('any order, duplicates and batch boundaries give the graph the reference merge computes', async () => {
        await fc.assert(
          fc.asyncProperty(convergenceScenario(), async ({ mutations, plans }) => {
            const expectedPrefix = 'PREFIX';
            let expected: unknown = null;
            for (const plan of plans) {
              const prefix = uniquePrefix();
              const concrete = mutations.map((m) => materialize(m, prefix));
              const graph = referenceGraph(concrete);
              const pool = vertexPool(prefix);
              const before = await store.stats();
              for (const batch of planBatches(concrete, plan)) await store.apply(coalesce(batch));
              const observed = await observe(store, prefix, pool);
              expect(observed).toEqual({
                dump: referenceDump(graph, pool),
                lookups: LOOKUP_VALUES.map(([label, prop, value]) =>
                  referenceLookup(graph, label, prop, `${prefix}${value}`),
                ),
                searches: SEARCH_TEXTS.map((text) =>
                  referenceSearch(graph, 'Customer', `${prefix}${text}`, searchableProperties('Customer')),
                ),
              });
              expect(statsDelta(before, await store.stats())).toEqual(referenceStats(graph));
              // Every plan must also agree with every other once the prefix is neutralised.
              const normalized = JSON.parse(JSON.stringify(observed).split(prefix).join(expectedPrefix));
              if (expected === null) expected = normalized;
              else expect(normalized).toEqual(expected);
            }
          }),
          { numRuns: options.propertyRuns ?? 100 },
        );
      });
    });
  });
}

// ---- the convergence property's small world -------------------------------------------

const POOL: readonly (readonly [VertexLabel, string])[] = [
  ['Customer', 'c0'],
  ['Customer', 'c1'],
  ['Identity', 'i0'],
  ['Identity', 'i1'],
  ['Order', 'o0'],
  ['Order', 'o1'],
  ['Event', 'e0'],
];
const EDGE_SHAPES: readonly (readonly [EdgeLabel, VertexLabel, VertexLabel])[] = [
  ['PLACED', 'Customer', 'Order'],
  ['PLACED', 'Identity', 'Order'],
  ['HAS_IDENTITY', 'Customer', 'Identity'],
  ['PERFORMED', 'Customer', 'Event'],
  ['PERFORMED', 'Identity', 'Event'],
];
/** Property values; strings get the run's prefix so lookups and searches see only this run. */
const PROPS: Readonly<Partial<Record<VertexLabel, Record<string, readonly (string | number | null)[]>>>> = {
  Customer: { email: ['a@x.io', 'b@x.io', null], name: ['Ann', 'anna', 'Bob', null], plan: [1, 2] },
  Identity: { value: ['v1', 'v2', null], type: ['email'] },
  Order: { ts: [100, 200, 300, null], total: [1, 2] },
  Event: { ts: [100, 200, null], name: ['x', 'y'] },
};
const LOOKUP_VALUES: readonly (readonly [VertexLabel, string, string])[] = [
  ['Customer', 'email', 'a@x.io'],
  ['Customer', 'email', 'b@x.io'],
  ['Identity', 'value', 'v1'],
  ['Identity', 'value', 'v2'],
];
const SEARCH_TEXTS = ['', 'an', 'ANN', 'b', 'a@'];

/** Abstract mutation over the pool: keys and string values are given the run's prefix later. */
type AbstractMutation =
  | { op: 'upsertVertex'; v: number; props: Partial<Record<string, string | number | null>>; t: number; tie: string }
  | { op: 'deleteVertex'; v: number; t: number; tie: string }
  | { op: 'upsertEdge'; shape: number; from: number; to: number; rule: string | null; t: number; tie: string }
  | { op: 'deleteEdge'; shape: number; from: number; to: number; t: number; tie: string };

interface Plan {
  readonly duplicates: readonly number[];
  readonly order: readonly number[];
  readonly cuts: readonly boolean[];
}

function convergenceScenario() {
  const time = fc.integer({ min: 1, max: 6 });
  const tie = fc.constantFrom('a', 'b');
  const vertexIndex = fc.nat(POOL.length - 1);
  const upsertV = vertexIndex.chain((v) => {
    const defs = PROPS[POOL[v][0]] ?? {};
    const props = fc.record(
      Object.fromEntries(Object.entries(defs).map(([name, values]) => [name, fc.constantFrom(...values)])),
      { requiredKeys: [] },
    );
    return fc.record({ op: fc.constant('upsertVertex' as const), v: fc.constant(v), props, t: time, tie });
  });
  const deleteV = fc.record({ op: fc.constant('deleteVertex' as const), v: vertexIndex, t: time, tie });
  const edgeEnds = { shape: fc.nat(EDGE_SHAPES.length - 1), from: fc.nat(1), to: fc.nat(1) };
  const upsertE = fc.record({
    op: fc.constant('upsertEdge' as const),
    ...edgeEnds,
    rule: fc.constantFrom('crm', 'event', null),
    t: time,
    tie,
  });
  const deleteE = fc.record({ op: fc.constant('deleteEdge' as const), ...edgeEnds, t: time, tie });
  const mutation: fc.Arbitrary<AbstractMutation> = fc.oneof(
    { arbitrary: upsertV, weight: 4 },
    { arbitrary: deleteV, weight: 1 },
    { arbitrary: upsertE, weight: 4 },
    { arbitrary: deleteE, weight: 1 },
  );
  return fc.array(mutation, { minLength: 1, maxLength: 24 }).chain((mutations) => {
    const n = mutations.length;
    const plan: fc.Arbitrary<Plan> = fc.record({
      duplicates: fc.array(fc.nat(n - 1), { maxLength: n }),
      order: fc.array(fc.nat(), { minLength: 2 * n, maxLength: 2 * n }),
      cuts: fc.array(fc.boolean(), { minLength: 2 * n, maxLength: 2 * n }),
    });
    return fc.record({ mutations: fc.constant(mutations), plans: fc.array(plan, { minLength: 2, maxLength: 2 }) });
  });
}

function poolKey(prefix: string, index: number): VertexRef {
  const [label, key] = POOL[index];
  return { label, key: `${prefix}-${key}` };
}

/** Endpoints of an edge shape: `from`/`to` pick among the pool's vertices of the shape's labels. */
function shapeEnd(prefix: string, label: VertexLabel, pick: number): VertexRef {
  const candidates = POOL.map((entry, i) => [entry[0], i] as const).filter(([l]) => l === label);
  return poolKey(prefix, candidates[pick % candidates.length][1]);
}

function vertexPool(prefix: string): string[] {
  return POOL.map((_, i) => vertexId(poolKey(prefix, i)));
}

function materialize(m: AbstractMutation, prefix: string): Mutation {
  const version = makeVersion(m.t, m.tie);
  switch (m.op) {
    case 'upsertVertex': {
      const props: JsonObject = {};
      for (const [name, value] of Object.entries(m.props)) {
        if (value !== undefined) props[name] = typeof value === 'string' ? `${prefix}${value}` : value;
      }
      return { op: 'upsertVertex', ...poolKey(prefix, m.v), props, version };
    }
    case 'deleteVertex':
      return { op: 'deleteVertex', ...poolKey(prefix, m.v), version };
    case 'upsertEdge':
    case 'deleteEdge': {
      const [label, fromLabel, toLabel] = EDGE_SHAPES[m.shape];
      const from = shapeEnd(prefix, fromLabel, m.from);
      const to = shapeEnd(prefix, toLabel, m.to);
      if (m.op === 'deleteEdge') return { op: 'deleteEdge', label, from, to, version };
      return { op: 'upsertEdge', label, from, to, props: m.rule === null ? {} : { rule: m.rule }, version };
    }
    default: {
      const never: never = m;
      throw new TypeError(`materialize: ${JSON.stringify(never)}`);
    }
  }
}

/** The mutations plus injected duplicates, shuffled, cut into consecutive batches. */
function planBatches(mutations: readonly Mutation[], plan: Plan): Mutation[][] {
  const all = [...mutations, ...plan.duplicates.map((i) => mutations[i])];
  const order = all.map((_, i) => i).sort((a, b) => plan.order[a] - plan.order[b] || a - b);
  const batches: Mutation[][] = [[]];
  order.forEach((index, position) => {
    batches[batches.length - 1].push(all[index]);
    if (plan.cuts[position] && position < order.length - 1) batches.push([]);
  });
  return batches;
}

async function observe(store: GraphStore, prefix: string, pool: readonly string[]) {
  const dump = await dumpGraph(store, pool);
  const lookups: string[][] = [];
  for (const [label, prop, value] of LOOKUP_VALUES) lookups.push(await store.lookup(label, prop, `${prefix}${value}`));
  const searches = [];
  for (const text of SEARCH_TEXTS) {
    const found = await readAll((after) => store.search('Customer', `${prefix}${text}`, { first: 2, after }));
    searches.push(found);
  }
  return { dump, lookups, searches };
}
