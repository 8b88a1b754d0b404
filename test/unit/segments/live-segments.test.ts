/**
 * Live membership through the real ingest pipeline: a scripted clickstream makes
 * customers enter and leave saved segments, and exactly those transitions are
 * published, in order per customer; time passing alone makes a customer leave a
 * windowed segment.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import pino from 'pino';
import { createActionBus, createFileActionSink, type HubAction, readActionLog } from '../../../features/actions';
import {
  createEmbeddedSegmentEvaluator,
  createLiveSegments,
  createSegmentCatalog,
  type LiveSegments,
  nextOrdinal,
  type SavedSegment,
  type SegmentCatalog,
  segmentActionId,
} from '../../../features/segments';
import {
  BatchBuilder,
  type GraphBatch,
  type GraphStore,
  type JsonObject,
  makeVersion,
  vertexId,
} from '../../../graph-schema';
import { createTestPipeline, raw, type TestPipeline } from '../../helpers/hub-pipeline';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 2, 2, 9);

interface Harness {
  readonly tp: TestPipeline;
  readonly store: GraphStore;
  readonly live: LiveSegments;
  readonly catalog: SegmentCatalog;
  readonly clock: { t: number; now(): number };
  readonly heard: HubAction[];
  readonly actionLog: string;
  /** Submits Segment events at event time `at` (the clock moves there first) and waits for live evaluation. */
  send(at: number, ...events: JsonObject[]): Promise<void>;
}

let seq = 0;
function track(userId: string | null, event: string, properties: JsonObject, extra: JsonObject = {}): JsonObject {
  seq++;
  return { type: 'track', event, properties, userId, messageId: `live-${seq}-${Math.random()}`, ...extra };
}
const viewed = (userId: string, category: string) =>
  track(userId, 'Product Viewed', { product_id: `p-${category}`, category, name: category.toUpperCase() });
const ordered = (userId: string, orderId: string) =>
  track(userId, 'Order Completed', {
    order_id: orderId,
    total: 500,
    currency: 'EUR',
    products: [{ product_id: 'p-tv', category: 'tv', price: 500, quantity: 1 }],
  });

/**
 * `liveCatalog` wraps an uncached catalog of the worker's own (a cache under the test's
 * control); `liveStore` wraps the graph store live segments write memberships to.
 */
async function harness(
  options: {
    liveCatalog?: (own: SegmentCatalog) => SegmentCatalog;
    liveStore?: (store: GraphStore) => GraphStore;
  } = {},
): Promise<Harness> {
  const clock = { t: T0, now: () => clock.t };
  let live: LiveSegments | null = null;
  const tp = await createTestPipeline({
    overrides: { onApplied: (applied) => live?.onApplied(applied), now: () => clock.now() },
  });
  const actionLog = join(tp.dir, 'actions.ndjson');
  const bus = createActionBus(createFileActionSink(actionLog));
  const heard: HubAction[] = [];
  bus.subscribe((a) => heard.push(a));
  const catalog = createSegmentCatalog({ store: tp.store, clock });
  const { liveCatalog, liveStore } = options;
  live = createLiveSegments({
    store: liveStore ? liveStore(tp.store) : tp.store,
    actions: bus,
    evaluator: createEmbeddedSegmentEvaluator({ store: tp.store }),
    catalog: liveCatalog ? liveCatalog(createSegmentCatalog({ store: tp.store, clock, cacheTtlMs: 0 })) : catalog,
    clock,
    logger: pino({ level: 'silent' }),
    autoSchedule: false,
  });
  const liveSegments = live;
  return {
    tp,
    store: tp.store,
    live: liveSegments,
    catalog,
    clock,
    heard,
    actionLog,
    async send(at, ...events) {
      clock.t = at;
      const iso = new Date(at).toISOString();
      const messages = events.map((e) => raw('segment', JSON.stringify({ timestamp: iso, sentAt: iso, ...e }), at));
      const result = await tp.pipeline.submit(messages);
      expect(result.deadLettered).toBe(0);
      await liveSegments.idle();
    },
  };
}

const brief = (actions: readonly HubAction[]) =>
  actions.map((a) => `${a.subjectId} ${a.type} ${(a.payload as { segmentName: string }).segmentName}`);

describe('live segments', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.live.close();
    await h?.tp.close();
  });

  test("relationship segments go stale: a household member leaves when the other member's router recovers", async () => {
    h = await harness();
    const household = await h.catalog.save({
      name: 'Household with a RED router',
      definition: {
        shares: { via: 'account', with: { device: { where: [{ name: 'ind_packetErrors', op: 'gt', value: 100 }] } } },
      },
    });
    await h.live.reconcile();
    await h.send(
      T0,
      { type: 'identify', userId: 'hh-a', traits: { plan: 'basic' }, messageId: 'hh-id-a' },
      { type: 'identify', userId: 'hh-b', traits: { plan: 'basic' }, messageId: 'hh-id-b' },
      { type: 'group', userId: 'hh-a', groupId: 'house-1', messageId: 'hh-g-a' },
      { type: 'group', userId: 'hh-b', groupId: 'house-1', messageId: 'hh-g-b' },
    );
    const reading = (min: number, packetErrors: number) =>
      raw(
        'telemetry',
        JSON.stringify({
          deviceId: 'hh-router',
          entityId: 'hh-a',
          timestamp: new Date(T0 + min * 60_000).toISOString(),
          seq: min,
          indicators: { packetErrors },
        }),
        T0 + DAY,
      );
    await h.tp.pipeline.submit([reading(1, 300)]);
    await h.live.idle();
    expect(brief(h.heard)).toEqual(['Customer:hh-b segment.entered Household with a RED router']);
    // A's router recovers: nothing about B changed, yet B's answer did.
    await h.tp.pipeline.submit([reading(2, 1)]);
    await h.live.idle();
    expect(brief(h.heard)).toEqual([
      'Customer:hh-b segment.entered Household with a RED router',
      'Customer:hh-b segment.left Household with a RED router',
    ]);
    // Live membership equals a fresh preview.
    const evaluator = createEmbeddedSegmentEvaluator({ store: h.store });
    expect(await evaluator.count(household.definition, { now: h.clock.now() })).toBe(0);
    expect(await h.catalog.allMembers(household.key)).toEqual([]);
  });

  test('a scripted clickstream produces exactly the expected entered/left actions, in order per customer', async () => {
    h = await harness();
    const browsers = await h.catalog.save({
      name: 'TV browsers',
      definition: {
        and: [
          { event: { name: 'Product Viewed', product: { category: 'tv' }, within: '7d', atLeast: 2 } },
          { not: { order: { within: '7d' } } },
        ],
      },
    });
    const gold = await h.catalog.save({
      name: 'Gold TV browsers',
      definition: { and: [{ segment: browsers.id }, { trait: { name: 'plan', op: 'eq', value: 'gold' } }] },
    });
    await h.live.reconcile();
    expect(h.heard).toEqual([]);

    await h.send(T0, { type: 'identify', userId: 'u1', traits: { plan: 'gold' }, messageId: 'id-u1' });
    await h.send(T0 + 1 * HOUR, viewed('u1', 'tv'));
    expect(h.heard).toEqual([]);
    // u2 views a laptop and a tv: one tv view is not enough.
    await h.send(T0 + 1 * HOUR + 1, viewed('u2', 'tv'), viewed('u2', 'laptop'));
    await h.send(T0 + 2 * HOUR, viewed('u1', 'tv'));
    await h.send(T0 + 3 * HOUR, ordered('u1', 'o-1'));
    await h.send(T0 + 4 * HOUR, viewed('u2', 'tv'));

    expect(brief(h.heard)).toEqual([
      'Customer:u1 segment.entered TV browsers',
      // Dependent segments are decided in the same round, after the segment they use.
      'Customer:u1 segment.entered Gold TV browsers',
      'Customer:u1 segment.left TV browsers',
      'Customer:u1 segment.left Gold TV browsers',
      'Customer:u2 segment.entered TV browsers',
    ]);
    // Ids are the n-th change of (segment, customer): u1 entered (1st) then left (2nd) each segment.
    const ordinals = new Map<string, number>();
    for (const a of h.heard) {
      const p = a.payload as { segmentId: string };
      const key = p.segmentId.slice('Segment:'.length);
      const n = (ordinals.get(`${key}|${a.subjectId}`) ?? 0) + 1;
      ordinals.set(`${key}|${a.subjectId}`, n);
      expect(a.id).toBe(segmentActionId(key, a.subjectId, a.type === 'segment.entered', n));
    }
    expect(new Set(h.heard.map((a) => a.id)).size).toBe(h.heard.length);
    // Durable before anyone heard them: the log holds the same actions in the same order.
    expect(await readActionLog(h.actionLog)).toEqual(h.heard);

    // Membership is in the graph as MEMBER_OF edges.
    expect(await h.catalog.allMembers(browsers.key)).toEqual(['Customer:u2']);
    expect(await h.catalog.allMembers(gold.key)).toEqual([]);
    expect((await h.catalog.segmentsOf('Customer:u2')).map((v) => v.id)).toEqual([browsers.id]);
  });

  test('time passing alone makes a customer leave a windowed segment (no new events)', async () => {
    h = await harness();
    const browsers = await h.catalog.save({
      name: 'Recent TV browsers',
      definition: { event: { name: 'Product Viewed', product: { category: 'tv' }, within: '7d', atLeast: 2 } },
    });
    await h.send(T0, viewed('u3', 'tv'));
    await h.send(T0 + DAY, viewed('u3', 'tv'));
    expect(brief(h.heard)).toEqual(['Customer:u3 segment.entered Recent TV browsers']);
    // The first view expires 7 days (and 1 ms) after it happened.
    expect(h.live.scheduled().get('Customer:u3')).toBe(T0 + 7 * DAY + 1);

    h.clock.t = T0 + 7 * DAY;
    await h.live.tick();
    expect(h.heard).toHaveLength(1);

    h.clock.t = T0 + 8 * DAY;
    await h.live.tick();
    expect(brief(h.heard)).toEqual([
      'Customer:u3 segment.entered Recent TV browsers',
      'Customer:u3 segment.left Recent TV browsers',
    ]);
    expect(await h.catalog.allMembers(browsers.key)).toEqual([]);
    // Nothing left in the window: nothing scheduled.
    h.clock.t = T0 + 9 * DAY;
    await h.live.tick();
    expect(h.heard).toHaveLength(2);
    expect(h.live.scheduled().has('Customer:u3')).toBe(false);
  });

  test('saving a segment computes its initial membership and announces it; re-reconciling changes nothing', async () => {
    h = await harness();
    await h.send(T0, { type: 'identify', userId: 'u4', traits: { lifetimeValue: 900 }, messageId: 'id-u4' });
    await h.send(T0, { type: 'identify', userId: 'u5', traits: { lifetimeValue: 100 }, messageId: 'id-u5' });
    const big = await h.catalog.save({
      name: 'Big spenders',
      definition: { trait: { name: 'lifetimeValue', op: 'gt', value: 500 } },
    });
    expect(await h.live.reconcile(big.id)).toEqual({ entered: 1, left: 0 });
    expect(await h.live.reconcile()).toEqual({ entered: 0, left: 0 });
    expect(brief(h.heard)).toEqual(['Customer:u4 segment.entered Big spenders']);
    // A trait change through the pipeline moves membership.
    await h.send(T0 + HOUR, { type: 'identify', userId: 'u5', traits: { lifetimeValue: 700 }, messageId: 'id-u5b' });
    await h.send(T0 + HOUR, { type: 'identify', userId: 'u4', traits: { lifetimeValue: 10 }, messageId: 'id-u4b' });
    expect(brief(h.heard).slice(1)).toEqual([
      'Customer:u5 segment.entered Big spenders',
      'Customer:u4 segment.left Big spenders',
    ]);
  });

  test('membership writes never resurrect a deleted customer, and a deleted segment loses its members', async () => {
    h = await harness();
    await h.send(T0, { type: 'identify', userId: 'u6', traits: { lifetimeValue: 900 }, messageId: 'id-u6' });
    const big = await h.catalog.save({
      name: 'Big',
      definition: { trait: { name: 'lifetimeValue', op: 'gt', value: 500 } },
    });
    h.clock.t = T0 + 5 * HOUR;
    await h.live.reconcile(big.id);
    expect(await h.catalog.allMembers(big.key)).toEqual(['Customer:u6']);
    // The CRM deleted u6 at T0+1h; the delete arrives after the membership was written at T0+5h.
    const del = new BatchBuilder();
    del.add({ op: 'deleteVertex', label: 'Customer', key: 'u6', version: makeVersion(T0 + HOUR, 'cdc:late') });
    await h.store.apply(del.build());
    expect(await h.store.getVertices(['Customer:u6'])).toEqual([null]);
    expect(await h.catalog.allMembers(big.key)).toEqual([]);

    expect(await h.catalog.delete(big.id)).toBe(true);
    expect(await h.store.getVertices([vertexId({ label: 'Segment', key: big.key })])).toEqual([null]);
    expect(await h.catalog.list()).toEqual([]);
  });

  test('a segment saved on another replica is counted by the worker once its cache shows it, events in between included', async () => {
    // The worker's catalog still lists what it cached before the save (its TTL not yet run out).
    let stale: SavedSegment[] | null = null;
    h = await harness({
      liveCatalog: (own) => ({ ...own, list: () => (stale ? Promise.resolve(stale) : own.list()) }),
    });
    await h.live.reconcile();
    stale = [];
    const gold = await h.catalog.save({
      name: 'Gold',
      definition: { trait: { name: 'plan', op: 'eq', value: 'gold' } },
    });
    // The saving replica recounted the graph as it was: nobody yet. Then u7 turns gold on the worker.
    await h.send(T0, { type: 'identify', userId: 'u7', traits: { plan: 'gold' }, messageId: 'id-u7' });
    expect(h.heard).toEqual([]);
    // The cache refreshes; the next event (someone else's) makes the worker count the new segment.
    stale = null;
    await h.send(T0 + 1000, { type: 'identify', userId: 'u8', traits: { plan: 'basic' }, messageId: 'id-u8' });
    expect(brief(h.heard)).toEqual(['Customer:u7 segment.entered Gold']);
    expect(await h.catalog.allMembers(gold.key)).toEqual(['Customer:u7']);
    // Counted once per version: later events do not recount it.
    await h.send(T0 + 2000, { type: 'identify', userId: 'u9', traits: { plan: 'basic' }, messageId: 'id-u9' });
    expect(brief(h.heard)).toEqual(['Customer:u7 segment.entered Gold']);
  });

  test('a worker killed between the count and the membership edge: the retry and every later transition keep the ids of a run without the crash', async () => {
    // The first membership write is lost, as when the worker is killed after recording the count.
    let lose = 1;
    h = await harness({
      // A proxy: the store's methods live on its prototype.
      liveStore: (store) =>
        new Proxy(store, {
          get: (target, name, receiver) =>
            name === 'apply'
              ? (batch: GraphBatch) =>
                  lose-- > 0 ? Promise.reject(new Error('killed before the edge was written')) : target.apply(batch)
              : Reflect.get(target, name, receiver),
        }),
    });
    const big = await h.catalog.save({
      name: 'Big',
      definition: { trait: { name: 'lifetimeValue', op: 'gt', value: 500 } },
    });
    await h.live.reconcile(big.id);
    await h.send(T0, { type: 'identify', userId: 'u10', traits: { lifetimeValue: 900 }, messageId: 'id-u10a' });
    expect(lose).toBe(0);
    expect(await h.catalog.allMembers(big.key)).toEqual([]);
    // The evaluation is retried (what a restarted worker does when the event is redelivered).
    h.clock.t = T0 + 10_000;
    await h.live.tick();
    expect(await h.catalog.allMembers(big.key)).toEqual(['Customer:u10']);
    await h.send(T0 + HOUR, { type: 'identify', userId: 'u10', traits: { lifetimeValue: 10 }, messageId: 'id-u10b' });
    await h.send(T0 + 2 * HOUR, {
      type: 'identify',
      userId: 'u10',
      traits: { lifetimeValue: 950 },
      messageId: 'id-u10c',
    });
    expect(brief(h.heard)).toEqual([
      'Customer:u10 segment.entered Big',
      'Customer:u10 segment.entered Big',
      'Customer:u10 segment.left Big',
      'Customer:u10 segment.entered Big',
    ]);
    // The re-announcement is the same action (consumers dedupe it); then the 2nd and 3rd change.
    expect(h.heard.map((a) => a.id)).toEqual([
      segmentActionId(big.key, 'Customer:u10', true, 1),
      segmentActionId(big.key, 'Customer:u10', true, 1),
      segmentActionId(big.key, 'Customer:u10', false, 2),
      segmentActionId(big.key, 'Customer:u10', true, 3),
    ]);
  });
});

describe('transition ordinals', () => {
  /**
   * The commit protocol of one (segment, customer) pair — announce, record the count, write the
   * edge — with a process killed after any step of any attempt; the verdicts over time are
   * arbitrary, and a killed attempt is evaluated again (the event is redelivered).
   */
  function run(verdicts: readonly boolean[], kills: readonly (0 | 1 | 2 | 3)[]): string[] {
    let member = false;
    let recorded = 0;
    let k = 0;
    const announced: string[] = [];
    for (const verdict of verdicts) {
      while (verdict !== member) {
        const kill = kills[k++] ?? 3;
        const n = nextOrdinal(recorded, verdict);
        if (kill === 0) continue;
        announced.push(`${verdict ? 'entered' : 'left'}#${n}`);
        if (kill === 1) continue;
        recorded = n;
        if (kill === 2) continue;
        member = verdict;
      }
    }
    return announced;
  }
  const dedupe = (ids: readonly string[]) => [...new Set(ids)];

  test('wherever workers are killed, consumers that dedupe on the id hear what an uninterrupted run announces', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { maxLength: 30 }),
        fc.array(fc.constantFrom<0 | 1 | 2 | 3>(0, 1, 2, 3), { maxLength: 60 }),
        (verdicts, kills) => {
          const clean = run(verdicts, []);
          expect(dedupe(run(verdicts, kills))).toEqual(clean);
          // Every announced transition has its own id, numbered 1, 2, 3… in order.
          expect(clean).toEqual(clean.map((_, i) => `${i % 2 === 0 ? 'entered' : 'left'}#${i + 1}`));
        },
      ),
    );
  });

  test('a pair that was a member before any count was kept leaves as its 2nd change', () => {
    expect(nextOrdinal(0, false)).toBe(2);
    expect(nextOrdinal(0, true)).toBe(1);
  });
});
