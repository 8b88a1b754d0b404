/**
 * The embedded GraphStore, the default backend: LMDB is the store of record and serves
 * every read from its ordered indexes (see embedded-layout.ts), so a restart is instant and
 * the graph can outgrow the heap. One LMDB write transaction per `apply`.
 */
import { open, type RootDatabase } from 'lmdb';
import type { Logger } from 'pino';
import {
  type ApplyResult,
  type BehaviourIndex,
  type BehaviourItem,
  type BehaviourQuery,
  compareByteOrder,
  decodePageCursor,
  type Edge,
  type EdgeLabel,
  type ElementState,
  EMPTY_STATE,
  edgeId,
  encodePageCursor,
  type GraphBatch,
  type GraphStore,
  indexedProperties,
  isEdgeVisible,
  isLive,
  type JsonValue,
  type LabelPartitions,
  type LabelRange,
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
  visibleProps,
  visibleVersion,
} from '../../../graph-schema';
import {
  type AdjacencyDirection,
  type EmbeddedLayout,
  type ItemCategories,
  LAYOUT_VERSION,
  lookupKeyPart,
  NAMED_DATABASES,
  openEmbeddedLayout,
  SEARCH_TERM_MAX_CHARS,
} from './embedded-layout';
import { EmbeddedStoreError } from './embedded-store-error';
import { validateBatch, writeBatch } from './write-batch';

export interface EmbeddedStoreOptions {
  /** Directory of the LMDB environment; created when missing. */
  readonly path: string;
  /** Initial map size; LMDB grows it when it fills. */
  readonly mapSizeBytes?: number;
  readonly logger?: Logger;
}

export interface EmbeddedGraphStore extends GraphStore, BehaviourIndex, LabelPartitions {
  readonly kind: 'embedded';
  readonly path: string;
  /**
   * Whether the store can take writes and answer reads now (readiness): not while the disk
   * is full or failing (until a probe write succeeds again), nor while reads have failed in
   * the last minute (a damaged file answers some keys and fails others).
   */
  health(): StoreHealth;
}

export interface StoreHealth {
  readonly ready: boolean;
  /** Why not ready, each saying what to do; empty when ready. */
  readonly reasons: readonly string[];
}

/**
 * How soon a store whose writes failed first tries a probe write to find out that they work
 * again; the wait doubles up to the maximum (each failed probe is an lmdb error line in the log).
 */
const WRITE_PROBE_MS = 1_000;
const WRITE_PROBE_MAX_MS = 10_000;
/** The probe writes this much and removes it: recovery needs room for a batch, not just a byte. */
const WRITE_PROBE_BYTES = 1024 * 1024;
/** Reads that failed this recently keep the store not ready. */
const READ_FAILURE_WINDOW_MS = 60_000;

/** What an LMDB commit failure was; lmdb-js keeps the OS error in `commitError` (a rejected promise). */
async function commitFailure(error: unknown): Promise<{ readonly diskFull: boolean; readonly detail: string }> {
  let cause: unknown = error;
  const inner = (error as { commitError?: Promise<unknown> } | null)?.commitError;
  if (inner && typeof inner.then === 'function') {
    try {
      await inner;
    } catch (e) {
      cause = e;
    }
  }
  const code = (cause as { code?: unknown } | null)?.code;
  const message = cause instanceof Error ? cause.message : String(cause);
  // ENOSPC 28, EDQUOT 122, EFBIG 27; LMDB reports some failed page writes on a full tmpfs as EIO (5).
  const diskFull =
    code === 28 ||
    code === 122 ||
    code === 27 ||
    code === 'ENOSPC' ||
    /no space left|quota|file too large/i.test(message);
  return { diskFull, detail: code === undefined ? message : `${message} (code ${String(code)})` };
}

export async function createEmbeddedStore(options: EmbeddedStoreOptions): Promise<EmbeddedGraphStore> {
  let root: RootDatabase;
  let layout: EmbeddedLayout;
  try {
    root = open({
      path: options.path,
      maxDbs: NAMED_DATABASES,
      ...(options.mapSizeBytes === undefined ? {} : { mapSize: options.mapSizeBytes }),
      // Durability is the contract of `apply`: never skip syncs, and commit as soon as a batch is queued.
      noSync: false,
      commitDelay: 0,
    });
    layout = openEmbeddedLayout(root);
    const stored = layout.meta.get('layoutVersion');
    if (stored === undefined) await layout.meta.put('layoutVersion', LAYOUT_VERSION);
    else if (stored !== LAYOUT_VERSION) {
      await root.close();
      throw new EmbeddedStoreError(
        'STORE_OPEN_FAILED',
        `createEmbeddedStore: ${options.path} has layout version ${String(stored)}, this build reads ${LAYOUT_VERSION}`,
      );
    }
  } catch (error) {
    if (error instanceof EmbeddedStoreError) throw error;
    throw new EmbeddedStoreError('STORE_OPEN_FAILED', `createEmbeddedStore: cannot open ${options.path}`, {
      cause: error,
    });
  }
  options.logger?.info({ path: options.path }, 'embedded graph store opened');
  return new LmdbGraphStore(options.path, root, layout, options.logger);
}

type Position = readonly [label: string, neighbour: string, rank: number];

interface AdjacencyEntry {
  readonly label: EdgeLabel;
  readonly neighbour: string;
  readonly direction: AdjacencyDirection;
  readonly rank: number;
}

class LmdbGraphStore implements EmbeddedGraphStore {
  readonly kind = 'embedded' as const;
  private closed = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Set when a commit failed for a reason of the environment (disk full, I/O); cleared by a probe. */
  private writeFailure: { readonly message: string; readonly since: number } | null = null;
  private probe: NodeJS.Timeout | null = null;
  private readonly readFailures: number[] = [];

  constructor(
    readonly path: string,
    private readonly root: RootDatabase,
    private readonly layout: EmbeddedLayout,
    private readonly logger: Logger | undefined,
  ) {}

  async apply(batch: GraphBatch): Promise<ApplyResult> {
    this.assertOpen('apply');
    validateBatch(batch);
    const result = { vertices: batch.vertices.length, edges: batch.edges.length };
    if (result.vertices === 0 && result.edges === 0) return result;
    // While the disk is known to be full, fail fast (the collector answers 503 + Retry-After at
    // once) and let the probe, not every caller's retries, find out when writes work again.
    if (this.writeFailure) {
      throw new EmbeddedStoreError('STORE_WRITE_FAILED', `EmbeddedStore.apply: ${this.writeFailure.message}`, {
        retriable: true,
      });
    }
    const write = this.commit(batch);
    this.inFlight.add(write);
    try {
      await write;
    } finally {
      this.inFlight.delete(write);
    }
    return result;
  }

  private async commit(batch: GraphBatch): Promise<void> {
    try {
      // A child transaction is abortable: if the callback throws, none of the batch is written,
      // while the commit and its fsync still run on lmdb's writer thread, off the event loop.
      await this.root.childTransaction(() => writeBatch(this.layout, batch));
      // With overlappingSync (lmdb's default off Windows) a commit resolves once visible, before it
      // is synced; `flushed` resolves when this and every earlier commit are on disk.
      await this.root.flushed;
    } catch (error) {
      if (error instanceof EmbeddedStoreError) throw error;
      // Only a failed commit says something about the disk; an exception inside the batch's
      // callback rolled back that batch alone and the next one may well succeed.
      const commitFailed = typeof (error as { commitError?: unknown } | null)?.commitError === 'object';
      const failure = await commitFailure(error);
      const message = failure.diskFull
        ? `the disk under ${this.path} is full (${failure.detail}); free space — writes resume by themselves`
        : commitFailed
          ? `the write transaction failed (${failure.detail}); the disk under ${this.path} may be full or failing`
          : `the write transaction failed (${failure.detail})`;
      this.logger?.error(
        { err: error, path: this.path, diskFull: failure.diskFull },
        'embedded graph store write failed',
      );
      if (commitFailed || failure.diskFull) this.failWrites(message);
      throw new EmbeddedStoreError('STORE_WRITE_FAILED', `EmbeddedStore.apply: ${message}`, {
        retriable: true,
        cause: error,
      });
    }
  }

  health(): StoreHealth {
    const reasons: string[] = [];
    if (this.writeFailure)
      reasons.push(
        `graph store not writable since ${new Date(this.writeFailure.since).toISOString()}: ${this.writeFailure.message}`,
      );
    const now = Date.now();
    while (this.readFailures.length > 0 && this.readFailures[0] < now - READ_FAILURE_WINDOW_MS)
      this.readFailures.shift();
    if (this.readFailures.length > 0) {
      reasons.push(
        `${this.readFailures.length} graph store read(s) failed in the last minute: ${this.path} may be damaged; restart to verify it, or rebuild it (c360 rebuild)`,
      );
    }
    return { ready: reasons.length === 0, reasons };
  }

  /** Marks writes failed and probes until one works; apply fails fast meanwhile. */
  private failWrites(message: string): void {
    this.writeFailure ??= { message, since: Date.now() };
    if (this.probe || this.closed) return;
    let wait = WRITE_PROBE_MS;
    const probe = async () => {
      this.probe = null;
      if (this.closed) return;
      try {
        await this.root.childTransaction(() => this.layout.meta.put('writeProbe', Buffer.alloc(WRITE_PROBE_BYTES)));
        await this.root.childTransaction(() => this.layout.meta.remove('writeProbe'));
        await this.root.flushed;
        this.logger?.info({ path: this.path }, 'embedded graph store writable again');
        this.writeFailure = null;
      } catch (error) {
        const inner = (error as { commitError?: Promise<unknown> } | null)?.commitError;
        inner?.catch(() => undefined);
        if (!this.closed) {
          wait = Math.min(wait * 2, WRITE_PROBE_MAX_MS);
          this.probe = setTimeout(() => void probe(), wait);
          this.probe.unref();
        }
      }
    };
    this.probe = setTimeout(() => void probe(), WRITE_PROBE_MS);
    this.probe.unref();
  }

  async getVertices(ids: readonly string[]): Promise<(Vertex | null)[]> {
    this.assertOpen('getVertices');
    return this.read('getVertices', () => {
      const states = new StateCache(this.layout);
      return ids.map((id) => {
        const state = states.vertex(id);
        return isLive(state) ? toVertex(id, state) : null;
      });
    });
  }

  async neighbors(queries: readonly NeighborQuery[]): Promise<Page<Neighbor>[]> {
    this.assertOpen('neighbors');
    for (const q of queries) checkPage('neighbors', q);
    return this.read('neighbors', () => {
      const states = new StateCache(this.layout);
      return queries.map((q) => this.neighborPage(q, states));
    });
  }

  private neighborPage(query: NeighborQuery, states: StateCache): Page<Neighbor> {
    const after = query.after ? decodeNeighborCursor(query.after) : null;
    // The start's state is read at its first adjacency entry: a vertex with none (most
    // customers have no identities) answers an empty page without decoding it.
    let start: ElementState | null = null;
    const labels = query.edgeLabels?.length ? [...new Set(query.edgeLabels)].sort(compareByteOrder) : null;
    const vertexLabels = query.vertexLabels?.length ? new Set<string>(query.vertexLabels) : null;
    const scans =
      query.direction === 'both'
        ? [this.adjacency(query.id, 'o', labels, after), this.adjacency(query.id, 'i', labels, after)]
        : [this.adjacency(query.id, query.direction === 'out' ? 'o' : 'i', labels, after)];

    const items: Neighbor[] = [];
    const positions: (string | number)[][] = [];
    let hasNextPage = false;
    for (const entry of mergeSorted(scans, compareEntries)) {
      // A self-loop is listed once by `both`, as its out side.
      if (entry.neighbour === query.id && entry.direction === 'i' && query.direction === 'both') continue;
      if (vertexLabels && !vertexLabels.has(labelOf(entry.neighbour))) continue;
      const from = entry.direction === 'o' ? query.id : entry.neighbour;
      const to = entry.direction === 'o' ? entry.neighbour : query.id;
      const id = edgeId(entry.label, from, to);
      if (start === null) {
        start = states.vertex(query.id);
        if (!isLive(start)) return emptyPage();
      }
      const edge = states.edge(id);
      const other = states.vertex(entry.neighbour);
      const visible = entry.direction === 'o' ? isEdgeVisible(edge, start, other) : isEdgeVisible(edge, other, start);
      if (!visible) continue;
      if (items.length === query.first) {
        hasNextPage = true;
        break;
      }
      items.push({ edge: toEdge(id, entry.label, from, to, edge), vertex: toVertex(entry.neighbour, other) });
      positions.push([entry.label, entry.neighbour, entry.rank]);
    }
    return pageOf(items, positions, hasNextPage);
  }

  /** Adjacency entries of one direction in (edge label, neighbour id) order, strictly after the cursor. */
  private *adjacency(
    id: string,
    direction: AdjacencyDirection,
    labels: readonly string[] | null,
    after: Position | null,
  ): Generator<AdjacencyEntry> {
    const rank = direction === 'o' ? 0 : 1;
    for (const label of labels ?? [null]) {
      if (after && label !== null && compareByteOrder(label, after[0]) < 0) continue;
      const resume = after && (label === null || label === after[0]);
      const start = resume
        ? [id, direction, after[0], after[1]]
        : label === null
          ? [id, direction]
          : [id, direction, label];
      for (const key of this.layout.adjacency.getKeys({ start })) {
        if (key[0] !== id || key[1] !== direction || (label !== null && key[2] !== label)) break;
        const entry: AdjacencyEntry = {
          label: key[2] as EdgeLabel,
          neighbour: key[3] as string,
          direction,
          rank,
        };
        if (after && compareEntries(entry, { label: after[0], neighbour: after[1], rank: after[2] }) <= 0) continue;
        yield entry;
      }
    }
  }

  async timeline(query: TimelineQuery): Promise<Page<TimelineItem>> {
    this.assertOpen('timeline');
    checkPage('timeline', query);
    const after = query.after ? decodeTimelineCursor(query.after) : null;
    return this.read('timeline', () => {
      const states = new StateCache(this.layout);
      const owners = [...new Set(query.ownerIds)];
      const labels = query.labels?.length ? new Set<string>(query.labels) : null;
      const scans = owners.map((owner) => this.timelineScan(owner, after));
      const items: TimelineItem[] = [];
      const positions: (string | number)[][] = [];
      let hasNextPage = false;
      for (const group of groupByItem(mergeSorted(scans, compareTimelineEntries))) {
        const { ts, itemId } = group[0];
        if (labels && !labels.has(labelOf(itemId))) continue;
        const item = states.vertex(itemId);
        if (!isLive(item)) continue;
        let via: EdgeLabel | null = null;
        for (const entry of group) {
          const edge = states.edge(edgeId(entry.label, entry.owner, itemId));
          if (!isEdgeVisible(edge, states.vertex(entry.owner), item)) continue;
          // Reached over several timeline edges: report the first label in byte order, like every store.
          if (via === null || compareByteOrder(entry.label, via) < 0) via = entry.label;
        }
        if (via === null) continue;
        if (items.length === query.first) {
          hasNextPage = true;
          break;
        }
        items.push({ vertex: toVertex(itemId, item), ts, via });
        positions.push([ts, itemId]);
      }
      return pageOf(items, positions, hasNextPage);
    });
  }

  async behaviourWindows(queries: readonly BehaviourQuery[]): Promise<BehaviourItem[][]> {
    this.assertOpen('behaviourWindows');
    return this.read('behaviourWindows', () => {
      const states = new StateCache(this.layout);
      return queries.map((q) => this.behaviourWindow(q, states));
    });
  }

  /**
   * `timeline` restricted to one label and stopped at `since`, with the categories each entry
   * carries: visibility is checked exactly as `timeline` does (item and owner edge states), but
   * no product is read unless the entry predates kept categories.
   */
  private behaviourWindow(query: BehaviourQuery, states: StateCache): BehaviourItem[] {
    // A window is what the condition counts, so it is read whole: arrays and one sort cost
    // less than merging generators, which this read does for every customer of a preview.
    const entries: TimelineEntry[] = [];
    const owners =
      query.withIdentitiesOf === undefined
        ? query.ownerIds
        : [...query.ownerIds, ...this.identitiesOf(query.withIdentitiesOf, states)];
    for (const owner of new Set(owners)) this.windowScan(owner, query.since, entries);
    if (owners.length > 1) entries.sort(compareTimelineEntries);
    const items: BehaviourItem[] = [];
    for (let start = 0; start < entries.length; ) {
      const { ts, itemId } = entries[start];
      let end = start + 1;
      while (end < entries.length && entries[end].itemId === itemId && entries[end].ts === ts) end++;
      const group = entries.slice(start, end);
      start = end;
      if (labelOf(itemId) !== query.label) continue;
      const item = states.vertex(itemId);
      if (!isLive(item)) continue;
      let visible = false;
      let categories: readonly string[] | null = null;
      for (const entry of group) {
        const edge = states.edge(edgeId(entry.label, entry.owner, itemId));
        if (!isEdgeVisible(edge, states.vertex(entry.owner), item)) continue;
        visible = true;
        if (Array.isArray(entry.categories)) categories = entry.categories;
      }
      if (visible) items.push({ vertex: toVertex(itemId, item), ts, categories });
    }
    return items;
  }

  /**
   * The Identity vertices a customer visibly HAS_IDENTITY: what `neighbors` answers for that
   * hop, from the adjacency keys alone (no pages, cursors or neighbour objects); a customer
   * without identities costs one key lookup.
   */
  private identitiesOf(customerId: string, states: StateCache): string[] {
    const found: string[] = [];
    let start: ElementState | null = null;
    for (const key of this.layout.adjacency.getKeys({ start: [customerId, 'o', 'HAS_IDENTITY'] })) {
      if (key[0] !== customerId || key[1] !== 'o' || key[2] !== 'HAS_IDENTITY') break;
      const identity = key[3] as string;
      if (labelOf(identity) !== 'Identity') continue;
      start ??= states.vertex(customerId);
      if (!isLive(start)) return [];
      if (isEdgeVisible(states.edge(edgeId('HAS_IDENTITY', customerId, identity)), start, states.vertex(identity))) {
        found.push(identity);
      }
    }
    return found;
  }

  /** One owner's timeline entries from the newest down to `since`, with their values, newest first. */
  private windowScan(owner: string, since: number, into: TimelineEntry[]): void {
    for (const { key, value } of this.layout.timeline.getRange({
      start: [owner, '\uffff'],
      end: [owner, since],
      reverse: true,
    })) {
      if (key[0] !== owner || typeof key[1] !== 'number' || key[1] < since) break;
      into.push({ owner, ts: key[1], itemId: key[2] as string, label: key[3] as EdgeLabel, categories: value });
    }
  }

  /** One owner's timeline entries, newest first, strictly after the cursor. */
  private *timelineScan(owner: string, after: readonly [number, string] | null): Generator<TimelineEntry> {
    // Strings sort after numbers, so [owner, '\uffff'] is above every [owner, ts, …]; a cursor
    // [owner, ts, itemId] is below its own entries [owner, ts, itemId, label], so they are skipped.
    const start = after ? [owner, after[0], after[1]] : [owner, '\uffff'];
    for (const key of this.layout.timeline.getKeys({ start, end: [owner], reverse: true })) {
      if (key[0] !== owner || typeof key[1] !== 'number') break;
      yield { owner, ts: key[1], itemId: key[2] as string, label: key[3] as EdgeLabel };
    }
  }

  async lookup(label: VertexLabel, property: string, value: JsonValue): Promise<string[]> {
    this.assertOpen('lookup');
    if (!indexedProperties(label).includes(property)) {
      throw new EmbeddedStoreError(
        'BAD_QUERY',
        `EmbeddedStore.lookup: ${label}.${property} is not an indexed property`,
      );
    }
    const part = lookupKeyPart(value);
    if (part === null) return [];
    const expected = JSON.stringify(value);
    return this.read('lookup', () => {
      const ids: string[] = [];
      for (const key of this.layout.lookup.getKeys({ start: [label, property, part] })) {
        if (key[0] !== label || key[1] !== property || key[2] !== part) break;
        const id = key[3] as string;
        const state = this.layout.vertices.get(id) ?? EMPTY_STATE;
        // Long values are indexed by prefix; the stored value decides.
        if (isLive(state) && JSON.stringify(visibleProps(state)[property]) === expected) ids.push(id);
      }
      return ids;
    });
  }

  async search(label: VertexLabel, text: string, page: PageRequest): Promise<Page<Vertex>> {
    this.assertOpen('search');
    checkPage('search', page);
    const after = page.after ? decodeSearchCursor(page.after) : null;
    return this.read('search', () =>
      text === '' ? this.listLabel(label, page.first, after) : this.searchText(label, text, page.first, after),
    );
  }

  async labelRanges(label: VertexLabel, parts: number): Promise<LabelRange[]> {
    this.assertOpen('labelRanges');
    if (!Number.isInteger(parts) || parts < 1) {
      throw new EmbeddedStoreError(
        'BAD_QUERY',
        `EmbeddedStore.labelRanges: parts must be a positive integer, got ${parts}`,
      );
    }
    return this.read('labelRanges', () => {
      // ':' + 1 is ';': every id of the label sorts in [`Label:`, `Label;`).
      // A fresh object per call: lmdb marks the options it is given (`onlyCount`).
      const range = () => ({ start: `${label}:`, end: `${label};` });
      // Counted and stepped over inside LMDB (no values decoded): milliseconds for millions of keys.
      const count = this.layout.vertices.getKeysCount(range());
      const bounds: string[] = [];
      for (let k = 1; k < parts; k++) {
        for (const key of this.layout.vertices.getKeys({
          ...range(),
          offset: Math.floor((k * count) / parts),
          limit: 1,
        })) {
          if (bounds.length === 0 || compareByteOrder(key as string, bounds[bounds.length - 1]) > 0)
            bounds.push(key as string);
        }
      }
      // Slice k ends at (and includes) bound k; the next starts after it, as `search` resumes after a cursor.
      return [...bounds, null].map((through, k) => ({
        after: k === 0 ? null : encodePageCursor([bounds[k - 1]]),
        through,
      }));
    });
  }

  private listLabel(label: VertexLabel, first: number, after: string | null): Page<Vertex> {
    const prefix = `${label}:`;
    const items: Vertex[] = [];
    let hasNextPage = false;
    for (const { key, value } of this.layout.vertices.getRange({ start: after ?? prefix })) {
      if (!key.startsWith(prefix)) break;
      if (key === after || !isLive(value)) continue;
      if (items.length === first) {
        hasNextPage = true;
        break;
      }
      items.push(toVertex(key, value));
    }
    return pageOf(
      items,
      items.map((v) => [v.id]),
      hasNextPage,
    );
  }

  /**
   * The index is ordered by value, the answer by id: every match of the prefix is collected,
   * then sorted. Fine for the selective prefixes people type; a one-letter prefix over
   * millions of vertices reads every match.
   */
  private searchText(label: VertexLabel, text: string, first: number, after: string | null): Page<Vertex> {
    const needle = text.toLowerCase();
    const term = needle.slice(0, SEARCH_TERM_MAX_CHARS);
    const candidates = new Set<string>();
    for (const key of this.layout.search.getKeys({ start: [label, term] })) {
      if (key[0] !== label || typeof key[1] !== 'string' || !key[1].startsWith(term)) break;
      candidates.add(key[2] as string);
    }
    const ids = [...candidates].sort(compareByteOrder);
    const properties = searchableProperties(label);
    const items: Vertex[] = [];
    let hasNextPage = false;
    for (const id of ids) {
      if (after !== null && compareByteOrder(id, after) <= 0) continue;
      const state = this.layout.vertices.get(id) ?? EMPTY_STATE;
      if (!isLive(state)) continue;
      const props = visibleProps(state);
      const matches = properties.some((p) => {
        const value = props[p];
        return typeof value === 'string' && value.toLowerCase().startsWith(needle);
      });
      if (!matches) continue;
      if (items.length === first) {
        hasNextPage = true;
        break;
      }
      items.push(toVertex(id, state));
    }
    return pageOf(
      items,
      items.map((v) => [v.id]),
      hasNextPage,
    );
  }

  async scanStates(label: VertexLabel, page: PageRequest): Promise<Page<StoredState>> {
    this.assertOpen('scanStates');
    checkPage('scanStates', page);
    const after = page.after ? decodeSearchCursor(page.after) : null;
    const prefix = `${label}:`;
    return this.read('scanStates', () => {
      const items: StoredState[] = [];
      let hasNextPage = false;
      for (const { key, value } of this.layout.vertices.getRange({ start: after ?? prefix })) {
        if (!key.startsWith(prefix)) break;
        if (key === after) continue;
        if (items.length === page.first) {
          hasNextPage = true;
          break;
        }
        items.push({ id: key, props: visibleProps(value) });
      }
      return pageOf(
        items,
        items.map((v) => [v.id]),
        hasNextPage,
      );
    });
  }

  async stats(): Promise<StoreStats> {
    this.assertOpen('stats');
    return this.read('stats', () => {
      const vertices: Record<string, number> = {};
      const edges: Record<string, number> = {};
      for (const { key, value } of this.layout.counters.getRange({})) {
        if (value === 0) continue;
        if (key[0] === 'v') vertices[key[1] as string] = value;
        else edges[key[1] as string] = value;
      }
      return { vertices, edges } as StoreStats;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.probe) clearTimeout(this.probe);
    // Let acknowledged-to-be batches finish so that close never loses a write a caller awaits.
    await Promise.allSettled([...this.inFlight]);
    await this.root.close();
    this.logger?.info({ path: this.path }, 'embedded graph store closed');
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new EmbeddedStoreError('STORE_CLOSED', `EmbeddedStore.${operation}: the store is closed`);
  }

  /** Reads run synchronously, so each call sees one LMDB snapshot. */
  private read<T>(operation: string, body: () => T): T {
    try {
      return body();
    } catch (error) {
      if (error instanceof EmbeddedStoreError) throw error;
      this.readFailures.push(Date.now());
      if (this.readFailures.length > 1000) this.readFailures.shift();
      this.logger?.error({ err: error, path: this.path, operation }, 'embedded graph store read failed');
      throw new EmbeddedStoreError('STORE_READ_FAILED', `EmbeddedStore.${operation}: the read failed`, {
        retriable: true,
        cause: error,
      });
    }
  }
}

/** Element states read once per call: a neighbour reached twice, or a shared owner, costs one get. */
class StateCache {
  private readonly vertices = new Map<string, ElementState>();
  constructor(private readonly layout: EmbeddedLayout) {}
  vertex(id: string): ElementState {
    let state = this.vertices.get(id);
    if (state === undefined) {
      state = this.layout.vertices.get(id) ?? EMPTY_STATE;
      this.vertices.set(id, state);
    }
    return state;
  }
  edge(id: string): ElementState {
    return this.layout.edges.get(id) ?? EMPTY_STATE;
  }
}

interface TimelineEntry {
  readonly owner: string;
  readonly ts: number;
  readonly itemId: string;
  readonly label: EdgeLabel;
  readonly categories?: ItemCategories;
}

function compareEntries(
  a: { label: string; neighbour: string; rank: number },
  b: { label: string; neighbour: string; rank: number },
): number {
  return compareByteOrder(a.label, b.label) || compareByteOrder(a.neighbour, b.neighbour) || a.rank - b.rank;
}

/** Newest first: ts descending, then item id descending; an item's entries from several owners are adjacent. */
function compareTimelineEntries(a: TimelineEntry, b: TimelineEntry): number {
  return b.ts - a.ts || compareByteOrder(b.itemId, a.itemId);
}

function* groupByItem(entries: Iterable<TimelineEntry>): Generator<TimelineEntry[]> {
  let group: TimelineEntry[] = [];
  for (const entry of entries) {
    if (group.length > 0 && (group[0].itemId !== entry.itemId || group[0].ts !== entry.ts)) {
      yield group;
      group = [];
    }
    group.push(entry);
  }
  if (group.length > 0) yield group;
}

/**
 * Merges iterators that are each sorted by `compare` (ties keep iterator order). Iterators
 * are closed when the consumer stops early, which releases their LMDB cursors.
 */
function* mergeSorted<T>(sources: readonly Iterable<T>[], compare: (a: T, b: T) => number): Generator<T> {
  const iterators = sources.map((s) => s[Symbol.iterator]());
  const heads: IteratorResult<T>[] = iterators.map((it) => it.next());
  try {
    for (;;) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const head = heads[i];
        if (head.done) continue;
        if (best === -1 || compare(head.value, (heads[best] as IteratorYieldResult<T>).value) < 0) best = i;
      }
      if (best === -1) return;
      yield (heads[best] as IteratorYieldResult<T>).value;
      heads[best] = iterators[best].next();
    }
  } finally {
    for (let i = 0; i < iterators.length; i++) {
      if (!heads[i].done) iterators[i].return?.();
    }
  }
}

function labelOf(id: string): string {
  return parseVertexId(id)?.label ?? '';
}

function toVertex(id: string, state: ElementState): Vertex {
  const ref = parseVertexId(id);
  return {
    id,
    label: ref?.label as VertexLabel,
    key: ref?.key ?? '',
    props: visibleProps(state),
    version: visibleVersion(state) ?? '',
  };
}

function toEdge(id: string, label: EdgeLabel, from: string, to: string, state: ElementState): Edge {
  return { id, label, from, to, props: visibleProps(state), version: visibleVersion(state) ?? '' };
}

function emptyPage<T>(): Page<T> {
  return { items: [], cursors: [], hasNextPage: false };
}

function checkPage(operation: string, page: PageRequest): void {
  if (!Number.isInteger(page.first) || page.first < 0) {
    throw new EmbeddedStoreError(
      'BAD_PAGE',
      `EmbeddedStore.${operation}: first must be a non-negative integer, got ${String(page.first)}`,
    );
  }
}

/**
 * A page whose cursors are encoded when first asked for: most readers (the 360° view's
 * lists, a segment evaluation's hops) never look at them, and encoding one per item was
 * 8–10 % of a whole-graph evaluation.
 */
function pageOf<T>(items: T[], positions: readonly (readonly (string | number)[])[], hasNextPage: boolean): Page<T> {
  let cursors: string[] | null = null;
  const page = {
    items,
    hasNextPage,
    get cursors(): string[] {
      cursors ??= positions.map((p) => encodePageCursor(p));
      return cursors;
    },
  };
  // Not enumerable: a page still looks like every store's ({ items, cursors, hasNextPage }).
  return Object.defineProperty(page, 'endCursor', {
    get(): string | null {
      if (positions.length === 0) return null;
      return cursors ? cursors[cursors.length - 1] : encodePageCursor(positions[positions.length - 1]);
    },
  });
}

function decodeCursor(cursor: string, shape: readonly ('string' | 'number')[]): unknown[] {
  return decodePageCursor(
    cursor,
    shape,
    (cause) =>
      new EmbeddedStoreError(
        'BAD_CURSOR',
        'EmbeddedStore: the cursor is not one this store handed out',
        cause === undefined ? undefined : { cause },
      ),
  );
}

function decodeNeighborCursor(cursor: string): Position {
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
