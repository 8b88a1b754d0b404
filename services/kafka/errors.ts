import { C360Error } from '../../graph-schema';

/**
 * Kafka could not take or give the data right now (broker down, leader moving,
 * request timed out). Translated at this adapter boundary from kafkajs errors so
 * that callers decide from `retriable`, never from kafkajs' class names.
 */
export class KafkaUnavailableError extends C360Error {
  override name = 'KafkaUnavailableError';
  constructor(operation: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`${operation}: ${detail}`, { code: 'KAFKA_UNAVAILABLE', retriable: isKafkaRetriable(cause), cause });
  }
}

/**
 * kafkajs marks transient failures `retriable`, and wraps exhausted retries in
 * KafkaJSNumberOfRetriesExceeded whose cause tells (the consumer's own restart
 * rule). A producer that gave up after its retries is still worth retrying later.
 */
export function isKafkaRetriable(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; e instanceof Error && depth < 10; depth++) {
    const flagged = (e as { retriable?: unknown }).retriable;
    if (flagged === true || e.name === 'KafkaJSNumberOfRetriesExceeded' || e.name === 'KafkaJSConnectionError') {
      return true;
    }
    if (e.name === 'KafkaJSRequestTimeoutError' || e.name === 'KafkaJSConnectionClosedError') return true;
    e = (e as { cause?: unknown }).cause ?? (e as { originalError?: unknown }).originalError;
  }
  return false;
}

/** Errors kafkajs raised itself (heartbeat, commit): kafkajs knows how to recover from them, so they go back to it. */
export function isKafkaJsError(error: unknown): boolean {
  return error instanceof Error && error.name.startsWith('KafkaJS');
}
