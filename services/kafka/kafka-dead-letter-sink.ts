/**
 * Dead letters in Kafka mode: one record per letter on the dead-letter topic,
 * the original bytes as its value and the reason and source position as
 * headers, so `kafka-console-consumer --property print.headers=true` tells an
 * operator what failed, and a fixed record can be produced back to its topic.
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

export interface KafkaDeadLetterSinkOptions {
  readonly metrics?: KafkaMetrics;
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
  return {
    write(letters) {
      if (letters.length === 0) return Promise.resolve();
      const done = (async () => {
        try {
          // acks=-1: resolved only once every in-sync replica has the letters — durable, like a graph write.
          await producer.send({ topic, acks: -1, messages: letters.map(toDeadLetterRecord) });
        } catch (e) {
          throw new KafkaUnavailableError(`KafkaDeadLetterSink.write to ${topic}`, e);
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
