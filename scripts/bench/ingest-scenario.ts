import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScenarioResult } from './bench-result';
import { runTsChild } from './run-child';

interface IngestChildResult {
  events: number;
  applied: number;
  duplicates: number;
  deadLettered: number;
  ignored: number;
  elapsedMs: number;
  peakRssMiB: number | null;
  diskBytes: number;
  vertices: number;
  edges: number;
}

/**
 * Demo events (CDC snapshot + changes, clickstream, telemetry) replayed from
 * NDJSON through decode → dedupe → map → batch → the embedded store, with a
 * few submissions in flight like Kafka partitions. Returns the data dir so
 * later scenarios can serve the graph it built.
 */
export async function ingestScenario(
  root: string,
  demoDir: string,
  params: { customers: number; concurrency: number },
  onProgress?: (events: number) => void,
): Promise<{ result: ScenarioResult; dataDir: string; cleanup: () => void }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'c360-bench-ingest-'));
  const r = await runTsChild<IngestChildResult>(
    root,
    'scripts/bench/ingest-child.ts',
    [dataDir, demoDir, String(params.concurrency)],
    onProgress,
  );
  return {
    dataDir,
    cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
    result: {
      name: 'ingest',
      store: 'embedded',
      params: { customers: params.customers, concurrency: params.concurrency, submitBatch: 1000, transport: 'file' },
      metrics: {
        events: r.events,
        applied: r.applied,
        deadLettered: r.deadLettered,
        eventsPerSecond: Math.round((r.events / r.elapsedMs) * 1000),
        elapsedSeconds: Math.round(r.elapsedMs) / 1000,
        peakRssMiB: r.peakRssMiB ?? 0,
        diskMiB: Math.round((r.diskBytes / 2 ** 20) * 10) / 10,
        vertices: r.vertices,
        edges: r.edges,
      },
      units: {
        events: 'count',
        applied: 'count',
        deadLettered: 'count',
        eventsPerSecond: 'events/s',
        elapsedSeconds: 's',
        peakRssMiB: 'MiB',
        diskMiB: 'MiB',
        vertices: 'count',
        edges: 'count',
      },
      notes: ['peak RSS is the ingest process (VmHWM); disk is the whole data dir (graph, dedupe, dead letters)'],
    },
  };
}
