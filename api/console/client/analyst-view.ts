/**
 * Analyst view: the most central customers (PageRank or degree), the largest
 * communities drawn as groups, and the shortest path between two customers
 * drawn step by step — all from `analytics { … }` of the GraphQL API.
 */
import { describeError, gql } from './api';
import { fill, h, section } from './dom';
import { value } from './format';
import { caption, createGraphPanel, type GraphEdge, type GraphNode } from './graph-panel';

const CENTRALITY = `query Central($kind: CentralityKind!) {
  analytics { centrality(kind: $kind, first: 10) { run { status finishedAt } entries { rank score node { id label properties } } } }
}`;
const COMMUNITIES = `{ analytics { communities(kind: LOUVAIN, first: 6, label: "Customer") {
  count communities { id size members { id label properties } } } } }`;
const PATH = `query Path($from: ID!, $to: ID!) {
  analytics { shortestPath(from: $from, to: $to, maxDepth: 8) { length nodes { id label properties } edges { id label from to } } }
}`;

export function analystView(root: HTMLElement): () => void {
  const kind = h(
    'select',
    { 'data-testid': 'centrality-kind', 'aria-label': 'Measure' },
    h('option', { value: 'PAGERANK' }, 'PageRank'),
    h('option', { value: 'DEGREE' }, 'Degree'),
    h('option', { value: 'BETWEENNESS' }, 'Betweenness'),
  );
  const ranking = h('tbody', { 'data-testid': 'ranking' });
  const runInfo = h('p', { class: 'muted' });
  const communities = createGraphPanel({ testId: 'communities-graph' });
  const communityInfo = h('p', { class: 'muted', 'data-testid': 'communities-info' });
  const from = h('input', { placeholder: 'Customer:…', 'data-testid': 'path-from', size: 20 });
  const to = h('input', { placeholder: 'Customer:…', 'data-testid': 'path-to', size: 20 });
  const pathPicture = createGraphPanel({ edgeCaptions: true, layout: 'chain', testId: 'path-graph' });
  const pathInfo = h('p', { class: 'muted', 'data-testid': 'path-info' });

  const loadRanking = async () => {
    try {
      const data = await gql<{
        analytics: {
          centrality: {
            run: { status: string; finishedAt: string | null };
            entries: { rank: number; score: number; node: GraphNode }[];
          };
        };
      }>(CENTRALITY, { kind: kind.value });
      const c = data.analytics.centrality;
      runInfo.textContent = `Run ${c.run.status.toLowerCase()}${c.run.finishedAt ? ` at ${c.run.finishedAt.slice(0, 19).replace('T', ' ')}` : ''}.`;
      fill(
        ranking,
        c.entries.map((e) =>
          h(
            'tr',
            { 'data-id': e.node.id },
            h('td', { class: 'num' }, String(e.rank)),
            h('td', null, h('a', { href: `#/agent/${encodeURIComponent(e.node.id)}` }, caption(e.node))),
            h('td', { class: 'muted' }, value(e.node.properties?.plan ?? '')),
            h('td', { class: 'num' }, e.score < 1 ? e.score.toFixed(5) : String(e.score)),
          ),
        ),
      );
    } catch (e) {
      fill(ranking, h('tr', null, h('td', { class: 'error', colspan: 4 }, describeError(e))));
    }
  };

  const loadCommunities = async () => {
    try {
      const data = await gql<{
        analytics: {
          communities: { count: number; communities: { id: string; size: number; members: GraphNode[] }[] };
        };
      }>(COMMUNITIES);
      const r = data.analytics.communities;
      communities.setGroups(
        r.communities.map((c, i) => ({ id: `community-${i}`, caption: `${c.size} customers`, members: c.members })),
      );
      communityInfo.textContent = `${r.count} Louvain communities; the ${r.communities.length} largest, with up to 20 members each.`;
      // A first path worth drawing: between two members of the largest community (they are connected).
      const largest = r.communities[0]?.members ?? [];
      if (!from.value && largest.length > 1) {
        from.value = largest[0].id;
        to.value = largest[largest.length - 1].id;
        void loadPath();
      }
    } catch (e) {
      communityInfo.textContent = describeError(e);
    }
  };

  const loadPath = async () => {
    if (!from.value.trim() || !to.value.trim()) return;
    try {
      const data = await gql<{
        analytics: { shortestPath: { length: number; nodes: GraphNode[]; edges: GraphEdge[] } | null };
      }>(PATH, { from: from.value.trim(), to: to.value.trim() });
      const p = data.analytics.shortestPath;
      if (!p) {
        pathPicture.set([], []);
        pathInfo.textContent = 'Not connected within 8 steps.';
        return;
      }
      pathPicture.set(p.nodes, p.edges, p.nodes[0]?.id ?? null);
      pathInfo.textContent = `${p.length} step${p.length === 1 ? '' : 's'}: ${p.nodes.map(caption).join(' → ')}`;
    } catch (e) {
      pathInfo.textContent = describeError(e);
    }
  };

  kind.addEventListener('change', () => void loadRanking());
  fill(
    root,
    h(
      'div',
      { class: 'analyst' },
      section(
        'Most central customers',
        'centrality',
        h('div', { class: 'toolbar' }, 'Rank by ', kind),
        h(
          'table',
          { class: 'list' },
          h(
            'thead',
            null,
            h('tr', null, h('th', null, '#'), h('th', null, 'customer'), h('th', null, 'plan'), h('th', null, 'score')),
          ),
          ranking,
        ),
        runInfo,
      ),
      section('Communities', 'communities', communityInfo, communities.element),
      section(
        'Shortest path',
        'path',
        h(
          'div',
          { class: 'toolbar' },
          from,
          ' to ',
          to,
          h('button', { type: 'button', 'data-testid': 'path-run', onclick: () => void loadPath() }, 'Find path'),
        ),
        pathInfo,
        pathPicture.element,
      ),
    ),
  );
  void loadRanking();
  void loadCommunities();
  return () => {
    communities.destroy();
    pathPicture.destroy();
  };
}
