/**
 * The pure half of computed traits: which event contributes what to which
 * customer's trait, per-bucket partial aggregates, and a trait's value from its
 * buckets. Windows are bucket-aligned: at event time `end`, a trait covers the
 * buckets that start in (bucketStart(end) − windowMs, bucketStart(end)].
 */
import type { JsonObject, JsonValue } from '../../graph-schema';
import type { HubEvent } from '../../ingest';
import type { TraitDefinition } from './trait-config';

export interface Contribution {
  readonly trait: string;
  /** `Customer:<key>`. */
  readonly customerId: string;
  /** Event time, epoch ms. */
  readonly ts: number;
  /** The number to add (sum) or the value to remember (last); null for count. */
  readonly value: JsonValue;
}

export interface Bucket {
  /** Count of contributions. */
  c: number;
  /** Sum of numeric values. */
  s: number;
  /** Newest value by (event time, event id). */
  l?: { readonly ts: number; readonly id: string; readonly v: JsonValue };
}

function at(root: JsonObject | null, path: string): JsonValue | undefined {
  let cur: JsonValue | undefined = root;
  for (const part of path.split('.')) {
    if (cur === null || cur === undefined || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as JsonObject)[part];
  }
  return cur;
}

/** Decimals arrive as strings from CDC (`numeric` columns); both forms count. */
function asNumber(v: JsonValue | undefined): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** The event time every engine clock uses, whatever the source. */
export function eventTime(event: HubEvent): number {
  const b = event.body;
  switch (b.source) {
    case 'segment':
      return b.timestampMs;
    case 'cdc':
      return b.tsMs;
    case 'telemetry':
      return b.timestampMs;
    default: {
      const never: never = b;
      throw new TypeError(`unknown event source ${JSON.stringify(never)}`);
    }
  }
}

function valueFor(trait: TraitDefinition, root: JsonObject | null): JsonValue | undefined {
  if (trait.aggregate === 'count') return null;
  const raw = at(root, trait.value as string);
  if (trait.aggregate === 'sum') return asNumber(raw) ?? undefined;
  return raw === null ? undefined : raw;
}

/**
 * What one event contributes. Anonymous activity (no userId) contributes
 * nothing: a trait belongs to a customer profile.
 */
export function contributionsOf(traits: readonly TraitDefinition[], event: HubEvent): Contribution[] {
  const b = event.body;
  const out: Contribution[] = [];
  for (const trait of traits) {
    const m = trait.match;
    let customerKey: string | null = null;
    let root: JsonObject | null = null;
    if (m.source === 'segment' && b.source === 'segment') {
      if (!m.types.includes(b.type)) continue;
      if (m.names && (b.name === null || !m.names.includes(b.name))) continue;
      customerKey = b.userId;
      root = { properties: b.properties, traits: b.traits, context: b.context, name: b.name, type: b.type };
    } else if (m.source === 'cdc' && b.source === 'cdc') {
      if (`${b.schema}.${b.table}` !== m.table && b.table !== m.table) continue;
      if (!(m.ops as readonly string[]).includes(b.op) || b.after === null) continue;
      const key = b.after[m.customerColumn];
      customerKey = typeof key === 'string' || typeof key === 'number' ? String(key) : null;
      root = b.after;
    } else continue;
    if (customerKey === null || customerKey === '') continue;
    const value = valueFor(trait, root);
    if (value === undefined) continue;
    out.push({ trait: trait.name, customerId: `Customer:${customerKey}`, ts: eventTime(event), value });
  }
  return out;
}

export function bucketStart(ts: number, bucketMs: number): number {
  return Math.floor(ts / bucketMs) * bucketMs;
}

/** The first bucket start that is still inside the window ending at `end`. */
export function windowStart(trait: TraitDefinition, end: number): number {
  return bucketStart(end, trait.bucketMs) - trait.windowMs + trait.bucketMs;
}

export function addToBucket(bucket: Bucket, c: Contribution, eventId: string): void {
  bucket.c += 1;
  if (typeof c.value === 'number') bucket.s += c.value;
  if (c.value !== null && (!bucket.l || c.ts > bucket.l.ts || (c.ts === bucket.l.ts && eventId > bucket.l.id))) {
    bucket.l = { ts: c.ts, id: eventId, v: c.value };
  }
}

/** The trait's value at event time `end` from its buckets; `null` (unset) for a `last` with nothing in the window. */
export function traitValue(trait: TraitDefinition, buckets: Readonly<Record<string, Bucket>>, end: number): JsonValue {
  const from = windowStart(trait, end);
  let count = 0;
  let sum = 0;
  let last: Bucket['l'];
  for (const [start, bucket] of Object.entries(buckets)) {
    if (Number(start) < from) continue;
    count += bucket.c;
    sum += bucket.s;
    const l = bucket.l;
    if (l && (!last || l.ts > last.ts || (l.ts === last.ts && l.id > last.id))) last = l;
  }
  switch (trait.aggregate) {
    case 'count':
      return count;
    case 'sum':
      return sum;
    case 'last':
      return last ? last.v : null;
    default: {
      const never: never = trait.aggregate;
      throw new TypeError(`unknown aggregate ${String(never)}`);
    }
  }
}
