import { C360Error } from '../../graph-schema';

export type AnalyticsErrorCode =
  /** A projection spec names no labels, an unknown label, or an impossible time window. */
  | 'BAD_PROJECTION'
  /** An algorithm parameter out of range (damping, sample size, depth, …). */
  | 'BAD_PARAMETER'
  /** A vertex the question is about is not in the projection (unknown, deleted, or outside its labels). */
  | 'UNKNOWN_VERTEX'
  /** The worker thread failed or exited before reporting a result; running it again may succeed. */
  | 'RUN_FAILED'
  /** The service was used after `close()`. */
  | 'SERVICE_CLOSED';

/**
 * Errors of graph analytics. Only a failed worker run is retriable: everything
 * else is the caller's question, which asking again cannot fix.
 */
export class AnalyticsError extends C360Error {
  override name = 'AnalyticsError';
  declare readonly code: AnalyticsErrorCode;
  constructor(code: AnalyticsErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, { code, retriable: code === 'RUN_FAILED', cause: options.cause });
  }
}
