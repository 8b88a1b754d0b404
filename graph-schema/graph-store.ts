/**
 * The one interface every graph backend implements (embedded, gremlin, neo4j)
 * and that `defineGraphStoreSuite` (test/conformance) checks with identical
 * expected answers. Reads only ever return what `mutations.ts` calls visible.
 */
import type { GraphBatch } from './batch';
import type { JsonObject, JsonValue } from './json';
import type { EdgeLabel, VertexLabel } from './model';
import type { Version } from './mutations';

export type StoreKind = 'embedded' | 'gremlin' | 'neo4j';

export interface Vertex {
  /** `Label:key` — stable across stores. */
  readonly id: string;
  readonly label: VertexLabel;
  readonly key: string;
  /** Visible properties, keys sorted. */
  readonly props: JsonObject;
  /** Newest version among the visible parts. */
  readonly version: Version;
}

export interface Edge {
  readonly id: string;
  readonly label: EdgeLabel;
  /** Vertex ids of the endpoints. */
  readonly from: string;
  readonly to: string;
  readonly props: JsonObject;
  readonly version: Version;
}

export type Direction = 'out' | 'in' | 'both';

/** Forward-only paging with an opaque cursor (a Relay `after`). */
export interface PageRequest {
  readonly first: number;
  readonly after?: string | null;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Cursor of each item, same order as `items`. */
  readonly cursors: readonly string[];
  readonly hasNextPage: boolean;
  /**
   * The last item's cursor (where the next page starts), for stores that encode cursors on
   * demand: a scan that only pages on reads it without encoding every item's. Absent: the
   * last of `cursors` (see `endCursorOf`).
   */
  readonly endCursor?: string | null;
}

/** The cursor the page after `page` starts after; null for an empty page. */
export function endCursorOf(page: Page<unknown>): string | null {
  if (page.endCursor !== undefined) return page.endCursor;
  return page.items.length === 0 ? null : page.cursors[page.cursors.length - 1];
}

export interface NeighborQuery extends PageRequest {
  /** Vertex id to start from. */
  readonly id: string;
  readonly direction: Direction;
  /** Only edges with these labels (all labels when absent or empty). */
  readonly edgeLabels?: readonly EdgeLabel[];
  /** Only neighbours with these labels. */
  readonly vertexLabels?: readonly VertexLabel[];
}

/**
 * A neighbour and the edge that reaches it. Order: by edge label, then
 * neighbour id (ascending, byte order) — every store returns the same order.
 */
export interface Neighbor {
  readonly edge: Edge;
  readonly vertex: Vertex;
}

export interface TimelineQuery extends PageRequest {
  /** The owners whose timelines are merged (a customer and its identities). */
  readonly ownerIds: readonly string[];
  /** Only items of these labels (Event, Order, Interaction, …). */
  readonly labels?: readonly VertexLabel[];
}

/**
 * One timeline entry: a vertex reached over a timeline edge, newest first
 * (by its `ts`, then by id descending). An item reachable from several owners
 * appears once.
 */
export interface TimelineItem {
  readonly vertex: Vertex;
  readonly ts: number;
  /** The timeline edge label that reached it. */
  readonly via: EdgeLabel;
}

export interface ApplyResult {
  readonly vertices: number;
  readonly edges: number;
}

export interface StoreStats {
  readonly vertices: Readonly<Partial<Record<VertexLabel, number>>>;
  readonly edges: Readonly<Partial<Record<EdgeLabel, number>>>;
}

/** A vertex's stored state as `scanStates` lists it: live or not. */
export interface StoredState {
  readonly id: string;
  readonly props: JsonObject;
}

export interface GraphStore {
  readonly kind: StoreKind;
  /**
   * Apply a coalesced batch atomically where the backend allows (one LMDB
   * transaction; one database transaction per chunk elsewhere). When the
   * promise resolves the batch is durable. Merge rule: `mergeStates`.
   */
  apply(batch: GraphBatch): Promise<ApplyResult>;
  /** Visible vertices by id, in the order asked; null for missing or deleted. */
  getVertices(ids: readonly string[]): Promise<(Vertex | null)[]>;
  /** One page of neighbours per query (batched so a DataLoader makes one call). */
  neighbors(queries: readonly NeighborQuery[]): Promise<Page<Neighbor>[]>;
  /** The merged timeline of the owners. */
  timeline(query: TimelineQuery): Promise<Page<TimelineItem>>;
  /** Vertex ids whose indexed property equals the value exactly (graph-schema `indexed`). Sorted ascending. */
  lookup(label: VertexLabel, property: string, value: JsonValue): Promise<string[]>;
  /**
   * Vertices of a label whose searchable property (graph-schema `searchable`) starts with the text,
   * case-insensitively; an empty text lists all vertices of the label. Ordered by id ascending.
   */
  search(label: VertexLabel, text: string, page: PageRequest): Promise<Page<Vertex>>;
  /**
   * Every stored vertex state of a label, visible or not, with the property values it holds
   * (unset and tombstoned ones left out), ordered by id ascending. Not a reader's API — clients
   * are answered from the methods above — but a writer's: properties can be written ahead of
   * their vertex (a stock row's `onHand` before its product's row arrives on another topic),
   * and a CDC truncate of the stock table must unset them there too.
   */
  scanStates(label: VertexLabel, page: PageRequest): Promise<Page<StoredState>>;
  /** Visible vertex and edge counts by label. */
  stats(): Promise<StoreStats>;
  close(): Promise<void>;
}

/** One customer's window of one kind of timeline item (events, orders), newest first. */
export interface BehaviourQuery {
  /** The customer and its identities, as for `timeline`. */
  readonly ownerIds: readonly string[];
  /**
   * A customer whose identities (the Identity vertices it visibly HAS_IDENTITY, as a segment
   * condition's owners hop finds them) are added to `ownerIds` by the store, in the same read:
   * a preview then reads each candidate's owners without a neighbour page for each.
   */
  readonly withIdentitiesOf?: string;
  readonly label: VertexLabel;
  /** Only items whose `ts` is at or after this instant (epoch ms), including any ahead of now. */
  readonly since: number;
}

export interface BehaviourItem {
  readonly vertex: Vertex;
  readonly ts: number;
  /**
   * The lower-cased, sorted `category` of every product the item is visibly ABOUT or
   * CONTAINS, kept at write time; null when the store has not kept them for this item.
   */
  readonly categories: readonly string[] | null;
}

/**
 * An optional read some stores offer: behaviour windows answered from an index kept at write
 * time (owner × time, with each item's product categories), so a segment condition such as
 * "viewed a tv in the last 7 days" reads only the window instead of every event and its
 * products. Answers are what `timeline` plus the items' product neighbours would give.
 */
export interface BehaviourIndex {
  behaviourWindows(queries: readonly BehaviourQuery[]): Promise<BehaviourItem[][]>;
}

export function hasBehaviourIndex(store: GraphStore): store is GraphStore & BehaviourIndex {
  return typeof (store as Partial<BehaviourIndex>).behaviourWindows === 'function';
}

/** A contiguous slice of one label's vertices in id order (`search(label, '')` order). */
export interface LabelRange {
  /** A `search` cursor the slice starts after; null: from the label's first vertex. */
  readonly after: string | null;
  /** The id of the slice's last vertex (inclusive); null: to the label's end. */
  readonly through: string | null;
}

/**
 * An optional read some stores offer: one label's vertices cut into about equal contiguous
 * slices from the store's own counts, so a whole-label scan (a segment preview) can run on
 * several threads. The slices cover every vertex of the label exactly once, in order.
 */
export interface LabelPartitions {
  labelRanges(label: VertexLabel, parts: number): Promise<LabelRange[]>;
}

export function hasLabelPartitions(store: GraphStore): store is GraphStore & LabelPartitions {
  return typeof (store as Partial<LabelPartitions>).labelRanges === 'function';
}
