/**
 * Previews over many customers: the embedded evaluator pages through customers and
 * batches its neighbour reads; the answer must equal the brute-force one, in id order.
 */

import { createEmbeddedSegmentEvaluator, parseSegmentDefinition } from '../../../features/segments';
import { BatchBuilder, type GraphStore, makeVersion } from '../../../graph-schema';
import { createEmbeddedStore } from '../../../services/graph/embedded';
import { makeTempDir, type TempDir } from '../../helpers/unique';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);
const N = 2500;
const key = (i: number) => `m${String(i).padStart(5, '0')}`;

describe('preview over many customers', () => {
  let dir: TempDir;
  let store: GraphStore;
  beforeAll(async () => {
    dir = await makeTempDir('c360-segments-many-');
    store = await createEmbeddedStore({ path: dir.path });
    const b = new BatchBuilder();
    const v = makeVersion(NOW - 40 * DAY, 'many');
    b.add({ op: 'upsertVertex', label: 'Product', key: 'tv', props: { category: 'tv' }, version: v });
    for (let i = 0; i < N; i++) {
      b.add({ op: 'upsertVertex', label: 'Customer', key: key(i), props: { lifetimeValue: i }, version: v });
      // Every third customer viewed the tv i % 10 days ago.
      if (i % 3 === 0) {
        const ts = NOW - (i % 10) * DAY;
        const ev = { label: 'Event' as const, key: `e${i}` };
        b.add({ op: 'upsertVertex', ...ev, props: { type: 'track', name: 'Product Viewed', ts }, version: v });
        b.add({
          op: 'upsertEdge',
          label: 'PERFORMED',
          from: { label: 'Customer', key: key(i) },
          to: ev,
          props: {},
          version: v,
        });
        b.add({
          op: 'upsertEdge',
          label: 'ABOUT',
          from: ev,
          to: { label: 'Product', key: 'tv' },
          props: {},
          version: v,
        });
      }
    }
    await store.apply(b.build());
  });
  afterAll(async () => {
    await store?.close();
    await dir?.cleanup();
  });

  test('count, first page and every later page equal the brute-force answer', async () => {
    const evaluator = createEmbeddedSegmentEvaluator({ store, pageSize: 700 });
    const definition = parseSegmentDefinition({
      and: [
        { trait: { name: 'lifetimeValue', op: 'gte', value: 1000 } },
        { event: { name: 'Product Viewed', product: { category: 'tv' }, within: '7d' } },
      ],
    });
    const expected: string[] = [];
    for (let i = 1000; i < N; i++) if (i % 3 === 0 && i % 10 <= 7) expected.push(`Customer:${key(i)}`);

    const preview = await evaluator.preview(definition, { now: NOW, first: 25 });
    expect(preview.count).toBe(expected.length);
    expect(preview.members.items).toEqual(expected.slice(0, 25));
    expect(preview.members.hasNextPage).toBe(true);

    const all: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await evaluator.members(definition, { now: NOW, first: 97, after });
      all.push(...page.items);
      if (!page.hasNextPage) break;
      after = page.cursors[page.cursors.length - 1];
    }
    expect(all).toEqual(expected);
    expect(await evaluator.count(definition, { now: NOW })).toBe(expected.length);
  });
});
