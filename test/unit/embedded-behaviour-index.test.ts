/**
 * The embedded store's behaviour index (timeline entries carrying their item's product
 * categories, kept at write time) must answer exactly what the plain reads answer —
 * `timeline` for the window, the items' ABOUT/CONTAINS neighbours for the categories —
 * whatever order, duplication and batching the writes arrive in, deletions included.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { open } from 'lmdb';
import { createEmbeddedSegmentEvaluator, parseSegmentDefinition } from '../../features/segments';
import {
  type BehaviourItem,
  coalesce,
  type EdgeLabel,
  type GraphStore,
  type Mutation,
  makeVersion,
  type VertexLabel,
} from '../../graph-schema';
import { createEmbeddedStore, type EmbeddedGraphStore } from '../../services/graph/embedded';
import { NAMED_DATABASES, openEmbeddedLayout } from '../../services/graph/embedded/embedded-layout';

jest.setTimeout(120_000);

const dirs: string[] = [];
// Every run applies dozens of small batches, each synced: memory-backed when the machine has it.
const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function freshDir(): string {
  const dir = mkdtempSync(join(base, 'c360-behaviour-'));
  dirs.push(dir);
  return dir;
}
async function freshStore(dir = freshDir()): Promise<EmbeddedGraphStore> {
  return createEmbeddedStore({ path: dir });
}

const POOL: readonly (readonly [VertexLabel, string])[] = [
  ['Customer', 'c0'],
  ['Customer', 'c1'],
  ['Identity', 'i0'],
  ['Event', 'e0'],
  ['Event', 'e1'],
  ['Order', 'o0'],
  ['Product', 'p0'],
  ['Product', 'p1'],
];
const SHAPES: readonly (readonly [EdgeLabel, VertexLabel, VertexLabel])[] = [
  ['HAS_IDENTITY', 'Customer', 'Identity'],
  ['PERFORMED', 'Customer', 'Event'],
  ['PERFORMED', 'Identity', 'Event'],
  ['PLACED', 'Customer', 'Order'],
  ['ABOUT', 'Event', 'Product'],
  ['CONTAINS', 'Order', 'Product'],
];
const PROPS: Partial<Record<VertexLabel, Record<string, readonly (string | number | null)[]>>> = {
  Customer: { name: ['Ann', null] },
  Identity: { type: ['email'] },
  Event: { ts: [100, 200, 300, null], name: ['Product Viewed', 'x'] },
  Order: { ts: [100, 300, null], status: ['paid'] },
  Product: { category: ['TV', 'tv', 'Audio', null] },
};

const ofLabel = (label: VertexLabel) => POOL.filter(([l]) => l === label);

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ v: fc.nat(POOL.length - 1), t: fc.integer({ min: 1, max: 6 }) }).chain(({ v, t }) => {
      const [label, key] = POOL[v];
      const defs = PROPS[label] ?? {};
      return fc
        .record(Object.fromEntries(Object.entries(defs).map(([name, values]) => [name, fc.constantFrom(...values)])), {
          requiredKeys: [],
        })
        .map(
          (props): Mutation => ({
            op: 'upsertVertex',
            label,
            key,
            props: props as Record<string, string | number | null>,
            version: makeVersion(t, 'a'),
          }),
        );
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ v: fc.nat(POOL.length - 1), t: fc.integer({ min: 1, max: 6 }) }).map(
      ({ v, t }): Mutation => ({
        op: 'deleteVertex',
        label: POOL[v][0],
        key: POOL[v][1],
        version: makeVersion(t, 'b'),
      }),
    ),
  },
  {
    weight: 5,
    arbitrary: fc
      .record({
        shape: fc.nat(SHAPES.length - 1),
        from: fc.nat(1),
        to: fc.nat(1),
        t: fc.integer({ min: 1, max: 6 }),
        del: fc.boolean(),
      })
      .map(({ shape, from, to, t, del }): Mutation => {
        const [label, fromLabel, toLabel] = SHAPES[shape];
        const f = ofLabel(fromLabel);
        const g = ofLabel(toLabel);
        const ends = {
          from: { label: fromLabel, key: f[from % f.length][1] },
          to: { label: toLabel, key: g[to % g.length][1] },
        };
        return del
          ? { op: 'deleteEdge', label, ...ends, version: makeVersion(t, 'c') }
          : { op: 'upsertEdge', label, ...ends, props: {}, version: makeVersion(t, 'c') };
      }),
  },
);

/** Every vertex and edge of the small world, each with a random version and properties. */
const world: fc.Arbitrary<Mutation[]> = fc.tuple(
  ...POOL.map(([label, key]) =>
    fc
      .record({
        t: fc.integer({ min: 1, max: 6 }),
        props: fc.record(
          Object.fromEntries(
            Object.entries(PROPS[label] ?? {}).map(([name, values]) => [name, fc.constantFrom(...values)]),
          ),
          { requiredKeys: [] },
        ),
      })
      .map(
        ({ t, props }): Mutation => ({
          op: 'upsertVertex',
          label,
          key,
          props: props as Record<string, string | number | null>,
          version: makeVersion(t, 'a'),
        }),
      ),
  ),
  ...SHAPES.flatMap(([label, fromLabel, toLabel]) =>
    ofLabel(fromLabel).flatMap(([, from]) =>
      ofLabel(toLabel).map(([, to]) =>
        fc.integer({ min: 1, max: 6 }).map(
          (t): Mutation => ({
            op: 'upsertEdge',
            label,
            from: { label: fromLabel, key: from },
            to: { label: toLabel, key: to },
            props: {},
            version: makeVersion(t, 'c'),
          }),
        ),
      ),
    ),
  ),
);

// A whole world plus random changes (new properties, categories and timestamps, deletions),
// so that most runs have live chains customer → event → product for the changes to disturb.
const scenario = fc
  .tuple(world, fc.array(mutationArb, { maxLength: 24 }))
  .map(([base, extra]) => [...base, ...extra])
  .chain((mutations) =>
    fc.record({
      mutations: fc.constant(mutations),
      plans: fc.array(
        fc.record({
          order: fc.array(fc.nat(), { minLength: 2 * mutations.length, maxLength: 2 * mutations.length }),
          duplicates: fc.array(fc.nat(mutations.length - 1), { maxLength: mutations.length }),
          cuts: fc.array(fc.boolean(), { minLength: 2 * mutations.length, maxLength: 2 * mutations.length }),
        }),
        { minLength: 2, maxLength: 2 },
      ),
    }),
  );

async function applyPlan(
  store: GraphStore,
  mutations: readonly Mutation[],
  plan: { order: number[]; duplicates: number[]; cuts: boolean[] },
): Promise<void> {
  const all = [...mutations, ...plan.duplicates.map((i) => mutations[i])];
  const order = all.map((_, i) => i).sort((a, b) => plan.order[a] - plan.order[b] || a - b);
  let batch: Mutation[] = [];
  for (let p = 0; p < order.length; p++) {
    batch.push(all[order[p]]);
    if (plan.cuts[p] || p === order.length - 1) {
      await store.apply(coalesce(batch));
      batch = [];
    }
  }
}

const WINDOWS = [0, 150, 250] as const;

/** What the plain reads say: the timeline's items of the label at or after `since`, and their products' categories. */
async function oracle(store: GraphStore, ownerIds: string[], label: VertexLabel, since: number) {
  const page = await store.timeline({ ownerIds, labels: [label], first: 1000 });
  const items = page.items.filter((i) => i.ts >= since);
  const products = await store.neighbors(
    items.map((i) => ({
      id: i.vertex.id,
      direction: 'out' as const,
      edgeLabels: ['ABOUT', 'CONTAINS'] as EdgeLabel[],
      vertexLabels: ['Product'] as VertexLabel[],
      first: 100,
    })),
  );
  return items.map((item, k) => ({
    id: item.vertex.id,
    ts: item.ts,
    props: item.vertex.props,
    categories: [
      ...new Set(
        products[k].items
          .map((n) => n.vertex.props.category)
          .filter((c): c is string => typeof c === 'string')
          .map((c) => c.toLowerCase()),
      ),
    ].sort(),
  }));
}

const shape = (items: readonly BehaviourItem[]) =>
  items.map((i) => ({ id: i.vertex.id, ts: i.ts, props: i.vertex.props, categories: i.categories }));

async function observe(store: EmbeddedGraphStore) {
  const out = [];
  for (const customer of ['Customer:c0', 'Customer:c1']) {
    const identities = await store.neighbors([
      { id: customer, direction: 'out', edgeLabels: ['HAS_IDENTITY'], vertexLabels: ['Identity'], first: 100 },
    ]);
    const ownerIds = [customer, ...identities[0].items.map((n) => n.vertex.id)];
    for (const label of ['Event', 'Order'] as const) {
      for (const since of WINDOWS) {
        const [indexed, ownersFound] = await store.behaviourWindows([
          { ownerIds, label, since },
          // The store finding the customer's identities itself answers the same.
          { ownerIds: [customer], withIdentitiesOf: customer, label, since },
        ]);
        out.push({
          customer,
          label,
          since,
          indexed: shape(indexed),
          ownersFound: shape(ownersFound),
          plain: await oracle(store, ownerIds, label, since),
        });
      }
    }
  }
  return out;
}

describe('embedded behaviour index', () => {
  it('answers what timeline and product neighbours answer, whatever the order of the writes', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ mutations, plans }) => {
        const seen = [];
        for (const plan of plans) {
          const store = await freshStore();
          try {
            await applyPlan(store, mutations, plan);
            const observed = await observe(store);
            for (const o of observed) {
              expect(o.indexed).toEqual(o.plain);
              expect(o.ownersFound).toEqual(o.plain);
            }
            seen.push(observed);
          } finally {
            await store.close();
          }
        }
        expect(seen[0]).toEqual(seen[1]);
      }),
      { numRuns: 100 },
    );
  });

  it('reads a window newest first across owners, once per item, stopping at `since`', async () => {
    const store = await freshStore();
    try {
      const v = makeVersion(1, 'a');
      const c = { label: 'Customer' as const, key: 'c' };
      const i = { label: 'Identity' as const, key: 'i' };
      const ev = (key: string, ts: number): Mutation => ({
        op: 'upsertVertex',
        label: 'Event',
        key,
        props: { ts },
        version: v,
      });
      await store.apply(
        coalesce([
          { op: 'upsertVertex', ...c, props: {}, version: v },
          { op: 'upsertVertex', ...i, props: {}, version: v },
          { op: 'upsertVertex', label: 'Product', key: 'tv', props: { category: 'TV' }, version: v },
          ev('old', 10),
          ev('mid', 20),
          ev('new', 30),
          { op: 'upsertEdge', label: 'HAS_IDENTITY', from: c, to: i, props: {}, version: v },
          { op: 'upsertEdge', label: 'PERFORMED', from: c, to: { label: 'Event', key: 'mid' }, props: {}, version: v },
          { op: 'upsertEdge', label: 'PERFORMED', from: i, to: { label: 'Event', key: 'mid' }, props: {}, version: v },
          { op: 'upsertEdge', label: 'PERFORMED', from: i, to: { label: 'Event', key: 'new' }, props: {}, version: v },
          { op: 'upsertEdge', label: 'PERFORMED', from: c, to: { label: 'Event', key: 'old' }, props: {}, version: v },
          {
            op: 'upsertEdge',
            label: 'ABOUT',
            from: { label: 'Event', key: 'new' },
            to: { label: 'Product', key: 'tv' },
            props: {},
            version: v,
          },
        ]),
      );
      const [window] = await store.behaviourWindows([
        { ownerIds: ['Customer:c', 'Identity:i'], label: 'Event', since: 20 },
      ]);
      expect(window.map((w) => [w.vertex.id, w.ts, w.categories])).toEqual([
        ['Event:new', 30, ['tv']],
        ['Event:mid', 20, []],
      ]);
      // A later category change reaches every item about the product.
      await store.apply(
        coalesce([
          {
            op: 'upsertVertex',
            label: 'Product',
            key: 'tv',
            props: { category: 'Television' },
            version: makeVersion(2, 'a'),
          },
        ]),
      );
      const [after] = await store.behaviourWindows([{ ownerIds: ['Customer:c'], label: 'Event', since: 0 }]);
      expect(after.map((w) => [w.vertex.id, w.categories])).toEqual([
        ['Event:mid', []],
        ['Event:old', []],
      ]);
      const [viaIdentity] = await store.behaviourWindows([{ ownerIds: ['Identity:i'], label: 'Event', since: 0 }]);
      expect(viaIdentity.map((w) => [w.vertex.id, w.categories])).toEqual([
        ['Event:new', ['television']],
        ['Event:mid', []],
      ]);
    } finally {
      await store.close();
    }
  });

  it('forgets the categories of an item deleted and written again: its old product edges no longer count', async () => {
    const store = await freshStore();
    try {
      const c = { label: 'Customer' as const, key: 'c' };
      const e = { label: 'Event' as const, key: 'e' };
      const p = { label: 'Product' as const, key: 'p' };
      await store.apply(
        coalesce([
          { op: 'upsertVertex', ...c, props: {}, version: makeVersion(1, 'a') },
          { op: 'upsertVertex', ...e, props: { ts: 5 }, version: makeVersion(1, 'a') },
          { op: 'upsertVertex', ...p, props: { category: 'tv' }, version: makeVersion(1, 'a') },
          { op: 'upsertEdge', label: 'PERFORMED', from: c, to: e, props: {}, version: makeVersion(4, 'a') },
          { op: 'upsertEdge', label: 'ABOUT', from: e, to: p, props: {}, version: makeVersion(1, 'a') },
        ]),
      );
      await store.apply(coalesce([{ op: 'deleteVertex', ...e, version: makeVersion(2, 'a') }]));
      await store.apply(coalesce([{ op: 'upsertVertex', ...e, props: { ts: 5 }, version: makeVersion(3, 'a') }]));
      const [window] = await store.behaviourWindows([{ ownerIds: ['Customer:c'], label: 'Event', since: 0 }]);
      // PERFORMED (version 4) outlives the deletion; ABOUT (version 1) does not.
      expect(window.map((w) => [w.vertex.id, w.categories])).toEqual([['Event:e', []]]);
    } finally {
      await store.close();
    }
  });

  it('reads a data dir written before categories were kept: same previews, and entries refreshed when written', async () => {
    const dir = freshDir();
    const now = Date.UTC(2026, 0, 1);
    let store = await freshStore(dir);
    const mutations: Mutation[] = [];
    const v = makeVersion(1, 'a');
    for (let i = 0; i < 12; i++) {
      const c = { label: 'Customer' as const, key: `c${i}` };
      const e = { label: 'Event' as const, key: `e${i}` };
      mutations.push(
        { op: 'upsertVertex', ...c, props: { lifetimeValue: i * 100 }, version: v },
        { op: 'upsertVertex', ...e, props: { name: 'Product Viewed', ts: now - i * 3_600_000 }, version: v },
        { op: 'upsertEdge', label: 'PERFORMED', from: c, to: e, props: {}, version: v },
        {
          op: 'upsertEdge',
          label: 'ABOUT',
          from: e,
          to: { label: 'Product', key: i % 2 === 0 ? 'tv' : 'radio' },
          props: {},
          version: v,
        },
      );
    }
    mutations.push(
      { op: 'upsertVertex', label: 'Product', key: 'tv', props: { category: 'TV' }, version: v },
      { op: 'upsertVertex', label: 'Product', key: 'radio', props: { category: 'audio' }, version: v },
    );
    await store.apply(coalesce(mutations));
    const definition = parseSegmentDefinition({
      and: [
        { trait: { name: 'lifetimeValue', op: 'gte', value: 200 } },
        { event: { name: 'Product Viewed', product: { category: 'tv' }, within: '8h' } },
      ],
    });
    const preview = async (s: GraphStore, behaviourIndex: boolean) =>
      createEmbeddedSegmentEvaluator({ store: s, pageSize: 5, behaviourIndex }).preview(definition, { now, first: 20 });
    const expected = await preview(store, false);
    expect(expected.members.items).toEqual(['Customer:c2', 'Customer:c4', 'Customer:c6', 'Customer:c8']);
    expect(await preview(store, true)).toEqual(expected);
    await store.close();

    // What the previous release wrote: `true` for every timeline entry.
    const root = open({ path: dir, maxDbs: NAMED_DATABASES });
    const layout = openEmbeddedLayout(root);
    const keys = [...layout.timeline.getKeys()];
    expect(keys.length).toBe(12);
    await root.transaction(() => {
      for (const key of keys) layout.timeline.putSync(key, true);
    });
    await root.close();

    store = await freshStore(dir);
    try {
      const [legacy] = await store.behaviourWindows([{ ownerIds: ['Customer:c2'], label: 'Event', since: 0 }]);
      expect(legacy.map((w) => w.categories)).toEqual([null]);
      expect(await preview(store, true)).toEqual(expected);
      // Moving the item's time rewrites its entry with categories.
      await store.apply(
        coalesce([
          { op: 'upsertVertex', label: 'Event', key: 'e2', props: { ts: now - 1 }, version: makeVersion(2, 'a') },
        ]),
      );
      const [moved] = await store.behaviourWindows([{ ownerIds: ['Customer:c2'], label: 'Event', since: 0 }]);
      expect(moved.map((w) => [w.ts, w.categories])).toEqual([[now - 1, ['tv']]]);
      expect(await preview(store, true)).toEqual(expected);
    } finally {
      await store.close();
    }
  });
});
