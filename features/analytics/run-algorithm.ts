import { betweennessCsr } from './betweenness';
import { connectedComponentsCsr } from './connected-components';
import type { CsrArrays } from './csr';
import { degreeCsr } from './degree';
import { louvainCsr } from './louvain';
import { pagerankCsr } from './pagerank';

export const CENTRALITY_KINDS = ['DEGREE', 'PAGERANK', 'BETWEENNESS'] as const;
export type CentralityKind = (typeof CENTRALITY_KINDS)[number];
export const COMMUNITY_KINDS = ['LOUVAIN', 'COMPONENTS'] as const;
export type CommunityKind = (typeof COMMUNITY_KINDS)[number];
export type AlgorithmKind = CentralityKind | CommunityKind;

export function isCentralityKind(kind: AlgorithmKind): kind is CentralityKind {
  return (CENTRALITY_KINDS as readonly string[]).includes(kind);
}

export interface AlgorithmParams {
  /** PageRank damping. */
  readonly alpha?: number;
  /** Betweenness pivots; absent = exact. */
  readonly samples?: number;
  /** Louvain resolution. */
  readonly resolution?: number;
  /** Betweenness sampling and Louvain tie-breaking. */
  readonly seed?: number;
}

export interface AlgorithmRequest {
  readonly kind: AlgorithmKind;
  readonly params?: AlgorithmParams;
}

/** Per-node scores (centralities) or per-node community names (node index of the smallest member). */
export type AlgorithmOutput =
  | { readonly kind: CentralityKind; readonly scores: Float64Array; readonly details: Record<string, number | boolean> }
  | {
      readonly kind: CommunityKind;
      readonly communities: Int32Array;
      readonly details: Record<string, number | boolean>;
    };

/**
 * The one entry point both the request thread (small projections) and the
 * worker thread (large ones) call, so a result does not depend on where it ran.
 */
export function runAlgorithm(
  csr: CsrArrays,
  request: AlgorithmRequest,
  onProgress: (fraction: number) => void = () => {},
): AlgorithmOutput {
  const p = request.params ?? {};
  switch (request.kind) {
    case 'DEGREE':
      return { kind: 'DEGREE', scores: degreeCsr(csr, { normalized: false }), details: {} };
    case 'PAGERANK': {
      const r = pagerankCsr(csr, { alpha: p.alpha, onProgress });
      return { kind: 'PAGERANK', scores: r.scores, details: { iterations: r.iterations, converged: r.converged } };
    }
    case 'BETWEENNESS': {
      const r = betweennessCsr(csr, { samples: p.samples, seed: p.seed, onProgress });
      return { kind: 'BETWEENNESS', scores: r.scores, details: { exact: r.exact, sources: r.sources } };
    }
    case 'LOUVAIN': {
      const r = louvainCsr(csr, { resolution: p.resolution, seed: p.seed });
      return { kind: 'LOUVAIN', communities: r.communities, details: { count: r.count, modularity: r.modularity } };
    }
    case 'COMPONENTS': {
      const communities = connectedComponentsCsr(csr);
      const count = communities.reduce((c, v, i) => (v === i ? c + 1 : c), 0);
      return { kind: 'COMPONENTS', communities, details: { count } };
    }
    default: {
      const never: never = request.kind;
      throw new TypeError(`runAlgorithm: unknown kind ${String(never)}`);
    }
  }
}
