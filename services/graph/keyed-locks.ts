/**
 * FIFO locks over sets of keys: a holder of {x, y} waits for every earlier holder of x or of y,
 * and for nothing else. A transactional graph database (JanusGraph) answers two transactions that
 * write the same vertex at once with a lock conflict; the loser retries with backoff, and under a
 * burst of writes to one hot vertex retries can run out. Writes from one process to the same
 * elements are therefore ordered here, before they reach the database; conflicts left are those
 * between processes, which partitioning by customer makes rare.
 *
 * Hand-written because the libraries at hand (p-queue, async-mutex) lock one key or none; a set
 * taken at once, in arrival order, cannot deadlock: every holder waits only on earlier arrivals.
 */
export interface KeyedLocks {
  run<T>(keys: Iterable<string>, work: () => Promise<T>): Promise<T>;
  /** Keys held or awaited right now (for tests and metrics). */
  readonly size: number;
}

export function createKeyedLocks(): KeyedLocks {
  const tails = new Map<string, Promise<void>>();
  return {
    get size() {
      return tails.size;
    },
    async run(keys, work) {
      const unique = [...new Set(keys)];
      const earlier: Promise<void>[] = [];
      let release!: () => void;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      for (const key of unique) {
        const tail = tails.get(key);
        if (tail) earlier.push(tail);
        tails.set(key, held);
      }
      try {
        // Tails never reject: they resolve when their holder releases, however its work ended.
        if (earlier.length > 0) await Promise.all(earlier);
        return await work();
      } finally {
        release();
        for (const key of unique) if (tails.get(key) === held) tails.delete(key);
      }
    },
  };
}
