/**
 * One contract for every live-state store: memory (tests), LMDB (the embedded
 * hub) and the shared graph store (split deployments, here over the real
 * embedded GraphStore; the Gremlin and Neo4j stores run it in the split
 * deployment test). The graph-backed store must also let a second process —
 * another worker after a rebalance, an API replica — read what the first wrote.
 */
import { join } from 'node:path';
import { createEmbeddedStore } from '../../services/graph';
import {
  createGraphStateStore,
  createLmdbStateStore,
  createMemoryStateStore,
  type StateStore,
} from '../../services/state';
import { makeTempDir, type TempDir } from '../helpers/unique';

async function all<T>(it: AsyncIterable<readonly [string, T]>): Promise<[string, T][]> {
  const out: [string, T][] = [];
  for await (const [k, v] of it) out.push([k, v]);
  return out;
}

interface Subject {
  readonly state: StateStore;
  /** Another handle on the same storage (a second process), when the kind has one. */
  readonly other?: () => StateStore;
  close(): Promise<void>;
}

const kinds: [string, (dir: TempDir) => Promise<Subject>][] = [
  ['memory', async () => ({ state: createMemoryStateStore(), close: async () => {} })],
  [
    'lmdb',
    async (dir) => {
      const state = createLmdbStateStore({ path: join(dir.path, 'state') });
      return { state, close: () => state.close() };
    },
  ],
  [
    'graph',
    async (dir) => {
      const store = await createEmbeddedStore({ path: join(dir.path, 'graph') });
      let t = 1_000_000;
      const state = createGraphStateStore({ store, writerId: 'a', now: () => t++ });
      return {
        state,
        other: () => createGraphStateStore({ store, writerId: 'b', now: () => t++ }),
        close: () => store.close(),
      };
    },
  ],
];

describe.each(kinds)('%s state store', (_kind, open) => {
  let dir: TempDir;
  let subject: Subject;
  beforeEach(async () => {
    dir = await makeTempDir('c360-state-');
    subject = await open(dir);
  });
  afterEach(async () => {
    await subject.close();
    await dir.cleanup();
  });

  it('puts, reads back in the order asked, and removes with undefined', async () => {
    const s = subject.state;
    await s.put([
      { namespace: 'health.device', key: 'Device:r1', value: { status: 'RED', evidence: [1, 2] } },
      { namespace: 'health.device', key: 'Device:r2', value: { status: 'GREEN', evidence: [] } },
    ]);
    expect(await s.getMany('health.device', ['Device:r2', 'Device:none', 'Device:r1'])).toEqual([
      { status: 'GREEN', evidence: [] },
      undefined,
      { status: 'RED', evidence: [1, 2] },
    ]);
    await s.put([{ namespace: 'health.device', key: 'Device:r1', value: undefined }]);
    expect(await s.get('health.device', 'Device:r1')).toBeUndefined();
    await s.put([{ namespace: 'health.device', key: 'Device:r1', value: { status: 'AMBER' } }]);
    expect(await s.get('health.device', 'Device:r1')).toEqual({ status: 'AMBER' });
  });

  it('lists a namespace by exact, case-sensitive key prefix, in key order, never reaching into another namespace', async () => {
    const s = subject.state;
    await s.put([
      { namespace: 'pairs', key: 'Customer:C1|Device:b', value: true },
      { namespace: 'pairs', key: 'Customer:C1|Device:a', value: true },
      { namespace: 'pairs', key: 'Customer:c1|Device:x', value: true },
      { namespace: 'pairs', key: 'Customer:C10|Device:z', value: true },
      { namespace: 'pairsx', key: 'Customer:C1|Device:q', value: true },
    ]);
    expect((await all(s.entries('pairs', 'Customer:C1|'))).map(([k]) => k)).toEqual([
      'Customer:C1|Device:a',
      'Customer:C1|Device:b',
    ]);
    expect((await all(s.entries('pairs'))).map(([k]) => k)).toEqual([
      'Customer:C10|Device:z',
      'Customer:C1|Device:a',
      'Customer:C1|Device:b',
      'Customer:c1|Device:x',
    ]);
  });

  it('lists keys shaped like the health index (ids with dashes and digits) by prefix', async () => {
    const s = subject.state;
    const p = 'sp95811da9c304';
    await s.put(
      [1, 2, 3, 10].map((i) => ({
        namespace: 'health.customer-device',
        key: `Customer:${p}-C${i}|Device:${p}-rtr-${i}`,
        value: true,
      })),
    );
    await s.put([{ namespace: 'health.device', key: `Device:${p}-rtr-1`, value: { s: 1 } }]);
    expect((await all(s.entries('health.customer-device', `Customer:${p}-C1|`))).map(([k]) => k)).toEqual([
      `Customer:${p}-C1|Device:${p}-rtr-1`,
    ]);
    expect((await all(s.entries('health.customer-device', `Customer:${p}-C2|`))).map(([k]) => k)).toEqual([
      `Customer:${p}-C2|Device:${p}-rtr-2`,
    ]);
    expect(await all(s.entries('health.customer-device'))).toHaveLength(4);
  });

  it('refuses a namespace that could reach into another', async () => {
    await expect(subject.state.put([{ namespace: 'a|b', key: 'k', value: 1 }])).rejects.toMatchObject({
      name: 'StateStoreError',
      code: 'STATE_STORE',
    });
  });
});

describe('graph state store shared by two processes', () => {
  it('a second handle on the same graph sees the first one’s writes, and the newest write wins', async () => {
    const dir = await makeTempDir('c360-state-');
    const subject = await (kinds[2][1] as (d: TempDir) => Promise<Subject>)(dir);
    try {
      const b = (subject.other as () => StateStore)();
      await subject.state.put([{ namespace: 'traits.customer', key: 'Customer:C1', value: { rev: 1 } }]);
      expect(await b.get('traits.customer', 'Customer:C1')).toEqual({ rev: 1 });
      await b.put([{ namespace: 'traits.customer', key: 'Customer:C1', value: { rev: 2 } }]);
      expect(await subject.state.get('traits.customer', 'Customer:C1')).toEqual({ rev: 2 });
    } finally {
      await subject.close();
      await dir.cleanup();
    }
  });
});
