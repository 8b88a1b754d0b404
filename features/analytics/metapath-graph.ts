import { EDGES, type EdgeLabel, type VertexLabel } from '../../graph-schema';
import { createProjectionGraph, type ProjectionGraph } from './projection-graph';

/** A walk along edge labels in their model direction, e.g. Customer -PLACED-> Order -CONTAINS-> Product. */
export type Metapath = readonly EdgeLabel[];

/** What "customers like this" compares: products bought, devices, addresses and accounts shared (directly or through identities). */
export const CUSTOMER_ITEM_PATHS: readonly Metapath[] = [
  ['PLACED', 'CONTAINS'],
  ['HAS_IDENTITY', 'PLACED', 'CONTAINS'],
  ['USES_DEVICE'],
  ['HAS_IDENTITY', 'USES_DEVICE'],
  ['HAS_ADDRESS'],
  ['OWNS'],
  ['BELONGS_TO'],
  ['HAS_IDENTITY', 'BELONGS_TO'],
];

/** Baskets: "bought together" means in the same order. */
export const BASKET_PATHS: readonly Metapath[] = [['CONTAINS']];

/**
 * The ends of a metapath from `start`. Direction comes from the model (an
 * edge label joins fixed from/to labels), not from how the projection stored
 * the edge, so the walk is the same on an undirected projection.
 */
export function followMetapath(graph: ProjectionGraph, start: string, path: Metapath): Set<string> {
  let frontier = new Set([start]);
  for (const label of path) {
    const def = EDGES[label];
    const next = new Set<string>();
    for (const node of frontier) {
      if (!def.from.includes(graph.getNodeAttribute(node, 'label'))) continue;
      graph.forEachNeighbor(node, (neighbor, attrs) => {
        if (!def.to.includes(attrs.label)) return;
        const edge = graph.edge(node, neighbor) ?? graph.edge(neighbor, node);
        if (edge !== undefined && graph.getEdgeAttribute(edge, 'labels').includes(label)) next.add(neighbor);
      });
    }
    frontier = next;
  }
  return frontier;
}

/**
 * A bipartite graph: every projected vertex of `sourceLabel` joined to the
 * ends of its metapaths. Similarity on it is "shares items with".
 */
export function metapathGraph(
  graph: ProjectionGraph,
  sourceLabel: VertexLabel,
  paths: readonly Metapath[],
): ProjectionGraph {
  const out = createProjectionGraph('undirected');
  graph.forEachNode((node, attrs) => {
    if (attrs.label !== sourceLabel) return;
    out.mergeNode(node, attrs);
    for (const path of paths) {
      for (const end of followMetapath(graph, node, path)) {
        if (end === node) continue;
        out.mergeNode(end, { label: graph.getNodeAttribute(end, 'label') });
        // The label records the first path that found the pair; the similarity only needs the pair.
        if (!out.hasEdge(node, end)) out.addEdge(node, end, { labels: [path[path.length - 1]] });
      }
    }
  });
  return out;
}
