/**
 * Working dead letters — the embedded store's file (`<data dir>/dead-letters.ndjson`)
 * or, in Kafka mode, the dead-letter topic (services/kafka): list and show them by reason
 * and time, and replay them through a pipeline once the cause is fixed (a mapping added,
 * a decoder fixed). Letters stay append-only: a replay records which letters it took,
 * and a letter that is still bad is dead-lettered again by the pipeline as a new letter —
 * never lost, never silently dropped.
 */
import { createHash } from 'node:crypto';
import { createAppendLog, readAppendLog } from './append-log';
import type { DeadLetter } from './dead-letter';
import type { IngestPipeline } from './ingest-pipeline';

export interface StoredDeadLetter extends DeadLetter {
  /** Stable id of the letter: a hash of its content. */
  readonly id: string;
  /** When a replay took it (epoch ms), or null. */
  readonly replayedAt: number | null;
}

export interface DeadLetterFilter {
  readonly reason?: string;
  /** Only letters dead-lettered at or after this time (epoch ms). */
  readonly sinceMs?: number;
  /** Include letters already replayed (default false for replay, true for list). */
  readonly includeReplayed?: boolean;
}

export interface ReplayMark {
  readonly id: string;
  readonly at: number;
}

export function deadLetterId(letter: DeadLetter): string {
  return createHash('sha256')
    .update(JSON.stringify([letter.at, letter.code, letter.position, letter.originalBase64, letter.eventId ?? null]))
    .digest('hex')
    .slice(0, 16);
}

/**
 * Where an operator finds the dead letters: the embedded store's files, or (Kafka mode) the
 * dead-letter topic. The letters themselves are append-only; a replay only records which
 * letters it took.
 */
export interface DeadLetterArchive {
  /** For messages: the file, or `topic <name>`. */
  readonly where: string;
  list(filter?: DeadLetterFilter): Promise<StoredDeadLetter[]>;
  markReplayed(ids: readonly string[], at: number): Promise<void>;
  close(): Promise<void>;
}

/** Ids and replay marks joined to the letters, then filtered (oldest first, as written). */
export function storedDeadLetters(
  letters: readonly DeadLetter[],
  marks: readonly ReplayMark[],
  filter: DeadLetterFilter = {},
): StoredDeadLetter[] {
  const replayedAt = new Map(marks.map((m) => [m.id, m.at]));
  return letters
    .map((l) => {
      const id = deadLetterId(l);
      return { ...l, id, replayedAt: replayedAt.get(id) ?? null };
    })
    .filter(
      (l) =>
        (filter.reason === undefined || l.code === filter.reason) &&
        (filter.sinceMs === undefined || l.at >= filter.sinceMs) &&
        (filter.includeReplayed !== false || l.replayedAt === null),
    );
}

/** Embedded mode: `<data dir>/dead-letters.ndjson`, replay marks in `dead-letters.replayed.ndjson`. */
export function createFileDeadLetterArchive(lettersPath: string, replayedPath: string): DeadLetterArchive {
  return {
    where: lettersPath,
    async list(filter) {
      return storedDeadLetters(
        await readAppendLog<DeadLetter>(lettersPath),
        await readAppendLog<ReplayMark>(replayedPath),
        filter,
      );
    },
    async markReplayed(ids, at) {
      const marks = createAppendLog(replayedPath);
      try {
        await marks.append(ids.map((id) => ({ id, at })));
      } finally {
        await marks.close();
      }
    },
    close: async () => undefined,
  };
}

export async function readDeadLetters(
  lettersPath: string,
  replayedPath: string,
  filter: DeadLetterFilter = {},
): Promise<StoredDeadLetter[]> {
  return createFileDeadLetterArchive(lettersPath, replayedPath).list(filter);
}

export interface ReplayResult {
  /** Letters taken by this replay. */
  readonly replayed: number;
  /** Of those, applied now. */
  readonly applied: number;
  /** Of those, still bad: dead-lettered again (as new letters) with their reason. */
  readonly deadLetteredAgain: number;
  /** Letters that cannot be replayed (no original bytes: a tombstone, or a letter written without them). */
  readonly skipped: number;
}

/**
 * Replays letters through the pipeline, oldest first, with their original Kafka key (a
 * Debezium record needs it). A letter is marked replayed only after the pipeline has made it
 * durable — applied, or dead-lettered again as a new letter.
 */
export async function replayDeadLetters(
  letters: readonly StoredDeadLetter[],
  pipeline: IngestPipeline,
  archive: Pick<DeadLetterArchive, 'markReplayed'>,
  now: () => number = Date.now,
): Promise<ReplayResult> {
  let applied = 0;
  let again = 0;
  let skipped = 0;
  let replayed = 0;
  const ordered = [...letters].sort((a, b) => a.at - b.at);
  for (let i = 0; i < ordered.length; i += 500) {
    const chunk = ordered.slice(i, i + 500).filter((l) => {
      if (l.originalBase64 !== null) return true;
      skipped++;
      return false;
    });
    if (chunk.length === 0) continue;
    const result = await pipeline.submit(
      chunk.map((l) => ({
        source: l.position.source,
        value: Buffer.from(l.originalBase64 as string, 'base64'),
        key: l.originalKeyBase64 ? Buffer.from(l.originalKeyBase64, 'base64') : null,
        position: { ...l.position, transport: 'file' as const },
        receivedAtMs: l.at,
      })),
    );
    applied += result.applied + result.duplicates;
    again += result.deadLettered;
    replayed += chunk.length;
    await archive.markReplayed(
      chunk.map((l) => l.id),
      now(),
    );
  }
  return { replayed, applied, deadLetteredAgain: again, skipped };
}
