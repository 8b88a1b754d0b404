/** Latency summaries shared by the freshness scenarios: the same percentiles and units everywhere. */

/** The nearest-rank percentile of ascending samples (0 when there are none). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const round = (ms: number) => Math.round(ms * 10) / 10;

export const LATENCY_UNITS = { p50Ms: 'ms', p99Ms: 'ms', maxMs: 'ms', samples: 'count' } as const;

/** p50, p99 and max in ms (0.1 ms resolution) and the sample count; `samples` need not be sorted. */
export function summarizeLatency(samples: readonly number[]): Record<keyof typeof LATENCY_UNITS, number> {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted[sorted.length - 1] ?? 0),
    samples: sorted.length,
  };
}
