import { C360Error } from '../../../graph-schema';

export type Neo4jStoreErrorCode =
  /** The driver could not be created or the server not reached at startup. */
  | 'STORE_OPEN_FAILED'
  /** Constraints or indexes could not be created at startup. */
  | 'SCHEMA_SETUP_FAILED'
  /** The server is unreachable or the session expired; retrying later can succeed. */
  | 'SERVICE_UNAVAILABLE'
  /** The credentials were refused or the user may not do this; retrying cannot help. */
  | 'AUTH_FAILED'
  /** A write transaction failed and was rolled back. */
  | 'STORE_WRITE_FAILED'
  /** A read query failed. */
  | 'STORE_READ_FAILED'
  /** A batch names an element that cannot be stored (unknown label, non-string key). */
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
 * Errors of the Neo4j store. The driver's own errors stay in `cause`; what callers act on
 * is `code` and `retriable` — transient server errors (deadlocks, leader switches, memory
 * pressure) and an unreachable server are retriable, everything the query or the data
 * caused is not, so the ingest pipeline dead-letters instead of retrying forever.
 */
export class Neo4jStoreError extends C360Error {
  override name = 'Neo4jStoreError';
  /** The server's status code (`Neo.TransientError.Transaction.DeadlockDetected`, `ServiceUnavailable`, …) when there is one. */
  readonly neo4jCode: string | null;
  constructor(
    code: Neo4jStoreErrorCode,
    message: string,
    options: { retriable?: boolean; cause?: unknown; neo4jCode?: string | null } = {},
  ) {
    super(message, { code, retriable: options.retriable ?? false, cause: options.cause });
    this.neo4jCode = options.neo4jCode ?? null;
  }
}

const UNAVAILABLE = new Set(['ServiceUnavailable', 'SessionExpired']);

function driverCode(error: unknown): string | null {
  if (typeof error !== 'object' || error === null) return null;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.length > 0 ? code : null;
}

/**
 * Translates what the driver threw (after its own retries) into a Neo4jStoreError. The
 * message names the operation only: server messages may quote query text and data.
 */
export function classifyDriverError(
  operation: string,
  fallback: 'STORE_WRITE_FAILED' | 'STORE_READ_FAILED' | 'STORE_OPEN_FAILED' | 'SCHEMA_SETUP_FAILED',
  error: unknown,
): Neo4jStoreError {
  if (error instanceof Neo4jStoreError) return error;
  const code = driverCode(error);
  const where = `Neo4jStore.${operation}`;
  if (code !== null && UNAVAILABLE.has(code)) {
    return new Neo4jStoreError('SERVICE_UNAVAILABLE', `${where}: the Neo4j server is unavailable (${code})`, {
      retriable: true,
      cause: error,
      neo4jCode: code,
    });
  }
  if (code?.startsWith('Neo.ClientError.Security.')) {
    return new Neo4jStoreError('AUTH_FAILED', `${where}: Neo4j refused the credentials or the operation (${code})`, {
      cause: error,
      neo4jCode: code,
    });
  }
  const retriable =
    code?.startsWith('Neo.TransientError.') === true || (error as { retriable?: unknown } | null)?.retriable === true;
  return new Neo4jStoreError(
    fallback,
    `${where}: ${retriable ? 'a transient' : 'a'} Neo4j error${code ? ` (${code})` : ''}`,
    {
      retriable,
      cause: error,
      neo4jCode: code,
    },
  );
}
