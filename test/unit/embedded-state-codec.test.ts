/**
 * The embedded store keeps each distinct version once per stored state (state-codec.ts). What
 * is read back must be exactly what was written, whatever the mix of versions, and states
 * written by the previous encoding (`{ live, tomb, props }` as msgpack records) must still read.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { open } from 'lmdb';
import { Packr } from 'msgpackr';
import type { ElementState, JsonValue, PropertyState } from '../../graph-schema';
import { makeVersion } from '../../graph-schema';
import { NAMED_DATABASES, openEmbeddedLayout } from '../../services/graph/embedded/embedded-layout';
import { fromStoredState, toStoredState } from '../../services/graph/embedded/state-codec';

const dirs: string[] = [];
const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function freshDir(): string {
  const dir = mkdtempSync(join(base, 'c360-codec-'));
  dirs.push(dir);
  return dir;
}

// A handful of versions, so that properties often share one (the case the codec is for) but not always.
const version = fc.constantFrom(
  makeVersion(1, 'crm:C1'),
  makeVersion(2, 'tel:rtr-1'),
  makeVersion(3, 'seg:m-9'),
  makeVersion(1_700_000_000_000, 'cdc:00000000000000000042:000000'),
);
// Property names as the decoders let them through (`__proto__`, `constructor`, `prototype` are rejected there).
const propName = fc
  .stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,11}$/)
  .filter((n) => n !== 'constructor' && n !== 'prototype');
const jsonValue = fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.parse(JSON.stringify(v)) as JsonValue);
const state: fc.Arbitrary<ElementState> = fc.record({
  live: fc.option(version, { nil: null }),
  tomb: fc.option(version, { nil: null }),
  props: fc.dictionary(propName, fc.record({ v: version, value: jsonValue }), { maxKeys: 8 }),
});

describe('embedded state codec', () => {
  it('reads back every state exactly as written', () => {
    fc.assert(
      fc.property(state, (s) => {
        expect(fromStoredState(toStoredState(s))).toEqual(s);
      }),
      { numRuns: 500 },
    );
  });

  it('stores a version shared by all properties once', () => {
    const v = makeVersion(1_793_478_669_761, 'bench:tel:rtr-00000000-0000-44e4-b9c5-c6c4f43fc7c9');
    const props: Record<string, PropertyState> = {};
    for (const name of ['kind', 'vendor', 'model', 'firmware', 'signal', 'uptime', 'errors', 'status'])
      props[name] = { v, value: name };
    const stored = toStoredState({ live: v, tomb: null, props });
    expect(stored.s).toEqual([v]);
    expect(stored).not.toHaveProperty('i');
    // One property at an older version: an index per property, still each version once.
    const older = makeVersion(1, 'crm:C1');
    const mixed = toStoredState({ live: v, tomb: older, props: { ...props, kind: { v: older, value: 'router' } } });
    expect(mixed.s).toEqual([older, v]);
    expect(mixed.i).toMatchObject({ kind: 0, vendor: 1 });
  });

  it('reads states stored by LMDB, and states written before the codec', async () => {
    const dir = freshDir();
    const samples = fc.sample(state, { numRuns: 200, seed: 42 });
    // The previous encoding: the same named databases and shared structures, plain msgpack records.
    const before = open({ path: dir, maxDbs: NAMED_DATABASES });
    const legacyOptions = {
      name: 'vertices',
      sharedStructuresKey: Symbol.for('c360.structures'),
      maxSharedStructures: 1024,
    };
    const legacy = before.openDB<ElementState, string>(legacyOptions);
    await before.transaction(() => {
      for (const [i, s] of samples.entries()) legacy.putSync(`Old:${i}`, s);
    });
    const legacyBytes = samples.reduce((n, _s, i) => n + (legacy.getBinary(`Old:${i}`)?.length ?? 0), 0);
    await before.close();

    const root = open({ path: dir, maxDbs: NAMED_DATABASES });
    try {
      const layout = openEmbeddedLayout(root);
      await root.transaction(() => {
        for (const [i, s] of samples.entries()) layout.vertices.putSync(`New:${i}`, s);
      });
      samples.forEach((s, i) => {
        expect(layout.vertices.get(`Old:${i}`)).toEqual(s);
        expect(layout.vertices.get(`New:${i}`)).toEqual(s);
      });
      const newBytes = samples.reduce((n, _s, i) => n + (layout.vertices.getBinary(`New:${i}`)?.length ?? 0), 0);
      expect(newBytes).toBeLessThan(legacyBytes);
      // The shared structures list itself is not a state and passes through untouched.
      const structures = new Packr().unpack(
        layout.vertices.getBinary(Symbol.for('c360.structures') as never) as Buffer,
      );
      expect(Array.isArray(structures)).toBe(true);
    } finally {
      await root.close();
    }
  });
});
