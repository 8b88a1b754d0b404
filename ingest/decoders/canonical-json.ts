/**
 * Canonical JSON (object keys sorted, no whitespace) and its hash: the bytes
 * that dedupe ids are derived from, so that two producers — or two deliveries —
 * that serialize the same value with keys in a different order get one id.
 */
import { createHash } from 'node:crypto';
import type { JsonValue } from '../../graph-schema';

export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
}

/** Hex SHA-256 of the canonical form, cut to `length` hex digits (128 bits by default: collisions are not a concern). */
export function canonicalHash(value: JsonValue, length = 32): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex').slice(0, length);
}
