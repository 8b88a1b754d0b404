/**
 * A small durable key/value store for live feature state (device health,
 * computed-trait windows): namespaced records written in atomic batches.
 *
 * Three implementations, one contract (test/unit/state-store.test.ts):
 * - LMDB in the data dir: the embedded hub, where one process owns everything;
 * - the shared graph store (`State` vertices): split deployments, where any
 *   worker may take over a partition (after a rebalance or a SIGKILL) and any
 *   API replica serves `customer { health }` — state must live where they all
 *   read it, not in one worker's data dir;
 * - memory: tests.
 *
 * Reads are asynchronous because the shared store is remote.
 */
import { open, type RootDatabase } from 'lmdb';
import { BatchBuilder, C360Error, type GraphStore, makeVersion } from '../../graph-schema';

export interface StateEntry {
  readonly namespace: string;
  readonly key: string;
  /** A JSON-serializable value; `undefined` removes the record. */
  readonly value: unknown;
}

export interface StateStore {
  /** Records in the order asked; `undefined` for a missing one. */
  getMany<T>(namespace: string, keys: readonly string[]): Promise<(T | undefined)[]>;
  get<T>(namespace: string, key: string): Promise<T | undefined>;
  /** Records of a namespace whose key starts with `prefix` (all when empty), in key order. */
  entries<T>(namespace: string, prefix?: string): AsyncIterable<readonly [string, T]>;
  /** Writes all entries atomically where the backend allows; resolves when they are durable. */
  put(entries: readonly StateEntry[]): Promise<void>;
  close(): Promise<void>;
}

export class StateStoreError extends C360Error {
  override name = 'StateStoreError';
  constructor(message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, { code: 'STATE_STORE', retriable: options.retriable ?? true, cause: options.cause });
  }
}

/** Namespaces never contain the separators, so one namespace's range never reaches into the next. */
const SEP = '\u0001';
const GRAPH_SEP = '|';

function checkNamespace(namespace: string): void {
  if (namespace.length === 0 || namespace.includes(SEP) || namespace.includes(GRAPH_SEP)) {
    throw new StateStoreError(`StateStore: invalid namespace ${JSON.stringify(namespace)}`, { retriable: false });
  }
}

/** For tests and for processes that rebuild their state from the log. */
export function createMemoryStateStore(): StateStore {
  const data = new Map<string, Map<string, unknown>>();
  const ns = (namespace: string) => {
    checkNamespace(namespace);
    let m = data.get(namespace);
    if (!m) {
      m = new Map();
      data.set(namespace, m);
    }
    return m;
  };
  const get = <T>(namespace: string, key: string) => structuredClone(ns(namespace).get(key)) as T | undefined;
  return {
    getMany: async (namespace, keys) => keys.map((k) => get(namespace, k)),
    get: async (namespace, key) => get(namespace, key),
    async *entries<T>(namespace: string, prefix = ''): AsyncIterable<readonly [string, T]> {
      const keys = [...ns(namespace).keys()].filter((k) => k.startsWith(prefix)).sort();
      for (const key of keys) yield [key, get<T>(namespace, key) as T];
    },
    async put(entries) {
      for (const e of entries) {
        if (e.value === undefined) ns(e.namespace).delete(e.key);
        else ns(e.namespace).set(e.key, structuredClone(e.value));
      }
    },
    async close() {},
  };
}

export function createLmdbStateStore(options: { path: string }): StateStore {
  let root: RootDatabase;
  try {
    root = open({ path: options.path, compression: false });
  } catch (e) {
    throw new StateStoreError(`StateStore.open: cannot open ${options.path}`, { cause: e, retriable: false });
  }
  // Array keys ([namespace, key]), which lmdb orders element by element: a string key with
  // control characters in it is not safe to range over in lmdb's key encoding.
  const keyOf = (namespace: string, key: string): [string, string] => {
    checkNamespace(namespace);
    return [namespace, key];
  };
  return {
    getMany: async (namespace, keys) => keys.map((k) => root.get(keyOf(namespace, k))),
    get: async (namespace, key) => root.get(keyOf(namespace, key)),
    async *entries<T>(namespace: string, prefix = ''): AsyncIterable<readonly [string, T]> {
      for (const { key, value } of root.getRange({ start: keyOf(namespace, prefix) })) {
        const [ns, k] = key as [string, string];
        if (ns !== namespace || typeof k !== 'string' || !k.startsWith(prefix)) break;
        yield [k, value as T];
      }
    },
    async put(entries) {
      if (entries.length === 0) return;
      try {
        await root.transaction(() => {
          for (const e of entries) {
            const k = keyOf(e.namespace, e.key);
            if (e.value === undefined) root.remove(k);
            else root.put(k, e.value);
          }
        });
      } catch (e) {
        throw new StateStoreError('StateStore.put: LMDB write failed', { cause: e });
      }
    },
    async close() {
      await root.close();
    },
  };
}

export interface GraphStateStoreOptions {
  readonly store: GraphStore;
  /** Wall clock for record versions (tests inject one). */
  readonly now?: () => number;
  /** Distinguishes this process's writes from another's in the same millisecond. */
  readonly writerId: string;
}

/**
 * State records as `State` vertices of the shared graph store (`State:<namespace>|<key>`,
 * the value as JSON text). A write is a versioned upsert (a delete a tombstone) through
 * `GraphStore.apply`, versioned by wall clock and a per-process counter: the newest write
 * wins. Only the worker that owns a partition writes its keys, so two writers of one record
 * overlap only for the moments of a rebalance.
 */
export function createGraphStateStore(options: GraphStateStoreOptions): StateStore {
  const { store, writerId } = options;
  const now = options.now ?? Date.now;
  let counter = 0;
  let lastMs = 0;
  const keyOf = (namespace: string, key: string) => {
    checkNamespace(namespace);
    return `${namespace}${GRAPH_SEP}${key}`;
  };
  const parse = (text: unknown) => (typeof text === 'string' ? JSON.parse(text) : undefined);
  const getMany = async <T>(namespace: string, keys: readonly string[]): Promise<(T | undefined)[]> => {
    if (keys.length === 0) return [];
    try {
      const vertices = await store.getVertices(keys.map((k) => `State:${keyOf(namespace, k)}`));
      return vertices.map((v) => (v ? (parse(v.props.value) as T) : undefined));
    } catch (e) {
      throw new StateStoreError(`StateStore.get: reading ${namespace} failed`, { cause: e });
    }
  };
  return {
    getMany,
    get: async <T>(namespace: string, key: string) => (await getMany<T>(namespace, [key]))[0],
    async *entries<T>(namespace: string, prefix = ''): AsyncIterable<readonly [string, T]> {
      const start = keyOf(namespace, prefix);
      const base = keyOf(namespace, '');
      let after: string | null = null;
      for (;;) {
        // The store's search ignores case; keys are compared exactly here.
        const page = await store.search('State', start, { first: 500, after });
        for (const v of page.items) {
          if (!v.key.startsWith(start)) continue;
          yield [v.key.slice(base.length), parse(v.props.value) as T];
        }
        if (!page.hasNextPage) return;
        after = page.cursors[page.cursors.length - 1] ?? null;
      }
    },
    async put(entries) {
      if (entries.length === 0) return;
      const batch = new BatchBuilder();
      const ms = Math.max(now(), lastMs);
      lastMs = ms;
      for (const e of entries) {
        const key = keyOf(e.namespace, e.key);
        counter += 1;
        const version = makeVersion(ms, `state:${String(counter).padStart(12, '0')}:${writerId}`);
        if (e.value === undefined) batch.add({ op: 'deleteVertex', label: 'State', key, version });
        else
          batch.add({
            op: 'upsertVertex',
            label: 'State',
            key,
            props: { path: key, value: JSON.stringify(e.value) },
            version,
          });
      }
      try {
        await store.apply(batch.build());
      } catch (e) {
        throw new StateStoreError('StateStore.put: the graph store refused the write', { cause: e });
      }
    },
    // The graph store belongs to the process; it closes it.
    async close() {},
  };
}
