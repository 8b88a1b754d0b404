/**
 * How an element state is stored: each distinct version once.
 *
 * A state keeps the version that wrote each property, and a write usually sets every property
 * of an element at one version — a Device's ten properties carried the same 66-byte version
 * string ten times, two thirds of the vertices database's bytes (measured on the synthetic
 * 360° graph: 336 bytes per vertex value). Stored, a state is
 *
 *   { s: distinct versions, l: index of live or -1, t: index of tomb or -1,
 *     p: { name: value }, i?: { name: index into s } }   (`i` absent: every property is at s[0])
 *
 * `p` and `i` keep one key set per label and source, so msgpackr's shared structures store
 * their names once per database, as they did for the old `props`. Values written before
 * (`{ live, tomb, props }`) still decode as they are: the codec recognises both shapes, so
 * a data dir needs no migration and each element is rewritten compactly on its next write.
 */
import { Packr } from 'msgpackr';
import type { ElementState, JsonValue, PropertyState, Version } from '../../../graph-schema';

interface StoredState {
  readonly s: Version[];
  readonly l: number;
  readonly t: number;
  readonly p: Record<string, JsonValue>;
  readonly i?: Record<string, number>;
}

function isElementState(value: unknown): value is ElementState {
  return typeof value === 'object' && value !== null && 'props' in value && 'live' in value && 'tomb' in value;
}

function isStoredState(value: unknown): value is StoredState {
  return typeof value === 'object' && value !== null && 's' in value && 'p' in value && Array.isArray(value.s);
}

export function toStoredState(state: ElementState): StoredState {
  const versions: Version[] = [];
  const indexOf = (v: Version): number => {
    const at = versions.indexOf(v);
    if (at >= 0) return at;
    versions.push(v);
    return versions.length - 1;
  };
  // The first property's version goes first, so the common case (all at one version) needs no `i`.
  const names = Object.keys(state.props);
  if (names.length > 0) indexOf((state.props[names[0]] as PropertyState).v);
  const l = state.live === null ? -1 : indexOf(state.live);
  const t = state.tomb === null ? -1 : indexOf(state.tomb);
  const p: Record<string, JsonValue> = {};
  // Built only for the uncommon mixed state: every write encodes a state, most at one version.
  let i: Record<string, number> | undefined;
  for (const [n, name] of names.entries()) {
    const prop = state.props[name] as PropertyState;
    p[name] = prop.value;
    const at = indexOf(prop.v);
    if (at !== 0 && i === undefined) {
      i = {};
      for (const earlier of names.slice(0, n)) i[earlier] = 0;
    }
    if (i !== undefined) i[name] = at;
  }
  return i === undefined ? { s: versions, l, t, p } : { s: versions, l, t, p, i };
}

export function fromStoredState(stored: StoredState): ElementState {
  const { s, p, i } = stored;
  const props: Record<string, PropertyState> = {};
  for (const name of Object.keys(p)) {
    props[name] = { v: s[i === undefined ? 0 : (i[name] as number)] as Version, value: p[name] as JsonValue };
  }
  return {
    live: stored.l < 0 ? null : (s[stored.l] as Version),
    tomb: stored.t < 0 ? null : (s[stored.t] as Version),
    props,
  };
}

/**
 * lmdb's msgpack encoder with the translation above. Everything else the database holds (its
 * shared structures list) passes through unchanged.
 */
export class StateEncoder extends Packr {
  constructor(options?: ConstructorParameters<typeof Packr>[0]) {
    super(options);
    // msgpackr assigns `encode` per instance in its constructor, so it is wrapped here, not overridden.
    const encode = this.encode.bind(this);
    this.encode = (value: unknown, mode?: number) =>
      encode(isElementState(value) ? toStoredState(value) : value, mode as number);
  }

  override decode(bytes: Uint8Array | Buffer, options?: unknown): unknown {
    const value = super.decode(bytes as Buffer, options as number);
    return isStoredState(value) ? fromStoredState(value) : value;
  }
}
