import type { VertexLabel } from '../../graph-schema';
import type { ProjectionGraph } from './projection-graph';

/**
 * Compressed sparse row adjacency: the neighbours of node i are
 * `targets[offsets[i] .. offsets[i+1])`, ascending. Undirected graphs list
 * every edge from both ends; directed ones list out-edges. The arrays live in
 * SharedArrayBuffers so a worker thread reads them without a copy.
 */
export interface CsrArrays {
  readonly directed: boolean;
  readonly offsets: Int32Array;
  readonly targets: Int32Array;
}

/** A CSR with the vertex ids it stands for; node i is `ids[i]`, ids ascending. */
export interface Csr extends CsrArrays {
  readonly ids: readonly string[];
  readonly labels: readonly VertexLabel[];
  readonly index: ReadonlyMap<string, number>;
}

export function nodeCount(csr: CsrArrays): number {
  return csr.offsets.length - 1;
}

function sharedInt32(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(Math.max(1, length) * Int32Array.BYTES_PER_ELEMENT), 0, length);
}

/**
 * Builds a CSR from an edge list (counting sort: two passes, no per-node
 * arrays), each neighbour list sorted so every algorithm visits nodes in the
 * same order whichever way the edges arrived.
 */
export function csrFromEdgeList(
  n: number,
  sources: Int32Array,
  targets: Int32Array,
  edgeCount: number,
  directed: boolean,
): CsrArrays {
  const degree = new Int32Array(n + 1);
  for (let e = 0; e < edgeCount; e++) {
    degree[sources[e]]++;
    if (!directed) degree[targets[e]]++;
  }
  const offsets = sharedInt32(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i] + degree[i];
  const out = sharedInt32(offsets[n]);
  const cursor = degree; // reused as the write position of each node
  for (let i = 0; i < n; i++) cursor[i] = offsets[i];
  for (let e = 0; e < edgeCount; e++) {
    const s = sources[e];
    const t = targets[e];
    out[cursor[s]++] = t;
    if (!directed) out[cursor[t]++] = s;
  }
  for (let i = 0; i < n; i++) out.subarray(offsets[i], offsets[i + 1]).sort();
  return { directed, offsets, targets: out };
}

/** The CSR of a projection; nodes numbered in ascending id order, so results do not depend on load order. */
export function toCsr(graph: ProjectionGraph): Csr {
  const ids = graph.nodes().sort();
  const index = new Map<string, number>();
  ids.forEach((id, i) => {
    index.set(id, i);
  });
  const labels = ids.map((id) => graph.getNodeAttribute(id, 'label'));
  const m = graph.size;
  const sources = new Int32Array(m);
  const targets = new Int32Array(m);
  let e = 0;
  graph.forEachEdge((_edge, _attrs, source, target) => {
    sources[e] = index.get(source) as number;
    targets[e] = index.get(target) as number;
    e++;
  });
  const arrays = csrFromEdgeList(ids.length, sources, targets, m, graph.type === 'directed');
  return { ...arrays, ids, labels, index };
}
