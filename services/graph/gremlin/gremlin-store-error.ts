import { C360Error } from '../../../graph-schema';

export type GremlinStoreErrorCode =
  /** The server could not be reached or the WebSocket closed under a request; a new connection may succeed. */
  | 'CONNECTION_FAILED'
  /** Two writers touched the same element and the database refused one (TinkerTransactionGraph TX_CONFLICT, JanusGraph locking, Neptune ConcurrentModificationException). */
  | 'WRITE_CONFLICT'
  /** The server timed out or is overloaded; the same request may succeed later. */
  | 'SERVER_BUSY'
  /** The server rejected the traversal itself (a bug here or a provider that lacks a step); retrying cannot help. */
  | 'TRAVERSAL_REJECTED'
  /** Authentication or authorization failed. */
  | 'UNAUTHORIZED'
  /** A batch names an element that cannot be stored (unknown label, a version with control characters). */
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
 * Errors of the Gremlin store. Driver and server errors are classified here, at the adapter
 * boundary, so callers decide commit / retry / dead-letter from `code` and `retriable` only.
 */
export class GremlinStoreError extends C360Error {
  override name = 'GremlinStoreError';
  constructor(code: GremlinStoreErrorCode, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, { code, retriable: options.retriable ?? false, cause: options.cause });
  }
}

/**
 * Exception class names (or fragments) that mean "another writer got there first; try again".
 * JanusGraph reports a lost lock race at commit as PermanentLockingException ("Expected value
 * mismatch", "Lock ... already owned"), a lock it could not take in time as TemporaryLockingException.
 */
const CONFLICT_MARKERS = [
  'ConcurrentModification',
  'TransactionException',
  'TemporaryLocking',
  'PermanentLocking',
  'Expected value mismatch',
  'LockTimeout',
  'Conflict',
];

/**
 * A storage backend that is slow or briefly unavailable (JanusGraph's TemporaryBackendException,
 * the Cassandra driver's timeouts and unavailability): the same request may succeed later.
 */
const TEMPORARY_MARKERS = [
  'TemporaryBackend',
  'DriverTimeoutException',
  'WriteTimeoutException',
  'ReadTimeoutException',
  'UnavailableException',
  'AllNodesFailedException',
  'OverloadedException',
];

/**
 * The server cannot run this traversal at all, whatever the status code says: a step its TinkerPop
 * version lacks ("Could not locate method: DefaultGraphTraversal.asNumber()" on a 3.7 server), or
 * JVM linkage errors (its jars do not fit each other). The same request fails the same way every time.
 */
const UNSUPPORTED_MARKERS = [
  'Could not locate method',
  'NoSuchMethodError',
  'NoClassDefFoundError',
  'LinkageError',
  'AbstractMethodError',
];

const NETWORK_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

interface DriverResponseError {
  readonly name: string;
  readonly message: string;
  readonly statusCode?: number;
  readonly statusAttributes?: unknown;
}

function isResponseError(error: unknown): error is DriverResponseError {
  return error instanceof Error && error.name === 'ResponseError' && 'statusCode' in error;
}

function attributeText(attributes: unknown): string {
  if (attributes instanceof Map) {
    return [...attributes.entries()].map(([k, v]) => `${String(k)}=${JSON.stringify(v)}`).join(' ');
  }
  try {
    return JSON.stringify(attributes) ?? '';
  } catch {
    return '';
  }
}

/**
 * Turns whatever the driver threw into a `GremlinStoreError`. Server status codes follow the
 * TinkerPop protocol: 401/407 auth, 498/499 bad request, 597 evaluation error (the provider's
 * exception class names travel in the status attributes), 598 timeout, 599 server error.
 */
export function classifyGremlinError(operation: string, error: unknown): GremlinStoreError {
  if (error instanceof GremlinStoreError) return error;
  if (isResponseError(error)) {
    const code = error.statusCode ?? 0;
    const detail = `${error.message} ${attributeText(error.statusAttributes)}`;
    if (code === 401 || code === 407) {
      return new GremlinStoreError('UNAUTHORIZED', `GremlinStore.${operation}: the server refused the credentials`, {
        cause: error,
      });
    }
    if (UNSUPPORTED_MARKERS.some((marker) => detail.includes(marker))) {
      return new GremlinStoreError(
        'TRAVERSAL_REJECTED',
        `GremlinStore.${operation}: the server cannot run this traversal (a step or class it lacks)`,
        { cause: error },
      );
    }
    if (CONFLICT_MARKERS.some((marker) => detail.includes(marker))) {
      return new GremlinStoreError('WRITE_CONFLICT', `GremlinStore.${operation}: a concurrent write conflicted`, {
        retriable: true,
        cause: error,
      });
    }
    if (
      code === 598 ||
      code === 500 ||
      code === 503 ||
      TEMPORARY_MARKERS.some((marker) => detail.includes(marker)) ||
      /timeout|too many|overload/i.test(detail)
    ) {
      return new GremlinStoreError('SERVER_BUSY', `GremlinStore.${operation}: the server timed out or is busy`, {
        retriable: true,
        cause: error,
      });
    }
    return new GremlinStoreError('TRAVERSAL_REJECTED', `GremlinStore.${operation}: the server rejected the traversal`, {
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  const errno = String((error as { code?: unknown } | null)?.code ?? '');
  if (
    NETWORK_ERRNOS.has(errno) ||
    /socket|websocket|ECONN|EPIPE|ETIMEDOUT|EHOSTUNREACH|not open|closed/i.test(message)
  ) {
    return new GremlinStoreError('CONNECTION_FAILED', `GremlinStore.${operation}: the connection failed`, {
      retriable: true,
      cause: error,
    });
  }
  return new GremlinStoreError('TRAVERSAL_REJECTED', `GremlinStore.${operation}: the request failed`, {
    cause: error,
  });
}
