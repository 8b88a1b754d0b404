/**
 * Resolved profiles kept between reads, forgotten at write time. Resolving a profile walks
 * its evidence graph and scores every link: 15 % of an agent's 360° view's CPU went to doing
 * that again on every request for profiles that had not changed. A profile depends only on
 * the vertices its walk read (no clock in the rules), so it stays valid until one of them is
 * written; the process's one write path reports the ids of every batch (vertices and edge
 * endpoints) and the entries that read any of them are dropped before the write is
 * acknowledged.
 *
 * Only sound where every write to the graph passes through this process (the hub); API
 * replicas, whose graph is written by workers, do not use it.
 */
import type { Profile } from './identity-resolver';

export interface ProfileCache {
  /** Drops every cached profile whose resolution read any of these vertex ids. */
  invalidate(ids: Iterable<string>): void;
  /** Profiles held now (metrics, tests). */
  readonly size: number;
}

/** What the resolver uses: a read, and a fill that is refused if a write raced it. */
export interface ProfileCacheSlots extends ProfileCache {
  get(id: string): Profile | null | undefined;
  /** A ticket taken before the resolution's reads. */
  begin(): number;
  /** Stores the answer unless a vertex it read was written since `ticket`; always ends the ticket. */
  put(ticket: number, id: string, profile: Profile | null, read: Iterable<string>): void;
  /** Ends a ticket whose resolution failed. */
  abandon(ticket: number): void;
}

interface Entry {
  readonly profile: Profile | null;
  readonly read: readonly string[];
}

export function createProfileCache(maxEntries = 20_000): ProfileCacheSlots {
  const entries = new Map<string, Entry>();
  /** Vertex id → ids of the entries that read it. */
  const readers = new Map<string, Set<string>>();
  /** Vertex id → the sequence number of its last write, while a resolution older than that may still fill. */
  const written = new Map<string, number>();
  /** Tickets of resolutions in flight (a ticket is the sequence number when it began). */
  const open = new Map<number, number>();
  let seq = 0;

  function drop(key: string): void {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    for (const id of entry.read) {
      const set = readers.get(id);
      set?.delete(key);
      if (set?.size === 0) readers.delete(id);
    }
  }

  function close(ticket: number): void {
    const n = (open.get(ticket) ?? 1) - 1;
    if (n === 0) open.delete(ticket);
    else open.set(ticket, n);
    // Write marks matter only to resolutions that began before them.
    if (open.size === 0) written.clear();
    else if (written.size > 10_000) {
      const oldest = Math.min(...open.keys());
      for (const [id, at] of written) if (at <= oldest) written.delete(id);
    }
  }

  return {
    get size() {
      return entries.size;
    },
    get(id) {
      const entry = entries.get(id);
      if (!entry) return undefined;
      // Most recently used last: eviction takes the front.
      entries.delete(id);
      entries.set(id, entry);
      return entry.profile;
    },
    begin() {
      const ticket = seq;
      open.set(ticket, (open.get(ticket) ?? 0) + 1);
      return ticket;
    },
    put(ticket, id, profile, read) {
      try {
        const ids = [...new Set([id, ...read])];
        if (ids.some((v) => (written.get(v) ?? -1) >= ticket)) return;
        drop(id);
        entries.set(id, { profile, read: ids });
        for (const v of ids) {
          let set = readers.get(v);
          if (!set) {
            set = new Set();
            readers.set(v, set);
          }
          set.add(id);
        }
        while (entries.size > maxEntries) drop(entries.keys().next().value as string);
      } finally {
        close(ticket);
      }
    },
    abandon: close,
    invalidate(ids) {
      const at = seq++;
      for (const id of ids) {
        if (open.size > 0) written.set(id, at);
        const keys = readers.get(id);
        if (keys) for (const key of [...keys]) drop(key);
      }
    },
  };
}
