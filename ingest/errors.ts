import { C360Error } from '../graph-schema';

/** Why an input was rejected. Stable codes: they label metrics and dead letters. */
export type DecodeErrorCode =
  | 'INVALID_UTF8'
  | 'INVALID_JSON'
  | 'TOO_LARGE'
  | 'NOT_AN_OBJECT'
  | 'MISSING_FIELD'
  | 'WRONG_TYPE'
  | 'INVALID_VALUE'
  | 'FORBIDDEN_KEY'
  | 'UNKNOWN_TYPE'
  | 'TOO_DEEP'
  | 'EMPTY';

/**
 * A poison input: never retriable, always dead-lettered. `path` points at the
 * offending field (`properties.price`, `payload.source.lsn`).
 */
export class DecodeError extends C360Error {
  override name = 'DecodeError';
  readonly reason: DecodeErrorCode;
  readonly path: string | null;
  constructor(reason: DecodeErrorCode, message: string, path: string | null = null) {
    super(path ? `${message} (at ${path})` : message, { code: reason, retriable: false });
    this.reason = reason;
    this.path = path;
  }
}

/** A mapping produced no valid mutation for an event that decoded fine (e.g. a CDC table with no mapping). */
export class MappingError extends C360Error {
  override name = 'MappingError';
  constructor(code: 'UNMAPPED_TABLE' | 'MISSING_KEY' | 'BAD_MAPPING' | 'UNSUPPORTED_OP', message: string) {
    super(message, { code, retriable: false });
  }
}
