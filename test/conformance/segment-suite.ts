/**
 * The segment conformance suite: one fixed graph, a set of definitions, and the
 * members each must have — for every evaluator (embedded reference, Gremlin
 * bytecode, Cypher) over its store. Same idea as defineGraphStoreSuite.
 *
 * Isolation on shared servers: every fixture key starts with a fresh prefix, and
 * every definition is wrapped in `and: [{ trait suite = <prefix> }, …]`, so counts
 * and pages are exact even when the server holds other data.
 */

import {
  type Condition,
  parseSegmentDefinition,
  type SegmentDefinition,
  type SegmentEvaluator,
} from '../../features/segments';
import {
  BatchBuilder,
  type EdgeLabel,
  type GraphStore,
  type JsonObject,
  type Mutation,
  makeVersion,
  type VertexLabel,
  type VertexRef,
} from '../../graph-schema';
import type { CreatedStore } from './graph-store-suite';

export const DAY = 86_400_000;
/** The evaluation instant of every case. */
export const SUITE_NOW = Date.UTC(2026, 0, 15, 12);

const ver = (t: number, tie = 'segment-suite') => makeVersion(t, tie);
const r = (label: VertexLabel, key: string): VertexRef => ({ label, key });

/**
 * The fixed graph (keys prefixed with `p-`):
 * - alice: LTV 900, DE, gold, optIn, pagerank 0.8, email; viewed tv 1d, 2d, 10d ago; device d1 (150 packet errors); in vip.
 * - bob: LTV 200, FR, silver, optIn false; viewed tv 1d ago (as his anonymous identity) and 3d ago; ordered a tv 2d ago; device d1.
 * - carol: LTV 600, DE, name Caroline; viewed a laptop 1d ago; ordered a tv 30d ago; owns account a1; in vip.
 * - dave: LTV "1000" (a string), US; device d2 (5 packet errors); belongs to account a1.
 * - erin: LTV 10000, DE — deleted.
 * - frank: LTV 550, US, gold, tags ["a"]; a tv view dated tomorrow; used d1 once (edge deleted).
 * - bob was in vip once (edge deleted).
 */
export function segmentFixture(p: string): Mutation[] {
  const t0 = SUITE_NOW - 60 * DAY;
  const m: Mutation[] = [];
  const v = (label: VertexLabel, key: string, props: JsonObject, t = t0) =>
    m.push({ op: 'upsertVertex', label, key: `${p}-${key}`, props, version: ver(t) });
  const e = (label: EdgeLabel, from: VertexRef, to: VertexRef, t = t0, props: JsonObject = {}) =>
    m.push({
      op: 'upsertEdge',
      label,
      from: { label: from.label, key: `${p}-${from.key}` },
      to: { label: to.label, key: `${p}-${to.key}` },
      props,
      version: ver(t),
    });
  const suite = { suite: p };
  v('Customer', 'alice', {
    ...suite,
    lifetimeValue: 900,
    country: 'DE',
    plan: 'gold',
    optIn: true,
    pagerank: 0.8,
    email: 'alice@example.com',
  });
  v('Customer', 'bob', { ...suite, lifetimeValue: 200, country: 'FR', plan: 'silver', optIn: false });
  v('Customer', 'carol', { ...suite, lifetimeValue: 600, country: 'DE', name: 'Caroline' });
  v('Customer', 'dave', { ...suite, lifetimeValue: '1000', country: 'US' });
  v('Customer', 'erin', { ...suite, lifetimeValue: 10000, country: 'DE' });
  // Deleted after all her writes: her later edges must not resurrect her.
  m.push({ op: 'deleteVertex', label: 'Customer', key: `${p}-erin`, version: ver(SUITE_NOW - 1) });
  v('Customer', 'frank', { ...suite, lifetimeValue: 550, country: 'US', plan: 'gold', tags: ['a'] });

  v('Product', 'tv1', { category: 'tv', name: 'TV 55' });
  v('Product', 'lap1', { category: 'laptop', name: 'Laptop 14' });
  let n = 0;
  const view = (owner: VertexRef, product: string, ts: number) => {
    n++;
    const key = `ev${n}`;
    v('Event', key, { type: 'track', name: 'Product Viewed', ts }, ts);
    e('PERFORMED', owner, r('Event', key), ts);
    e('ABOUT', r('Event', key), r('Product', product), ts);
  };
  const order = (owner: VertexRef, key: string, product: string, ts: number) => {
    v('Order', key, { ts, status: 'completed', total: 999 }, ts);
    e('PLACED', owner, r('Order', key), ts);
    e('CONTAINS', r('Order', key), r('Product', product), ts, { quantity: 1 });
  };

  const alice = r('Customer', 'alice');
  const bob = r('Customer', 'bob');
  const carol = r('Customer', 'carol');
  const dave = r('Customer', 'dave');
  const erin = r('Customer', 'erin');
  const frank = r('Customer', 'frank');
  view(alice, 'tv1', SUITE_NOW - 1 * DAY);
  view(alice, 'tv1', SUITE_NOW - 2 * DAY);
  view(alice, 'tv1', SUITE_NOW - 10 * DAY);
  v('Identity', 'anon-bob', { type: 'anonymousId', value: `${p}-anon-bob` });
  e('HAS_IDENTITY', bob, r('Identity', 'anon-bob'), t0, { rule: 'identify' });
  view(r('Identity', 'anon-bob'), 'tv1', SUITE_NOW - 1 * DAY);
  view(bob, 'tv1', SUITE_NOW - 3 * DAY);
  order(bob, 'o1', 'tv1', SUITE_NOW - 2 * DAY);
  view(carol, 'lap1', SUITE_NOW - 1 * DAY);
  order(carol, 'o2', 'tv1', SUITE_NOW - 30 * DAY);
  view(frank, 'tv1', SUITE_NOW + 1 * DAY);
  view(erin, 'tv1', SUITE_NOW - 1 * DAY);

  v('Device', 'd1', { type: 'router', ind_packetErrors: 150 });
  v('Device', 'd2', { type: 'router', ind_packetErrors: 5 });
  e('USES_DEVICE', alice, r('Device', 'd1'));
  e('USES_DEVICE', bob, r('Device', 'd1'));
  e('USES_DEVICE', dave, r('Device', 'd2'));
  e('USES_DEVICE', erin, r('Device', 'd2'));
  e('USES_DEVICE', frank, r('Device', 'd1'));
  m.push({
    op: 'deleteEdge',
    label: 'USES_DEVICE',
    from: { label: 'Customer', key: `${p}-frank` },
    to: { label: 'Device', key: `${p}-d1` },
    version: ver(t0 + 5),
  });
  v('Account', 'a1', { name: 'Household 1' });
  e('OWNS', carol, r('Account', 'a1'));
  e('BELONGS_TO', dave, r('Account', 'a1'));

  v('Segment', 'vip', { name: 'VIP', definition: { trait: { name: 'plan', op: 'eq', value: 'gold' } } });
  e('MEMBER_OF', alice, r('Segment', 'vip'));
  e('MEMBER_OF', carol, r('Segment', 'vip'));
  e('MEMBER_OF', bob, r('Segment', 'vip'));
  m.push({
    op: 'deleteEdge',
    label: 'MEMBER_OF',
    from: { label: 'Customer', key: `${p}-bob` },
    to: { label: 'Segment', key: `${p}-vip` },
    version: ver(t0 + 5),
  });
  return m;
}

export interface SegmentCase {
  readonly name: string;
  readonly definition: (p: string) => unknown;
  /** Member keys without the prefix, in id order. */
  readonly members: readonly string[];
}

const tvViews = (atLeast: number) => ({
  event: { type: 'track', name: 'Product Viewed', product: { category: 'tv' }, within: '7d', atLeast },
});

export const SEGMENT_CASES: readonly SegmentCase[] = [
  {
    name: 'numeric trait: lifetimeValue > 500 (a string "1000" is not a number; deleted customers never match)',
    definition: () => ({ trait: { name: 'lifetimeValue', op: 'gt', value: 500 } }),
    members: ['alice', 'carol', 'frank'],
  },
  {
    name: 'numeric trait bounds: 550 <= lifetimeValue <= 600',
    definition: () => ({
      and: [
        { trait: { name: 'lifetimeValue', op: 'gte', value: 550 } },
        { trait: { name: 'lifetimeValue', op: 'lte', value: 600 } },
      ],
    }),
    members: ['carol', 'frank'],
  },
  {
    name: 'country in a list',
    definition: () => ({ trait: { name: 'country', op: 'in', value: ['DE', 'FR'] } }),
    members: ['alice', 'bob', 'carol'],
  },
  {
    name: 'country not in a list',
    definition: () => ({ trait: { name: 'country', op: 'notIn', value: ['DE', 'FR'] } }),
    members: ['dave', 'frank'],
  },
  {
    name: 'neq only matches customers that have the trait',
    definition: () => ({ trait: { name: 'plan', op: 'neq', value: 'gold' } }),
    members: ['bob'],
  },
  {
    name: 'exists (any type, lists too) and notExists',
    definition: () => ({
      or: [{ trait: { name: 'tags', op: 'exists' } }, { trait: { name: 'email', op: 'notExists' } }],
    }),
    members: ['bob', 'carol', 'dave', 'frank'],
  },
  {
    name: 'a list trait never equals a scalar',
    definition: () => ({ trait: { name: 'tags', op: 'eq', value: 'a' } }),
    members: [],
  },
  {
    name: 'string prefix',
    definition: () => ({ trait: { name: 'name', op: 'startsWith', value: 'Car' } }),
    members: ['carol'],
  },
  {
    name: 'boolean equality',
    definition: () => ({ trait: { name: 'optIn', op: 'eq', value: true } }),
    members: ['alice'],
  },
  {
    name: 'not',
    definition: () => ({ not: { trait: { name: 'country', op: 'eq', value: 'DE' } } }),
    members: ['bob', 'dave', 'frank'],
  },
  {
    name: 'viewed tv at least twice in the last 7 days (anonymous views of a claimed identity count)',
    definition: () => tvViews(2),
    members: ['alice', 'bob'],
  },
  {
    name: 'the marketer example: viewed tv twice in 7 days and did not complete an order in 7 days',
    definition: () => ({ and: [tvViews(2), { not: { order: { within: '7d' } } }] }),
    members: ['alice'],
  },
  {
    name: 'at most one product view in 7 days (zero counts; future events do not)',
    definition: () => ({ event: { name: 'Product Viewed', within: '7d', atMost: 1 } }),
    members: ['carol', 'dave', 'frank'],
  },
  {
    name: 'categories match ignoring case: "TV" finds the tv orders',
    definition: () => ({ order: { status: 'completed', product: { category: 'TV' } } }),
    members: ['bob', 'carol'],
  },
  {
    name: 'ordered a tv at any time',
    definition: () => ({ order: { status: 'completed', product: { category: 'tv' } } }),
    members: ['bob', 'carol'],
  },
  {
    name: 'uses a device with more than 100 packet errors',
    definition: () => ({ device: { where: [{ name: 'ind_packetErrors', op: 'gt', value: 100 }] } }),
    members: ['alice', 'bob'],
  },
  {
    name: 'shares a device with a gold customer (a deleted edge shares nothing)',
    definition: () => ({ shares: { via: 'device', with: { trait: { name: 'plan', op: 'eq', value: 'gold' } } } }),
    members: ['bob'],
  },
  {
    name: 'shares a household account with a German customer',
    definition: () => ({ shares: { via: 'account', with: { trait: { name: 'country', op: 'eq', value: 'DE' } } } }),
    members: ['dave'],
  },
  {
    name: 'bought a product that bob bought (bob himself excluded)',
    definition: (p) => ({ boughtWith: { customer: `Customer:${p}-bob` } }),
    members: ['carol'],
  },
  {
    name: 'member of a saved segment (a deleted MEMBER_OF edge is not membership)',
    definition: (p) => ({ segment: `${p}-vip` }),
    members: ['alice', 'carol'],
  },
  {
    name: 'a graph-algorithm trait or a segment',
    definition: (p) => ({
      or: [{ trait: { name: 'pagerank', op: 'gte', value: 0.5 } }, { segment: `Segment:${p}-vip` }],
    }),
    members: ['alice', 'carol'],
  },
  {
    name: 'shares a device with a member of a saved segment',
    definition: (p) => ({ shares: { via: 'device', with: { segment: `${p}-vip` } } }),
    members: ['bob'],
  },
];

/** The case's definition, scoped to this run's fixture. */
export function scopedDefinition(c: SegmentCase, p: string): SegmentDefinition {
  const inner = parseSegmentDefinition(c.definition(p)) as Condition;
  return { and: [{ trait: { name: 'suite', op: 'eq', value: p } }, inner] };
}

export interface SegmentSuiteOptions {
  readonly timeoutMs?: number;
}

export function defineSegmentSuite(
  name: string,
  createStore: () => Promise<CreatedStore>,
  createEvaluator: (store: GraphStore) => SegmentEvaluator | Promise<SegmentEvaluator>,
  options: SegmentSuiteOptions = {},
): void {
  describe(`Segment conformance: ${name}`, () => {
    let created: CreatedStore;
    let evaluator: SegmentEvaluator;
    const p = `s${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const ids = (keys: readonly string[]) => keys.map((k) => `Customer:${p}-${k}`);

    jest.setTimeout(options.timeoutMs ?? 60_000);

    beforeAll(async () => {
      created = await createStore();
      // Upserts first, then deletes (they carry newer versions, so order only keeps batches simple).
      const fixture = segmentFixture(p);
      const b = new BatchBuilder();
      b.addAll(fixture.filter((m) => m.op.startsWith('upsert')));
      await created.store.apply(b.build());
      const d = new BatchBuilder();
      d.addAll(fixture.filter((m) => m.op.startsWith('delete')));
      await created.store.apply(d.build());
      evaluator = await createEvaluator(created.store);
    });
    afterAll(async () => {
      await created?.store.close();
      await created?.cleanup?.();
    });

    test.each(SEGMENT_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      const definition = scopedDefinition(c, p);
      const page = await evaluator.members(definition, { now: SUITE_NOW, first: 100 });
      expect(page.items).toEqual(ids(c.members));
      expect(page.hasNextPage).toBe(false);
      expect(await evaluator.count(definition, { now: SUITE_NOW })).toBe(c.members.length);
      const everyone = ids(['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'nobody']);
      const checked = await evaluator.check(definition, everyone, { now: SUITE_NOW });
      expect(everyone.filter((_, i) => checked[i])).toEqual(ids(c.members));
    });

    test('members page through in id order with after cursors; preview gives the count and the first page', async () => {
      const definition = scopedDefinition(
        { name: 'all', definition: () => ({ trait: { name: 'country', op: 'exists' } }), members: [] },
        p,
      );
      const first = await evaluator.members(definition, { now: SUITE_NOW, first: 2 });
      expect(first.items).toEqual(ids(['alice', 'bob']));
      expect(first.hasNextPage).toBe(true);
      const second = await evaluator.members(definition, { now: SUITE_NOW, first: 2, after: first.cursors[1] });
      expect(second.items).toEqual(ids(['carol', 'dave']));
      const third = await evaluator.members(definition, { now: SUITE_NOW, first: 2, after: second.cursors[1] });
      expect(third).toEqual({ items: ids(['frank']), cursors: ids(['frank']), hasNextPage: false });
      const preview = await evaluator.preview(definition, { now: SUITE_NOW, first: 3 });
      expect(preview.count).toBe(5);
      expect(preview.members.items).toEqual(ids(['alice', 'bob', 'carol']));
      expect(preview.members.hasNextPage).toBe(true);
    });

    test('windows end at the evaluation time and include their edge', async () => {
      const definition = scopedDefinition({ name: 'tv', definition: () => tvViews(2), members: [] }, p);
      // Five days later alice's views are 6 and exactly 7 days old; bob's are 6 and 8.
      expect((await evaluator.members(definition, { now: SUITE_NOW + 5 * DAY, first: 10 })).items).toEqual(
        ids(['alice']),
      );
      expect(await evaluator.count(definition, { now: SUITE_NOW + 5 * DAY + 1 })).toBe(0);
    });

    test('hostile strings are only data', async () => {
      const hostile = [
        "x') OR 1=1 //",
        "'; MATCH (n) DETACH DELETE n; //",
        '"}).drop().V(',
        '\u0001"',
        '` OR true //',
        '$p0',
      ];
      for (const text of hostile) {
        const definition: SegmentDefinition = {
          and: [
            { trait: { name: 'suite', op: 'eq', value: p } },
            {
              or: [
                { trait: { name: text, op: 'eq', value: text } },
                { trait: { name: 'country', op: 'startsWith', value: text } },
                { event: { name: text, within: '7d' } },
                { segment: text },
                { shares: { via: 'device', with: { trait: { name: 'plan', op: 'in', value: [text] } } } },
              ],
            },
          ],
        };
        expect(await evaluator.count(definition, { now: SUITE_NOW })).toBe(0);
      }
      // The graph is intact.
      const all = scopedDefinition(
        { name: 'all', definition: () => ({ trait: { name: 'country', op: 'exists' } }), members: [] },
        p,
      );
      expect(await evaluator.count(all, { now: SUITE_NOW })).toBe(5);
    });
  });
}
