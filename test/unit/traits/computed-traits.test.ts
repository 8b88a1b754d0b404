import { join } from 'node:path';
import fc from 'fast-check';
import pino from 'pino';
import { TOO_LATE } from '../../../features/health';
import {
  type ComputedTraits,
  createComputedTraits,
  createTraitsConfig,
  type TraitDefinition,
  type TraitsConfig,
} from '../../../features/traits';
import type { JsonValue } from '../../../graph-schema';
import type { AppliedEvents, DeadLetter, DeadLetterSink } from '../../../ingest';
import { createLmdbStateStore, createMemoryStateStore } from '../../../services/state';
import { createTestPipeline, raw, type TestPipeline } from '../../helpers/hub-pipeline';
import { secureRandom } from '../../helpers/unique';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2026, 9, 1);
const RECEIVED_AT = Date.UTC(2026, 10, 1);
const logger = pino({ level: 'silent' });

function memoryLetters(): DeadLetterSink & { letters: DeadLetter[] } {
  const letters: DeadLetter[] = [];
  return {
    letters,
    async write(l) {
      letters.push(...l);
    },
    async close() {},
  };
}

const viewed = () => ({
  source: 'segment' as const,
  types: ['track' as const, 'page' as const],
  names: ['Product Viewed'],
});
const ordered = () => ({ source: 'segment' as const, types: ['track' as const], names: ['Order Completed'] });

const config: TraitsConfig = createTraitsConfig({
  traits: [
    {
      name: 'views_3h',
      aggregate: 'count',
      windowMs: 3 * HOUR,
      bucketMs: HOUR,
      match: viewed(),
    },
    {
      name: 'spend_2h',
      aggregate: 'sum',
      value: 'properties.total',
      windowMs: 2 * HOUR,
      bucketMs: 30 * MIN,
      match: ordered(),
    },
    {
      name: 'last_viewed_4h',
      aggregate: 'last',
      value: 'properties.product_id',
      windowMs: 4 * HOUR,
      bucketMs: HOUR,
      match: viewed(),
    },
  ],
  allowedLatenessMs: 90 * MIN,
});

interface GenEvent {
  readonly messageId: string;
  readonly userId: string;
  readonly name: string;
  readonly ts: number;
  readonly total: number;
  readonly productId: string;
}

function message(e: GenEvent) {
  return raw(
    'segment',
    JSON.stringify({
      type: 'track',
      event: e.name,
      userId: e.userId,
      messageId: e.messageId,
      timestamp: new Date(e.ts).toISOString(),
      properties: { total: e.total, product_id: e.productId },
    }),
    RECEIVED_AT,
  );
}

/** The definition of the traits, computed from scratch over the whole stream: what incremental buckets must equal. */
function bruteForce(
  traits: readonly TraitDefinition[],
  lateness: number,
  stream: readonly GenEvent[],
): { values: Map<string, Record<string, JsonValue>>; late: number } {
  let late = 0;
  const seen = new Set<string>();
  const accepted: GenEvent[] = [];
  let clock = Number.NEGATIVE_INFINITY;
  // Lateness is judged per customer, against the newest event counted for that customer.
  const customerClock = new Map<string, number>();
  const matches = (t: TraitDefinition, e: GenEvent) =>
    t.match.source === 'segment' && (t.match.names ?? []).includes(e.name);
  for (const e of stream) {
    if (seen.has(e.messageId)) continue;
    seen.add(e.messageId);
    if (traits.some((t) => matches(t, e))) {
      const own = customerClock.get(e.userId) ?? Number.NEGATIVE_INFINITY;
      if (e.ts >= own - lateness) {
        accepted.push(e);
        customerClock.set(e.userId, Math.max(own, e.ts));
      } else late++;
    }
    clock = Math.max(clock, e.ts);
  }
  const out = new Map<string, Record<string, JsonValue>>();
  for (const userId of new Set(accepted.map((e) => e.userId))) {
    const values: Record<string, JsonValue> = {};
    for (const t of traits) {
      const from = Math.floor(clock / t.bucketMs) * t.bucketMs - t.windowMs + t.bucketMs;
      const inWindow = accepted.filter(
        (e) => e.userId === userId && matches(t, e) && Math.floor(e.ts / t.bucketMs) * t.bucketMs >= from,
      );
      if (t.aggregate === 'count') values[t.name] = inWindow.length;
      else if (t.aggregate === 'sum') values[t.name] = inWindow.reduce((s, e) => s + e.total, 0);
      else values[t.name] = inWindow.sort((a, b) => a.ts - b.ts).at(-1)?.productId ?? null;
    }
    out.set(userId, values);
  }
  return { values: out, late };
}

describe('computed traits', () => {
  let test: TestPipeline;
  let engine: ComputedTraits | null = null;

  beforeAll(async () => {
    test = await createTestPipeline({
      overrides: { onApplied: (a: AppliedEvents) => engine?.onApplied(a) },
    });
  });
  afterAll(async () => {
    await test.close();
  });

  it('equal a brute-force recomputation over the same events, for random streams with late and duplicate events', async () => {
    const gen = fc.record({
      events: fc.array(
        fc.record({
          customer: fc.integer({ min: 0, max: 2 }),
          name: fc.constantFrom('Product Viewed', 'Order Completed', 'Signed Up'),
          minute: fc.integer({ min: 0, max: 12 * 60 }),
          total: fc.integer({ min: 0, max: 500 }),
          product: fc.integer({ min: 0, max: 4 }),
          duplicateOf: fc.option(fc.nat(), { nil: null }),
        }),
        { minLength: 1, maxLength: 60 },
      ),
      cuts: fc.array(fc.nat(), { maxLength: 6 }),
    });
    await fc.assert(
      fc.asyncProperty(gen, async ({ events, cuts }) => {
        const run = secureRandom();
        const stream: GenEvent[] = [];
        events.forEach((g, i) => {
          if (g.duplicateOf !== null && stream.length > 0) {
            stream.push(stream[g.duplicateOf % stream.length]);
            return;
          }
          stream.push({
            messageId: `${run}-m${i}`,
            userId: `${run}-u${g.customer}`,
            name: g.name,
            // A distinct millisecond per event: `last` needs no tie-break the test would have to mirror.
            ts: T0 + g.minute * MIN + i,
            total: g.total,
            productId: `p${g.product}`,
          });
        });
        const letters = memoryLetters();
        engine = createComputedTraits({
          store: test.store,
          stateStore: createMemoryStateStore(),
          deadLetters: letters,
          logger,
          config,
        });
        const bounds = [...new Set(cuts.map((c) => c % stream.length))].sort((a, b) => a - b);
        let start = 0;
        for (const end of [...bounds, stream.length]) {
          if (end <= start) continue;
          await test.pipeline.submit(stream.slice(start, end).map(message));
          start = end;
        }
        await engine.idle();
        const { values: expected, late } = bruteForce(config.traits, config.allowedLatenessMs, stream);
        const ids = [...expected.keys()].map((u) => `Customer:${u}`);
        const vertices = await test.store.getVertices(ids);
        const actual = new Map(
          [...expected.keys()].map((u, i) => [
            u,
            Object.fromEntries(config.traits.map((t) => [t.name, vertices[i]?.props[t.name] ?? null])),
          ]),
        );
        expect(actual).toEqual(expected);
        expect(letters.letters.map((l) => l.code)).toEqual(Array(late).fill(TOO_LATE));
      }),
      { numRuns: 60 },
    );
  });

  it('counts late events inside the allowed lateness, dead-letters later ones while the timeline still shows them, and survives a restart', async () => {
    const run = secureRandom();
    const dir = join(test.dir, `traits-${run}`);
    const letters = memoryLetters();
    let stateStore = createLmdbStateStore({ path: dir });
    const open = () => createComputedTraits({ store: test.store, stateStore, deadLetters: letters, logger, config });
    engine = open();
    const userId = `${run}-ann`;
    const view = (i: number, ts: number): GenEvent => ({
      messageId: `${run}-v${i}`,
      userId,
      name: 'Product Viewed',
      ts,
      total: 0,
      productId: `p${i}`,
    });
    const traitsOf = async () => (await test.store.getVertices([`Customer:${userId}`]))[0]?.props;

    await test.pipeline.submit([message(view(1, T0 + 10 * HOUR))]);
    await engine.idle();
    expect(await traitsOf()).toMatchObject({ views_3h: 1, last_viewed_4h: 'p1' });

    // An hour late: inside the lateness, counted in its own (earlier) bucket; `last` stays the newest by event time.
    await test.pipeline.submit([message(view(2, T0 + 9 * HOUR))]);
    await engine.idle();
    expect(await traitsOf()).toMatchObject({ views_3h: 2, last_viewed_4h: 'p1' });

    await engine.close();
    await stateStore.close();
    stateStore = createLmdbStateStore({ path: dir });
    engine = open();

    // Two hours late: beyond the lateness. Applied to the graph, not counted, dead-lettered.
    const tooLate = view(3, T0 + 8 * HOUR);
    const wire = message(tooLate);
    const result = await test.pipeline.submit([wire]);
    await engine.idle();
    expect(result.applied).toBe(1);
    expect(letters.letters.map((l) => [l.code, l.eventId])).toEqual([
      [TOO_LATE, expect.stringContaining(tooLate.messageId)],
    ]);
    // Dead letters can be worked: the letter holds the bytes that came in, not the decoded body.
    expect(letters.letters[0].originalBase64).toBe(wire.value?.toString('base64'));
    expect(await traitsOf()).toMatchObject({ views_3h: 2 });
    const timeline = await test.store.timeline({ ownerIds: [`Customer:${userId}`], first: 10 });
    expect(timeline.items.map((i) => i.vertex.key)).toContain(tooLate.messageId);

    // The window slides with event time: another customer's event four hours later empties Ann's 3h count.
    await test.pipeline.submit([message({ ...view(4, T0 + 14 * HOUR), userId: `${run}-bob` })]);
    await engine.idle();
    expect(await traitsOf()).toMatchObject({ views_3h: 0 });
    expect((await traitsOf())?.last_viewed_4h).toBeUndefined();
    await engine.close();
    await stateStore.close();
    engine = null;
  });

  it('counts an event once when it is redelivered past the pipeline dedupe after the process clock ran ahead', async () => {
    const run = secureRandom();
    const letters = memoryLetters();
    const applied: AppliedEvents[] = [];
    const p = await createTestPipeline({
      overrides: {
        onApplied: (a: AppliedEvents) => {
          applied.push(a);
        },
      },
    });
    const live = createComputedTraits({
      store: p.store,
      stateStore: createMemoryStateStore(),
      deadLetters: letters,
      logger,
      config,
    });
    const userId = `${run}-cat`;
    const view: GenEvent = {
      messageId: `${run}-v1`,
      userId,
      name: 'Product Viewed',
      ts: T0,
      total: 0,
      productId: 'p1',
    };
    try {
      await p.pipeline.submit([message(view)]);
      await live.process(applied.flatMap((a) => a.events));
      // Someone else's event two hours later moves the process clock past the lateness (90 min),
      // while Cat's view is still inside the 3 h window.
      await p.pipeline.submit([message({ ...view, messageId: `${run}-o1`, userId: `${run}-dog`, ts: T0 + 2 * HOUR })]);
      // Cat's own second view, ten minutes after the first, is counted while the process clock is ahead.
      await p.pipeline.submit([message({ ...view, messageId: `${run}-v2`, ts: T0 + 10 * MIN, productId: 'p2' })]);
      await live.process(applied.slice(1).flatMap((a) => a.events));
      expect((await p.store.getVertices([`Customer:${userId}`]))[0]?.props.views_3h).toBe(2);
      // A new worker redelivers the first batch (its own dedupe window never saw it): still two.
      await live.process(applied[0].events);
      expect((await p.store.getVertices([`Customer:${userId}`]))[0]?.props.views_3h).toBe(2);
      expect(letters.letters).toEqual([]);
    } finally {
      await live.close();
      await p.close();
    }
  });

  it('rejects a trait whose window is not a whole number of buckets, naming the setting', () => {
    expect(() =>
      createTraitsConfig({
        traits: [{ name: 'x', aggregate: 'count', windowMs: 90 * MIN, bucketMs: HOUR, match: viewed() }],
      }),
    ).toThrow(expect.objectContaining({ name: 'ConfigError', setting: 'traits.traits.0.windowMs' }));
  });
});
