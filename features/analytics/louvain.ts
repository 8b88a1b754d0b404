import { UndirectedGraph } from 'graphology';
import louvain from 'graphology-communities-louvain';
import { symmetrize } from './connected-components';
import { type CsrArrays, nodeCount } from './csr';
import { mulberry32 } from './seeded-random';

export interface LouvainOptions {
  /** Modularity resolution (default 1; higher finds smaller communities). */
  readonly resolution?: number;
  readonly seed?: number;
}

export interface LouvainResult {
  /** Each node's community, named by its smallest member's node index (stable across runs). */
  readonly communities: Int32Array;
  readonly count: number;
  readonly modularity: number;
}

/**
 * Louvain through graphology-communities-louvain (already index-based and
 * fast; see docs/benchmarks.md), fed from a CSR in ascending node order with a
 * seeded RNG so that equal data gives equal communities. Communities are
 * renamed to their smallest member so that names survive re-runs.
 */
export function louvainCsr(csr: CsrArrays, options: LouvainOptions = {}): LouvainResult {
  const n = nodeCount(csr);
  const adjacency = csr.directed ? symmetrize(csr) : csr;
  const graph = new UndirectedGraph();
  for (let i = 0; i < n; i++) graph.addNode(i);
  const { offsets, targets } = adjacency;
  for (let v = 0; v < n; v++) {
    for (let j = offsets[v]; j < offsets[v + 1]; j++) {
      const w = targets[j];
      if (v < w) graph.addUndirectedEdge(v, w);
    }
  }
  const communities = new Int32Array(n);
  if (graph.size === 0) {
    for (let i = 0; i < n; i++) communities[i] = i;
    return { communities, count: n, modularity: 0 };
  }
  const detailed = louvain.detailed(graph, {
    resolution: options.resolution ?? 1,
    rng: mulberry32(options.seed ?? 1),
    getEdgeWeight: null,
  });
  const smallest = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const c = detailed.communities[i];
    if (!smallest.has(c)) smallest.set(c, i); // nodes visited ascending: the first seen is the smallest
    communities[i] = smallest.get(c) as number;
  }
  return { communities, count: smallest.size, modularity: detailed.modularity };
}
