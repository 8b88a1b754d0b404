import fc from 'fast-check';
import { createKeyedLocks } from '../../../services/graph/keyed-locks';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('keyed locks', () => {
  test('holders that share a key never overlap, and each key is taken in arrival order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { minLength: 1, maxLength: 3 }), {
          minLength: 1,
          maxLength: 25,
        }),
        async (keySets) => {
          const locks = createKeyedLocks();
          const holding = new Map<string, number>();
          const order = new Map<string, number[]>();
          await Promise.all(
            keySets.map((keys, n) =>
              locks.run(keys, async () => {
                for (const key of keys) {
                  expect(holding.get(key)).toBeUndefined();
                  holding.set(key, n);
                  order.set(key, [...(order.get(key) ?? []), n]);
                }
                await tick();
                for (const key of keys) holding.delete(key);
              }),
            ),
          );
          for (const taken of order.values()) expect(taken).toEqual([...taken].sort((x, y) => x - y));
          expect(locks.size).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });

  test('disjoint key sets run side by side', async () => {
    const locks = createKeyedLocks();
    let running = 0;
    let peak = 0;
    const work = async () => {
      running++;
      peak = Math.max(peak, running);
      await tick();
      running--;
    };
    await Promise.all([locks.run(['x'], work), locks.run(['y'], work), locks.run(['z'], work)]);
    expect(peak).toBe(3);
  });

  test('a failed holder fails its own caller and releases its keys', async () => {
    const locks = createKeyedLocks();
    const failed = locks.run(['k'], async () => {
      throw new Error('boom');
    });
    const next = locks.run(['k'], async () => 'ran');
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ran');
    expect(locks.size).toBe(0);
  });
});
