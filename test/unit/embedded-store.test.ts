import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  coalesce,
  type GraphBatch,
  type GraphStore,
  type JsonObject,
  type Mutation,
  makeVersion,
} from '../../graph-schema';
import { createEmbeddedStore, EmbeddedStoreError } from '../../services/graph';
import { defineGraphStoreSuite, dumpGraph } from '../conformance';
import { embeddedWriterBatch, embeddedWriterCustomerIds } from '../helpers/embedded-writer-batch';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'c360-embedded-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

// The embedded store is fast enough to afford twice the default property runs.
defineGraphStoreSuite('embedded', async () => ({ store: await createEmbeddedStore({ path: tempDir() }) }), {
  propertyRuns: 200,
});

const ver = (t: number) => makeVersion(t, 'unit');

function sampleGraph(): GraphBatch {
  const c = { label: 'Customer' as const, key: 'c1' };
  const i = { label: 'Identity' as const, key: 'email:ann@example.com' };
  const mutations: Mutation[] = [
    { op: 'upsertVertex', ...c, props: { name: 'Ann Lee', email: 'ann@example.com' }, version: ver(10) },
    { op: 'upsertVertex', ...i, props: { type: 'email', value: 'ann@example.com' }, version: ver(10) },
    { op: 'upsertEdge', label: 'HAS_IDENTITY', from: c, to: i, props: { rule: 'crm' }, version: ver(10) },
  ];
  for (let n = 0; n < 5; n++) {
    const order = { label: 'Order' as const, key: `o${n}` };
    mutations.push({ op: 'upsertVertex', ...order, props: { ts: 1000 + n, total: n }, version: ver(11) });
    mutations.push({ op: 'upsertEdge', label: 'PLACED', from: n % 2 ? c : i, to: order, props: {}, version: ver(12) });
  }
  mutations.push({ op: 'deleteVertex', label: 'Order', key: 'o3', version: ver(20) });
  return coalesce(mutations);
}

async function observe(store: GraphStore) {
  const ids = ['Customer:c1', 'Identity:email:ann@example.com', 'Order:o0', 'Order:o1', 'Order:o3', 'Order:o4'];
  return {
    dump: await dumpGraph(store, ids),
    stats: await store.stats(),
    lookup: await store.lookup('Identity', 'value', 'ann@example.com'),
    search: await store.search('Customer', 'ann', { first: 10 }),
    timeline: await store.timeline({ ownerIds: ids.slice(0, 2), first: 10 }),
  };
}

describe('embedded store: lifecycle', () => {
  test('a store reopened after close answers exactly as before and keeps accepting writes', async () => {
    const dir = tempDir();
    const first = await createEmbeddedStore({ path: dir });
    await first.apply(sampleGraph());
    const before = await observe(first);
    expect(before.timeline.items.map((x) => x.vertex.id)).toEqual(['Order:o4', 'Order:o2', 'Order:o1', 'Order:o0']);
    await first.close();

    const second = await createEmbeddedStore({ path: dir });
    expect(await observe(second)).toEqual(before);
    await second.apply(
      coalesce([{ op: 'upsertVertex', label: 'Customer', key: 'c1', props: { plan: 'gold' }, version: ver(30) }]),
    );
    expect((await second.getVertices(['Customer:c1']))[0]?.props).toEqual({
      email: 'ann@example.com',
      name: 'Ann Lee',
      plan: 'gold',
    });
    await second.close();
  });

  test('a closed store refuses calls with STORE_CLOSED, and closing twice is harmless', async () => {
    const store = await createEmbeddedStore({ path: tempDir() });
    await store.close();
    await store.close();
    await expect(store.getVertices(['Customer:x'])).rejects.toMatchObject({
      name: 'EmbeddedStoreError',
      code: 'STORE_CLOSED',
    });
    await expect(store.apply(sampleGraph())).rejects.toBeInstanceOf(EmbeddedStoreError);
  });
});

describe('embedded store: failures', () => {
  let store: GraphStore;
  beforeAll(async () => {
    store = await createEmbeddedStore({ path: tempDir() });
  });
  afterAll(() => store.close());

  test('a batch that fails inside its transaction leaves nothing behind and the store keeps working', async () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const good: Mutation[] = Array.from({ length: 50 }, (_, n) => ({
      op: 'upsertVertex',
      label: 'Customer',
      key: `atomic-${n}`,
      props: { email: `atomic-${n}@example.com` },
      version: ver(10),
    }));
    // Written last, so the transaction already holds the good vertices when encoding this one throws.
    const poison: Mutation = {
      op: 'upsertVertex',
      label: 'Customer',
      key: 'atomic-poison',
      props: { broken: circular as unknown as JsonObject },
      version: ver(10),
    };
    const error = await store.apply(coalesce([...good, poison])).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ name: 'EmbeddedStoreError', code: 'STORE_WRITE_FAILED' });
    const ids = good.map((m) => (m.op === 'upsertVertex' ? `Customer:${m.key}` : ''));
    expect((await store.getVertices(ids)).filter((v) => v !== null)).toEqual([]);
    expect(await store.lookup('Customer', 'email', 'atomic-0@example.com')).toEqual([]);
    expect(await store.stats()).toEqual({ vertices: {}, edges: {} });

    await store.apply(coalesce(good));
    expect(await store.lookup('Customer', 'email', 'atomic-0@example.com')).toEqual(['Customer:atomic-0']);
  });

  test('an id too long for an LMDB key is refused before writing, as a non-retriable INVALID_ELEMENT', async () => {
    const batch = coalesce([
      { op: 'upsertVertex', label: 'Customer', key: 'fine', props: {}, version: ver(10) },
      { op: 'upsertVertex', label: 'Customer', key: 'x'.repeat(600), props: {}, version: ver(10) },
    ]);
    await expect(store.apply(batch)).rejects.toMatchObject({ code: 'INVALID_ELEMENT', retriable: false });
    expect(await store.getVertices(['Customer:fine'])).toEqual([null]);
  });

  test('a hand-built batch whose edge omits its endpoints counts the edge once the endpoints arrive', async () => {
    const from = { label: 'Customer' as const, key: 'hand-c' };
    const to = { label: 'Order' as const, key: 'hand-o' };
    const edgeOnly = coalesce([{ op: 'upsertEdge', label: 'PLACED', from, to, props: {}, version: ver(10) }]);
    await store.apply({ vertices: [], edges: edgeOnly.edges });
    const before = await store.stats();
    expect(await store.getVertices(['Customer:hand-c', 'Order:hand-o'])).toEqual([null, null]);
    // The endpoints arrive one at a time, each in its own batch, after the edge.
    await store.apply(coalesce([{ op: 'upsertVertex', ...to, props: {}, version: ver(10) }]));
    await store.apply(coalesce([{ op: 'upsertVertex', ...from, props: {}, version: ver(10) }]));
    const after = await store.stats();
    expect((after.edges.PLACED ?? 0) - (before.edges.PLACED ?? 0)).toBe(1);
    await store.apply(coalesce([{ op: 'deleteVertex', ...to, version: ver(20) }]));
    expect((await store.stats()).edges.PLACED ?? 0).toBe(before.edges.PLACED ?? 0);
    const [page] = await store.neighbors([{ id: 'Customer:hand-c', direction: 'out', first: 5 }]);
    expect(page.items).toEqual([]);
  });

  test('bad cursors, page sizes and unindexed lookups are typed errors', async () => {
    await expect(
      store.neighbors([{ id: 'Customer:x', direction: 'out', first: 1, after: 'nope' }]),
    ).rejects.toMatchObject({ code: 'BAD_CURSOR' });
    await expect(store.timeline({ ownerIds: ['Customer:x'], first: -1 })).rejects.toMatchObject({ code: 'BAD_PAGE' });
    await expect(store.lookup('Customer', 'plan', 'gold')).rejects.toMatchObject({ code: 'BAD_QUERY' });
  });
});

describe('embedded store: durability', () => {
  const BATCH_SIZE = 200;

  /** Runs the writer child until it has acknowledged `acks` batches, then SIGKILLs it at once. */
  async function killAfterAcks(dir: string, acks: number): Promise<number> {
    const child: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', join(__dirname, '../helpers/embedded-writer.ts'), dir, String(BATCH_SIZE), '100000'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let acknowledged = -1;
    for await (const line of createInterface({ input: child.stdout! })) {
      const match = /^ack (\d+)$/.exec(line);
      if (!match) continue;
      acknowledged = Number(match[1]);
      if (acknowledged + 1 >= acks) {
        child.kill('SIGKILL');
        break;
      }
    }
    await exited;
    if (acknowledged < 0) throw new Error(`writer acknowledged nothing; stderr: ${stderr}`);
    return acknowledged;
  }

  test.each([1, 2, 3])(
    'every batch acknowledged before a SIGKILL survives it, and no batch is partial (run %i)',
    async () => {
      const dir = tempDir();
      const acks = 1 + Math.floor(Math.random() * 25);
      const lastAck = await killAfterAcks(dir, acks);
      expect(lastAck).toBe(acks - 1);

      const store = await createEmbeddedStore({ path: dir });
      try {
        let complete = 0;
        for (let n = 0; ; n++) {
          const ids = embeddedWriterCustomerIds(n, BATCH_SIZE);
          const present = (await store.getVertices(ids)).filter((v) => v !== null).length;
          const pages = await store.neighbors(ids.map((id) => ({ id, direction: 'out' as const, first: 2 })));
          const edges = pages.reduce((sum, page) => sum + page.items.length, 0);
          if (n <= lastAck) {
            expect([n, present, edges]).toEqual([n, BATCH_SIZE, BATCH_SIZE]);
          } else {
            // The batch in flight at the kill is all there or not there at all.
            expect([0, BATCH_SIZE]).toContain(present);
            expect(edges).toBe(present);
          }
          if (present === 0) break;
          complete++;
        }
        expect(complete).toBeGreaterThanOrEqual(lastAck + 1);
        expect(await store.stats()).toEqual({
          vertices: { Customer: complete * BATCH_SIZE, Order: complete * BATCH_SIZE },
          edges: { PLACED: complete * BATCH_SIZE },
        });
        const sample = embeddedWriterBatch(lastAck, BATCH_SIZE).vertices[0];
        expect((await store.getVertices([sample.id]))[0]?.version).toBe(sample.state.live);
      } finally {
        await store.close();
      }
    },
  );
});
