/**
 * A small durable key/value store for derived state (device health, computed
 * trait buckets): namespaced records, written in atomic batches. Embedded mode
 * keeps it in LMDB inside the data dir; the interface lets a distributed
 * deployment put it elsewhere (a compacted Kafka topic, Redis, a table).
 */
import { open, type RootDatabase } from 'lmdb';
import { C360Error } from '../../graph-schema';

export interface StateEntry {
  readonly namespace: string;
  readonly key: string;
  /** A JSON-serializable value; `undefined` removes the record. */
  readonly value: unknown;
}

export interface StateStore {
  get<T>(namespace: string, key: string): T | undefined;
  /** Every record of a namespace, in key order. */
  entries<T>(namespace: string): Iterable<readonly [string, T]>;
  /** Writes all entries atomically; resolves when they are durable. */
  put(entries: readonly StateEntry[]): Promise<void>;
  close(): Promise<void>;
}

export class StateStoreError extends C360Error {
  override name = 'StateStoreError';
  constructor(message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, { code: 'STATE_STORE', retriable: options.retriable ?? true, cause: options.cause });
  }
}

/** Namespaces never contain the separator, so one namespace's range never reaches into the next. */
const SEP = '\u0001';

function checkNamespace(namespace: string): void {
  if (namespace.length === 0 || namespace.includes(SEP)) {
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
  return {
    get: <T>(namespace: string, key: string) => structuredClone(ns(namespace).get(key)) as T | undefined,
    *entries<T>(namespace: string): Iterable<readonly [string, T]> {
      for (const key of [...ns(namespace).keys()].sort()) yield [key, structuredClone(ns(namespace).get(key)) as T];
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
  const keyOf = (namespace: string, key: string) => {
    checkNamespace(namespace);
    return `${namespace}${SEP}${key}`;
  };
  return {
    get: <T>(namespace: string, key: string) => root.get(keyOf(namespace, key)) as T | undefined,
    *entries<T>(namespace: string): Iterable<readonly [string, T]> {
      const start = keyOf(namespace, '');
      // The next namespace starts after every `<namespace>\u0001…` key.
      const end = `${namespace}\u0002`;
      for (const { key, value } of root.getRange({ start, end })) {
        yield [String(key).slice(start.length), value as T];
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
