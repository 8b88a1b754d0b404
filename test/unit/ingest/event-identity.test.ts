/**
 * Issue #22 item 3: one sender's events cannot corrupt another's, and one event
 * cannot corrupt everyone's computed traits. Reproduced against the real hub
 * through the collector, where browser write keys are public:
 *
 * - an attacker who reuses a victim's messageId (other write key, or the same
 *   public one) made the victim's order a silent duplicate (200, rejected: []);
 *   two concurrent posts merged into one Event vertex;
 * - an event dated +23 h (the collector allows 24 h of skew) moved the one
 *   computed-traits clock forward for every customer, so the next real events
 *   were dead-lettered TOO_LATE — and that survived a restart.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { senderOf } from '../../../api/collector/collector-router';
import { TOO_LATE } from '../../../features/health';
import { readDeadLetterFile } from '../../../ingest';
import { createTestPipeline, raw } from '../../helpers/hub-pipeline';
import { secureRandom } from '../../helpers/unique';
import { waitFor } from '../../helpers/wait-for';
import { type SecuredHub, startSecuredHub, WRITE_KEY } from '../security/security-kit';

const OTHER_KEY = 'wk-other-sender-0123456789';

async function metric(h: SecuredHub, name: string): Promise<number> {
  const text = await h.hub.registry.metrics();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

describe('event identity is per sender and checked for content', () => {
  let h: SecuredHub;
  beforeAll(async () => {
    h = await startSecuredHub({ overrides: { writeKeys: [WRITE_KEY, OTHER_KEY] } });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  const order = (run: string, userId: string, total: number, extra: Record<string, unknown> = {}) => ({
    type: 'track',
    messageId: `${run}-order-42`,
    userId,
    event: 'Coupon Applied',
    timestamp: '2026-03-01T10:00:00.000Z',
    properties: { coupon: `${run}-SAVE`, total },
    ...extra,
  });
  const eventsOf = async (userId: string) =>
    (await h.hub.store.timeline({ ownerIds: [`Customer:${userId}`], first: 20 })).items
      .map((i) => i.vertex)
      .filter((v) => v.label === 'Event');

  it("another sender's reused messageId is another event: the victim's order is kept", async () => {
    const run = secureRandom();
    // The attacker posts first, with its own key, the messageId the victim will use.
    const attack = await h.collect('/v1/track', order(run, `${run}-attacker`, 1), OTHER_KEY);
    expect(await attack.json()).toEqual({ success: true, rejected: [] });
    const victim = await h.collect('/v1/track', order(run, `${run}-victim`, 999));
    expect(await victim.json()).toEqual({ success: true, rejected: [] });

    const [mine] = await eventsOf(`${run}-victim`);
    expect(mine?.id).toBe(`Event:${run}-order-42~${senderOf(WRITE_KEY)}`);
    expect(mine?.props.properties).toMatchObject({ total: 999 });
    const [theirs] = await eventsOf(`${run}-attacker`);
    expect(theirs?.id).toBe(`Event:${run}-order-42~${senderOf(OTHER_KEY)}`);
    expect(theirs?.props.properties).toMatchObject({ total: 1 });
  });

  it('the same sender reusing a messageId for other content: kept apart, counted, and its retries still dedupe', async () => {
    const run = secureRandom();
    const conflictsBefore = await metric(h, 'c360_events_id_conflicts_total');
    // Browser write keys are public: the attacker can send with the victim's key.
    await h.collect('/v1/track', order(run, `${run}-attacker`, 1));
    const victimOrder = order(run, `${run}-victim`, 999, { sentAt: '2026-03-01T10:00:01.000Z' });
    expect(await (await h.collect('/v1/track', victimOrder)).json()).toEqual({ success: true, rejected: [] });
    const [mine] = await eventsOf(`${run}-victim`);
    expect(mine?.id).toMatch(new RegExp(`^Event:${run}-order-42~${senderOf(WRITE_KEY)}~[0-9a-f]{16}$`));
    expect(mine?.props.properties).toMatchObject({ total: 999 });
    expect((await eventsOf(`${run}-attacker`))[0]?.props.properties).toMatchObject({ total: 1 });
    expect(await metric(h, 'c360_events_id_conflicts_total')).toBe(conflictsBefore + 1);

    // The SDK retries the victim's order (a new sentAt): the same event, not a third one.
    const applied = await metric(h, 'c360_events_applied_total');
    await h.collect('/v1/track', { ...victimOrder, sentAt: '2026-03-01T10:00:09.000Z' });
    await h.collect('/v1/track', order(run, `${run}-attacker`, 1));
    expect(await metric(h, 'c360_events_applied_total')).toBe(applied);
    expect(await eventsOf(`${run}-victim`)).toHaveLength(1);
  });

  it('two concurrent posts with one messageId and different content stay two events', async () => {
    const run = secureRandom();
    const posts = await Promise.all(
      ['a', 'b', 'c', 'd'].map((who, i) => h.collect('/v1/track', order(run, `${run}-${who}`, i + 1))),
    );
    for (const p of posts) expect(p.status).toBe(200);
    for (const [i, who] of ['a', 'b', 'c', 'd'].entries()) {
      const events = await eventsOf(`${run}-${who}`);
      expect(events).toHaveLength(1);
      expect(events[0].props.properties).toMatchObject({ total: i + 1 });
    }
  });

  it('one batch holding one messageId twice with different content keeps both; redelivering the batch adds nothing', async () => {
    const run = secureRandom();
    const batch = { batch: [order(run, `${run}-x`, 7), order(run, `${run}-y`, 8), order(run, `${run}-x`, 7)] };
    expect(await (await h.collect('/v1/batch', batch)).json()).toEqual({ success: true, rejected: [] });
    const applied = await metric(h, 'c360_events_applied_total');
    expect(await (await h.collect('/v1/batch', batch)).json()).toEqual({ success: true, rejected: [] });
    expect(await metric(h, 'c360_events_applied_total')).toBe(applied);
    expect((await eventsOf(`${run}-x`)).map((e) => e.props.properties)).toEqual([
      expect.objectContaining({ total: 7 }),
    ]);
    expect((await eventsOf(`${run}-y`)).map((e) => e.props.properties)).toEqual([
      expect.objectContaining({ total: 8 }),
    ]);
  });

  it('a sender cannot claim another sender by writing the stamp itself', async () => {
    const run = secureRandom();
    await h.collect('/v1/track', { ...order(run, `${run}-forger`, 5), c360SenderId: senderOf(WRITE_KEY) }, OTHER_KEY);
    const [event] = await eventsOf(`${run}-forger`);
    expect(event?.id).toBe(`Event:${run}-order-42~${senderOf(OTHER_KEY)}`);
  });
});

describe('no content is lost or doubled, whatever the delivery', () => {
  it('redelivered, reordered and concurrently submitted events with colliding ids: each distinct content is exactly one Event', async () => {
    // A few messageIds and senders, so that collisions are the rule: contents under one id differ by `total`.
    const event = fc.record({
      mid: fc.constantFrom('m1', 'm2', 'm3'),
      sender: fc.constantFrom(null, 'wk_aaaaaaaaaaaa', 'wk_bbbbbbbbbbbb'),
      total: fc.integer({ min: 1, max: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(event, { minLength: 1, maxLength: 8, selector: (e) => JSON.stringify(e) }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 4 }),
        async (distinct, picks, concurrency) => {
          const t = await createTestPipeline();
          try {
            const bytes = (e: (typeof distinct)[number]) =>
              JSON.stringify({
                type: 'track',
                messageId: e.mid,
                userId: 'prop-user',
                event: 'Coupon Applied',
                timestamp: '2026-03-01T10:00:00.000Z',
                properties: { total: e.total },
                ...(e.sender ? { c360SenderId: e.sender } : {}),
              });
            // Every event once, then redeliveries in the order fast-check picks, in concurrent submits.
            const deliveries = [...distinct, ...picks.map((i) => distinct[i % distinct.length])];
            const lanes = Array.from({ length: concurrency }, (_, lane) =>
              deliveries.filter((_, i) => i % concurrency === lane),
            );
            await Promise.all(
              lanes.map(async (lane) => {
                for (let i = 0; i < lane.length; i += 3) {
                  await t.pipeline.submit(lane.slice(i, i + 3).map((e) => raw('segment', bytes(e))));
                }
              }),
            );
            const events = (await t.store.timeline({ ownerIds: ['Customer:prop-user'], first: 100 })).items
              .map((i) => i.vertex)
              .filter((v) => v.label === 'Event');
            const seen = events.map((v) => {
              const sender = /~(wk_[a-z]{12})/.exec(v.key)?.[1] ?? null;
              return JSON.stringify({
                mid: v.key.split('~')[0],
                sender,
                total: (v.props.properties as { total: number }).total,
              });
            });
            expect(seen.sort()).toEqual(distinct.map((e) => JSON.stringify(e)).sort());
          } finally {
            await t.close();
          }
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);
});

describe('one future-dated event does not make everyone late', () => {
  it('an event dated +23 h moves no other customer’s clock, before or after a restart', async () => {
    let h = await startSecuredHub();
    const cleanup: SecuredHub[] = [];
    const dataDir = join(h.dir, 'data');
    const run = secureRandom();
    const now = Date.now();
    const view = (userId: string, i: number, at: number) => ({
      type: 'track',
      messageId: `${run}-v${userId}-${i}`,
      userId: `${run}-${userId}`,
      event: 'Product Viewed',
      timestamp: new Date(at).toISOString(),
      properties: { product_id: `p${i}` },
    });
    const views = async (userId: string) =>
      (await h.hub.store.getVertices([`Customer:${run}-${userId}`]))[0]?.props.views_7d;
    try {
      // Accepted by the collector: within the 24 h of allowed clock skew.
      expect((await h.collect('/v1/track', view('mallory', 1, now + 23 * 3_600_000))).status).toBe(200);
      expect((await h.collect('/v1/track', view('ann', 1, now - 10 * 60_000))).status).toBe(200);
      await waitFor(async () => (await views('ann')) === 1, { description: "ann's view counted" });

      // The hub only (SecuredHub.close would delete the data dir): the restart reopens it.
      const first = h;
      await first.hub.close();
      h = await startSecuredHub({ overrides: { dataDir } });
      cleanup.push(first);
      expect((await h.collect('/v1/track', view('ann', 2, now - 5 * 60_000))).status).toBe(200);
      expect((await h.collect('/v1/track', view('bob', 1, now - 20 * 60_000))).status).toBe(200);
      await waitFor(async () => (await views('ann')) === 2 && (await views('bob')) === 1, {
        description: 'later real views counted after the restart',
      });
      const late = (await readDeadLetterFile(join(dataDir, 'dead-letters.ndjson'))).filter((l) => l.code === TOO_LATE);
      expect(late).toEqual([]);
    } finally {
      await h.hub.close();
      for (const c of [...cleanup, h]) await c.close();
    }
  }, 60_000);
});
