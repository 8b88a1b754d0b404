/**
 * The one place where untrusted bytes become JSON. Every decoder goes through
 * here so that every source gets the same hardening, in this order:
 *
 * 1. size limit on the raw BYTES, before any decoding work (an attacker pays for the bytes, not us);
 * 2. strict UTF-8 (`TextDecoder` with `fatal`), so that mojibake never reaches the graph;
 * 3. nesting depth, by a linear scan before `JSON.parse`, so that a 1 MB `[[[[…` cannot
 *    exhaust the stack of any recursive code that runs later (ours or a mapping's);
 * 4. `JSON.parse`, with the character position of a syntax error when V8 reports one;
 * 5. one walk over the result that rejects `__proto__` / `constructor` / `prototype` keys,
 *    numbers that overflowed to ±Infinity (`1e400`), and strings or keys holding lone
 *    UTF-16 surrogates (`"\ud800"` is valid JSON but not valid Unicode text).
 *
 * Forbidden keys are REJECTED, not dropped: `JSON.parse` itself stores `__proto__` as an
 * own property (no pollution at parse time), but any later `{...spread}` or
 * `Object.assign` would turn it into a prototype write, and a producer that sends such
 * keys is either broken or hostile — either way the event belongs in the dead-letter
 * topic with a reason, not silently altered.
 */
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
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    const offset = firstInvalidUtf8Offset(bytes);
    throw new DecodeError('INVALID_UTF8', `invalid UTF-8 at byte ${offset}`, path);
  }
  return parseJsonText(text, limits.maxDepth, path);
}

/** Parse already-decoded text (e.g. a Debezium `io.debezium.data.Json` column) with the same checks. */
export function parseJsonText(text: string, maxDepth: number, path: string | null = null): JsonValue {
  if (text.trim() === '') throw new DecodeError('EMPTY', 'message body is only whitespace', path);
  checkDepth(text, maxDepth, path);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DecodeError('INVALID_JSON', describeSyntaxError(error, text), path);
  }
  checkValue(value, path);
  return value as JsonValue;
}

function describeSyntaxError(error: unknown, text: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const at = /at position (\d+)/.exec(message);
  if (at) return `invalid JSON at character ${at[1]}: ${message}`;
  if (/Unexpected end of JSON input/.test(message)) return `invalid JSON at character ${text.length}: ${message}`;
  return `invalid JSON: ${message}`;
}

/** A linear scan that counts open brackets outside strings; it never recurses. */
function checkDepth(text: string, maxDepth: number, path: string | null): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character (a quote or another backslash)
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) {
        throw new DecodeError('TOO_DEEP', `nesting deeper than ${maxDepth} levels at character ${i}`, path);
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
}

/** Depth is already bounded by `checkDepth`, so this recursion is bounded too. */
function checkValue(value: unknown, path: string | null): void {
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new DecodeError('INVALID_VALUE', 'number out of range (overflows a double)', path);
  } else if (typeof value === 'string') {
    if (LONE_SURROGATE.test(value))
      throw new DecodeError('INVALID_VALUE', 'string holds a lone UTF-16 surrogate', path);
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) checkValue(value[i], joinPath(path, i));
  } else if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      const at = joinPath(path, key);
      if (FORBIDDEN_KEYS.has(key)) throw new DecodeError('FORBIDDEN_KEY', `key "${key}" is not accepted`, at);
      if (LONE_SURROGATE.test(key)) throw new DecodeError('INVALID_VALUE', 'key holds a lone UTF-16 surrogate', at);
      checkValue((value as Record<string, unknown>)[key], at);
    }
  }
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
