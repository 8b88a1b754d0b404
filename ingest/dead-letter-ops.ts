/**
 * Working the dead letters of the embedded store (`<data dir>/dead-letters.ndjson`):
 * list and show them by reason and time, and replay them through the pipeline once
 * the cause is fixed (a mapping added, a decoder fixed). The letter file stays
 * append-only: a replay records which letters it took in `dead-letters.replayed.ndjson`,
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

interface ReplayMark {
  readonly id: string;
  readonly at: number;
}

export function deadLetterId(letter: DeadLetter): string {
  return createHash('sha256')
    .update(JSON.stringify([letter.at, letter.code, letter.position, letter.originalBase64, letter.eventId ?? null]))
    .digest('hex')
    .slice(0, 16);
}

export async function readDeadLetters(
  lettersPath: string,
  replayedPath: string,
  filter: DeadLetterFilter = {},
): Promise<StoredDeadLetter[]> {
  const marks = new Map((await readAppendLog<ReplayMark>(replayedPath)).map((m) => [m.id, m.at]));
  return (await readAppendLog<DeadLetter>(lettersPath))
    .map((l) => {
      const id = deadLetterId(l);
      return { ...l, id, replayedAt: marks.get(id) ?? null };
    })
    .filter(
      (l) =>
        (filter.reason === undefined || l.code === filter.reason) &&
        (filter.sinceMs === undefined || l.at >= filter.sinceMs) &&
        (filter.includeReplayed !== false || l.replayedAt === null),
    );
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
 * Replays letters through the pipeline, oldest first. A letter is marked replayed only
 * after the pipeline has made it durable — applied, or dead-lettered again.
 */
export async function replayDeadLetters(
  letters: readonly StoredDeadLetter[],
  pipeline: IngestPipeline,
  replayedPath: string,
  now: () => number = Date.now,
): Promise<ReplayResult> {
  const marks = createAppendLog(replayedPath);
  let applied = 0;
  let again = 0;
  let skipped = 0;
  let replayed = 0;
  try {
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
          position: { ...l.position, transport: 'file' as const },
          receivedAtMs: l.at,
        })),
      );
      applied += result.applied + result.duplicates;
      again += result.deadLettered;
      replayed += chunk.length;
      await marks.append(chunk.map((l) => ({ id: l.id, at: now() })));
    }
  } finally {
    await marks.close();
  }
  return { replayed, applied, deadLetteredAgain: again, skipped };
}
