/**
 * The write side of the embedded store: merges a coalesced batch into the stored element
 * states and keeps every index in step, synchronously, inside the one LMDB write
 * transaction the caller opened. Reads inside the transaction see its own writes, so each
 * step computes its index and counter deltas against the state left by the previous step;
 * the sum of the deltas is therefore exact whatever the batch contains.
 *
 * Edges read both endpoints' states, which the batch has almost always just written (a batch
 * carries every upserted edge's endpoints): `EndpointStates` keeps the vertex states this batch
 * has seen so those reads skip LMDB's lookup and decode.
 */
import {
  EDGES,
  type EdgeLabel,
  type EdgeWrite,
  type ElementState,
  EMPTY_STATE,
  edgeId,
  type GraphBatch,
  indexedProperties,
  isEdgeLabel,
  isEdgeVisible,
  isLive,
  isVertexLabel,
  type JsonObject,
  mergeStates,
  searchableProperties,
  TIMELINE_EDGE_LABELS,
  VERTEX_LABELS,
  type VertexLabel,
  type VertexWrite,
  vertexId,
  visibleProps,
} from '../../../graph-schema';
import {
  type AdjacencyDirection,
  type EmbeddedLayout,
  type ItemCategories,
  lookupKeyPart,
  MAX_VERTEX_ID_BYTES,
  searchTerm,
  timelineTs,
} from './embedded-layout';
import { EmbeddedStoreError } from './embedded-store-error';

const EMPTY_PROPS: JsonObject = Object.freeze({}) as JsonObject;
// Per-label property lists, computed once: the write loop consults them for every vertex.
const INDEXED = new Map<string, readonly string[]>(VERTEX_LABELS.map((l) => [l, indexedProperties(l)]));
const SEARCHABLE = new Map<string, readonly string[]>(VERTEX_LABELS.map((l) => [l, searchableProperties(l)]));

/**
 * Rejects, before anything is written, what LMDB could not store, so a poison batch fails
 * whole with a non-retriable error instead of aborting half way through a transaction.
 */
export function validateBatch(batch: GraphBatch): void {
  for (const v of batch.vertices) checkVertexRef('vertex', v.label, v.key);
  for (const e of batch.edges) {
    if (!isEdgeLabel(e.label)) throw invalid(`unknown edge label ${JSON.stringify(e.label)}`);
    checkVertexRef('edge endpoint', e.from.label, e.from.key);
    checkVertexRef('edge endpoint', e.to.label, e.to.key);
  }
}

function checkVertexRef(what: string, label: string, key: string): void {
  if (!isVertexLabel(label)) throw invalid(`${what} has unknown label ${JSON.stringify(label)}`);
  if (typeof key !== 'string') throw invalid(`${what} ${label} has a non-string key`);
  const bytes = Buffer.byteLength(key, 'utf8') + label.length + 1;
  if (bytes > MAX_VERTEX_ID_BYTES) {
    throw invalid(`${what} id ${label}:${key.slice(0, 40)}… is ${bytes} bytes; at most ${MAX_VERTEX_ID_BYTES} fit`);
  }
}

function invalid(message: string): EmbeddedStoreError {
  return new EmbeddedStoreError('INVALID_ELEMENT', `EmbeddedStore.apply: ${message}`);
}

/**
 * The vertex states of the current transaction, for edges' endpoint reads: what this batch
 * wrote or read, else LMDB. Lives for one `writeBatch` (one transaction), so it can never
 * outlive an aborted write. An edge uses only an endpoint's liveness, tombstone and timeline
 * `ts` (see `endpointTimelineTs`), which survive LMDB's encoding unchanged, so a state held here
 * gives the same answers as the one LMDB would decode. `writeVertex` itself still reads LMDB,
 * so the merge always starts from the stored form.
 */
class EndpointStates {
  private readonly states = new Map<string, ElementState>();

  constructor(private readonly layout: EmbeddedLayout) {}

  get(id: string): ElementState | undefined {
    const held = this.states.get(id);
    if (held !== undefined) return held;
    const stored = this.layout.vertices.get(id);
    if (stored !== undefined) this.states.set(id, stored);
    return stored;
  }

  /** `state` was read from LMDB, or has just been written to it. */
  seen(id: string, state: ElementState): void {
    this.states.set(id, state);
  }

  put(id: string, state: ElementState): void {
    this.layout.vertices.putSync(id, state);
    this.states.set(id, state);
  }
}

/**
 * Edges from a timeline item to the products it is about (events) or contains (orders): the
 * segment language filters behaviour by their products' `category`, so each timeline entry
 * carries the item's categories (see `ItemCategories`).
 */
const PRODUCT_EDGES: readonly EdgeLabel[] = ['ABOUT', 'CONTAINS'];
const PRODUCT_EDGE_SOURCES = new Set<string>(PRODUCT_EDGES.flatMap((l) => EDGES[l].from));
const PRODUCT_EDGE_TARGETS = new Set<string>(PRODUCT_EDGES.flatMap((l) => EDGES[l].to));

/**
 * The items (events, orders) whose timeline entries' categories this batch must recompute.
 * An item first stored by this batch has only the edges this batch writes, so for it the
 * batch keeps those edges and the recomputation needs no range scan — the common case of a
 * new event arriving with its PERFORMED and ABOUT edges, where scanning cost ingest 40 % of
 * its write transaction.
 */
class Categorized {
  readonly items = new Set<string>();
  /** Items first stored in this batch. */
  private readonly fresh = new Set<string>();
  /** Timeline entries of fresh items, put once their categories are known. */
  private readonly entries = new Map<string, (string | number)[][]>();
  /** Product edges of fresh items: the product and the edge's state after this batch. */
  private readonly products = new Map<string, { product: string; edge: ElementState }[]>();

  add(item: string): void {
    this.items.add(item);
  }

  stored(item: string): void {
    this.fresh.add(item);
  }

  isFresh(item: string): boolean {
    return this.fresh.has(item);
  }

  /** A live timeline edge to a fresh item: its entry is written by the refresh. */
  timelineEntry(item: string, key: (string | number)[]): void {
    this.items.add(item);
    const list = this.entries.get(item);
    if (list === undefined) this.entries.set(item, [key]);
    else list.push(key);
  }

  productEdge(item: string, product: string, edge: ElementState): void {
    this.items.add(item);
    if (!this.fresh.has(item)) return;
    const list = this.products.get(item);
    if (list === undefined) this.products.set(item, [{ product, edge }]);
    else list.push({ product, edge });
  }

  freshEntries(item: string): readonly (string | number)[][] {
    return this.entries.get(item) ?? [];
  }

  freshProducts(item: string): readonly { product: string; edge: ElementState }[] {
    return this.products.get(item) ?? [];
  }
}

/** Runs inside a write transaction; throws to abort it. */
export function writeBatch(layout: EmbeddedLayout, batch: GraphBatch): void {
  const counters = new Map<string, number>();
  const endpoints = new EndpointStates(layout);
  const dirty = new Categorized();
  for (const v of batch.vertices) writeVertex(layout, v, counters, endpoints, dirty);
  for (const e of batch.edges) writeEdge(layout, e, counters, endpoints, dirty);
  // Once per item, after every write of the batch: an event's PERFORMED and ABOUT edges
  // usually arrive together, and its categories depend on both.
  for (const item of dirty.items) refreshItemCategories(layout, item, endpoints, dirty);
  for (const [name, delta] of counters) {
    if (delta === 0) continue;
    const key = [name.slice(0, 1), name.slice(2)];
    layout.counters.putSync(key, (layout.counters.get(key) ?? 0) + delta);
  }
}

function bump(counters: Map<string, number>, kind: 'v' | 'e', label: string, delta: number): void {
  if (delta === 0) return;
  const name = `${kind}:${label}`;
  counters.set(name, (counters.get(name) ?? 0) + delta);
}

function writeVertex(
  layout: EmbeddedLayout,
  write: VertexWrite,
  counters: Map<string, number>,
  endpoints: EndpointStates,
  dirty: Categorized,
): void {
  const id = vertexId(write);
  const stored = layout.vertices.get(id);
  const before = stored ?? EMPTY_STATE;
  const after = mergeStates(before, write.state);
  if (stored !== undefined && sameState(before, after)) {
    endpoints.seen(id, stored);
    return;
  }
  endpoints.put(id, after);

  const wasLive = isLive(before);
  const nowLive = isLive(after);
  bump(counters, 'v', write.label, Number(nowLive) - Number(wasLive));

  const oldProps = wasLive ? visibleProps(before) : EMPTY_PROPS;
  const newProps = nowLive ? visibleProps(after) : EMPTY_PROPS;
  reindexLookup(layout, write.label, id, oldProps, newProps);
  reindexSearch(layout, write.label, id, oldProps, newProps);

  // writeEdge stores a state for every endpoint of a live edge, so a vertex stored for the
  // first time has no incident edges and nothing below can apply: skip the range scan.
  if (stored === undefined) {
    if (PRODUCT_EDGE_SOURCES.has(write.label)) dirty.stored(id);
    return;
  }
  const oldTs = timelineTs(oldProps);
  const newTs = timelineTs(newProps);
  // Edge visibility depends on an endpoint only through its liveness and its tombstone.
  const visibilityChanged = wasLive !== nowLive || before.tomb !== after.tomb;
  const categoryChanged = PRODUCT_EDGE_TARGETS.has(write.label) && oldProps.category !== newProps.category;
  if (oldTs === newTs && !visibilityChanged && !categoryChanged) return;
  const incident = incidentEdges(layout, id);
  if (oldTs !== newTs) moveTimelineEntries(layout, id, incident, oldTs, newTs, dirty);
  if (visibilityChanged) recountIncidentEdges(layout, id, incident, before, after, counters, endpoints);
  // The item's own liveness decides whether its product edges count; a product's category or
  // liveness changes every item that is about it or contains it.
  if (visibilityChanged && PRODUCT_EDGE_SOURCES.has(write.label)) dirty.add(id);
  if (visibilityChanged || categoryChanged) {
    for (const { direction, label, neighbour } of incident) {
      if (direction === 'i' && PRODUCT_EDGES.includes(label)) dirty.add(neighbour);
    }
  }
}

interface Incident {
  readonly direction: AdjacencyDirection;
  readonly label: EdgeLabel;
  readonly neighbour: string;
}

/** One range scan over both directions; collected because callers then write to other databases. */
function incidentEdges(layout: EmbeddedLayout, id: string): Incident[] {
  const out: Incident[] = [];
  for (const key of layout.adjacency.getKeys({ start: [id] })) {
    if (key[0] !== id) break;
    out.push({ direction: key[1] as AdjacencyDirection, label: key[2] as EdgeLabel, neighbour: key[3] as string });
  }
  return out;
}

function reindexLookup(
  layout: EmbeddedLayout,
  label: VertexLabel,
  id: string,
  oldProps: JsonObject,
  newProps: JsonObject,
): void {
  for (const prop of INDEXED.get(label) ?? []) {
    const oldPart = lookupKeyPart(oldProps[prop]);
    const newPart = lookupKeyPart(newProps[prop]);
    if (oldPart === newPart) continue;
    if (oldPart !== null) layout.lookup.removeSync([label, prop, oldPart, id]);
    if (newPart !== null) layout.lookup.putSync([label, prop, newPart, id], true);
  }
}

function reindexSearch(
  layout: EmbeddedLayout,
  label: VertexLabel,
  id: string,
  oldProps: JsonObject,
  newProps: JsonObject,
): void {
  for (const prop of SEARCHABLE.get(label) ?? []) {
    const oldTerm = searchTerm(oldProps[prop]);
    const newTerm = searchTerm(newProps[prop]);
    if (oldTerm === newTerm) continue;
    if (oldTerm !== null) layout.search.removeSync([label, oldTerm, id, prop]);
    if (newTerm !== null) layout.search.putSync([label, newTerm, id, prop], true);
  }
}

/** The item's `ts` changed: every owner's timeline entry for it moves to the new position. */
function moveTimelineEntries(
  layout: EmbeddedLayout,
  itemId: string,
  incident: readonly Incident[],
  oldTs: number,
  newTs: number,
  dirty: Categorized,
): void {
  let categories: ItemCategories | undefined;
  for (const { direction, label, neighbour: owner } of incident) {
    if (direction !== 'i' || !TIMELINE_EDGE_LABELS.includes(label)) continue;
    categories ??= layout.timeline.get([owner, oldTs, itemId, label]) ?? NO_CATEGORIES;
    layout.timeline.removeSync([owner, oldTs, itemId, label]);
    layout.timeline.putSync([owner, newTs, itemId, label], categories);
  }
  if (categories === true) dirty.add(itemId);
}

function recountIncidentEdges(
  layout: EmbeddedLayout,
  id: string,
  incident: readonly Incident[],
  before: ElementState,
  after: ElementState,
  counters: Map<string, number>,
  endpoints: EndpointStates,
): void {
  for (const { direction, label, neighbour } of incident) {
    // A self-loop has an entry in both directions but is one edge.
    if (neighbour === id && direction === 'i') continue;
    const from = direction === 'o' ? id : neighbour;
    const to = direction === 'o' ? neighbour : id;
    const edge = layout.edges.get(edgeId(label, from, to)) ?? EMPTY_STATE;
    const other = neighbour === id ? null : (endpoints.get(neighbour) ?? EMPTY_STATE);
    const ends = (self: ElementState) =>
      direction === 'o' ? ([self, other ?? self] as const) : ([other ?? self, self] as const);
    const [wasFrom, wasTo] = ends(before);
    const [nowFrom, nowTo] = ends(after);
    const delta = Number(isEdgeVisible(edge, nowFrom, nowTo)) - Number(isEdgeVisible(edge, wasFrom, wasTo));
    bump(counters, 'e', label, delta);
  }
}

function writeEdge(
  layout: EmbeddedLayout,
  write: EdgeWrite,
  counters: Map<string, number>,
  endpoints: EndpointStates,
  dirty: Categorized,
): void {
  const from = vertexId(write.from);
  const to = vertexId(write.to);
  const id = edgeId(write.label, from, to);
  const before = layout.edges.get(id) ?? EMPTY_STATE;
  const after = mergeStates(before, write.state);
  if (sameState(before, after)) return;
  layout.edges.putSync(id, after);

  const fromStored = endpoints.get(from);
  const toStored = from === to ? fromStored : endpoints.get(to);
  const fromState = fromStored ?? EMPTY_STATE;
  const toState = toStored ?? EMPTY_STATE;
  const wasLive = isLive(before);
  const nowLive = isLive(after);
  // BatchBuilder always carries an upserted edge's endpoints; a hand-built batch may not. Store
  // them as empty so that "never stored" keeps meaning "no incident edges" (see writeVertex).
  if (nowLive && fromStored === undefined) {
    endpoints.put(from, EMPTY_STATE);
    if (PRODUCT_EDGE_SOURCES.has(write.from.label)) dirty.stored(from);
  }
  if (nowLive && toStored === undefined && to !== from) {
    endpoints.put(to, EMPTY_STATE);
    if (PRODUCT_EDGE_SOURCES.has(write.to.label)) dirty.stored(to);
  }
  if (wasLive !== nowLive) {
    const timelineKey = EDGES[write.label].timeline ? [from, endpointTimelineTs(toState), to, write.label] : null;
    if (nowLive) {
      layout.adjacency.putSync([from, 'o', write.label, to], true);
      layout.adjacency.putSync([to, 'i', write.label, from], true);
      if (timelineKey) {
        if (dirty.isFresh(to)) dirty.timelineEntry(to, timelineKey);
        else {
          layout.timeline.putSync(timelineKey, NO_CATEGORIES);
          if (PRODUCT_EDGE_SOURCES.has(write.to.label)) dirty.add(to);
        }
      }
    } else {
      layout.adjacency.removeSync([from, 'o', write.label, to]);
      layout.adjacency.removeSync([to, 'i', write.label, from]);
      if (timelineKey) layout.timeline.removeSync(timelineKey);
    }
  }
  const delta = Number(isEdgeVisible(after, fromState, toState)) - Number(isEdgeVisible(before, fromState, toState));
  bump(counters, 'e', write.label, delta);
  if (PRODUCT_EDGES.includes(write.label)) dirty.productEdge(from, to, after);
}

const NO_CATEGORIES: readonly string[] = Object.freeze([]) as readonly string[];

/**
 * The lower-cased `category` of every product the item visibly points at over a product
 * edge, sorted and distinct: a pure function of the stored states, recomputed whenever one of
 * them changes (the item's liveness, a product edge, a product's category or liveness), so it
 * converges whatever order the writes arrive in.
 */
function itemCategories(
  layout: EmbeddedLayout,
  itemId: string,
  item: ElementState,
  endpoints: EndpointStates,
  dirty: Categorized,
): string[] {
  if (!isLive(item)) return [];
  const found = new Set<string>();
  if (dirty.isFresh(itemId)) {
    for (const { product, edge } of dirty.freshProducts(itemId)) addCategory(found, edge, item, endpoints.get(product));
    return [...found].sort();
  }
  for (const label of PRODUCT_EDGES) {
    for (const key of layout.adjacency.getKeys({ start: [itemId, 'o', label] })) {
      if (key[0] !== itemId || key[1] !== 'o' || key[2] !== label) break;
      const productId = key[3] as string;
      addCategory(found, layout.edges.get(edgeId(label, itemId, productId)), item, endpoints.get(productId));
    }
  }
  return [...found].sort();
}

/** The product's lower-cased category, when the edge from the item to it is visible. */
function addCategory(
  found: Set<string>,
  edge: ElementState | undefined,
  item: ElementState,
  product: ElementState | undefined,
): void {
  const state = product ?? EMPTY_STATE;
  if (!isEdgeVisible(edge ?? EMPTY_STATE, item, state)) return;
  const category = visibleProps(state).category;
  if (typeof category === 'string') found.add(category.toLowerCase());
}

/** Writes the item's categories into each of its timeline entries (one per owner and timeline edge). */
function refreshItemCategories(
  layout: EmbeddedLayout,
  itemId: string,
  endpoints: EndpointStates,
  dirty: Categorized,
): void {
  const item = endpoints.get(itemId) ?? EMPTY_STATE;
  if (dirty.isFresh(itemId)) {
    const entries = dirty.freshEntries(itemId);
    if (entries.length === 0) return;
    const categories = itemCategories(layout, itemId, item, endpoints, dirty);
    for (const entry of entries) layout.timeline.putSync(entry, categories);
    return;
  }
  let categories: string[] | null = null;
  const ts = endpointTimelineTs(item);
  for (const key of layout.adjacency.getKeys({ start: [itemId, 'i'] })) {
    if (key[0] !== itemId || key[1] !== 'i') break;
    const label = key[2] as EdgeLabel;
    if (!TIMELINE_EDGE_LABELS.includes(label)) continue;
    categories ??= itemCategories(layout, itemId, item, endpoints, dirty);
    const entry = [key[3] as string, ts, itemId, label];
    if (!sameCategories(layout.timeline.get(entry), categories)) layout.timeline.putSync(entry, categories);
  }
}

function sameCategories(stored: ItemCategories | undefined, next: readonly string[]): boolean {
  if (!Array.isArray(stored) || stored.length !== next.length) return false;
  return stored.every((c, i) => c === next[i]);
}

/**
 * `timelineTs(isLive(state) ? visibleProps(state) : {})` without building the visible props.
 * A state held by `EndpointStates` may not have been through LMDB's encoding, which stores -0
 * as 0: map it the same way, so the key is the one a decoded state would give.
 */
function endpointTimelineTs(state: ElementState): number {
  if (!isLive(state) || !Object.hasOwn(state.props, 'ts')) return 0;
  const p = state.props.ts;
  if ((state.tomb !== null && p.v <= state.tomb) || p.value === null) return 0;
  const ts = timelineTs({ ts: p.value });
  return ts === 0 ? 0 : ts;
}

/** Equal states need no write: re-applying a batch touches nothing. */
export function sameState(a: ElementState, b: ElementState): boolean {
  if (a.live !== b.live || a.tomb !== b.tomb) return false;
  const names = Object.keys(a.props);
  if (names.length !== Object.keys(b.props).length) return false;
  for (const name of names) {
    const p = a.props[name];
    const q = b.props[name];
    if (q === undefined || p.v !== q.v) return false;
    if (p.value !== q.value && JSON.stringify(p.value) !== JSON.stringify(q.value)) return false;
  }
  return true;
}
