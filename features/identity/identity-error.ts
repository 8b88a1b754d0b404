import { C360Error } from '../../graph-schema';

export type IdentityErrorCode = 'UNKNOWN_IDENTIFIER' | 'INVALID_IDENTIFIER' | 'AUDIT_WRITE_FAILED';

/** Identity resolution refused a request; `code` says why (callers map it to their own error codes). */
export class IdentityError extends C360Error {
  override name = 'IdentityError';
  declare readonly code: IdentityErrorCode;
  constructor(code: IdentityErrorCode, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, { code, retriable: options.retriable ?? false, cause: options.cause });
  }
}
