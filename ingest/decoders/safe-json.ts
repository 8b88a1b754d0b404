/**
 * The one place where untrusted bytes become JSON. Every decoder goes through
 * here so that every source gets the same hardening, in this order:
 *
 * 1. size limit on the raw BYTES, before any decoding work (an attacker pays for the bytes, not us);
 * 2. strict UTF-8 (`buffer.isUtf8`, then decoding), so that mojibake never reaches the graph;
 * 3. `JSON.parse`, with the character position of a syntax error when V8 reports one (V8's
 *    parser is iterative: a 1 MB `[[[[…` parses without deep recursion);
 * 4. one walk over the result, which stops at the nesting limit — so that no recursive code
 *    that runs later (ours or a mapping's) meets a deeper value — and rejects `__proto__` /
 *    `constructor` / `prototype` keys, numbers that overflowed to ±Infinity (`1e400`), and
 *    strings or keys holding lone UTF-16 surrogates (`"\ud800"` is valid JSON but not valid
 *    Unicode text).
 *
 * Debezium's envelopes with schemas are 4–10 KB per row: the walk builds no path strings
 * unless it fails, and looks for surrogates only in a text that holds one (raw, or as a
 * `\uD8xx` escape) — checks that cost 2.8× the parse itself and a quarter of a CDC
 * worker's CPU before.
 *
 * Forbidden keys are REJECTED, not dropped: `JSON.parse` itself stores `__proto__` as an
 * own property (no pollution at parse time), but any later `{...spread}` or
 * `Object.assign` would turn it into a prototype write, and a producer that sends such
 * keys is either broken or hostile — either way the event belongs in the dead-letter
 * topic with a reason, not silently altered.
 */
import { isUtf8 } from 'node:buffer';
import type { JsonValue } from '../../graph-schema';
import { DecodeError } from '../errors';

export interface JsonParseLimits {
  /** Largest accepted input, in bytes. */
  readonly maxBytes: number;
  /** Deepest accepted nesting of objects/arrays; the top-level object is depth 1. */
  readonly maxDepth: number;
}

const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
/** With the `u` flag a surrogate *pair* is one code point, so this matches only unpaired halves. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
/** A JSON escape of any surrogate half, paired or not: the parsed strings then need the exact check. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
const NOT_WHITESPACE = /\S/;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** `base.key`, `base[3]`, or `base["odd key"]`: a path a reader can paste into a query. */
export function joinPath(base: string | null, key: string | number): string {
  if (typeof key === 'number') return `${base ?? ''}[${key}]`;
  if (!IDENTIFIER.test(key)) return `${base ?? ''}[${JSON.stringify(key)}]`;
  return base ? `${base}.${key}` : key;
}

/** Decode bytes to JSON under the limits; throws `DecodeError` with a stable reason. */
export function parseJsonBytes(bytes: Uint8Array, limits: JsonParseLimits, path: string | null = null): JsonValue {
  if (bytes.length === 0) throw new DecodeError('EMPTY', 'empty message body', path);
  if (bytes.length > limits.maxBytes) {
    throw new DecodeError('TOO_LARGE', `message is ${bytes.length} bytes, the limit is ${limits.maxBytes}`, path);
  }
  if (!isUtf8(bytes)) {
    const offset = firstInvalidUtf8Offset(bytes);
    throw new DecodeError('INVALID_UTF8', `invalid UTF-8 at byte ${offset}`, path);
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  return parseJsonText(text, limits.maxDepth, path);
}

/** Parse already-decoded text (e.g. a Debezium `io.debezium.data.Json` column) with the same checks. */
export function parseJsonText(text: string, maxDepth: number, path: string | null = null): JsonValue {
  if (!NOT_WHITESPACE.test(text)) throw new DecodeError('EMPTY', 'message body is only whitespace', path);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DecodeError('INVALID_JSON', describeSyntaxError(error, text), path);
  }
  const surrogates = LONE_SURROGATE.test(text) || SURROGATE_ESCAPE.test(text);
  const keys: (string | number)[] = [];
  const failure = checkValue(value, 1, maxDepth, surrogates, keys);
  if (failure !== null) {
    let at = path;
    for (const key of keys) at = joinPath(at, key);
    // Too deep is about the message as a whole (its path stays the message's, as when a scan
    // of the text found it); where it went too deep is in the words.
    if (failure.code === 'TOO_DEEP') throw new DecodeError('TOO_DEEP', `${failure.message} at ${at ?? '(top)'}`, path);
    throw new DecodeError(failure.code, failure.message, at);
  }
  return value as JsonValue;
}

function describeSyntaxError(error: unknown, text: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const at = /at position (\d+)/.exec(message);
  if (at) return `invalid JSON at character ${at[1]}: ${message}`;
  if (/Unexpected end of JSON input/.test(message)) return `invalid JSON at character ${text.length}: ${message}`;
  return `invalid JSON: ${message}`;
}

interface Failure {
  readonly code: 'TOO_DEEP' | 'INVALID_VALUE' | 'FORBIDDEN_KEY';
  readonly message: string;
}

/**
 * Returns the first problem, leaving in `keys` the path to it (built into a string only
 * then); recursion stops at `maxDepth`, so it is bounded whatever JSON.parse accepted.
 */
function checkValue(
  value: unknown,
  depth: number,
  maxDepth: number,
  surrogates: boolean,
  keys: (string | number)[],
): Failure | null {
  if (typeof value === 'number') {
    return Number.isFinite(value)
      ? null
      : { code: 'INVALID_VALUE', message: 'number out of range (overflows a double)' };
  }
  if (typeof value === 'string') {
    return surrogates && LONE_SURROGATE.test(value)
      ? { code: 'INVALID_VALUE', message: 'string holds a lone UTF-16 surrogate' }
      : null;
  }
  if (value === null || typeof value !== 'object') return null;
  if (depth > maxDepth) return { code: 'TOO_DEEP', message: `nesting deeper than ${maxDepth} levels` };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (item === null || typeof item === 'boolean') continue;
      keys.push(i);
      const failure = checkValue(item, depth + 1, maxDepth, surrogates, keys);
      if (failure !== null) return failure;
      keys.pop();
    }
    return null;
  }
  for (const key in value) {
    keys.push(key);
    if (FORBIDDEN_KEYS.has(key)) return { code: 'FORBIDDEN_KEY', message: `key "${key}" is not accepted` };
    if (surrogates && LONE_SURROGATE.test(key)) {
      return { code: 'INVALID_VALUE', message: 'key holds a lone UTF-16 surrogate' };
    }
    const failure = checkValue((value as Record<string, unknown>)[key], depth + 1, maxDepth, surrogates, keys);
    if (failure !== null) return failure;
    keys.pop();
  }
  return null;
}

/** Where strict decoding failed, for the dead-letter reason (only called on failure). */
function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const need =
      b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0 || i + need >= bytes.length) return i;
    try {
      utf8.decode(bytes.subarray(i, i + need + 1));
    } catch {
      return i;
    }
    i += need + 1;
  }
  return bytes.length;
}
