/**
 * The Gremlin GraphStore: any TinkerPop-enabled database (Gremlin Server with TinkerGraph here;
 * JanusGraph, Neptune in production) through the `gremlin` driver. A batch becomes a few
 * parameterized bytecode traversals (write-traversals.ts) that apply the versioned merge inside
 * the database; every read is one traversal (read-traversals.ts).
 *
 * Vertices use `Label:key` as their T.id (TinkerGraph needs `vertexIdManager=ANY`, JanusGraph
 * custom string vertex ids — see graph-schema/ddl/janusgraph-schema.groovy) and carry it as the
 * indexed property `c360id` too.
 */
import type * as gremlin from 'gremlin';
import type { Logger } from 'pino';
import {
  type ApplyResult,
  compareByteOrder,
  decodePageCursor,
  type Edge,
  type EdgeLabel,
  type ElementState,
  edgeId,
  encodePageCursor,
  type GraphBatch,
  type GraphStore,
  indexedProperties,
  isLive,
  type JsonValue,
  type Neighbor,
  type NeighborQuery,
  type Page,
  type PageRequest,
  parseVertexId,
  type StoredState,
  type StoreStats,
  searchableProperties,
  type TimelineItem,
  type TimelineQuery,
  type Vertex,
  type VertexLabel,
  vertexId,
  visibleProps,
  visibleVersion,
} from '../../../graph-schema';
import { createKeyedLocks } from '../keyed-locks';
import { decodeState, gremlinVertexId, orderKey, SYSTEM_KEYS } from './element-encoding';
import { createGremlinConnections, type GremlinConnections } from './gremlin-connections';
import { classifyGremlinError, GremlinStoreError } from './gremlin-store-error';
import {
  getVerticesTraversal,
  lookupTraversal,
  type NeighborScan,
  neighborsTraversal,
  scanStatesTraversal,
  searchTraversal,
  statsTraversal,
  timelineTraversal,
} from './read-traversals';
import { batchRows, chunkRows, type ElementRow, edgeUpsertTraversal, vertexUpsertTraversal } from './write-traversals';

type GraphTraversal = gremlin.process.GraphTraversal;
type GraphTraversalSource = gremlin.process.GraphTraversalSource;

export interface GremlinStoreOptions {
  /** `ws://host:8182/gremlin` */
  readonly url: string;
  /** The traversal source the server binds (default `g`). */
  readonly traversalSource?: string;
  /** WebSocket connections, and so concurrent chunk writes (default 4). */
  readonly connections?: number;
  readonly logger?: Logger;
  /** Property writes per write traversal (default 2,000); a row (element) counts one more. */
  readonly chunkMaxProperties?: number;
  /** Attempts for a retriable failure (conflict, lost connection, timeout) before giving up (default 8). */
  readonly maxAttempts?: number;
  /** Longest a single request may take (default 60,000 ms). */
  readonly requestTimeoutMs?: number;
}

export interface GremlinGraphStore extends GraphStore {
  readonly kind: 'gremlin';
  readonly url: string;
  /**
   * Runs a read-only traversal built on the store's connections (with its retries), for
   * features that compile their queries to bytecode (segment previews). Never string scripts.
   * The source's `V(...ids)` takes c360 ids (`Label:key`): the store maps them to the vertex
   * ids it stores (`gremlinVertexId`), so features never see the provider's id format.
   */
  traverse<T>(build: (g: GraphTraversalSource) => GraphTraversal): Promise<T[]>;
}

export const GREMLIN_STORE_DEFAULTS = {
  traversalSource: 'g',
  connections: 4,
  chunkMaxProperties: 2_000,
  maxAttempts: 8,
  requestTimeoutMs: 60_000,
  retryBaseMs: 25,
  retryMaxMs: 2_000,
} as const;

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new GremlinStoreError('BAD_QUERY', `createGremlinStore: ${name} must be a positive integer, got ${value}`);
  }
  return value;
}

/** Opens the connections and checks that the server answers, so a wrong URL fails at startup. */
export async function createGremlinStore(options: GremlinStoreOptions): Promise<GremlinGraphStore> {
  const settings = {
    url: options.url,
    traversalSource: options.traversalSource ?? GREMLIN_STORE_DEFAULTS.traversalSource,
    connections: positiveInteger('connections', options.connections, GREMLIN_STORE_DEFAULTS.connections),
    chunkMaxProperties: positiveInteger(
      'chunkMaxProperties',
      options.chunkMaxProperties,
      GREMLIN_STORE_DEFAULTS.chunkMaxProperties,
    ),
    maxAttempts: positiveInteger('maxAttempts', options.maxAttempts, GREMLIN_STORE_DEFAULTS.maxAttempts),
    requestTimeoutMs: positiveInteger(
      'requestTimeoutMs',
      options.requestTimeoutMs,
      GREMLIN_STORE_DEFAULTS.requestTimeoutMs,
    ),
  };
  const connections = createGremlinConnections({ ...settings, logger: options.logger });
  const store = new RemoteGraphStore(settings, connections, options.logger);
  try {
    await store.ping();
  } catch (error) {
    await connections.close();
    throw error;
  }
  options.logger?.info({ url: settings.url, connections: settings.connections }, 'gremlin graph store opened');
  return store;
}

/** The vertices a batch writes, itself or through an edge's adjacency (what a transactional store locks). */
function* touchedVertexIds(batch: GraphBatch): Iterable<string> {
  for (const vertex of batch.vertices) yield vertex.id;
  for (const edge of batch.edges) {
    yield vertexId(edge.from);
    yield vertexId(edge.to);
  }
}

interface Settings {
  readonly url: string;
  readonly chunkMaxProperties: number;
  readonly maxAttempts: number;
}

class RemoteGraphStore implements GremlinGraphStore {
  readonly kind = 'gremlin' as const;
  readonly url: string;
  private closed = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Batches that share a vertex are written one after another (see keyed-locks.ts). */
  private readonly writeLocks = createKeyedLocks();

  constructor(
    private readonly settings: Settings,
    private readonly connections: GremlinConnections,
    private readonly logger: Logger | undefined,
  ) {
    this.url = settings.url;
  }

  async ping(): Promise<void> {
    await this.run('open', (g) => g.inject(1));
  }

  traverse<T>(build: (g: GraphTraversalSource) => GraphTraversal): Promise<T[]> {
    this.assertOpen('traverse');
    return this.run<T>('traverse', (g) => build(withC360VertexIds(g)));
  }

  async apply(batch: GraphBatch): Promise<ApplyResult> {
    this.assertOpen('apply');
    const rows = batchRows(batch);
    const result = { vertices: batch.vertices.length, edges: batch.edges.length };
    const write = this.writeLocks.run(touchedVertexIds(batch), async () => {
      // Edges need their endpoints: every vertex chunk is written before any edge chunk.
      await this.writeChunks('apply', rows.vertices, vertexUpsertTraversal);
      await this.writeChunks('apply', rows.edges, edgeUpsertTraversal);
    });
    this.inFlight.add(write);
    try {
      await write;
    } finally {
      this.inFlight.delete(write);
    }
    return result;
  }

  private async writeChunks(
    operation: string,
    rows: readonly ElementRow[],
    build: (g: GraphTraversalSource, rows: unknown) => GraphTraversal,
  ): Promise<void> {
    // Chunks of one batch touch distinct elements, so they may run side by side on the pool.
    await Promise.all(
      chunkRows(rows, this.settings.chunkMaxProperties).map((chunk) => this.run(operation, (g) => build(g, chunk))),
    );
  }

  /** Runs a traversal, retrying retriable failures with jittered exponential backoff. Every traversal here is idempotent. */
  private async run<T>(operation: string, build: (g: GraphTraversalSource) => GraphTraversal): Promise<T[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.connections.run<T>(build);
      } catch (raw) {
        const error = classifyGremlinError(operation, raw);
        if (!error.retriable || attempt >= this.settings.maxAttempts || this.closed) throw error;
        const ceiling = Math.min(GREMLIN_STORE_DEFAULTS.retryMaxMs, GREMLIN_STORE_DEFAULTS.retryBaseMs * 2 ** attempt);
        const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
        this.logger?.debug({ err: error, attempt, delayMs: delay, operation }, 'gremlin request failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  async getVertices(ids: readonly string[]): Promise<(Vertex | null)[]> {
    this.assertOpen('getVertices');
    if (ids.length === 0) return [];
    const found = new Map<string, Vertex>();
    const maps = await this.run<ElementMap>('getVertices', (g) => getVerticesTraversal(g, [...new Set(ids)]));
    for (const map of maps) {
      const vertex = toVertex(map);
      if (vertex) found.set(vertex.id, vertex);
    }
    return ids.map((id) => found.get(id) ?? null);
  }

  async neighbors(queries: readonly NeighborQuery[]): Promise<Page<Neighbor>[]> {
    this.assertOpen('neighbors');
    for (const q of queries) checkPage('neighbors', q);
    if (queries.length === 0) return [];
    // Queries that differ only in their start vertex share one scan (a DataLoader's batch is one).
    const scans: NeighborScan[] = [];
    const scanOf = new Map<string, number>();
    const queryScan = queries.map((q) => {
      const after = q.after ? decodeNeighborCursor(q.after) : null;
      const shape: Omit<NeighborScan, 'ids'> = {
        direction: q.direction,
        edgeLabels: q.edgeLabels?.length ? [...new Set(q.edgeLabels)].sort() : [],
        vertexLabels: q.vertexLabels?.length ? [...new Set(q.vertexLabels)].sort() : [],
        limit: q.first + 1,
        after: after ? [after[0], orderKey(after[1]), after[2]] : null,
      };
      const key = JSON.stringify(shape);
      let index = scanOf.get(key);
      if (index === undefined) {
        index = scans.length;
        scanOf.set(key, index);
        scans.push({ ...shape, ids: [] });
      }
      const ids = scans[index].ids as string[];
      if (!ids.includes(q.id)) ids.push(q.id);
      return index;
    });
    const [answer] = await this.run<Map<string, unknown>>('neighbors', (g) => neighborsTraversal(g, scans));
    const pages = scans.map((_, i) => {
      const byStart = new Map<string, NeighborRow[]>();
      for (const page of (getKey(answer, `q${i}`) as unknown[] | undefined) ?? []) {
        byStart.set(String(getKey(page, 'id')), (getKey(page, 'items') as NeighborRow[] | undefined) ?? []);
      }
      return byStart;
    });
    return queries.map((q, i) => {
      const rows = pages[queryScan[i]].get(q.id);
      const items: Neighbor[] = [];
      const cursors: string[] = [];
      for (const row of (rows ?? []).slice(0, q.first)) {
        const label = getKey(row, 'l') as EdgeLabel;
        const rank = Number(getKey(row, 'r'));
        const vertex = toVertex(getKey(row, 'n') as ElementMap);
        if (vertex === null) continue;
        const from = rank === 0 ? q.id : vertex.id;
        const to = rank === 0 ? vertex.id : q.id;
        items.push({ edge: toEdge(label, from, to, decodeState(getKey(row, 'e') as ElementMap)), vertex });
        cursors.push(encodeCursor([label, vertex.id, rank]));
      }
      return { items, cursors, hasNextPage: (rows?.length ?? 0) > q.first };
    });
  }

  async timeline(query: TimelineQuery): Promise<Page<TimelineItem>> {
    this.assertOpen('timeline');
    checkPage('timeline', query);
    const after = query.after ? decodeTimelineCursor(query.after) : null;
    const ownerIds = [...new Set(query.ownerIds)];
    if (ownerIds.length === 0) return { items: [], cursors: [], hasNextPage: false };
    const rows = await this.run<Map<string, unknown>>('timeline', (g) =>
      timelineTraversal(g, {
        ownerIds,
        labels: query.labels?.length ? [...new Set(query.labels)] : [],
        limit: query.first + 1,
        after: after ? [after[0], orderKey(after[1])] : null,
      }),
    );
    const items: TimelineItem[] = [];
    const cursors: string[] = [];
    for (const row of rows.slice(0, query.first)) {
      const vertex = toVertex(getKey(row, 'n') as ElementMap);
      if (vertex === null) continue;
      const ts = timelineTs(vertex);
      items.push({ vertex, ts, via: getKey(row, 'l') as EdgeLabel });
      cursors.push(encodeCursor([ts, vertex.id]));
    }
    return { items, cursors, hasNextPage: rows.length > query.first };
  }

  async lookup(label: VertexLabel, property: string, value: JsonValue): Promise<string[]> {
    this.assertOpen('lookup');
    if (!indexedProperties(label).includes(property)) {
      throw new GremlinStoreError('BAD_QUERY', `GremlinStore.lookup: ${label}.${property} is not an indexed property`);
    }
    if (value === null || value === undefined) return [];
    const ids = await this.run<string>('lookup', (g) => lookupTraversal(g, label, property, JSON.stringify(value)));
    return [...new Set(ids)].sort(byteOrder);
  }

  async search(label: VertexLabel, text: string, page: PageRequest): Promise<Page<Vertex>> {
    this.assertOpen('search');
    checkPage('search', page);
    const after = page.after ? decodeSearchCursor(page.after) : null;
    const properties = searchableProperties(label);
    if (text !== '' && properties.length === 0) return { items: [], cursors: [], hasNextPage: false };
    const maps = await this.run<ElementMap>('search', (g) =>
      searchTraversal(g, {
        label,
        needle: text.toLowerCase(),
        properties,
        limit: page.first + 1,
        after: after === null ? null : orderKey(after),
      }),
    );
    const items = maps
      .slice(0, page.first)
      .map(toVertex)
      .filter((v): v is Vertex => v !== null);
    return { items, cursors: items.map((v) => encodeCursor([v.id])), hasNextPage: maps.length > page.first };
  }

  async scanStates(label: VertexLabel, page: PageRequest): Promise<Page<StoredState>> {
    this.assertOpen('scanStates');
    checkPage('scanStates', page);
    const after = page.after ? decodeSearchCursor(page.after) : null;
    const maps = await this.run<ElementMap>('scanStates', (g) =>
      scanStatesTraversal(g, label, page.first + 1, after === null ? null : orderKey(after)),
    );
    const items: StoredState[] = [];
    for (const map of maps.slice(0, page.first)) {
      const id = getKey(map, SYSTEM_KEYS.id);
      if (typeof id === 'string') items.push({ id, props: visibleProps(decodeState(map)) });
    }
    return { items, cursors: items.map((v) => encodeCursor([v.id])), hasNextPage: maps.length > page.first };
  }

  async stats(): Promise<StoreStats> {
    this.assertOpen('stats');
    const [answer] = await this.run<Map<string, unknown>>('stats', (g) => statsTraversal(g));
    return { vertices: countsOf(getKey(answer, 'v')), edges: countsOf(getKey(answer, 'e')) } as StoreStats;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Batches a caller awaits finish first, so close never loses an acknowledged write.
    await Promise.allSettled([...this.inFlight]);
    await this.connections.close();
    this.logger?.info({ url: this.url }, 'gremlin graph store closed');
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new GremlinStoreError('STORE_CLOSED', `GremlinStore.${operation}: the store is closed`);
  }
}

/** A view of `g` whose start step `V(...ids)` takes c360 ids; every other step is `g`'s own. */
function withC360VertexIds(g: GraphTraversalSource): GraphTraversalSource {
  const view = Object.create(g) as GraphTraversalSource;
  view.V = (...ids: unknown[]) => g.V(...ids.map((id) => (typeof id === 'string' ? gremlinVertexId(id) : id)));
  return view;
}

type ElementMap = Map<unknown, unknown> | Record<string, unknown>;
type NeighborRow = Map<string, unknown>;

function getKey(map: unknown, key: string): unknown {
  if (map instanceof Map) return map.get(key);
  if (map !== null && typeof map === 'object') return (map as Record<string, unknown>)[key];
  return undefined;
}

function toVertex(map: ElementMap): Vertex | null {
  const id = getKey(map, SYSTEM_KEYS.id);
  if (typeof id !== 'string') return null;
  const ref = parseVertexId(id);
  const state = decodeState(map);
  if (ref === null || !isLive(state)) return null;
  return { id, label: ref.label, key: ref.key, props: visibleProps(state), version: visibleVersion(state) ?? '' };
}

function toEdge(label: EdgeLabel, from: string, to: string, state: ElementState): Edge {
  return {
    id: edgeId(label, from, to),
    label,
    from,
    to,
    props: visibleProps(state),
    version: visibleVersion(state) ?? '',
  };
}

function timelineTs(vertex: Vertex): number {
  const ts = vertex.props.ts;
  return typeof ts === 'number' && Number.isFinite(ts) ? ts : 0;
}

function countsOf(value: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  const entries = value instanceof Map ? [...value.entries()] : Object.entries((value ?? {}) as object);
  for (const [label, count] of entries) {
    const n = Number(count);
    if (n > 0) out[String(label)] = n;
  }
  return out;
}

const byteOrder = compareByteOrder;

function checkPage(operation: string, page: PageRequest): void {
  if (!Number.isInteger(page.first) || page.first < 0) {
    throw new GremlinStoreError(
      'BAD_PAGE',
      `GremlinStore.${operation}: first must be a non-negative integer, got ${String(page.first)}`,
    );
  }
}

function encodeCursor(parts: readonly (string | number)[]): string {
  return encodePageCursor(parts);
}

function decodeCursor(cursor: string, shape: readonly ('string' | 'number')[]): unknown[] {
  return decodePageCursor(
    cursor,
    shape,
    (cause) =>
      new GremlinStoreError(
        'BAD_CURSOR',
        'GremlinStore: the cursor is not one this store handed out',
        cause === undefined ? undefined : { cause },
      ),
  );
}

function decodeNeighborCursor(cursor: string): readonly [string, string, number] {
  const [label, neighbour, rank] = decodeCursor(cursor, ['string', 'string', 'number']);
  return [label as string, neighbour as string, rank as number];
}

function decodeTimelineCursor(cursor: string): readonly [number, string] {
  const [ts, id] = decodeCursor(cursor, ['number', 'string']);
  return [ts as number, id as string];
}

function decodeSearchCursor(cursor: string): string {
  return decodeCursor(cursor, ['string'])[0] as string;
}
