/**
 * Header names the hub writes on Kafka records. Prefixed so they never clash
 * with the producers' own (Debezium, Kafka Connect's `__connect.errors.*`).
 */
import type { IHeaders } from 'kafkajs';

export const HEADERS = {
  /**
   * When the hub first received the bytes (epoch ms, decimal). Segment's clock-skew
   * correction uses it, so a worker decoding the record later computes the same
   * event time the collector would have.
   */
  receivedAtMs: 'c360-received-at-ms',
  /** Dead letters: why, and where the original came from. */
  reason: 'c360-dlq-reason',
  error: 'c360-dlq-error',
  source: 'c360-dlq-source',
  transport: 'c360-dlq-transport',
  originalTopic: 'c360-dlq-original-topic',
  originalPartition: 'c360-dlq-original-partition',
  originalOffset: 'c360-dlq-original-offset',
  originalIndex: 'c360-dlq-original-index',
  eventId: 'c360-dlq-event-id',
  deadLetteredAtMs: 'c360-dlq-at-ms',
  /** Set when the original did not fit one record: its full size; the value holds its first bytes. */
  originalBytes: 'c360-dlq-original-bytes',
} as const;

/** A header's first value as text; kafkajs hands them out as Buffers (or arrays when repeated). */
export function headerText(headers: IHeaders | undefined, name: string): string | null {
  const v = headers?.[name];
  const first = Array.isArray(v) ? v[0] : v;
  if (first === undefined || first === null) return null;
  return Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
}
