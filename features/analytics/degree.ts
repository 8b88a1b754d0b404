import { type CsrArrays, nodeCount } from './csr';

/**
 * Degree centrality as graphology-metrics defines it, degree / (n - 1), or the
 * plain neighbour count (what the API serves and writes as the `degree` trait:
 * a segment rule "shares devices with more than 3 people" needs counts).
 * Out-degree on a directed CSR.
 */
export function degreeCsr(csr: CsrArrays, options: { normalized?: boolean } = {}): Float64Array {
  const n = nodeCount(csr);
  const scores = new Float64Array(n);
  const scale = options.normalized === false ? 1 : n > 1 ? 1 / (n - 1) : 1;
  for (let i = 0; i < n; i++) scores[i] = (csr.offsets[i + 1] - csr.offsets[i]) * scale;
  return scores;
}
