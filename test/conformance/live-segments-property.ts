/**
 * Property, for any store: after any sequence of events — plan changes, customers
 * joining households, routers going RED and recovering, product views — applied
 * through the real pipeline in any batching, every saved segment's live membership
 * (MEMBER_OF, kept by live segments) equals a fresh preview of its definition. The
 * segments cover a member's own traits, its behaviour, and a relationship to other
 * customers' devices (`shares`), the case that went stale.
 */
import fc from 'fast-check';
import pino from 'pino';
import { createActionBus, type HubAction } from '../../features/actions';
import {
  createEmbeddedSegmentEvaluator,
  createLiveSegments,
  createSegmentCatalog,
  type LiveSegments,
} from '../../features/segments';
import type { GraphStore } from '../../graph-schema';
import type { AppliedEvents } from '../../ingest';
import { createTestPipeline, raw } from '../helpers/hub-pipeline';
import { secureRandom } from '../helpers/unique';

const T0 = Date.UTC(2026, 5, 1, 9);
const MIN = 60_000;
const CUSTOMERS = 3;
const HOUSEHOLDS = 1;

type Command =
  | { readonly kind: 'plan'; readonly customer: number; readonly gold: boolean }
  | { readonly kind: 'join'; readonly customer: number; readonly household: number }
  | { readonly kind: 'reading'; readonly customer: number; readonly bad: boolean }
  | { readonly kind: 'view'; readonly customer: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant('plan' as const), customer: fc.nat(CUSTOMERS - 1), gold: fc.boolean() }),
  fc.record({ kind: fc.constant('join' as const), customer: fc.nat(CUSTOMERS - 1), household: fc.nat(HOUSEHOLDS - 1) }),
  fc.record({ kind: fc.constant('reading' as const), customer: fc.nat(CUSTOMERS - 1), bad: fc.boolean() }),
  fc.record({ kind: fc.constant('view' as const), customer: fc.nat(CUSTOMERS - 1) }),
);

export interface LiveSegmentsPropertyOptions {
  readonly numRuns: number;
  readonly timeoutMs: number;
}

export function defineLiveSegmentsProperty(
  name: string,
  openStore: () => Promise<{ readonly store: GraphStore; close(): Promise<void> }>,
  options: LiveSegmentsPropertyOptions,
): void {
  describe(`live segment membership equals a fresh preview (${name})`, () => {
    it(
      'after any event sequence, for every saved segment',
      async () => {
        const { store, close } = await openStore();
        try {
          await fc.assert(
            fc.asyncProperty(
              fc.array(command, { minLength: 1, maxLength: 25 }),
              fc.array(fc.nat(), { maxLength: 8 }),
              async (commands, cuts) => {
                await checkOnce(store, commands, cuts);
              },
            ),
            {
              numRuns: options.numRuns,
              // The case that went stale: B is in because A's router is RED; A's router recovers.
              examples: [
                [
                  [
                    { kind: 'join', customer: 0, household: 0 },
                    { kind: 'join', customer: 1, household: 0 },
                    { kind: 'reading', customer: 0, bad: true },
                    { kind: 'reading', customer: 0, bad: false },
                  ],
                  [3],
                ],
              ],
            },
          );
        } finally {
          await close();
        }
      },
      options.timeoutMs,
    );
  });
}

async function checkOnce(remote: GraphStore, commands: readonly Command[], cuts: readonly number[]): Promise<void> {
  const p = `lsp${secureRandom().slice(0, 10)}`;
  const clock = { now: () => T0 + 60 * MIN };
  let live: LiveSegments | null = null;
  const tp = await createTestPipeline({
    wrapStore: () => remote,
    overrides: { onApplied: (a: AppliedEvents) => live?.onApplied(a) },
  });
  try {
    const store = remote;
    const bus = createActionBus({ publish: async (_: readonly HubAction[]) => {}, close: async () => {} });
    const catalog = createSegmentCatalog({ store, clock });
    const evaluator = createEmbeddedSegmentEvaluator({ store });
    live = createLiveSegments({
      store,
      actions: bus,
      evaluator,
      catalog,
      clock,
      logger: pino({ level: 'silent' }),
      autoSchedule: false,
    });
    const saved = [
      await catalog.save({
        id: `${p}-gold`,
        name: 'gold',
        definition: { trait: { name: 'plan', op: 'eq', value: `${p}-gold` } },
      }),
      await catalog.save({
        id: `${p}-hh-red`,
        name: 'household with a RED router',
        definition: {
          shares: { via: 'account', with: { device: { where: [{ name: 'ind_packetErrors', op: 'gt', value: 100 }] } } },
        },
      }),
      await catalog.save({
        id: `${p}-viewers`,
        name: 'viewed twice',
        definition: { event: { name: 'Product Viewed', within: '7d', atLeast: 2 } },
      }),
    ];
    for (const s of saved) await live.reconcile(s.key);

    const user = (i: number) => `${p}-u${i}`;
    const messages = commands.map((c, i) => {
      const at = new Date(T0 + i * MIN).toISOString();
      switch (c.kind) {
        case 'plan':
          return raw(
            'segment',
            JSON.stringify({
              type: 'identify',
              messageId: `${p}-m${i}`,
              userId: user(c.customer),
              timestamp: at,
              traits: { plan: c.gold ? `${p}-gold` : `${p}-basic` },
            }),
            T0 + DAY,
          );
        case 'join':
          return raw(
            'segment',
            JSON.stringify({
              type: 'group',
              messageId: `${p}-m${i}`,
              userId: user(c.customer),
              groupId: `${p}-hh${c.household}`,
              timestamp: at,
            }),
            T0 + DAY,
          );
        case 'reading':
          return raw(
            'telemetry',
            JSON.stringify({
              deviceId: `${p}-d${c.customer}`,
              entityId: user(c.customer),
              timestamp: at,
              seq: i,
              indicators: { packetErrors: c.bad ? 300 : 1 },
            }),
            T0 + DAY,
          );
        case 'view':
          return raw(
            'segment',
            JSON.stringify({
              type: 'track',
              event: 'Product Viewed',
              messageId: `${p}-m${i}`,
              userId: user(c.customer),
              properties: { product_id: 'sku-1' },
              timestamp: at,
            }),
            T0 + DAY,
          );
        default: {
          const never: never = c;
          throw new Error(`unknown command ${JSON.stringify(never)}`);
        }
      }
    });
    // Any batching: the cuts split the sequence into consecutive submits.
    const bounds = [...new Set(cuts.map((c) => c % messages.length))].sort((a, b) => a - b);
    let from = 0;
    for (const to of [...bounds, messages.length]) {
      if (to > from) {
        await tp.pipeline.submit(messages.slice(from, to));
        // Each batch is evaluated on its own (as a worker evaluates what it just applied).
        await live.idle();
      }
      from = Math.max(from, to);
    }
    await live.idle();

    const ours = (ids: readonly string[]) => ids.filter((id) => id.startsWith(`Customer:${p}-`)).sort();
    for (const s of saved) {
      const preview: string[] = [];
      await evaluator.scan(s.definition, { now: clock.now() }, (ids, verdicts) => {
        ids.forEach((id, i) => {
          if (verdicts[i].member) preview.push(id);
        });
      });
      expect({ segment: s.name, members: ours(await catalog.allMembers(s.key)) }).toEqual({
        segment: s.name,
        members: ours(preview),
      });
    }
    await live.close();
    live = null;
    for (const s of saved) await catalog.delete(s.key);
  } finally {
    await live?.close();
    // The wrapped (remote) store belongs to the caller; only the pipeline's own parts close here.
    await tp.close();
  }
}

const DAY = 24 * 60 * MIN;
