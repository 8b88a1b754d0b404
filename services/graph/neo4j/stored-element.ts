/**
 * How an element state (graph-schema `ElementState`) is laid out in Neo4j properties, both
 * ways: the rows the write queries merge and the decoding of `properties(n)` that reads
 * return. The layout is described in README.md; the Cypher that maintains it is in
 * cypher-writes.ts and uses the same prefixes.
 */
import {
  type ElementState,
  type JsonValue,
  type PropertyState,
  searchableProperties,
  type VertexLabel,
} from '../../../graph-schema';
import { fromVersionKey, toVersionKey } from './sort-key';

/** Internal property names all start with this; a user property that does too is stored escaped. */
export const INTERNAL_PREFIX = 'c360';
export const ID = 'c360id';
export const KEY = 'c360key';
export const LIVE = 'c360live';
export const TOMB = 'c360tomb';
/** `c360v:<name>`: the (sort-keyed) version that wrote the property, kept for unsets too. */
export const VERSION_PREFIX = 'c360v:';
/** `c360j:<name>`: the sort-keyed JSON of the value, the tie-break between writes with one version. */
export const TIE_PREFIX = 'c360j:';
/** `c360json:<name>`: objects and arrays, which Neo4j properties cannot hold, as JSON text. */
export const JSON_PREFIX = 'c360json:';
/** `c360s:<name>`: the lowercased value of a searchable string property, for prefix search. */
export const SEARCH_PREFIX = 'c360s:';
/**
 * `c360p:<percent-encoded name>`: a user property whose own name could not be a Neo4j
 * property key as it is — empty, holding a NUL, or starting with `c360` (which would
 * collide with internal names) — or that a JavaScript object cannot hold as a plain key
 * (`__proto__`: the driver returns properties as plain objects).
 */
export const ESCAPE_PREFIX = 'c360p:';

/**
 * The name a user property has inside Neo4j keys: its primitive value is stored under it,
 * and `c360v:`/`c360j:`/`c360json:`/`c360s:` + it hold the rest. Names people use are kept
 * as they are, so Cypher written by hand reads `n.email`.
 */
export function encodeName(name: string): string {
  return name === '' || name.startsWith(INTERNAL_PREFIX) || name.includes('\u0000') || name === '__proto__'
    ? ESCAPE_PREFIX + encodeURIComponent(name)
    : name;
}

export function decodeName(stored: string): string {
  return stored.startsWith(ESCAPE_PREFIX) ? decodeURIComponent(stored.slice(ESCAPE_PREFIX.length)) : stored;
}

/** One property of a write row; key names are short because every row carries them. */
export interface PropertyRow {
  /** The property name, as `encodeName` stores it. */
  readonly k: string;
  /** Sort-keyed version. */
  readonly v: string;
  /** Sort-keyed JSON of the value (tie-break). */
  readonly j: string;
  /** The value when it is a string, number or boolean; else null. */
  readonly n: string | number | boolean | null;
  /** The value as JSON text when it is an object or array; else null. */
  readonly x: string | null;
  /** The lowercased value when the property is searchable and a string; else null. */
  readonly s: string | null;
}

export interface StateRow {
  readonly live: string | null;
  readonly tomb: string | null;
  readonly props: readonly PropertyRow[];
}

/**
 * JSON text of an object or array that parses back to exactly the same value: JSON.stringify
 * writes -0 as `0`, which would lose the sign the embedded store keeps; `-0` is valid JSON.
 */
export function exactJson(value: JsonValue): string {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(exactJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .map((k) => `${JSON.stringify(k)}:${exactJson(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export function stateRow(state: ElementState, searchable: ReadonlySet<string>): StateRow {
  const props: PropertyRow[] = [];
  for (const name of Object.keys(state.props).sort()) {
    const p: PropertyState = state.props[name];
    const value = p.value;
    const primitive = value === null || typeof value !== 'object';
    props.push({
      k: encodeName(name),
      v: toVersionKey(p.v),
      j: toVersionKey(JSON.stringify(value)),
      n: primitive ? (value as string | number | boolean | null) : null,
      x: primitive ? null : exactJson(value),
      s: typeof value === 'string' && searchable.has(name) ? value.toLowerCase() : null,
    });
  }
  return {
    live: state.live === null ? null : toVersionKey(state.live),
    tomb: state.tomb === null ? null : toVersionKey(state.tomb),
    props,
  };
}

const searchableByLabel = new Map<VertexLabel, ReadonlySet<string>>();
export function searchableSet(label: VertexLabel): ReadonlySet<string> {
  let set = searchableByLabel.get(label);
  if (set === undefined) {
    set = new Set(searchableProperties(label));
    searchableByLabel.set(label, set);
  }
  return set;
}
export const NOT_SEARCHABLE: ReadonlySet<string> = new Set();

/** The driver hands back Neo4j integers as objects; nothing c360 writes is one, but other writers may. */
export interface IntegerLike {
  toNumber(): number;
}
function isIntegerLike(value: unknown): value is IntegerLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { toNumber?: unknown }).toNumber === 'function' &&
    'low' in value &&
    'high' in value
  );
}

/** A property value read from Neo4j as JSON: integers become numbers, lists are read item by item. */
export function toJsonValue(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (isIntegerLike(value)) return value.toNumber();
  if (Array.isArray(value)) return value.map(toJsonValue);
  return String(value);
}

/** A number the driver returned (count(*), a literal), which may be a Neo4j Integer. */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (isIntegerLike(value)) return value.toNumber();
  throw new TypeError(`expected a number, got ${typeof value}`);
}

function own(stored: Readonly<Record<string, unknown>>, key: string): unknown {
  return Object.hasOwn(stored, key) ? stored[key] : null;
}

/** The element state that `properties(n)` (or of a relationship) holds. */
export function decodeState(stored: Readonly<Record<string, unknown>>): ElementState {
  const props: Record<string, PropertyState> = Object.create(null);
  for (const key of Object.keys(stored)) {
    if (!key.startsWith(VERSION_PREFIX)) continue;
    const part = key.slice(VERSION_PREFIX.length);
    // Own properties only: a user property may be called `valueOf` or `constructor`.
    const json = own(stored, JSON_PREFIX + part);
    const value = typeof json === 'string' ? (JSON.parse(json) as JsonValue) : toJsonValue(own(stored, part));
    props[decodeName(part)] = { v: fromVersionKey(String(stored[key])), value };
  }
  const live = own(stored, LIVE);
  const tomb = own(stored, TOMB);
  return {
    live: typeof live === 'string' ? fromVersionKey(live) : null,
    tomb: typeof tomb === 'string' ? fromVersionKey(tomb) : null,
    props,
  };
}
