import { C360Error } from '../../../graph-schema';

export type EmbeddedStoreErrorCode =
  /** The LMDB environment could not be opened (bad path, permissions, incompatible layout). */
  | 'STORE_OPEN_FAILED'
  /** A write transaction failed and was rolled back; nothing of the batch is visible. */
  | 'STORE_WRITE_FAILED'
  /** A read failed inside LMDB. */
  | 'STORE_READ_FAILED'
  /** A batch names an element that cannot be stored (an id too long for an LMDB key); retrying cannot help. */
  | 'INVALID_ELEMENT'
  /** A paging cursor that this store did not hand out. */
  | 'BAD_CURSOR'
  /** A query the store cannot answer, such as a lookup on a property that is not indexed. */
  | 'BAD_QUERY'
  /** A page size that is not a non-negative integer. */
  | 'BAD_PAGE'
  /** The store was used after `close()`. */
  | 'STORE_CLOSED';

/**
 * Errors of the embedded store. Write failures caused by the environment (disk full, I/O)
 * are retriable; failures caused by the batch itself or by the caller are not, so the
 * ingest pipeline dead-letters them instead of retrying forever.
 */
export class EmbeddedStoreError extends C360Error {
  override name = 'EmbeddedStoreError';
  constructor(code: EmbeddedStoreErrorCode, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, { code, retriable: options.retriable ?? false, cause: options.cause });
  }
}
