/**
 * How an `ElementState` lives in a TinkerPop element so that the database itself can apply
 * `mergeStates` with nothing but string comparisons inside a traversal:
 *
 * - `_live` / `_tomb`: the newest upsert / tombstone version followed by U+0002, or '' when
 *   there is none. Then `isLive` is `_live > _tomb`, and "an edge written after the endpoint's
 *   tombstone" is `edge._live > vertex._tomb`.
 * - `c.<name>`: a property's version, U+0001, then its value as JSON. Comparing two of these
 *   strings orders by version first and JSON second — exactly `pickProperty`'s tie-break — and
 *   `c.<name> > _tomb` holds exactly when the property's version is newer than the tombstone.
 *   Both rest on versions holding no character below U+0020, which `checkVersion` enforces.
 * - Derived, read-side copies written under the same guard as their `c.<name>`: `x.<name>` (the
 *   JSON, for exact lookups on indexed properties), `s.<name>` (lower-cased, for prefix search on
 *   searchable ones), `t` (a numeric `ts`, for timelines); `_up` (isLive, for filters and indexes),
 *   `c360id` (`Label:key`) and `_ord` (the id's UTF-8 bytes as Latin-1, so the server's string
 *   order is the byte order the GraphStore contract promises).
 */
import {
  type ElementState,
  indexedProperties,
  type JsonValue,
  type PropertyState,
  searchableProperties,
  VERTEX_LABELS,
  type Version,
  type VertexLabel,
} from '../../../graph-schema';
import { GremlinStoreError } from './gremlin-store-error';

export const VALUE_SEPARATOR = '\u0001';
export const VERSION_END = '\u0002';
export const PROP_PREFIX = 'c.';
export const LOOKUP_PREFIX = 'x.';
export const SEARCH_PREFIX = 's.';
export const TIMELINE_TS_KEY = 't';

/** Properties the store keeps for itself next to `c.*` and the derived copies. */
export const SYSTEM_KEYS = { id: 'c360id', ord: '_ord', live: '_live', tomb: '_tomb', up: '_up' } as const;

export function versionMark(version: Version | null): string {
  return version === null ? '' : `${version}${VERSION_END}`;
}

export function versionFromMark(mark: unknown): Version | null {
  return typeof mark === 'string' && mark.endsWith(VERSION_END) ? mark.slice(0, -1) : null;
}

export function encodeProperty(p: PropertyState): string {
  return `${p.v}${VALUE_SEPARATOR}${JSON.stringify(p.value)}`;
}

export function decodeProperty(stored: string): PropertyState | null {
  const at = stored.indexOf(VALUE_SEPARATOR);
  if (at <= 0) return null;
  try {
    return { v: stored.slice(0, at), value: JSON.parse(stored.slice(at + 1)) as JsonValue };
  } catch {
    return null;
  }
}

/**
 * The vertex id the database stores for a c360 id (`Label:key`). Keys are arbitrary Unicode, but
 * JanusGraph accepts only printable ASCII in custom string ids and reserves "-" as its relation
 * delimiter, so every other character (and "%", the escape itself) is written as %XX of its UTF-8
 * bytes: `Customer:C42` stays `Customer:C42`, `Customer:t1-c1` becomes `Customer:t1%2Dc1`. It is
 * the same on every provider (TinkerGraph and Neptune take any string), so one graph's ids never
 * depend on where it is stored. The c360 id itself is always read from `c360id`, never from T.id.
 */
export function gremlinVertexId(id: string): string {
  let out = '';
  for (const ch of id) {
    const code = ch.codePointAt(0)!;
    if (code >= 0x20 && code <= 0x7e && ch !== '-' && ch !== '%') {
      out += ch;
    } else {
      for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

/** The server compares strings by UTF-16 code unit; Latin-1 of the UTF-8 bytes makes that byte order. */
export function orderKey(id: string): string {
  return Buffer.from(id, 'utf8').toString('latin1');
}

export function checkVersion(what: string, version: Version | null): void {
  if (version === null) return;
  for (let i = 0; i < version.length; i++) {
    if (version.charCodeAt(i) < 0x20) {
      throw new GremlinStoreError(
        'INVALID_ELEMENT',
        `GremlinStore.apply: ${what} has a version with a control character; versions must sort as plain text`,
      );
    }
  }
  if (version.length === 0) {
    throw new GremlinStoreError('INVALID_ELEMENT', `GremlinStore.apply: ${what} has an empty version`);
  }
}

export function checkState(what: string, state: ElementState): void {
  checkVersion(what, state.live);
  checkVersion(what, state.tomb);
  for (const name of Object.keys(state.props)) checkVersion(`${what}.${name}`, state.props[name].v);
}

/** One derived copy: written with `value`, or dropped when `value` is undefined, under the guard of `c.<name>`. */
export interface DerivedValue {
  readonly key: string;
  readonly value: string | number | undefined;
}

export function derivedValues(label: VertexLabel, name: string, value: JsonValue): DerivedValue[] {
  const out: DerivedValue[] = [];
  if (indexedProperties(label).includes(name)) {
    out.push({ key: `${LOOKUP_PREFIX}${name}`, value: value === null ? undefined : JSON.stringify(value) });
  }
  if (searchableProperties(label).includes(name)) {
    out.push({ key: `${SEARCH_PREFIX}${name}`, value: typeof value === 'string' ? value.toLowerCase() : undefined });
  }
  if (name === 'ts') {
    out.push({
      key: TIMELINE_TS_KEY,
      value: typeof value === 'number' && Number.isFinite(value) ? value : undefined,
    });
  }
  return out;
}

/** Every [derived key, guard key] pair any label can have; a tombstone drops the derived copies whose guard it pruned. */
export const DERIVED_GUARDS: readonly (readonly [string, string])[] = (() => {
  const pairs = new Map<string, string>();
  for (const label of VERTEX_LABELS) {
    for (const name of indexedProperties(label)) pairs.set(`${LOOKUP_PREFIX}${name}`, `${PROP_PREFIX}${name}`);
    for (const name of searchableProperties(label)) pairs.set(`${SEARCH_PREFIX}${name}`, `${PROP_PREFIX}${name}`);
  }
  pairs.set(TIMELINE_TS_KEY, `${PROP_PREFIX}ts`);
  return [...pairs.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
})();

/**
 * Rebuilds the `ElementState` from the stored properties (an `elementMap()` or plain object).
 * Properties at or before the tombstone were pruned when it was written, so this is the merged state.
 */
export function decodeState(stored: ReadonlyMap<unknown, unknown> | Record<string, unknown>): ElementState {
  const get = (key: string): unknown =>
    stored instanceof Map ? stored.get(key) : (stored as Record<string, unknown>)[key];
  const props: Record<string, PropertyState> = Object.create(null);
  const keys = stored instanceof Map ? [...stored.keys()] : Object.keys(stored);
  for (const key of keys) {
    if (typeof key !== 'string' || !key.startsWith(PROP_PREFIX)) continue;
    const raw = get(key);
    if (typeof raw !== 'string') continue;
    const decoded = decodeProperty(raw);
    if (decoded !== null) props[key.slice(PROP_PREFIX.length)] = decoded;
  }
  return { live: versionFromMark(get(SYSTEM_KEYS.live)), tomb: versionFromMark(get(SYSTEM_KEYS.tomb)), props };
}
