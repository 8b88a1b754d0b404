/**
 * `labelRanges` (services/graph/embedded/embedded-store.ts) cuts one label's vertices into
 * contiguous slices so a segment preview can scan them on several threads. Whatever the keys,
 * deletions and number of slices, listing each slice with `search` (after its cursor, up to
 * and including its last id) must give every vertex of the label once, in order.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { BatchBuilder, compareByteOrder, type GraphStore, makeVersion } from '../../graph-schema';
import { createEmbeddedStore, type EmbeddedGraphStore } from '../../services/graph/embedded';

const dirs: string[] = [];
const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function listAll(store: GraphStore, after: string | null, through: string | null): Promise<string[]> {
  const ids: string[] = [];
  let cursor = after;
  for (;;) {
    const page = await store.search('Customer', '', { first: 7, after: cursor });
    for (const v of page.items) {
      if (through !== null && compareByteOrder(v.id, through) > 0) return ids;
      ids.push(v.id);
    }
    if (!page.hasNextPage) return ids;
    cursor = page.cursors[page.cursors.length - 1];
  }
}

// Keys with characters around ':' and ';' (the label's range bounds) and beyond ASCII.
const key = fc.stringMatching(/^[a-z0-9:;é€-]{1,6}$/);

test('the slices cover every vertex of the label exactly once, in id order', async () => {
  let cut = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(key, { minLength: 0, maxLength: 60 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      fc.integer({ min: 1, max: 9 }),
      async (keys, deletions, parts) => {
        const dir = mkdtempSync(join(base, 'c360-ranges-'));
        dirs.push(dir);
        const store: EmbeddedGraphStore = await createEmbeddedStore({ path: dir });
        try {
          const b = new BatchBuilder();
          const v = makeVersion(1, 'ranges');
          for (const k of keys) {
            b.add({ op: 'upsertVertex', label: 'Customer', key: k, props: {}, version: v });
            // Neighbouring labels in the same database must stay out of the slices.
            b.add({ op: 'upsertVertex', label: 'Device', key: k, props: {}, version: v });
          }
          await store.apply(b.build());
          if (keys.length > 0 && deletions.length > 0) {
            const d = new BatchBuilder();
            for (const n of deletions) {
              d.add({
                op: 'deleteVertex',
                label: 'Customer',
                key: keys[n % keys.length],
                version: makeVersion(2, 'gone'),
              });
            }
            await store.apply(d.build());
          }
          const whole = await listAll(store, null, null);
          const ranges = await store.labelRanges('Customer', parts);
          expect(ranges.length).toBeGreaterThanOrEqual(1);
          expect(ranges.length).toBeLessThanOrEqual(parts);
          expect(ranges[0].after).toBeNull();
          expect(ranges[ranges.length - 1].through).toBeNull();
          const sliced: string[] = [];
          for (const r of ranges) sliced.push(...(await listAll(store, r.after, r.through)));
          expect(sliced).toEqual(whole);
          if (ranges.length > 1 && whole.length > 0) cut++;
        } finally {
          await store.close();
        }
      },
    ),
    { numRuns: 60 },
  );
  // The property was exercised with real cuts, not only single slices.
  expect(cut).toBeGreaterThan(10);
});

test('a bad number of slices is a BAD_QUERY error', async () => {
  const dir = mkdtempSync(join(base, 'c360-ranges-'));
  dirs.push(dir);
  const store = await createEmbeddedStore({ path: dir });
  try {
    await expect(store.labelRanges('Customer', 0)).rejects.toMatchObject({ code: 'BAD_QUERY' });
    await expect(store.labelRanges('Customer', 1)).resolves.toEqual([{ after: null, through: null }]);
  } finally {
    await store.close();
  }
});
