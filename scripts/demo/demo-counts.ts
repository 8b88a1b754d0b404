/** Counting what the demo produced, for `c360 demo` to print and for benchmarks to report. */
import type { SourceKind } from '../../ingest/hub-event';
import type { DemoMessage } from './generate-demo';

export interface DemoCounts {
  total: number;
  bySource: Record<SourceKind, number>;
  /** `segment.track`, `cdc.orders.c`, `cdc.addresses.tombstone`, `telemetry.router`, … */
  byKind: Record<string, number>;
}

export function createDemoCounts(): DemoCounts {
  return { total: 0, bySource: { segment: 0, cdc: 0, telemetry: 0 }, byKind: {} };
}

export function countDemoMessage(counts: DemoCounts, message: DemoMessage): void {
  counts.total++;
  counts.bySource[message.source]++;
  counts.byKind[message.kind] = (counts.byKind[message.kind] ?? 0) + 1;
}

export interface DemoSummary {
  readonly customers: number;
  readonly seed: number;
  readonly days: number;
  readonly counts: DemoCounts;
  readonly elapsedMs?: number;
}

const SOURCE_LABELS: Readonly<Record<SourceKind, string>> = {
  segment: 'clickstream (Segment)',
  cdc: 'CRM changes (Debezium)',
  telemetry: 'device telemetry',
};

/** A few lines for humans: totals per source, then the kinds inside each source, largest first. */
export function describeDemo(summary: DemoSummary): string {
  const { counts } = summary;
  const lines = [
    `demo: ${summary.customers} customers, ${summary.days} days, seed ${summary.seed} → ${counts.total} messages` +
      (summary.elapsedMs === undefined
        ? ''
        : ` in ${(summary.elapsedMs / 1000).toFixed(1)} s (${Math.round(counts.total / Math.max(summary.elapsedMs / 1000, 0.001))}/s)`),
  ];
  for (const source of ['cdc', 'segment', 'telemetry'] as const) {
    lines.push(`  ${SOURCE_LABELS[source].padEnd(24)} ${String(counts.bySource[source]).padStart(10)}`);
    const kinds = Object.entries(counts.byKind)
      .filter(([kind]) => kind.startsWith(`${source}.`))
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    for (const [kind, n] of kinds)
      lines.push(`    ${kind.slice(source.length + 1).padEnd(22)} ${String(n).padStart(10)}`);
  }
  return lines.join('\n');
}
