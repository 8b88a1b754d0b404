/**
 * Mutations and their versioned merge — the heart of at-least-once correctness.
 *
 * Every element (vertex or edge) is held as an `ElementState`: the newest upsert
 * version, the newest tombstone version, and each property with the version
 * that wrote it. `mergeStates` is commutative, associative and idempotent (a
 * state-based CRDT: last-writer-wins per property plus a grow-only tombstone), so
 * applying the same mutations twice, or in any order, yields the same state.
 * Every store — embedded, Gremlin, Neo4j — applies exactly this rule.
 */

import type { JsonObject, JsonValue } from './json';
import type { EdgeLabel, VertexLabel } from './model';

/**
 * A version sorts as a string: zero-padded event time (epoch ms), then a tie-breaker
 * (the CDC LSN, zero-padded, or the messageId), so that two different events never
 * share a version and a replay of the same event always has the same one.
 */
export type Version = string;

const TS_WIDTH = 15;
const LSN_WIDTH = 20;

export function makeVersion(eventTimeMs: number, tieBreaker: string): Version {
  const ms = Math.max(0, Math.min(Math.trunc(eventTimeMs), 10 ** TS_WIDTH - 1));
  return `${String(ms).padStart(TS_WIDTH, '0')}~${tieBreaker}`;
}

/** CDC versions: commit time first, then the LSN (numeric, padded so it sorts as a string). */
export function makeCdcVersion(tsMs: number, lsn: string | number | bigint, index = 0): Version {
  const padded = String(lsn).padStart(LSN_WIDTH, '0');
  return makeVersion(tsMs, `cdc:${padded}:${String(index).padStart(6, '0')}`);
}

export function versionTime(version: Version): number {
  return Number(version.slice(0, TS_WIDTH));
}

export function compareVersions(a: Version, b: Version): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function maxVersion(a: Version | null, b: Version | null): Version | null {
  if (a === null) return b;
  if (b === null) return a;
  return a >= b ? a : b;
}

export interface VertexRef {
  readonly label: VertexLabel;
  readonly key: string;
}

export type Mutation =
  | {
      readonly op: 'upsertVertex';
      readonly label: VertexLabel;
      readonly key: string;
      readonly props: JsonObject;
      readonly version: Version;
    }
  | { readonly op: 'deleteVertex'; readonly label: VertexLabel; readonly key: string; readonly version: Version }
  /**
   * Properties of a vertex another row owns (a stock table's `onHand` on a Product): written
   * like an upsert's, but they do not make the vertex exist — unsetting them when the stock
   * row is deleted must not bring back a product that was deleted just before.
   */
  | {
      readonly op: 'setVertexProps';
      readonly label: VertexLabel;
      readonly key: string;
      readonly props: JsonObject;
      readonly version: Version;
    }
  | {
      readonly op: 'upsertEdge';
      readonly label: EdgeLabel;
      readonly from: VertexRef;
      readonly to: VertexRef;
      readonly props: JsonObject;
      readonly version: Version;
    }
  | {
      readonly op: 'deleteEdge';
      readonly label: EdgeLabel;
      readonly from: VertexRef;
      readonly to: VertexRef;
      readonly version: Version;
    };

/** A vertex id is `Label:key`; labels contain no ':' so the split is unambiguous. */
export function vertexId(ref: VertexRef): string {
  return `${ref.label}:${ref.key}`;
}

export function parseVertexId(id: string): VertexRef | null {
  const i = id.indexOf(':');
  if (i <= 0) return null;
  return { label: id.slice(0, i) as VertexLabel, key: id.slice(i + 1) };
}

/** An edge is identified by its label and endpoints: at most one edge of a label between two vertices. */
export function edgeId(label: EdgeLabel, from: VertexRef | string, to: VertexRef | string): string {
  const f = typeof from === 'string' ? from : vertexId(from);
  const t = typeof to === 'string' ? to : vertexId(to);
  return JSON.stringify([label, f, t]);
}

export interface PropertyState {
  readonly v: Version;
  readonly value: JsonValue;
}

export interface ElementState {
  /** Newest upsert version seen, or null if only tombstones were seen. */
  readonly live: Version | null;
  /** Newest tombstone version seen, or null. */
  readonly tomb: Version | null;
  /** Each property with the version that wrote it; `null` values are explicit unsets. */
  readonly props: Readonly<Record<string, PropertyState>>;
}

export const EMPTY_STATE: ElementState = Object.freeze({ live: null, tomb: null, props: Object.freeze({}) });

/** Deterministic tie-break for two writes with the same version (only possible across different sources). */
function pickProperty(a: PropertyState, b: PropertyState): PropertyState {
  if (a.v !== b.v) return a.v > b.v ? a : b;
  const ja = JSON.stringify(a.value);
  const jb = JSON.stringify(b.value);
  return ja >= jb ? a : b;
}

/**
 * Merge two states of the same element. Properties written at or before the
 * newest tombstone can never be visible again, so they are dropped here; that
 * keeps stored state small without changing any read.
 */
export function mergeStates(a: ElementState, b: ElementState): ElementState {
  const live = maxVersion(a.live, b.live);
  // Hot path: an upserted edge adds a props-less state to each endpoint (and a new edge merges
  // into an empty one). With no tombstone on either side nothing is dropped and no property is
  // contested, so the merged props are the other side's, which can be shared instead of copied
  // when they are a null-prototype record like the copy (states are never mutated).
  if (a.tomb === null && b.tomb === null) {
    if (hasNoKeys(b.props) && Object.getPrototypeOf(a.props) === null) return { live, tomb: null, props: a.props };
    if (hasNoKeys(a.props) && Object.getPrototypeOf(b.props) === null) return { live, tomb: null, props: b.props };
  }
  const tomb = maxVersion(a.tomb, b.tomb);
  const props: Record<string, PropertyState> = Object.create(null);
  for (const source of [a.props, b.props]) {
    for (const name of Object.keys(source)) {
      const incoming = source[name];
      if (tomb !== null && incoming.v <= tomb) continue;
      const current = props[name];
      props[name] = current === undefined ? incoming : pickProperty(current, incoming);
    }
  }
  return { live, tomb, props };
}

function hasNoKeys(record: object): boolean {
  for (const _ in record) return false;
  return true;
}

export function stateOfUpsert(props: JsonObject, version: Version): ElementState {
  const out: Record<string, PropertyState> = Object.create(null);
  for (const name of Object.keys(props)) out[name] = { v: version, value: props[name] };
  return { live: version, tomb: null, props: out };
}

/** Properties only: the element's existence (live/tomb) is left to its own upserts and deletes. */
export function stateOfProps(props: JsonObject, version: Version): ElementState {
  const out: Record<string, PropertyState> = Object.create(null);
  for (const name of Object.keys(props)) out[name] = { v: version, value: props[name] };
  return { live: null, tomb: null, props: out };
}

export function stateOfTombstone(version: Version): ElementState {
  return { live: null, tomb: version, props: Object.create(null) };
}

/** An element exists when its newest upsert is newer than its newest tombstone. */
export function isLive(state: ElementState): boolean {
  return state.live !== null && (state.tomb === null || state.live > state.tomb);
}

/** The properties a reader sees: newer than the tombstone, not unset. */
export function visibleProps(state: ElementState): JsonObject {
  const out: JsonObject = {};
  for (const name of Object.keys(state.props).sort()) {
    const p = state.props[name];
    if (state.tomb !== null && p.v <= state.tomb) continue;
    if (p.value === null) continue;
    out[name] = p.value;
  }
  return out;
}

/** The newest version among the visible parts of a state (what a reader reports as `version`). */
export function visibleVersion(state: ElementState): Version | null {
  let v: Version | null = isLive(state) ? state.live : null;
  for (const name of Object.keys(state.props)) v = maxVersion(v, state.props[name].v);
  return v;
}

/**
 * An edge is visible when it is live, both endpoints are live, and it was
 * written after either endpoint's last tombstone — a deleted customer's old
 * orders do not reappear if the customer is later re-created.
 */
export function isEdgeVisible(edge: ElementState, from: ElementState, to: ElementState): boolean {
  if (!isLive(edge) || !isLive(from) || !isLive(to)) return false;
  const live = edge.live as Version;
  return (from.tomb === null || live > from.tomb) && (to.tomb === null || live > to.tomb);
}
