/**
 * Analytics benchmark: PageRank, Louvain, shared-neighbour similarity and
 * sampled betweenness on a synthetic customer–product bipartite graph built in
 * memory (not through a store: this measures the algorithms, not the reads).
 * graphology (its standard library) against the typed-array CSR loops of
 * services/analytics where we wrote one.
 *
 *   NODE_OPTIONS=--max-old-space-size=16000 npx tsx scripts/bench/analytics-bench.ts \
 *     --sizes 100000,1000000 [--queries 200] [--betweenness-nodes 5000]
 */
import { performance } from 'node:perf_hooks';
import { UndirectedGraph } from 'graphology';
import louvain from 'graphology-communities-louvain';
import { centrality } from 'graphology-library/metrics';
import {
  betweennessCsr,
  type CsrArrays,
  csrFromEdgeList,
  louvainCsr,
  mulberry32,
  pagerankCsr,
  similarCsr,
  similarGraphology,
} from '../../features/analytics';
import type { ScenarioResult } from './bench-result';

export interface AnalyticsBenchOptions {
  /** Total node counts (customers + products) to run at (default 100k and 1M). */
  readonly sizes?: readonly number[];
  /** "Customers like this" queries timed per size (default 200). */
  readonly similarityQueries?: number;
  /** Nodes of the graph on which sampled betweenness is compared with exact (default 5,000; 0 skips). */
  readonly betweennessNodes?: number;
  readonly seed?: number;
  readonly log?: (line: string) => void;
}

interface Bipartite {
  readonly customers: number;
  readonly products: number;
  readonly sources: Int32Array;
  readonly targets: Int32Array;
  readonly edges: number;
}

/**
 * Customers buy a heavy-tailed number of distinct products (1 + geometric,
 * mean ≈ 5, a few buy dozens); products are picked by Zipf(1.1) popularity, so
 * a few bestsellers have tens of thousands of buyers — the hubs that make
 * two-hop similarity expensive. One product per ten customers.
 */
export function syntheticBipartite(nodes: number, seed: number): Bipartite {
  const rng = mulberry32(seed);
  const products = Math.max(10, Math.round(nodes / 11));
  const customers = nodes - products;
  const cumulative = new Float64Array(products);
  let total = 0;
  for (let p = 0; p < products; p++) {
    total += 1 / (p + 1) ** 1.1;
    cumulative[p] = total;
  }
  const pick = () => {
    const x = rng() * total;
    let lo = 0;
    let hi = products - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  let capacity = customers * 6;
  let sources = new Int32Array(capacity);
  let targets = new Int32Array(capacity);
  let edges = 0;
  const mine = new Set<number>();
  for (let c = 0; c < customers; c++) {
    let degree = 1;
    while (rng() < 0.8 && degree < 200) degree++;
    mine.clear();
    for (let k = 0; k < degree * 3 && mine.size < degree; k++) mine.add(pick());
    for (const p of mine) {
      if (edges === capacity) {
        capacity *= 2;
        const s = new Int32Array(capacity);
        s.set(sources);
        sources = s;
        const t = new Int32Array(capacity);
        t.set(targets);
        targets = t;
      }
      sources[edges] = c;
      targets[edges] = customers + p;
      edges++;
    }
  }
  return { customers, products, sources, targets, edges };
}

function time<T>(work: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = work();
  return { value, ms: Math.round((performance.now() - start) * 10) / 10 };
}

function toGraphology(g: Bipartite): UndirectedGraph {
  const graph = new UndirectedGraph();
  const n = g.customers + g.products;
  for (let i = 0; i < n; i++) graph.addNode(i);
  for (let e = 0; e < g.edges; e++) graph.addUndirectedEdge(g.sources[e], g.targets[e]);
  return graph;
}

function heapMiB(): number {
  return Math.round(process.memoryUsage().heapUsed / 2 ** 20);
}

function sizeScenario(nodes: number, options: AnalyticsBenchOptions): ScenarioResult {
  const log = options.log ?? (() => {});
  const seed = options.seed ?? 360;
  const queries = options.similarityQueries ?? 200;
  const g = syntheticBipartite(nodes, seed);
  log(`${nodes} nodes: ${g.customers} customers, ${g.products} products, ${g.edges} edges`);

  const csrBuild = time(() => csrFromEdgeList(g.customers + g.products, g.sources, g.targets, g.edges, false));
  const csr: CsrArrays = csrBuild.value;
  const graphBuild = time(() => toGraphology(g));
  const graph = graphBuild.value;
  log(`  build: csr ${csrBuild.ms} ms, graphology ${graphBuild.ms} ms (heap ${heapMiB()} MiB)`);

  const prCsr = time(() => pagerankCsr(csr));
  const prGraphology = time(() => centrality.pagerank(graph, { getEdgeWeight: null }));
  // Both implement the same iteration: the scores must agree before the times mean anything.
  let maxDiff = 0;
  for (let i = 0; i < csr.offsets.length - 1; i += 997) {
    maxDiff = Math.max(maxDiff, Math.abs(prCsr.value.scores[i] - prGraphology.value[String(i)]));
  }
  log(
    `  pagerank: csr ${prCsr.ms} ms (${prCsr.value.iterations} it), graphology ${prGraphology.ms} ms, max |Δ| ${maxDiff.toExponential(1)}`,
  );

  const louvainGraphology = time(() => louvain.detailed(graph, { rng: mulberry32(seed), getEdgeWeight: null }));
  const louvainFromCsr = time(() => louvainCsr(csr, { seed }));
  log(
    `  louvain: graphology ${louvainGraphology.ms} ms (${louvainGraphology.value.count} communities, Q=${louvainGraphology.value.modularity.toFixed(3)}), from csr incl. graph build ${louvainFromCsr.ms} ms`,
  );

  const rng = mulberry32(seed + 1);
  const picks = Array.from({ length: queries }, () => Math.floor(rng() * g.customers));
  const simCsr = time(() => {
    for (const c of picks) similarCsr(csr, c, { first: 10 });
  });
  const simGraphology = time(() => {
    for (const c of picks) similarGraphology(graph, String(c), { first: 10 });
  });
  log(`  similarity (${queries} top-10 Jaccard queries): csr ${simCsr.ms} ms, graphology ${simGraphology.ms} ms`);

  return {
    name: 'analytics',
    store: 'embedded',
    params: { nodes, customers: g.customers, products: g.products, edges: g.edges, similarityQueries: queries },
    metrics: {
      csrBuildMs: csrBuild.ms,
      graphologyBuildMs: graphBuild.ms,
      pagerankCsrMs: prCsr.ms,
      pagerankGraphologyMs: prGraphology.ms,
      pagerankIterations: prCsr.value.iterations,
      pagerankMaxAbsDiff: maxDiff,
      louvainGraphologyMs: louvainGraphology.ms,
      louvainCommunities: louvainGraphology.value.count,
      louvainModularity: Math.round(louvainGraphology.value.modularity * 1000) / 1000,
      similarityCsrMsPerQuery: Math.round((simCsr.ms / queries) * 100) / 100,
      similarityGraphologyMsPerQuery: Math.round((simGraphology.ms / queries) * 100) / 100,
      heapUsedMiB: heapMiB(),
    },
    units: {
      csrBuildMs: 'ms',
      graphologyBuildMs: 'ms',
      pagerankCsrMs: 'ms',
      pagerankGraphologyMs: 'ms',
      pagerankIterations: 'count',
      pagerankMaxAbsDiff: 'score',
      louvainGraphologyMs: 'ms',
      louvainCommunities: 'count',
      louvainModularity: 'Q',
      similarityCsrMsPerQuery: 'ms',
      similarityGraphologyMsPerQuery: 'ms',
      heapUsedMiB: 'MiB',
    },
    notes: ['in-memory synthetic customer–product graph; no store reads'],
  };
}

/** Exact vs sampled betweenness on a mid-size graph: time and the error of the estimate. */
function betweennessScenario(nodes: number, options: AnalyticsBenchOptions): ScenarioResult {
  const log = options.log ?? (() => {});
  const g = syntheticBipartite(nodes, options.seed ?? 360);
  const csr = csrFromEdgeList(g.customers + g.products, g.sources, g.targets, g.edges, false);
  const exact = time(() => betweennessCsr(csr));
  const graph = toGraphology(g);
  const graphologyExact = time(() => centrality.betweenness(graph, { getEdgeWeight: null }));
  const n = g.customers + g.products;
  const order = [...Array(n).keys()].sort((a, b) => exact.value.scores[b] - exact.value.scores[a]);
  const top = order.slice(0, 100);
  const metrics: Record<string, number> = {
    exactCsrMs: exact.ms,
    exactGraphologyMs: graphologyExact.ms,
  };
  const units: Record<string, string> = { exactCsrMs: 'ms', exactGraphologyMs: 'ms' };
  for (const samples of [64, 256, 1024]) {
    const est = time(() => betweennessCsr(csr, { samples, seed: 7 }));
    const rel = top.map((i) => Math.abs(est.value.scores[i] - exact.value.scores[i]) / exact.value.scores[i]);
    const meanRel = rel.reduce((a, b) => a + b, 0) / rel.length;
    const estTop = new Set([...Array(n).keys()].sort((a, b) => est.value.scores[b] - est.value.scores[a]).slice(0, 10));
    const overlap = order.slice(0, 10).filter((i) => estTop.has(i)).length;
    metrics[`sampled${samples}Ms`] = est.ms;
    metrics[`sampled${samples}MeanRelErrTop100`] = Math.round(meanRel * 1000) / 1000;
    metrics[`sampled${samples}Top10Overlap`] = overlap;
    units[`sampled${samples}Ms`] = 'ms';
    units[`sampled${samples}MeanRelErrTop100`] = 'ratio';
    units[`sampled${samples}Top10Overlap`] = 'of 10';
    log(
      `  betweenness k=${samples}: ${est.ms} ms, mean rel. error (top 100) ${meanRel.toFixed(3)}, top-10 overlap ${overlap}/10`,
    );
  }
  log(`  betweenness exact on ${n} nodes: csr ${exact.ms} ms, graphology ${graphologyExact.ms} ms`);
  return {
    name: 'analytics-betweenness',
    store: 'embedded',
    params: { nodes: n, edges: g.edges },
    metrics,
    units,
    notes: ['sampled = Brandes from k uniform random sources, scaled by n/k (seed 7)'],
  };
}

/** The scenario `c360 bench` runs: one result per size, plus the betweenness sampling error. */
export function analyticsBenchScenario(options: AnalyticsBenchOptions = {}): ScenarioResult[] {
  const results = (options.sizes ?? [100_000, 1_000_000]).map((n) => sizeScenario(n, options));
  const b = options.betweennessNodes ?? 5_000;
  if (b > 0) results.push(betweennessScenario(b, options));
  return results;
}

if (require.main === module) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const sizes = arg('--sizes')?.split(',').map(Number);
  const queries = arg('--queries');
  const results = analyticsBenchScenario({
    sizes,
    similarityQueries: queries === undefined ? undefined : Number(queries),
    betweennessNodes: arg('--betweenness-nodes') === undefined ? undefined : Number(arg('--betweenness-nodes')),
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}
