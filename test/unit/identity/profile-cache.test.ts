/**
 * The profile cache (features/identity/profile-cache.ts) through a real resolver over the
 * embedded store: answers equal an uncached resolver's after any sequence of writes, a
 * resolution that raced a write is not kept, and only profiles that read a written vertex
 * are dropped.
 */
import fc from 'fast-check';
import {
  createIdentityResolver,
  createIdentityRules,
  createProfileCache,
  type ProfileCacheSlots,
} from '../../../features/identity';
import { BatchBuilder, type GraphBatch, type GraphStore, makeVersion, vertexId } from '../../../graph-schema';
import { createEmbeddedStore } from '../../../services/graph/embedded';
import { makeTempDir, type TempDir } from '../../helpers/unique';

const T0 = Date.UTC(2026, 0, 1);
const idsOf = (batch: GraphBatch) => [
  ...batch.vertices.map((v) => v.id),
  ...batch.edges.flatMap((e) => [vertexId(e.from), vertexId(e.to)]),
];

// Real stores, worker threads and child processes on a shared 2-core machine: seconds, more when CI is busy.
jest.setTimeout(120_000);

describe('identity profile cache', () => {
  let dir: TempDir;
  beforeEach(async () => {
    dir = await makeTempDir('c360-profile-cache-');
  });
  afterEach(async () => {
    await dir.cleanup();
  });

  /** The hub's wiring in small: every write tells the cache what it touched. */
  async function setup(): Promise<{
    store: GraphStore;
    cache: ProfileCacheSlots;
    write(b: BatchBuilder): Promise<void>;
  }> {
    const store = await createEmbeddedStore({ path: dir.path });
    const cache = createProfileCache();
    return {
      store,
      cache,
      async write(b) {
        const batch = b.build();
        await store.apply(batch);
        cache.invalidate(idsOf(batch));
      },
    };
  }

  test('after any sequence of identity writes, cached answers equal fresh resolutions', async () => {
    const customers = ['a', 'b', 'c'];
    const emails = ['x@example.com', 'y@example.com', 'z@example.com'];
    const step = fc.record({
      customer: fc.constantFrom(...customers),
      email: fc.constantFrom(...emails),
      name: fc.constantFrom('Ann', 'Bob', 'Cy'),
      read: fc.constantFrom(...customers),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        const sub = await makeTempDir('c360-profile-cache-run-');
        const store = await createEmbeddedStore({ path: sub.path });
        try {
          const cache = createProfileCache();
          const rules = createIdentityRules();
          const cached = createIdentityResolver({ store, rules, cache });
          const fresh = createIdentityResolver({ store, rules });
          let n = 0;
          for (const s of steps) {
            const v = makeVersion(T0 + n++, 'cache-test');
            const b = new BatchBuilder();
            b.add({ op: 'upsertVertex', label: 'Customer', key: s.customer, props: { name: s.name }, version: v });
            const identity = { label: 'Identity' as const, key: `email:${s.email}` };
            b.add({ op: 'upsertVertex', ...identity, props: { type: 'email', value: s.email }, version: v });
            b.add({
              op: 'upsertEdge',
              label: 'HAS_IDENTITY',
              from: { label: 'Customer', key: s.customer },
              to: identity,
              props: { rule: 'crm', sourceId: `s${n}`, at: T0 + n },
              version: v,
            });
            const batch = b.build();
            await store.apply(batch);
            cache.invalidate(idsOf(batch));
            const id = `Customer:${s.read}`;
            expect(await cached.profileOf(id)).toEqual(await fresh.profileOf(id));
            // And again from the cache.
            expect(await cached.profileOf(id)).toEqual(await fresh.profileOf(id));
          }
        } finally {
          await store.close();
          await sub.cleanup();
        }
      }),
      { numRuns: 25 },
    );
  });

  test('a resolution that raced a write of something it read is not kept', async () => {
    const { store, cache, write } = await setup();
    const b = new BatchBuilder();
    b.add({ op: 'upsertVertex', label: 'Customer', key: 'r', props: { name: 'Old' }, version: makeVersion(T0, 'w') });
    await write(b);
    const resolver = createIdentityResolver({ store, rules: createIdentityRules(), cache });
    const ticket = cache.begin();
    const stale = await createIdentityResolver({ store, rules: createIdentityRules() }).profileOf('Customer:r');
    // The write lands between the resolution's reads and its fill.
    const w = new BatchBuilder();
    w.add({
      op: 'upsertVertex',
      label: 'Customer',
      key: 'r',
      props: { name: 'New' },
      version: makeVersion(T0 + 1, 'w'),
    });
    await write(w);
    cache.put(ticket, 'Customer:r', stale, ['Customer:r']);
    expect(cache.size).toBe(0);
    expect((await resolver.profileOf('Customer:r'))?.anchor.props.name).toBe('New');
    await store.close();
  });

  test('a write drops only the profiles that read what it wrote', async () => {
    const { store, cache, write } = await setup();
    const b = new BatchBuilder();
    for (const k of ['p', 'q']) {
      b.add({ op: 'upsertVertex', label: 'Customer', key: k, props: { name: k }, version: makeVersion(T0, 'w') });
    }
    await write(b);
    const resolver = createIdentityResolver({ store, rules: createIdentityRules(), cache });
    await resolver.profileOf('Customer:p');
    await resolver.profileOf('Customer:q');
    expect(cache.size).toBe(2);
    const w = new BatchBuilder();
    w.add({
      op: 'upsertVertex',
      label: 'Customer',
      key: 'p',
      props: { name: 'P2' },
      version: makeVersion(T0 + 1, 'w'),
    });
    await write(w);
    expect(cache.size).toBe(1);
    expect(cache.get('Customer:q')?.anchor.props.name).toBe('q');
    expect((await resolver.profileOf('Customer:p'))?.anchor.props.name).toBe('P2');
    await store.close();
  });
});
