/**
 * Dead letters: inputs the hub could not apply, kept with the reason, where
 * they came from and the original bytes, so nothing is ever lost silently and
 * an operator can fix the producer (or the mapping) and replay.
 */
import { mkdirSync } from 'node:fs';
import { open as openFile, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SourcePosition } from './hub-event';

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

export interface DeadLetterSink {
  /** Resolves when the letters are durable. */
  write(letters: readonly DeadLetter[]): Promise<void>;
  close(): Promise<void>;
}

/** Embedded mode: an append-only NDJSON file, fsynced per write. */
export function createFileDeadLetterSink(path: string): DeadLetterSink {
  mkdirSync(dirname(path), { recursive: true });
  let chain: Promise<void> = Promise.resolve();
  return {
    write(letters) {
      if (letters.length === 0) return chain;
      const text = letters.map((l) => JSON.stringify(l)).join('\n') + '\n';
      // Appends are serialized so concurrent writers never interleave lines; a failed
      // append fails its own caller (who retries) without poisoning later appends.
      const done = chain.then(async () => {
        const fh = await openFile(path, 'a');
        try {
          await fh.appendFile(text);
          await fh.sync();
        } finally {
          await fh.close();
        }
      });
      chain = done.catch(() => undefined);
      return done;
    },
    close: () => chain,
  };
}

export async function readDeadLetterFile(path: string): Promise<DeadLetter[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as DeadLetter);
}
