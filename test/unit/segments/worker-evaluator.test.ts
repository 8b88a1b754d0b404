/**
 * Segment evaluation on worker threads (features/segments/worker-evaluator.ts) against a
 * real LMDB store: the same answers as the in-process reference evaluator, a cancelled
 * evaluation stops, and a worker that is lost is replaced for the next job.
 */
import { join } from 'node:path';
import {
  createEmbeddedSegmentEvaluator,
  createWorkerSegmentEvaluator,
  parseSegmentDefinition,
  SegmentError,
  type WorkerSegmentEvaluator,
} from '../../../features/segments';
import { BatchBuilder, type GraphStore, makeVersion } from '../../../graph-schema';
import { createEmbeddedStore } from '../../../services/graph/embedded';
import { makeTempDir, type TempDir } from '../../helpers/unique';
import { waitFor } from '../../helpers/wait-for';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);
const N = 3000;
const ENTRY = join(__dirname, '../../../app/processes/segment-evaluation-worker.ts');
const LATE_CANCEL = join(__dirname, '../../fixtures/workers/late-cancel-evaluation-worker.ts');
const key = (i: number) => `w${String(i).padStart(5, '0')}`;

// Customer i viewed a product (i % 7) times in the last (i % 30) days.
const viewedTwiceThisWeek = parseSegmentDefinition({
  and: [
    { trait: { name: 'lifetimeValue', op: 'gte', value: 100 } },
    { event: { name: 'Product Viewed', atLeast: 2, within: '7d' } },
  ],
});

// Real stores, worker threads and child processes on a shared 2-core machine: seconds, more when CI is busy.
jest.setTimeout(120_000);

describe('segment evaluation on worker threads', () => {
  let dir: TempDir;
  let store: GraphStore;
  const opened: WorkerSegmentEvaluator[] = [];
  const workers = (options: { threads?: number; slices?: number; cancelGraceMs?: number } = {}) => {
    const w = createWorkerSegmentEvaluator({
      entry: ENTRY,
      config: { path: dir.path },
      backend: 'embedded',
      ...options,
    });
    opened.push(w);
    return w;
  };

  beforeAll(async () => {
    dir = await makeTempDir('c360-worker-eval-');
    store = await createEmbeddedStore({ path: dir.path });
    const b = new BatchBuilder();
    const v = makeVersion(NOW - 40 * DAY, 'worker');
    for (let i = 0; i < N; i++) {
      b.add({ op: 'upsertVertex', label: 'Customer', key: key(i), props: { lifetimeValue: i % 500 }, version: v });
      for (let e = 0; e < i % 7; e++) {
        const ev = { label: 'Event' as const, key: `${key(i)}-e${e}` };
        const ts = NOW - ((i + e) % 30) * DAY;
        b.add({ op: 'upsertVertex', ...ev, props: { type: 'track', name: 'Product Viewed', ts }, version: v });
        b.add({
          op: 'upsertEdge',
          label: 'PERFORMED',
          from: { label: 'Customer', key: key(i) },
          to: ev,
          props: {},
          version: v,
        });
      }
    }
    await store.apply(b.build());
  });
  afterAll(async () => {
    await Promise.all(opened.map((w) => w.close()));
    await store?.close();
    await dir?.cleanup();
  });

  test('count, preview, members and check equal the in-process reference evaluator', async () => {
    const reference = createEmbeddedSegmentEvaluator({ store });
    const w = workers();
    const at = { now: NOW };
    const expected = await reference.preview(viewedTwiceThisWeek, { ...at, first: 20 });
    expect(expected.count).toBeGreaterThan(100);
    await expect(w.preview(viewedTwiceThisWeek, { ...at, first: 20 })).resolves.toEqual(expected);
    await expect(w.count(viewedTwiceThisWeek, at)).resolves.toBe(expected.count);
    const after = expected.members.items[19];
    await expect(w.members(viewedTwiceThisWeek, { ...at, first: 5, after })).resolves.toEqual(
      await reference.members(viewedTwiceThisWeek, { ...at, first: 5, after }),
    );
    const ids = [key(0), key(107), key(2999), 'nobody'].map((k) => `Customer:${k}`);
    await expect(w.check(viewedTwiceThisWeek, ids, at)).resolves.toEqual(
      await reference.check(viewedTwiceThisWeek, ids, at),
    );
  });

  test('a cancelled evaluation stops with EVALUATION_CANCELLED and the worker serves the next one', async () => {
    const w = workers();
    const controller = new AbortController();
    controller.abort();
    await expect(
      w.preview(viewedTwiceThisWeek, { now: NOW, first: 20, signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'EVALUATION_CANCELLED' });
    // Cancelled while running: the evaluator notices the shared flag between store round trips.
    const running = new AbortController();
    const pending = w.count(viewedTwiceThisWeek, { now: NOW, signal: running.signal });
    // Polled every turn: a job reaches its worker a few microtasks after the call and may finish
    // within milliseconds, so a 50 ms poll can see it only once it is over.
    await waitFor(() => w.stats().running === 1, { description: 'the job is running on the worker', intervalMs: 0 });
    running.abort();
    await expect(pending).rejects.toMatchObject({ code: 'EVALUATION_CANCELLED' });
    expect(w.stats().running).toBe(0);
    await expect(w.count(viewedTwiceThisWeek, { now: NOW })).resolves.toBeGreaterThan(100);
  });

  test('a worker terminated mid-job rejects that job and is replaced for the next', async () => {
    // No grace: cancelling terminates the worker at once, as for one stuck outside a checkpoint.
    const w = workers({ cancelGraceMs: 0 });
    await w.count(viewedTwiceThisWeek, { now: NOW });
    const controller = new AbortController();
    const pending = w.preview(viewedTwiceThisWeek, { now: NOW, first: 20, signal: controller.signal });
    await waitFor(() => w.stats().running === 1, { description: 'the job is running on the worker', intervalMs: 0 });
    controller.abort();
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SegmentError);
    expect(error).toMatchObject({ code: 'EVALUATION_CANCELLED' });
    await expect(w.count(viewedTwiceThisWeek, { now: NOW })).resolves.toBeGreaterThan(100);
    expect(w.stats()).toEqual({ running: 0, waiting: 0, workers: 1 });
  });

  test('a "cancelled" reply that crosses the kill does not free the dying worker for the next job', async () => {
    // CI once saw it: the kill timer terminated the worker, its "cancelled" reply (posted an
    // instant before) then freed the slot, the next job went to the dying worker and failed
    // with "its worker exited with code 1".
    const w = createWorkerSegmentEvaluator({ entry: LATE_CANCEL, config: {}, backend: 'embedded', cancelGraceMs: 0 });
    opened.push(w);
    await expect(w.count(viewedTwiceThisWeek, { now: NOW })).resolves.toBe(1000);
    const controller = new AbortController();
    const pending = w.preview(viewedTwiceThisWeek, { now: NOW, first: 20, signal: controller.signal });
    await waitFor(() => w.stats().running === 1, { description: 'the job is running on the worker', intervalMs: 0 });
    // Abort from a check-phase callback and hold the thread while the worker replies: the next
    // turn of the loop runs the due kill timer (timers phase) before it reads the reply (poll).
    await new Promise<void>((resolve) =>
      setImmediate(() => {
        controller.abort();
        const until = Date.now() + 200;
        while (Date.now() < until);
        resolve();
      }),
    );
    await expect(pending).rejects.toMatchObject({ code: 'EVALUATION_CANCELLED' });
    await expect(w.count(viewedTwiceThisWeek, { now: NOW })).resolves.toBe(1000);
    expect(w.stats()).toEqual({ running: 0, waiting: 0, workers: 1 });
  });

  test('writes committed after the worker opened the store, in record shapes it has not seen, are read', async () => {
    const w = workers();
    const reference = createEmbeddedSegmentEvaluator({ store });
    await w.count(viewedTwiceThisWeek, { now: NOW });
    // New property sets: msgpack records with structures the worker's decoder has never loaded.
    const b = new BatchBuilder();
    const v = makeVersion(NOW - DAY, 'later');
    for (let i = 0; i < 50; i++) {
      b.add({
        op: 'upsertVertex',
        label: 'Customer',
        key: `late${i}`,
        props: { lifetimeValue: 400, plan: i % 2 ? 'gold' : 'basic', [`extra${i % 5}`]: i },
        version: v,
      });
    }
    await store.apply(b.build());
    const gold = parseSegmentDefinition({ trait: { name: 'plan', op: 'eq', value: 'gold' } });
    const expected = await reference.preview(gold, { now: NOW, first: 50 });
    expect(expected.count).toBe(25);
    await expect(w.preview(gold, { now: NOW, first: 50 })).resolves.toEqual(expected);
  });

  test('a preview or count cut into slices of the customers, one per worker, answers as one scan', async () => {
    const reference = createEmbeddedSegmentEvaluator({ store });
    const at = { now: NOW };
    for (const slices of [2, 3, 7]) {
      const w = workers({ threads: 2, slices });
      for (const first of [1, 20, 5000]) {
        for (const after of [null, `Customer:${key(5)}`, `Customer:${key(1500)}`, `Customer:${key(2999)}`]) {
          const request = { ...at, first, after };
          await expect(w.preview(viewedTwiceThisWeek, request)).resolves.toEqual(
            await reference.preview(viewedTwiceThisWeek, request),
          );
        }
      }
      await expect(w.count(viewedTwiceThisWeek, at)).resolves.toBe(await reference.count(viewedTwiceThisWeek, at));
      // Both workers took a slice.
      expect(w.stats()).toEqual({ running: 0, waiting: 0, workers: 2 });
    }
  });

  test('cancelling a sliced preview stops every slice', async () => {
    const w = workers({ threads: 2 });
    const controller = new AbortController();
    const pending = w.preview(viewedTwiceThisWeek, { now: NOW, first: 20, signal: controller.signal });
    await waitFor(() => w.stats().running === 2, { description: 'both slices are running' });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'EVALUATION_CANCELLED' });
    await waitFor(() => w.stats().running === 0, { description: 'both slices stopped' });
    await expect(w.count(viewedTwiceThisWeek, { now: NOW })).resolves.toBeGreaterThan(100);
  });

  test('jobs beyond the worker count wait their turn and all get answers', async () => {
    const w = workers({ threads: 2 });
    const results = await Promise.all(Array.from({ length: 5 }, () => w.count(viewedTwiceThisWeek, { now: NOW })));
    expect(new Set(results).size).toBe(1);
    expect(w.stats().workers).toBeLessThanOrEqual(2);
  });
});
