/**
 * Dead letters in Kafka mode: one record per letter on the dead-letter topic,
 * the original bytes as its value and the reason and source position as
 * headers, so `kafka-console-consumer --property print.headers=true` tells an
 * operator what failed, and a fixed record can be produced back to its topic.
 *
 * Sizes are bounded, because a produce request over the broker's
 * `message.max.bytes` (1 MiB by default) is refused for good: sent as one
 * request, a large batch of letters failed, its partition was retried forever
 * and never moved on. Letters go out in requests of at most `maxRequestBytes`,
 * and an original too large for one record is truncated to its first
 * bytes, with `c360-dlq-original-bytes` telling its full size — the reason, the
 * position and the offset (to fetch the full bytes from the source topic)
 * always fit.
 */
import type { Message, Producer } from 'kafkajs';
import type { DeadLetter, DeadLetterSink } from '../../ingest';
import { KafkaUnavailableError } from './errors';
import { HEADERS } from './kafka-headers';
import type { KafkaMetrics } from './kafka-metrics';

/** A letter may also carry the original key (the pipeline does not record it yet). */
export type KafkaDeadLetter = DeadLetter & { readonly originalKeyBase64?: string | null };

/** Kafka headers are small by convention; a decoder message is capped so one letter never exceeds a record. */
const MAX_ERROR_CHARS = 2000;

/** Below the broker's default message.max.bytes (1,048,588) with room for the protocol's framing. */
export const DEFAULT_DLQ_MAX_REQUEST_BYTES = 900 * 1024;
/** Per-record framing beyond key, value and headers (varints, attributes, offsets): generous. */
const RECORD_OVERHEAD_BYTES = 64;

export interface KafkaDeadLetterSinkOptions {
  readonly metrics?: KafkaMetrics;
  /** Largest produce request (sum of record sizes); one record is at most this too. */
  readonly maxRequestBytes?: number;
}

function recordBytes(m: Message): number {
  let n = RECORD_OVERHEAD_BYTES + (m.key ? Buffer.byteLength(m.key as Buffer) : 0);
  n += m.value ? Buffer.byteLength(m.value as Buffer) : 0;
  for (const [k, v] of Object.entries(m.headers ?? {})) n += Buffer.byteLength(k) + Buffer.byteLength(String(v)) + 8;
  return n;
}

/** The record as produced: the original value cut to what fits `maxRecordBytes`, marked with its full size. */
export function boundedDeadLetterRecord(letter: KafkaDeadLetter, maxRecordBytes: number): Message {
  const record = toDeadLetterRecord(letter);
  const size = recordBytes(record);
  if (size <= maxRecordBytes || !record.value) return record;
  const value = record.value as Buffer;
  const headers = { ...record.headers, [HEADERS.originalBytes]: String(value.length) };
  const room = maxRecordBytes - recordBytes({ ...record, value: null, headers });
  return { ...record, headers, value: value.subarray(0, Math.max(0, room)) };
}

/** Greedy: consecutive records while the request stays within the limit (order kept). */
export function chunkRecords(records: readonly Message[], maxRequestBytes: number): Message[][] {
  const chunks: Message[][] = [];
  let current: Message[] = [];
  let bytes = 0;
  for (const r of records) {
    const n = recordBytes(r);
    if (current.length > 0 && bytes + n > maxRequestBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(r);
    bytes += n;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export function toDeadLetterRecord(letter: KafkaDeadLetter): Message {
  const p = letter.position;
  const headers: Record<string, string> = {
    [HEADERS.reason]: letter.code,
    [HEADERS.error]: letter.message.slice(0, MAX_ERROR_CHARS),
    [HEADERS.source]: p.source,
    [HEADERS.transport]: p.transport,
    [HEADERS.deadLetteredAtMs]: String(letter.at),
  };
  if (p.topic !== undefined) headers[HEADERS.originalTopic] = p.topic;
  if (p.partition !== undefined) headers[HEADERS.originalPartition] = String(p.partition);
  if (p.offset !== undefined) headers[HEADERS.originalOffset] = p.offset;
  if (p.index !== undefined) headers[HEADERS.originalIndex] = String(p.index);
  if (letter.eventId !== undefined) headers[HEADERS.eventId] = letter.eventId;
  return {
    key: letter.originalKeyBase64 ? Buffer.from(letter.originalKeyBase64, 'base64') : null,
    value: letter.originalBase64 === null ? null : Buffer.from(letter.originalBase64, 'base64'),
    headers,
  };
}

/**
 * @param producer connected, idempotent (acks=-1 is set per send); owned by the caller, which disconnects it.
 */
export function createKafkaDeadLetterSink(
  producer: Producer,
  topic: string,
  options: KafkaDeadLetterSinkOptions = {},
): DeadLetterSink {
  const inFlight = new Set<Promise<void>>();
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_DLQ_MAX_REQUEST_BYTES;
  return {
    write(letters) {
      if (letters.length === 0) return Promise.resolve();
      const done = (async () => {
        const records = letters.map((l) => boundedDeadLetterRecord(l, maxRequestBytes));
        for (const chunk of chunkRecords(records, maxRequestBytes)) {
          try {
            // acks=-1: resolved only once every in-sync replica has the letters — durable, like a graph write.
            await producer.send({ topic, acks: -1, messages: chunk });
          } catch (e) {
            throw new KafkaUnavailableError(`KafkaDeadLetterSink.write to ${topic}`, e);
          }
        }
        for (const l of letters) options.metrics?.dlqProduced.inc({ reason: l.code });
      })();
      inFlight.add(done);
      void done.catch(() => undefined).finally(() => inFlight.delete(done));
      return done;
    },
    async close() {
      await Promise.allSettled([...inFlight]);
    },
  };
}
