import { type CsrArrays, nodeCount } from './csr';

/**
 * Weakly connected components by BFS over a CSR. Each node gets the smallest
 * node index of its component, so a component's name is its smallest vertex id
 * (ids are ascending in a CSR) and stays the same across runs while its
 * membership does. Directed CSRs are read as undirected by also scanning
 * reverse edges once.
 */
export function connectedComponentsCsr(csr: CsrArrays): Int32Array {
  const n = nodeCount(csr);
  const adjacency = csr.directed ? symmetrize(csr) : csr;
  const { offsets, targets } = adjacency;
  const component = new Int32Array(n).fill(-1);
  const queue = new Int32Array(n);
  for (let root = 0; root < n; root++) {
    if (component[root] >= 0) continue;
    component[root] = root;
    let head = 0;
    let tail = 0;
    queue[tail++] = root;
    while (head < tail) {
      const v = queue[head++];
      for (let j = offsets[v], end = offsets[v + 1]; j < end; j++) {
        const w = targets[j];
        if (component[w] < 0) {
          component[w] = root;
          queue[tail++] = w;
        }
      }
    }
  }
  return component;
}

/** The undirected CSR of a directed one (each out-edge listed from both ends). */
export function symmetrize(csr: CsrArrays): CsrArrays {
  const n = nodeCount(csr);
  const degree = new Int32Array(n + 1);
  for (let v = 0; v < n; v++) {
    for (let j = csr.offsets[v]; j < csr.offsets[v + 1]; j++) {
      degree[v]++;
      degree[csr.targets[j]]++;
    }
  }
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i] + degree[i];
  const targets = new Int32Array(offsets[n]);
  const cursor = offsets.slice(0, n);
  for (let v = 0; v < n; v++) {
    for (let j = csr.offsets[v]; j < csr.offsets[v + 1]; j++) {
      const w = csr.targets[j];
      targets[cursor[v]++] = w;
      targets[cursor[w]++] = v;
    }
  }
  return { directed: false, offsets, targets };
}
