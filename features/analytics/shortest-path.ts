import { AnalyticsError } from './analytics-error';
import { type CsrArrays, nodeCount } from './csr';

/** Reverse adjacency of a directed CSR (undirected CSRs are their own reverse). */
export function transposeCsr(csr: CsrArrays): CsrArrays {
  if (!csr.directed) return csr;
  const n = nodeCount(csr);
  const offsets = new Int32Array(n + 1);
  for (let j = 0; j < csr.targets.length; j++) offsets[csr.targets[j] + 1]++;
  for (let i = 0; i < n; i++) offsets[i + 1] += offsets[i];
  const cursor = offsets.slice(0, n);
  const targets = new Int32Array(csr.targets.length);
  for (let v = 0; v < n; v++) {
    for (let j = csr.offsets[v]; j < csr.offsets[v + 1]; j++) targets[cursor[csr.targets[j]]++] = v;
  }
  return { directed: true, offsets, targets };
}

/**
 * An unweighted shortest path from `source` to `target` of at most `maxDepth`
 * edges, or null. Bidirectional BFS: each round expands the smaller frontier by
 * one level, so a path of length d costs about two searches of depth d/2 —
 * what keeps "how are these two customers connected" cheap when hubs are near.
 * Neighbour lists are ascending, so equal data always gives the same path.
 */
export function shortestPathCsr(
  forward: CsrArrays,
  backward: CsrArrays,
  source: number,
  target: number,
  maxDepth: number,
): number[] | null {
  const n = nodeCount(forward);
  if (!(Number.isInteger(maxDepth) && maxDepth >= 0)) {
    throw new AnalyticsError('BAD_PARAMETER', `shortestPath: maxDepth must be a non-negative integer, got ${maxDepth}`);
  }
  if (source === target) return [source];
  // parent links per side; -1 unseen, -2 the root
  const fromSource = new Int32Array(n).fill(-1);
  const fromTarget = new Int32Array(n).fill(-1);
  fromSource[source] = -2;
  fromTarget[target] = -2;
  let sourceFrontier = [source];
  let targetFrontier = [target];
  let depth = 0;
  while (depth < maxDepth && sourceFrontier.length > 0 && targetFrontier.length > 0) {
    const expandSource = sourceFrontier.length <= targetFrontier.length;
    const adjacency = expandSource ? forward : backward;
    const mine = expandSource ? fromSource : fromTarget;
    const theirs = expandSource ? fromTarget : fromSource;
    const next: number[] = [];
    let meet = -1;
    for (const v of expandSource ? sourceFrontier : targetFrontier) {
      for (let j = adjacency.offsets[v]; j < adjacency.offsets[v + 1]; j++) {
        const w = adjacency.targets[j];
        if (mine[w] !== -1) continue;
        mine[w] = v;
        if (theirs[w] !== -1) {
          meet = w;
          break;
        }
        next.push(w);
      }
      if (meet >= 0) break;
    }
    depth++;
    if (meet >= 0) {
      const path: number[] = [];
      for (let v = meet; v !== -2; v = fromSource[v]) path.push(v);
      path.reverse();
      for (let v = fromTarget[meet]; v !== -2; v = fromTarget[v]) path.push(v);
      return path;
    }
    if (expandSource) sourceFrontier = next;
    else targetFrontier = next;
  }
  return null;
}
