import { AnalyticsError } from './analytics-error';
import { type CsrArrays, nodeCount } from './csr';
import { mulberry32 } from './seeded-random';

export interface BetweennessOptions {
  /**
   * Number of source nodes to run Brandes from. Absent or >= n: exact. Fewer:
   * the Brandes–Pich estimate — uniform random pivots, each node's sum scaled
   * by n / samples (unbiased; the error is measured in docs/benchmarks.md).
   */
  readonly samples?: number;
  readonly seed?: number;
  readonly onProgress?: (fraction: number) => void;
}

export interface BetweennessResult {
  /** Normalized as graphology-metrics (and networkx) do: divided by (n-1)(n-2). */
  readonly scores: Float64Array;
  readonly exact: boolean;
  readonly sources: number;
}

/** Unweighted Brandes on a CSR, exact or sampled. O(sources × edges) time, O(n + edges) memory. */
export function betweennessCsr(csr: CsrArrays, options: BetweennessOptions = {}): BetweennessResult {
  const n = nodeCount(csr);
  const { offsets, targets } = csr;
  const samples = options.samples;
  if (samples !== undefined && !(Number.isInteger(samples) && samples > 0)) {
    throw new AnalyticsError('BAD_PARAMETER', `betweenness: samples must be a positive integer, got ${samples}`);
  }
  const exact = samples === undefined || samples >= n;
  let pivots: Int32Array;
  if (exact) {
    pivots = new Int32Array(n);
    for (let i = 0; i < n; i++) pivots[i] = i;
  } else {
    // Partial Fisher–Yates: `samples` distinct sources, reproducible from the seed.
    const rng = mulberry32(options.seed ?? 1);
    const all = new Int32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    for (let i = 0; i < (samples as number); i++) {
      const j = i + Math.floor(rng() * (n - i));
      const t = all[i];
      all[i] = all[j];
      all[j] = t;
    }
    pivots = all.slice(0, samples);
  }

  const centrality = new Float64Array(n);
  const sigma = new Float64Array(n);
  const dist = new Int32Array(n);
  const delta = new Float64Array(n);
  const stack = new Int32Array(n);
  const queue = new Int32Array(n);
  dist.fill(-1);
  const progressEvery = Math.max(1, Math.floor(pivots.length / 100));

  for (let p = 0; p < pivots.length; p++) {
    const s = pivots[p];
    sigma[s] = 1;
    dist[s] = 0;
    let head = 0;
    let tail = 0;
    let top = 0;
    queue[tail++] = s;
    while (head < tail) {
      const v = queue[head++];
      stack[top++] = v;
      const dv = dist[v] + 1;
      for (let j = offsets[v], end = offsets[v + 1]; j < end; j++) {
        const w = targets[j];
        if (dist[w] < 0) {
          dist[w] = dv;
          queue[tail++] = w;
        }
        if (dist[w] === dv) sigma[w] += sigma[v];
      }
    }
    // Dependencies pulled from successors (one step further) in reverse BFS order: needs only out-lists,
    // so the same loop serves directed and undirected CSRs and no predecessor lists are stored.
    for (let i = top - 1; i >= 0; i--) {
      const v = stack[i];
      const dv = dist[v] + 1;
      let sum = 0;
      for (let j = offsets[v], end = offsets[v + 1]; j < end; j++) {
        const w = targets[j];
        if (dist[w] === dv) sum += (sigma[v] / sigma[w]) * (1 + delta[w]);
      }
      delta[v] = sum;
      if (v !== s) centrality[v] += sum;
    }
    // Reset only what this source reached: O(reached), not O(n), per source.
    for (let i = 0; i < top; i++) {
      const v = stack[i];
      dist[v] = -1;
      sigma[v] = 0;
      delta[v] = 0;
    }
    if (p % progressEvery === 0) options.onProgress?.((p + 1) / pivots.length);
  }
  const scale = (exact ? 1 : n / pivots.length) * (n <= 2 ? 1 : 1 / ((n - 1) * (n - 2)));
  for (let i = 0; i < n; i++) centrality[i] *= scale;
  return { scores: centrality, exact, sources: pivots.length };
}
