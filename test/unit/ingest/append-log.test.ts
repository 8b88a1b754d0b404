import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { createAppendLog, readAppendLog } from '../../../ingest/append-log';

describe('append log', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'c360-append-log-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('concurrent appends land whole, in the order they were made, whatever their mix of sync', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 4 }), fc.boolean()), { minLength: 1, maxLength: 60 }),
        async (appends) => {
          const path = join(dir, `${Math.random()}.ndjson`);
          const log = createAppendLog(path);
          let n = 0;
          const expected: number[] = [];
          await Promise.all(
            appends.map(([count, sync]) => {
              const entries = Array.from({ length: count }, () => ({ n: n++, pad: 'x'.repeat(n % 7) }));
              expected.push(...entries.map((e) => e.n));
              return log.append(entries, { sync });
            }),
          );
          // Resolved appends are in the file before close.
          expect((await readAppendLog<{ n: number }>(path)).map((e) => e.n)).toEqual(expected);
          await log.close();
        },
      ),
      { numRuns: 40 },
    );
  });

  test('appends after close reopen the file and keep appending', async () => {
    const path = join(dir, 'log.ndjson');
    const log = createAppendLog(path);
    await log.append([{ a: 1 }]);
    await log.close();
    await log.append([{ a: 2 }], { sync: false });
    await log.close();
    expect(readFileSync(path, 'utf8')).toBe('{"a":1}\n{"a":2}\n');
  });

  test('a failed write fails the appends written with it, and later appends still land', async () => {
    const path = join(dir, 'log.ndjson');
    const log = createAppendLog(path);
    // BigInt cannot be serialized: the append throws before anything is written.
    expect(() => log.append([{ big: 1n }])).toThrow();
    rmSync(dir, { recursive: true, force: true });
    await expect(log.append([{ lost: true }])).rejects.toThrow(/ENOENT/);
    mkdirSync(dir, { recursive: true });
    await log.append([{ kept: true }]);
    await log.close();
    expect(await readAppendLog(path)).toEqual([{ kept: true }]);
  });
});
