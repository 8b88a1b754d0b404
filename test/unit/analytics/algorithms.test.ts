import type Graph from 'graphology';
import { centrality } from 'graphology-library/metrics';
import {
  addProjectedEdge,
  betweennessCsr,
  connectedComponentsCsr,
  createProjectionGraph,
  degreeCsr,
  louvainCsr,
  mulberry32,
  type ProjectionGraph,
  pagerankCsr,
  runAlgorithm,
  shortestPathCsr,
  similarCsr,
  similarGraphology,
  toCsr,
  transposeCsr,
} from '../../../features/analytics';

/** A projection of Customer vertices named c<i> joined by the given pairs. */
function graphOf(pairs: readonly [string, string][], orientation: 'undirected' | 'directed' = 'undirected') {
  const g = createProjectionGraph(orientation);
  for (const [a, b] of pairs) {
    g.mergeNode(`Customer:${a}`, { label: 'Customer' });
    g.mergeNode(`Customer:${b}`, { label: 'Customer' });
    addProjectedEdge(g, `Customer:${a}`, `Customer:${b}`, 'USES_DEVICE');
  }
  return g;
}

function scoresById(g: ProjectionGraph, scores: Float64Array | Int32Array): Record<string, number> {
  const csr = toCsr(g);
  return Object.fromEntries(csr.ids.map((id, i) => [id.slice('Customer:'.length), scores[i]]));
}

function randomGraph(n: number, m: number, seed: number): ProjectionGraph {
  const rng = mulberry32(seed);
  const pairs: [string, string][] = [];
  for (let i = 0; i < n; i++) pairs.push([`n${i}`, `n${(i + 1) % n}`]);
  for (let e = 0; e < m; e++) pairs.push([`n${Math.floor(rng() * n)}`, `n${Math.floor(rng() * n)}`]);
  return graphOf(pairs);
}

const path5 = graphOf([
  ['a', 'b'],
  ['b', 'c'],
  ['c', 'd'],
  ['d', 'e'],
]);
const star = graphOf([
  ['hub', 'l1'],
  ['hub', 'l2'],
  ['hub', 'l3'],
  ['hub', 'l4'],
]);

describe('centrality', () => {
  test('degree counts neighbours over n - 1, as graphology-metrics defines it', () => {
    const s = scoresById(star, degreeCsr(toCsr(star)));
    expect(s).toEqual({ hub: 1, l1: 0.25, l2: 0.25, l3: 0.25, l4: 0.25 });
  });

  test('PageRank of a cycle is uniform, and of a star puts the hub first with the closed-form value', () => {
    const cycle = graphOf([
      ['a', 'b'],
      ['b', 'c'],
      ['c', 'd'],
      ['d', 'a'],
    ]);
    for (const v of pagerankCsr(toCsr(cycle)).scores) expect(v).toBeCloseTo(0.25, 9);
    // Undirected star with k leaves: hub = (1-α)/n + α·k·leaf, leaf = (1-α)/n + α·hub/k  ⇒  closed form below.
    const a = 0.85;
    const n = 5;
    const k = 4;
    const hub = (((1 - a) / n) * (1 + a * k)) / (1 - a * a);
    const s = scoresById(star, pagerankCsr(toCsr(star), { tolerance: 1e-12, maxIterations: 1000 }).scores);
    expect(s.hub).toBeCloseTo(hub, 9);
    expect(s.l1).toBeCloseTo((1 - hub) / k, 9);
  });

  test('PageRank agrees with graphology-metrics on a random graph, directed and undirected', () => {
    for (const orientation of ['undirected', 'directed'] as const) {
      const g = randomGraph(300, 900, 7);
      const view = orientation === 'directed' ? directedCopy(g) : g;
      const ours = scoresById(view, pagerankCsr(toCsr(view)).scores);
      const theirs = centrality.pagerank(view as unknown as Graph, { getEdgeWeight: null });
      for (const [id, v] of Object.entries(theirs)) expect(ours[id.slice('Customer:'.length)]).toBeCloseTo(v, 6);
    }
  });

  test('betweenness of a path and a star matches the hand count, normalized by (n-1)(n-2)', () => {
    const p = scoresById(path5, betweennessCsr(toCsr(path5)).scores);
    // b lies on a–c, a–d, a–e (3 pairs), c on 4 pairs; undirected normalization is 2·B/((n-1)(n-2)).
    expect(p.a).toBe(0);
    expect(p.b).toBeCloseTo((2 * 3) / 12, 12);
    expect(p.c).toBeCloseTo((2 * 4) / 12, 12);
    expect(p.d).toBeCloseTo((2 * 3) / 12, 12);
    const s = scoresById(star, betweennessCsr(toCsr(star)).scores);
    expect(s.hub).toBeCloseTo(1, 12);
    expect(s.l1).toBe(0);
  });

  test('exact betweenness equals graphology-metrics, and sampling every node is exact', () => {
    const g = randomGraph(200, 300, 11);
    const csr = toCsr(g);
    const ours = betweennessCsr(csr);
    const theirs = centrality.betweenness(g as unknown as Graph, { getEdgeWeight: null });
    csr.ids.forEach((id, i) => {
      expect(ours.scores[i]).toBeCloseTo(theirs[id], 9);
    });
    const all = betweennessCsr(csr, { samples: csr.ids.length });
    expect(all.exact).toBe(true);
    expect([...all.scores]).toEqual([...ours.scores]);
  });

  test('sampled betweenness is reproducible from its seed and keeps the top node of a clear hub', () => {
    const g = randomGraph(400, 200, 3);
    // A hub joined to every 4th node dominates every shortest path.
    for (let i = 0; i < 400; i += 4) addProjectedEdge(g, 'Customer:n0', `Customer:n${i}`, 'USES_DEVICE');
    const csr = toCsr(g);
    const a = betweennessCsr(csr, { samples: 64, seed: 9 });
    const b = betweennessCsr(csr, { samples: 64, seed: 9 });
    expect(a.exact).toBe(false);
    expect([...a.scores]).toEqual([...b.scores]);
    const top = (s: Float64Array) => s.indexOf(Math.max(...s));
    expect(csr.ids[top(a.scores)]).toBe('Customer:n0');
    expect(top(a.scores)).toBe(top(betweennessCsr(csr).scores));
  });
});

function directedCopy(g: ProjectionGraph): ProjectionGraph {
  const d = createProjectionGraph('directed');
  g.forEachNode((n, a) => {
    d.addNode(n, a);
  });
  g.forEachEdge((_e, a, s, t) => {
    addProjectedEdge(d, s, t, a.labels[0]);
  });
  return d;
}

describe('communities', () => {
  const clique = (p: string) => {
    const pairs: [string, string][] = [];
    for (let i = 0; i < 5; i++) for (let j = i + 1; j < 5; j++) pairs.push([`${p}${i}`, `${p}${j}`]);
    return pairs;
  };

  test('Louvain splits two 5-cliques joined by one bridge into the two cliques, named by their smallest member', () => {
    const g = graphOf([...clique('a'), ...clique('b'), ['a4', 'b0']]);
    const r = louvainCsr(toCsr(g), { seed: 1 });
    const s = scoresById(g, r.communities);
    const csr = toCsr(g);
    const name = (x: string) => csr.ids[s[x]];
    expect(r.count).toBe(2);
    for (let i = 0; i < 5; i++) {
      expect(name(`a${i}`)).toBe('Customer:a0');
      expect(name(`b${i}`)).toBe('Customer:b0');
    }
    // Modularity of this split: 2·(20/42 − (21/42)²) ≈ 0.452.
    expect(r.modularity).toBeCloseTo(2 * (20 / 42 - (21 / 42) ** 2), 6);
  });

  test('connected components name each component by its smallest id, directed edges read both ways', () => {
    const g = graphOf(
      [
        ['b', 'a'],
        ['c', 'b'],
        ['x', 'y'],
        ['q', 'p'],
      ],
      'directed',
    );
    const csr = toCsr(g);
    const s = scoresById(g, connectedComponentsCsr(csr));
    const name = (x: string) => csr.ids[s[x]];
    expect([name('a'), name('b'), name('c')]).toEqual(['Customer:a', 'Customer:a', 'Customer:a']);
    expect([name('x'), name('y')]).toEqual(['Customer:x', 'Customer:x']);
    expect([name('p'), name('q')]).toEqual(['Customer:p', 'Customer:p']);
    expect(runAlgorithm(csr, { kind: 'COMPONENTS' }).details).toEqual({ count: 3 });
  });
});

describe('shortest paths', () => {
  const grid = () => {
    const pairs: [string, string][] = [];
    for (let r = 0; r < 5; r++) {
      for (let c = 0; c < 5; c++) {
        if (c < 4) pairs.push([`g${r}${c}`, `g${r}${c + 1}`]);
        if (r < 4) pairs.push([`g${r}${c}`, `g${r + 1}${c}`]);
      }
    }
    return graphOf(pairs);
  };

  test('corner to corner of a 5×5 grid is 8 steps; a bound of 7 finds nothing', () => {
    const csr = toCsr(grid());
    const s = csr.index.get('Customer:g00') as number;
    const t = csr.index.get('Customer:g44') as number;
    const path = shortestPathCsr(csr, csr, s, t, 10) as number[];
    expect(path).toHaveLength(9);
    expect(path[0]).toBe(s);
    expect(path[8]).toBe(t);
    // Every step moves to a grid neighbour (one coordinate changes by one).
    for (let i = 0; i + 1 < path.length; i++) {
      const [a, b] = [csr.ids[path[i]].slice(-2), csr.ids[path[i + 1]].slice(-2)];
      expect(Math.abs(+a[0] - +b[0]) + Math.abs(+a[1] - +b[1])).toBe(1);
    }
    expect(shortestPathCsr(csr, csr, s, t, 8)).toHaveLength(9);
    expect(shortestPathCsr(csr, csr, s, t, 7)).toBeNull();
    expect(shortestPathCsr(csr, csr, s, s, 0)).toEqual([s]);
  });

  test('a directed projection follows edge direction only', () => {
    const csr = toCsr(
      graphOf(
        [
          ['a', 'b'],
          ['b', 'c'],
        ],
        'directed',
      ),
    );
    const [a, , c] = [0, 1, 2];
    expect(shortestPathCsr(csr, transposeCsr(csr), a, c, 5)).toEqual([0, 1, 2]);
    expect(shortestPathCsr(csr, transposeCsr(csr), c, a, 5)).toBeNull();
  });
});

describe('similarity', () => {
  // Customers and the products they bought: A={p1,p2,p3}, B={p2,p3,p4}, C={p1}, D={p5}.
  const bought: Record<string, string[]> = { A: ['p1', 'p2', 'p3'], B: ['p2', 'p3', 'p4'], C: ['p1'], D: ['p5'] };
  const g = graphOf(Object.entries(bought).flatMap(([c, ps]) => ps.map((p): [string, string] => [c, p])));
  const csr = toCsr(g);
  const id = (x: string) => csr.index.get(`Customer:${x}`) as number;
  const named = (r: { node: number; score: number; shared: number }[]) =>
    r.map((x) => [csr.ids[x.node].slice('Customer:'.length), x.score, x.shared]);

  test('Jaccard, overlap and Adamic–Adar on explicit sets', () => {
    // J(A,B) = |{p2,p3}| / |{p1..p4}| = 2/4; J(A,C) = 1/3.
    expect(named(similarCsr(csr, id('A'), { first: 10 }))).toEqual([
      ['B', 0.5, 2],
      ['C', 1 / 3, 1],
    ]);
    // overlap(A,C) = 1/min(3,1) = 1 beats overlap(A,B) = 2/3.
    expect(named(similarCsr(csr, id('A'), { first: 10, measure: 'OVERLAP' }))).toEqual([
      ['C', 1, 1],
      ['B', 2 / 3, 2],
    ]);
    // Each shared product has 2 buyers: AA(A,B) = 2/ln 2, AA(A,C) = 1/ln 2.
    const aa = named(similarCsr(csr, id('A'), { first: 1, measure: 'ADAMIC_ADAR' }));
    expect(aa[0][0]).toBe('B');
    expect(aa[0][1]).toBeCloseTo(2 / Math.LN2, 12);
    expect(similarCsr(csr, id('D'), { first: 10 })).toEqual([]);
  });

  test('the typed-array loop and the graphology baseline give the same ranking', () => {
    const big = randomGraph(500, 2000, 5);
    const bigCsr = toCsr(big);
    for (const measure of ['JACCARD', 'OVERLAP', 'ADAMIC_ADAR'] as const) {
      const ours = similarCsr(bigCsr, 17, { first: 20, measure }).map((x) => [bigCsr.ids[x.node], x.shared]);
      const theirs = similarGraphology(big as unknown as Graph, bigCsr.ids[17], { first: 20, measure }).map((x) => [
        x.node,
        x.shared,
      ]);
      expect(ours).toEqual(theirs);
    }
  });
});
