/**
 * How the embedded store lays the graph out in LMDB. Every read is a point get or a
 * range scan over ordered-binary array keys, so nothing is loaded into memory at open
 * (restart is instant) and the graph may be larger than the heap.
 */
import type { Database, RootDatabase } from 'lmdb';
import type { ElementState, JsonObject, JsonValue } from '../../../graph-schema';
import { StateEncoder } from './state-codec';

/** Bumped when the key layout changes incompatibly; an old directory is refused, never misread. */
export const LAYOUT_VERSION = 1;

/** `o` = the vertex is the edge's `from`, `i` = its `to`. */
export type AdjacencyDirection = 'o' | 'i';

/**
 * LMDB keys are at most ~1,978 bytes with 4 KiB pages; an adjacency key holds two vertex ids,
 * so ids are capped well below half of that.
 */
export const MAX_VERTEX_ID_BYTES = 512;
/** Longer values are indexed by their prefix; reads re-check the stored value. */
export const LOOKUP_VALUE_MAX_CHARS = 256;
export const SEARCH_TERM_MAX_CHARS = 64;

type IndexKey = (string | number | boolean)[];

export interface EmbeddedLayout {
  readonly root: RootDatabase;
  /** vertex id (`Label:key`) → ElementState; ids sort by label first, so a label is one range. */
  readonly vertices: Database<ElementState, string>;
  /** edge id (graph-schema `edgeId`) → ElementState. */
  readonly edges: Database<ElementState, string>;
  /** [vertexId, direction, edgeLabel, neighbourId] → true, one entry per live edge and direction. */
  readonly adjacency: Database<true, IndexKey>;
  /**
   * [ownerId, item ts, itemId, edgeLabel] → the item's product categories, one entry per live
   * timeline edge: behaviour conditions ("viewed a tv in the last 7 days") read a window of it
   * without visiting each item's products.
   */
  readonly timeline: Database<ItemCategories, IndexKey>;
  /** [label, property, value, vertexId] → true, for live vertices' indexed properties. */
  readonly lookup: Database<true, IndexKey>;
  /** [label, lower-cased value prefix, vertexId, property] → true, for live vertices' searchable properties. */
  readonly search: Database<true, IndexKey>;
  /** ['v' | 'e', label] → number of visible elements, kept in the same transaction as the writes. */
  readonly counters: Database<number, IndexKey>;
  readonly meta: Database<unknown, string>;
}

export const NAMED_DATABASES = 8;

/**
 * A timeline entry's value: the lower-cased, sorted, distinct `category` of every product the
 * item is visibly ABOUT (events) or CONTAINS (orders). `true` is an entry written before the
 * categories were kept (layout 1 as first released): readers visit the item's products then.
 */
export type ItemCategories = readonly string[] | true;

/**
 * Element states are a handful of shapes ({live, tomb, props}, {v, value}, one props shape per
 * label and source): msgpack records whose property names are kept once per database instead of
 * inside every value, which made ingest spend 10 % of its time writing record definitions and
 * reads decode them again. Values written before this are still read (they carry their own).
 */
const SHARED_STRUCTURES = {
  sharedStructuresKey: Symbol.for('c360.structures'),
  maxSharedStructures: 1024,
  // Each distinct version stored once per state (state-codec.ts).
  encoder: { Encoder: StateEncoder },
} as const;

export function openEmbeddedLayout(root: RootDatabase): EmbeddedLayout {
  return {
    root,
    vertices: root.openDB<ElementState, string>({ name: 'vertices', ...SHARED_STRUCTURES }),
    edges: root.openDB<ElementState, string>({ name: 'edges', ...SHARED_STRUCTURES }),
    adjacency: root.openDB<true, IndexKey>({ name: 'adjacency' }),
    timeline: root.openDB<ItemCategories, IndexKey>({ name: 'timeline' }),
    lookup: root.openDB<true, IndexKey>({ name: 'lookup' }),
    search: root.openDB<true, IndexKey>({ name: 'search' }),
    counters: root.openDB<number, IndexKey>({ name: 'counters' }),
    meta: root.openDB<unknown, string>({ name: 'meta' }),
  };
}

/**
 * The key part under which an indexed property value is found, or null when it is not
 * indexable. Only primitives are indexed (graph-schema declares only strings indexed);
 * numbers and strings stay distinct because ordered-binary keeps the type.
 */
export function lookupKeyPart(value: JsonValue | undefined): string | number | boolean | null {
  if (typeof value === 'string')
    return value.length > LOOKUP_VALUE_MAX_CHARS ? value.slice(0, LOOKUP_VALUE_MAX_CHARS) : value;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  return null;
}

/** The lower-cased prefix under which a searchable string property is found. */
export function searchTerm(value: JsonValue | undefined): string | null {
  if (typeof value !== 'string') return null;
  return value.toLowerCase().slice(0, SEARCH_TERM_MAX_CHARS);
}

/**
 * Where an item sits on a timeline: its `ts` (epoch ms), or 0 when it has none yet — an
 * order whose edge arrived before its details still shows, at the end.
 */
export function timelineTs(props: JsonObject): number {
  const ts = props.ts;
  return typeof ts === 'number' && Number.isFinite(ts) ? ts : 0;
}
