import type { Edge, GraphStore, Neighbor, NeighborQuery, Vertex } from '../../graph-schema';
import { addProjectedEdge, createProjectionGraph, type ProjectionGraph } from './projection-graph';
import { inTimeWindow, type ProjectionSpec, validateProjectionSpec } from './projection-spec';

export interface LoadProjectionOptions {
  /** Vertices listed per `search` page, and so neighbour queries per `neighbors` batch. */
  readonly vertexPageSize?: number;
  /** Neighbours per page of one vertex; hubs (a popular product) take several pages. */
  readonly neighborPageSize?: number;
  /** Called after each page of vertices with the number loaded so far. */
  readonly onProgress?: (verticesLoaded: number) => void;
}

const DEFAULT_VERTEX_PAGE = 500;
const DEFAULT_NEIGHBOR_PAGE = 1000;

/**
 * Every neighbour page of the queries, following `hasNextPage` until done:
 * all queries of a round go to the store in one batched `neighbors` call.
 */
export async function allNeighborPages(
  store: GraphStore,
  queries: readonly NeighborQuery[],
  onItems: (query: NeighborQuery, items: readonly Neighbor[]) => void,
): Promise<void> {
  let pending = queries;
  while (pending.length > 0) {
    const pages = await store.neighbors(pending);
    const next: NeighborQuery[] = [];
    pages.forEach((page, i) => {
      onItems(pending[i], page.items);
      if (page.hasNextPage && page.cursors.length > 0) {
        next.push({ ...pending[i], after: page.cursors[page.cursors.length - 1] });
      }
    });
    pending = next;
  }
}

/**
 * Streams a declared subgraph out of any GraphStore through its public reads
 * only — `search(label, '')` pages list the vertices, batched `neighbors` the
 * out-edges between projected labels — so the same code projects from the
 * embedded store, Gremlin or Neo4j. Each store edge is read once, from its
 * source. Nodes are added in label-then-id order, so a projection of the same
 * data is the same graph whatever the store.
 */
export async function loadProjection(
  store: GraphStore,
  spec: ProjectionSpec,
  options: LoadProjectionOptions = {},
): Promise<ProjectionGraph> {
  validateProjectionSpec(spec);
  const vertexPage = options.vertexPageSize ?? DEFAULT_VERTEX_PAGE;
  const neighborPage = options.neighborPageSize ?? DEFAULT_NEIGHBOR_PAGE;
  const graph = createProjectionGraph(spec.orientation);
  const window = spec.timeWindow;
  const edges: Edge[] = [];
  let loaded = 0;

  for (const label of spec.vertexLabels) {
    let after: string | null = null;
    for (;;) {
      const page = await store.search(label, '', { first: vertexPage, after });
      const kept: Vertex[] = [];
      for (const v of page.items) {
        if (window?.on === 'vertex' && !inTimeWindow(window, v.props)) continue;
        graph.addNode(v.id, { label: v.label });
        kept.push(v);
      }
      if (spec.edgeLabels.length > 0 && kept.length > 0) {
        const queries = kept.map(
          (v): NeighborQuery => ({
            id: v.id,
            direction: 'out',
            edgeLabels: spec.edgeLabels,
            vertexLabels: spec.vertexLabels,
            first: neighborPage,
            after: null,
          }),
        );
        await allNeighborPages(store, queries, (_q, items) => {
          for (const n of items) {
            if (window?.on === 'edge' && !inTimeWindow(window, n.edge.props)) continue;
            edges.push(n.edge);
          }
        });
      }
      loaded += page.items.length;
      options.onProgress?.(loaded);
      if (!page.hasNextPage || page.cursors.length === 0) break;
      after = page.cursors[page.cursors.length - 1];
    }
  }
  // Edges last: a target of another label is listed after its source, and one left out by the window stays out.
  for (const e of edges) {
    if (graph.hasNode(e.from) && graph.hasNode(e.to)) addProjectedEdge(graph, e.from, e.to, e.label);
  }
  return graph;
}

/**
 * Brings the projection up to date for a set of touched vertices (the ingest
 * pipeline's `onApplied` ids, which include both endpoints of every written
 * edge): each is re-read, dropped if gone or out of the projection, and its
 * edges are replaced by what the store holds now. Returns how many changed.
 */
export async function refreshProjectedVertices(
  graph: ProjectionGraph,
  store: GraphStore,
  spec: ProjectionSpec,
  vertexIds: Iterable<string>,
  options: { readonly neighborPageSize?: number } = {},
): Promise<number> {
  const window = spec.timeWindow;
  const ids = [...new Set(vertexIds)].filter((id) => spec.vertexLabels.includes(id.slice(0, id.indexOf(':')) as never));
  if (ids.length === 0) return 0;
  const vertices = await store.getVertices(ids);
  const present: string[] = [];
  vertices.forEach((v, i) => {
    const id = ids[i];
    const keep = v !== null && (window?.on !== 'vertex' || inTimeWindow(window, v.props));
    if (!keep) {
      if (graph.hasNode(id)) graph.dropNode(id);
      return;
    }
    if (graph.hasNode(id)) for (const e of graph.edges(id)) graph.dropEdge(e);
    else graph.addNode(id, { label: (v as Vertex).label });
    present.push(id);
  });
  if (spec.edgeLabels.length > 0 && present.length > 0) {
    const queries = present.map(
      (id): NeighborQuery => ({
        id,
        direction: 'both',
        edgeLabels: spec.edgeLabels,
        vertexLabels: spec.vertexLabels,
        first: options.neighborPageSize ?? DEFAULT_NEIGHBOR_PAGE,
        after: null,
      }),
    );
    await allNeighborPages(store, queries, (_q, items) => {
      for (const n of items) {
        if (window?.on === 'edge' && !inTimeWindow(window, n.edge.props)) continue;
        if (window?.on === 'vertex' && !inTimeWindow(window, n.vertex.props)) continue;
        if (!graph.hasNode(n.vertex.id)) graph.addNode(n.vertex.id, { label: n.vertex.label });
        addProjectedEdge(graph, n.edge.from, n.edge.to, n.edge.label);
      }
    });
  }
  return ids.length;
}
