/**
 * Remembers recently applied event ids so redeliveries skip the work.
 *
 * Dedupe is an optimization, not what makes duplicates safe: every write is a
 * versioned merge, so applying an event twice changes nothing. That is why ids
 * are marked seen only *after* their batch is durable — a crash in between
 * just means the event is applied (harmlessly) again — and why the window can
 * be bounded: an id evicted long ago that comes back is merged idempotently.
 */
import { open, type RootDatabase } from 'lmdb';

export interface DedupeStore {
  /** For each id, whether it was applied before. */
  seen(ids: readonly string[]): boolean[];
  markSeen(ids: readonly string[]): Promise<void>;
  readonly size: number;
  close(): Promise<void>;
}

/** In-memory window, insertion-ordered; for tests and for stores that dedupe elsewhere. */
export function createMemoryDedupe(maxEntries = 1_000_000): DedupeStore {
  const ids = new Set<string>();
  return {
    seen: (list) => list.map((id) => ids.has(id)),
    async markSeen(list) {
      for (const id of list) {
        ids.delete(id);
        ids.add(id);
      }
      // Sets iterate in insertion order: the first entries are the oldest.
      for (const id of ids) {
        if (ids.size <= maxEntries) break;
        ids.delete(id);
      }
    },
    get size() {
      return ids.size;
    },
    async close() {},
  };
}

/**
 * Persistent window in LMDB, so a restart does not forget what was applied.
 * `ids`: id → sequence; `order`: sequence → id, to evict the oldest first.
 */
export function createLmdbDedupe(options: { path: string; maxEntries?: number }): DedupeStore {
  const maxEntries = options.maxEntries ?? 5_000_000;
  const root: RootDatabase = open({ path: options.path, compression: false });
  const idsDb = root.openDB<number, string>({ name: 'ids' });
  const orderDb = root.openDB<string, number>({ name: 'order' });
  let next = 0;
  for (const key of orderDb.getKeys({ reverse: true, limit: 1 })) next = Number(key) + 1;
  let count = idsDb.getCount();

  return {
    seen: (list) => list.map((id) => idsDb.get(id) !== undefined),
    async markSeen(list) {
      if (list.length === 0) return;
      await root.transaction(() => {
        for (const id of list) {
          const previous = idsDb.get(id);
          if (previous !== undefined) orderDb.remove(previous);
          else count++;
          const seq = next++;
          idsDb.put(id, seq);
          orderDb.put(seq, id);
        }
        if (count > maxEntries) {
          let excess = count - maxEntries;
          for (const { key, value } of orderDb.getRange({ limit: excess })) {
            orderDb.remove(key);
            idsDb.remove(value);
            excess--;
            count--;
            if (excess === 0) break;
          }
        }
      });
    },
    get size() {
      return count;
    },
    async close() {
      await root.close();
    },
  };
}
