/**
 * Composition root of the ingest benchmark's child process: replays demo NDJSON
 * files through the real pipeline into a store, then prints one JSON line.
 * A separate process so that its peak RSS is the hub's alone.
 *
 * argv: <dataDir> <demoDir> <concurrency>
 */
import pino from 'pino';
import { Registry } from 'prom-client';
import { createConfig } from '../../app/config';
import { createIngest, openGraphStore } from '../../app/processes';
import type { RawMessage, SourceKind } from '../../ingest';
import { DEMO_FILES, readDemoFile } from '../demo';
import { diskUsageBytes } from './disk-usage';
import { peakRssMiB } from './machine';

async function main(): Promise<void> {
  const [dataDir, demoDir, concurrencyArg] = process.argv.slice(2);
  const concurrency = Number(concurrencyArg ?? '4');
  const config = createConfig({ dataDir }, process.env);
  const logger = pino({ level: 'warn' });
  const store = await openGraphStore(config, logger);
  const ingest = createIngest(config, store, new Registry(), logger);

  const totals = { events: 0, applied: 0, duplicates: 0, deadLettered: 0, ignored: 0 };
  const inFlight = new Set<Promise<void>>();
  const submit = (batch: RawMessage[]) => {
    const p = ingest.pipeline.submit(batch).then((r) => {
      totals.applied += r.applied;
      totals.duplicates += r.duplicates;
      totals.deadLettered += r.deadLettered;
      totals.ignored += r.ignored;
    });
    const tracked = p.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    return tracked;
  };

  const started = performance.now();
  // The parent draws a progress bar from these lines.
  const progress = setInterval(() => process.stderr.write(`progress ${totals.events}\n`), 500);
  for (const source of ['cdc', 'segment', 'telemetry'] as SourceKind[]) {
    let batch: RawMessage[] = [];
    for await (const message of readDemoFile(`${demoDir}/${DEMO_FILES[source]}`, source)) {
      batch.push(message);
      totals.events++;
      if (batch.length === 1000) {
        void submit(batch);
        batch = [];
        // Like Kafka partitions: a few submissions in flight, never an unbounded queue.
        while (inFlight.size >= concurrency) await Promise.race(inFlight);
      }
    }
    if (batch.length > 0) void submit(batch);
  }
  await Promise.all(inFlight);
  const elapsedMs = performance.now() - started;
  clearInterval(progress);
  const stats = await store.stats();
  await ingest.close();
  await store.close();
  process.stdout.write(
    `${JSON.stringify({
      ...totals,
      elapsedMs,
      peakRssMiB: peakRssMiB(process.pid),
      diskBytes: diskUsageBytes(dataDir),
      vertices: Object.values(stats.vertices).reduce((a, b) => a + (b ?? 0), 0),
      edges: Object.values(stats.edges).reduce((a, b) => a + (b ?? 0), 0),
    })}\n`,
  );
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
