import Graph from 'graphology';
import type { EdgeLabel, VertexLabel } from '../../graph-schema';

export interface ProjectedNode {
  readonly label: VertexLabel;
}
export interface ProjectedEdge {
  /** Store edges between the same two vertices collapse into one projected edge (a simple graph). */
  labels: EdgeLabel[];
}

/**
 * A projection held in memory: node keys are store vertex ids (`Label:key`).
 * Simple (no parallel edges, no self loops) because Louvain and the typed-array
 * CSR both assume it; parallel store edges (OWNS and BELONGS_TO to the same
 * account) keep their labels on the one edge.
 */
export type ProjectionGraph = Graph<ProjectedNode, ProjectedEdge>;

export function createProjectionGraph(orientation: 'undirected' | 'directed' = 'undirected'): ProjectionGraph {
  return new Graph<ProjectedNode, ProjectedEdge>({ type: orientation, multi: false, allowSelfLoops: false });
}

export function addProjectedEdge(graph: ProjectionGraph, from: string, to: string, label: EdgeLabel): void {
  if (from === to) return;
  const existing = graph.edge(from, to);
  if (existing === undefined) {
    graph.addEdge(from, to, { labels: [label] });
    return;
  }
  const labels = graph.getEdgeAttribute(existing, 'labels');
  if (!labels.includes(label)) labels.push(label);
}

/** The label of a vertex id (`Label:key`), without a store read. */
export function labelOfId(id: string): VertexLabel {
  return id.slice(0, id.indexOf(':')) as VertexLabel;
}
