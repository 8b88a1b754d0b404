import { C360Error } from '../../graph-schema';

/**
 * Kafka Connect's REST API refused or failed a request. 409 (a rebalance is in progress)
 * and 5xx are retriable; 4xx are not — they mean the config or the name is wrong.
 */
export class ConnectError extends C360Error {
  override name = 'ConnectError';
  readonly status: number | null;
  constructor(message: string, options: { status: number | null; cause?: unknown; code?: string }) {
    const retriable = options.status === null || options.status === 409 || options.status >= 500;
    super(message, { code: options.code ?? 'CONNECT_FAILED', retriable, cause: options.cause });
    this.status = options.status;
  }
}
