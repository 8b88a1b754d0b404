/**
 * Dead letters: inputs the hub could not apply, kept with the reason, where
 * they came from and the original bytes, so nothing is ever lost silently and
 * an operator can fix the producer (or the mapping) and replay.
 */
import { createAppendLog, readAppendLog } from './append-log';
import type { HubEvent, SourcePosition } from './hub-event';

export interface DeadLetter {
  /** When it was dead-lettered (epoch ms). */
  readonly at: number;
  /** Stable reason code (DecodeError / MappingError code). */
  readonly code: string;
  readonly message: string;
  readonly position: SourcePosition;
  /** The original bytes, base64 (null for a Kafka tombstone). */
  readonly originalBase64: string | null;
  /** The original Kafka key, base64, when there was one (Debezium puts the primary key there). */
  readonly originalKeyBase64?: string;
  /** The event id when decoding got that far. */
  readonly eventId?: string;
}

/**
 * A letter for an event that decoded and was applied but that a feature could not use
 * (TOO_LATE): it carries the event's original wire bytes and Kafka key, like the
 * pipeline's own letters, so that `c360 dead-letters replay` decodes it like any other.
 */
export function deadLetterOfEvent(event: HubEvent, code: string, message: string, at: number): DeadLetter {
  const value = event.original?.value ?? null;
  const key = event.original?.key ?? null;
  return {
    at,
    code,
    message,
    position: event.position,
    originalBase64: value === null ? null : value.toString('base64'),
    ...(key ? { originalKeyBase64: key.toString('base64') } : {}),
    eventId: event.id,
  };
}

export interface DeadLetterSink {
  /** Resolves when the letters are durable. */
  write(letters: readonly DeadLetter[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Letters written by something other than the pipeline (features dead-lettering TOO_LATE
 * events) are counted in the same metric the pipeline's letters are: an operator's
 * dashboard and alert see every dead letter, whoever wrote it.
 */
export function countingDeadLetters(
  sink: DeadLetterSink,
  counter: { inc(labels: { source: string; reason: string }): void },
): DeadLetterSink {
  return {
    async write(letters) {
      await sink.write(letters);
      for (const l of letters) counter.inc({ source: l.position.source, reason: l.code });
    },
    close: () => sink.close(),
  };
}

/** Embedded mode: an append-only NDJSON file, fsynced per write (a failed write fails its caller, who retries). */
export function createFileDeadLetterSink(path: string): DeadLetterSink {
  const log = createAppendLog(path);
  return {
    write: (letters) => log.append(letters),
    close: () => log.close(),
  };
}

export function readDeadLetterFile(path: string): Promise<DeadLetter[]> {
  return readAppendLog<DeadLetter>(path);
}
