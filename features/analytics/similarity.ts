import type Graph from 'graphology';
import { AnalyticsError } from './analytics-error';
import { type CsrArrays, nodeCount } from './csr';

export const SIMILARITY_MEASURES = ['JACCARD', 'OVERLAP', 'ADAMIC_ADAR'] as const;
export type SimilarityMeasure = (typeof SIMILARITY_MEASURES)[number];

export interface SimilarOptions {
  readonly measure?: SimilarityMeasure;
  readonly first: number;
}

export interface SimilarNode {
  /** Node index (CSR) or node key (graphology). */
  readonly node: number;
  readonly score: number;
  /** Neighbours the two share. */
  readonly shared: number;
}

/**
 * Scores of two nodes with neighbour sets A and B that share `shared`:
 * Jaccard |A∩B|/|A∪B|, overlap |A∩B|/min(|A|,|B|), and Adamic–Adar
 * Σ 1/ln(deg z) over shared z (a rare shared product says more than a bestseller).
 */
function score(measure: SimilarityMeasure, shared: number, degA: number, degB: number, adamicAdar: number): number {
  switch (measure) {
    case 'JACCARD':
      return shared / (degA + degB - shared);
    case 'OVERLAP':
      return shared / Math.min(degA, degB);
    case 'ADAMIC_ADAR':
      return adamicAdar;
    default: {
      const never: never = measure;
      throw new TypeError(`similarity: unknown measure ${String(never)}`);
    }
  }
}

function byScoreThenNode<T extends { score: number; shared: number }>(key: (x: T) => number | string) {
  return (a: T, b: T) => b.score - a.score || b.shared - a.shared || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
}

/**
 * The `first` nodes most similar to `node` by shared neighbours — on a
 * bipartite graph (customers–products, orders–products) the nodes of the same
 * side. The hot loop walks two hops on typed arrays with one counter array and
 * a touched list, so a query costs the size of its two-hop neighbourhood, not n.
 */
export function similarCsr(csr: CsrArrays, node: number, options: SimilarOptions): SimilarNode[] {
  const measure = options.measure ?? 'JACCARD';
  const n = nodeCount(csr);
  if (node < 0 || node >= n) throw new AnalyticsError('UNKNOWN_VERTEX', `similarity: node ${node} out of range`);
  const { offsets, targets } = csr;
  const scratch = scratchFor(csr, n);
  const shared = scratch.shared;
  const aa = measure === 'ADAMIC_ADAR' ? scratch.aa : null;
  const touched: number[] = [];
  for (let j = offsets[node]; j < offsets[node + 1]; j++) {
    const item = targets[j];
    const itemDegree = offsets[item + 1] - offsets[item];
    const weight = itemDegree > 1 ? 1 / Math.log(itemDegree) : 0;
    for (let k = offsets[item]; k < offsets[item + 1]; k++) {
      const other = targets[k];
      if (other === node) continue;
      if (shared[other] === 0) touched.push(other);
      shared[other]++;
      if (aa) aa[other] += weight;
    }
  }
  const degA = offsets[node + 1] - offsets[node];
  const out = touched.map((other) => ({
    node: other,
    shared: shared[other],
    score: score(measure, shared[other], degA, offsets[other + 1] - offsets[other], aa ? aa[other] : 0),
  }));
  for (const other of touched) {
    shared[other] = 0;
    scratch.aa[other] = 0;
  }
  return out.sort(byScoreThenNode((x) => x.node)).slice(0, options.first);
}

interface Scratch {
  readonly shared: Int32Array;
  readonly aa: Float64Array;
}
/** Counters reused across queries on the same CSR (zeroed through the touched list), so a query allocates O(result). */
const scratches = new WeakMap<CsrArrays, Scratch>();
function scratchFor(csr: CsrArrays, n: number): Scratch {
  let s = scratches.get(csr);
  if (!s) {
    s = { shared: new Int32Array(n), aa: new Float64Array(n) };
    scratches.set(csr, s);
  }
  return s;
}

/** The same question answered with graphology's API (Maps, string keys): the baseline the benchmark compares. */
export function similarGraphology(
  graph: Graph,
  node: string,
  options: SimilarOptions,
): { node: string; score: number; shared: number }[] {
  const measure = options.measure ?? 'JACCARD';
  const shared = new Map<string, number>();
  const aa = new Map<string, number>();
  graph.forEachNeighbor(node, (item) => {
    const d = graph.degree(item);
    const weight = d > 1 ? 1 / Math.log(d) : 0;
    graph.forEachNeighbor(item, (other) => {
      if (other === node) return;
      shared.set(other, (shared.get(other) ?? 0) + 1);
      aa.set(other, (aa.get(other) ?? 0) + weight);
    });
  });
  const degA = graph.degree(node);
  const out = [...shared].map(([other, s]) => ({
    node: other,
    shared: s,
    score: score(measure, s, degA, graph.degree(other), aa.get(other) ?? 0),
  }));
  return out.sort(byScoreThenNode((x) => x.node)).slice(0, options.first);
}
