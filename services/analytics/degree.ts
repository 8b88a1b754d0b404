import { type CsrArrays, nodeCount } from './csr';

/** Degree centrality as graphology-metrics defines it: degree / (n - 1). Out-degree on a directed CSR. */
export function degreeCsr(csr: CsrArrays): Float64Array {
  const n = nodeCount(csr);
  const scores = new Float64Array(n);
  const scale = n > 1 ? 1 / (n - 1) : 1;
  for (let i = 0; i < n; i++) scores[i] = (csr.offsets[i + 1] - csr.offsets[i]) * scale;
  return scores;
}
