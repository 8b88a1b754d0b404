/**
 * Event files through the worker's wiring without its consumer: the same pipeline and the
 * same features (health, traits, live segments) as ingest. `c360 replay` and `c360 rebuild`
 * both apply files this way.
 */
import type { Logger } from 'pino';
import type { RawMessage, SourceKind, SubmitResult } from '../ingest';
import { readDemoFile } from '../scripts/demo';
import type { C360Config } from './config';
import { type Ingest, wire } from './processes';

export interface ReplayTotals {
  readonly applied: number;
  readonly duplicates: number;
  readonly deadLettered: number;
  readonly ignored: number;
}

/** Applies the files in the order given, 1,000 lines per submit. */
export async function replayFiles(
  config: C360Config,
  inputs: readonly (readonly [SourceKind, readonly string[]])[],
  logger: Logger,
): Promise<ReplayTotals> {
  const w = await wire(config, { role: 'worker', logger });
  w.startFeatures();
  const ingest = w.ingest as Ingest;
  const totals = { applied: 0, duplicates: 0, deadLettered: 0, ignored: 0 };
  const add = (r: SubmitResult) => {
    totals.applied += r.applied;
    totals.duplicates += r.duplicates;
    totals.deadLettered += r.deadLettered;
    totals.ignored += r.ignored;
  };
  try {
    for (const [source, files] of inputs) {
      for (const file of files) {
        let batch: RawMessage[] = [];
        for await (const message of readDemoFile(file, source)) {
          batch.push({ ...message, position: { ...message.position, topic: message.position.topic ?? file } });
          if (batch.length === 1000) {
            add(await ingest.pipeline.submit(batch));
            batch = [];
          }
        }
        if (batch.length > 0) add(await ingest.pipeline.submit(batch));
        logger.debug({ file, source, ...totals }, 'replay: file applied');
      }
    }
  } finally {
    await w.close();
  }
  return totals;
}
