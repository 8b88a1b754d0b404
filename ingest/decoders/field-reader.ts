/**
 * Typed reads of known fields from an untrusted object. Each failure is a
 * `DecodeError` whose path names the field exactly as it sits in the message
 * (`batch[2].properties`, `payload.source.lsn`), so a dead letter says where to look.
 * `null` and absent are the same for every optional field, as the producers treat them.
 */
import type { JsonObject, JsonValue } from '../../graph-schema';
import { DecodeError } from '../errors';
import { joinPath } from './safe-json';

export function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The top level of a message (or one batch item) must be an object. */
export function requireObject(value: JsonValue, path: string | null, what = 'message'): JsonObject {
  if (!isJsonObject(value)) {
    throw new DecodeError('NOT_AN_OBJECT', `${what} must be a JSON object, got ${typeName(value)}`, path);
  }
  return value;
}

export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Longest identifier (userId, anonymousId, messageId, …) accepted, in UTF-8 bytes. */
export const MAX_ID_BYTES = 512;
const MAX_ID_CHARS = MAX_ID_BYTES;

export class FieldReader {
  constructor(
    readonly obj: JsonObject,
    readonly base: string | null,
  ) {}

  path(key: string): string {
    return joinPath(this.base, key);
  }

  has(key: string): boolean {
    return Object.hasOwn(this.obj, key) && this.obj[key] !== null;
  }

  raw(key: string): JsonValue | undefined {
    return Object.hasOwn(this.obj, key) ? this.obj[key] : undefined;
  }

  /** A string field; `''` counts as a value here (use `id` for identifiers). */
  string(key: string): string | null {
    const v = this.raw(key);
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string') throw this.wrongType(key, 'a string', v);
    return v;
  }

  requiredString(key: string, what = 'a non-empty string'): string {
    const v = this.string(key);
    if (v === null) throw new DecodeError('MISSING_FIELD', `${key} is required`, this.path(key));
    if (v === '') throw new DecodeError('INVALID_VALUE', `${key} must be ${what}`, this.path(key));
    return v;
  }

  /**
   * An identifier: a non-empty string, or a safe integer that producers in typed
   * languages send for numeric ids (kept as its decimal string so `42` and `"42"` meet).
   * An empty string is "absent": it identifies nobody.
   */
  id(key: string): string | null {
    const v = this.raw(key);
    if (v === undefined || v === null || v === '') return null;
    if (typeof v === 'string') {
      // Ids become store keys (and edge keys hold two): a 100 KB id is a broken or hostile
      // producer, dead-lettered here rather than failing the store's key limits as "unavailable".
      if (v.length > MAX_ID_CHARS || Buffer.byteLength(v, 'utf8') > MAX_ID_BYTES) {
        throw new DecodeError('INVALID_VALUE', `${key} is longer than ${MAX_ID_BYTES} bytes`, this.path(key));
      }
      return v;
    }
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) {
        throw new DecodeError('INVALID_VALUE', `${key} must be a string or a safe integer`, this.path(key));
      }
      return String(v);
    }
    throw this.wrongType(key, 'a string', v);
  }

  requiredId(key: string): string {
    const v = this.id(key);
    if (v === null) throw new DecodeError('MISSING_FIELD', `${key} is required`, this.path(key));
    return v;
  }

  object(key: string): JsonObject | null {
    const v = this.raw(key);
    if (v === undefined || v === null) return null;
    if (!isJsonObject(v)) throw this.wrongType(key, 'an object', v);
    return v;
  }

  /** A non-negative safe integer, or its decimal-string form (int64 values arrive both ways). */
  counter(key: string): string | null {
    const v = this.raw(key);
    if (v === undefined || v === null) return null;
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v) || v < 0) {
        throw new DecodeError('INVALID_VALUE', `${key} must be a non-negative integer below 2^53`, this.path(key));
      }
      return String(v);
    }
    if (typeof v === 'string') {
      if (!/^(0|[1-9]\d{0,19})$/.test(v)) {
        throw new DecodeError('INVALID_VALUE', `${key} must be a non-negative decimal integer`, this.path(key));
      }
      return v;
    }
    throw this.wrongType(key, 'an integer or a decimal string', v);
  }

  wrongType(key: string, expected: string, got: unknown): DecodeError {
    return new DecodeError('WRONG_TYPE', `${key} must be ${expected}, got ${typeName(got)}`, this.path(key));
  }
}
