import { AnalyticsError } from './analytics-error';
import { type CsrArrays, nodeCount } from './csr';

export interface PagerankOptions {
  /** Damping factor (default 0.85). */
  readonly alpha?: number;
  readonly maxIterations?: number;
  /** Stop when the L1 change per node falls below this (default 1e-6, as graphology). */
  readonly tolerance?: number;
  readonly onProgress?: (fraction: number) => void;
}

export interface PagerankResult {
  readonly scores: Float64Array;
  readonly iterations: number;
  readonly converged: boolean;
}

/**
 * Power-iteration PageRank on a CSR, the same model as graphology-metrics'
 * pagerank (uniform teleport, dangling mass spread uniformly, L1 stopping rule)
 * so the two agree to the tolerance; it reports progress per iteration and
 * returns instead of throwing when it does not converge.
 */
export function pagerankCsr(csr: CsrArrays, options: PagerankOptions = {}): PagerankResult {
  const alpha = options.alpha ?? 0.85;
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-6;
  if (!(alpha > 0 && alpha < 1))
    throw new AnalyticsError('BAD_PARAMETER', `pagerank: alpha must be in (0, 1), got ${alpha}`);
  const n = nodeCount(csr);
  const { offsets, targets } = csr;
  let x = new Float64Array(n);
  let next = new Float64Array(n);
  if (n === 0) return { scores: x, iterations: 0, converged: true };
  const p = 1 / n;
  x.fill(p);
  const invDegree = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = offsets[i + 1] - offsets[i];
    invDegree[i] = d === 0 ? 0 : 1 / d;
  }
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    let dangling = 0;
    for (let i = 0; i < n; i++) if (invDegree[i] === 0) dangling += x[i];
    const base = alpha * dangling * p + (1 - alpha) * p;
    next.fill(base);
    for (let i = 0; i < n; i++) {
      const share = alpha * x[i] * invDegree[i];
      if (share === 0) continue;
      for (let j = offsets[i], end = offsets[i + 1]; j < end; j++) next[targets[j]] += share;
    }
    let error = 0;
    for (let i = 0; i < n; i++) error += Math.abs(next[i] - x[i]);
    const swap = x;
    x = next;
    next = swap;
    iterations++;
    options.onProgress?.(iterations / maxIterations);
    if (error < n * tolerance) {
      converged = true;
      break;
    }
  }
  return { scores: x, iterations, converged };
}
