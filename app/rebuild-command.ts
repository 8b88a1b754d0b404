/**
 * `c360 rebuild`: re-derives the graph from event files when the store is lost or damaged.
 * Replaying into the damaged directory cannot work — LMDB would map the broken file, and the
 * dedupe window would skip every event it remembers — so the stores derived from events (the
 * embedded graph, live state, the dedupe window) are moved aside first, never deleted, and the
 * files are applied through the same pipeline and features as ingest. The new dedupe window
 * fills as the replay goes, so later deliveries of the same events are still duplicates.
 */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { C360Config } from './config';
import { lockDataDir } from './data-dir-lock';
import { replayFiles } from './replay-files';

export interface RebuildInputs {
  readonly segment: readonly string[];
  readonly telemetry: readonly string[];
  readonly cdc: readonly string[];
}

export interface RebuildResult {
  /** Where the previous stores went (null: there was nothing to move). */
  readonly movedTo: string | null;
  readonly moved: readonly string[];
  readonly applied: number;
  readonly duplicates: number;
  readonly deadLettered: number;
  readonly ignored: number;
}

/** The stores rebuilt from events; the audit log, dead letters and secrets stay where they are. */
function derivedParts(config: C360Config): string[] {
  return [...(config.graph === 'embedded' ? ['graph', 'derived-state'] : []), 'dedupe'];
}

export async function rebuildGraph(config: C360Config, inputs: RebuildInputs, logger: Logger): Promise<RebuildResult> {
  // Nobody else may use the data dir while its stores move (a running hub holds the lock).
  const lock = lockDataDir(config.dataDir, 'rebuild');
  let movedTo: string | null = null;
  const moved: string[] = [];
  try {
    const present = derivedParts(config).filter((p) => existsSync(join(config.dataDir, p)));
    if (present.length > 0) {
      movedTo = join(config.dataDir, `before-rebuild-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      mkdirSync(movedTo, { recursive: true });
      for (const part of present) {
        renameSync(join(config.dataDir, part), join(movedTo, part));
        moved.push(part);
      }
      logger.warn({ movedTo, moved }, 'rebuild: previous stores moved aside');
    }
  } finally {
    lock.release();
  }

  // Customers and accounts first (CDC), then what they did (clickstream), then devices' readings.
  const totals = await replayFiles(
    config,
    [
      ['cdc', inputs.cdc],
      ['segment', inputs.segment],
      ['telemetry', inputs.telemetry],
    ],
    logger,
  );
  return { movedTo, moved, ...totals };
}
