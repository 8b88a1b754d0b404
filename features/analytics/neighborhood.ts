import type { Edge, EdgeLabel, GraphStore, Vertex, VertexLabel } from '../../graph-schema';
import { AnalyticsError } from './analytics-error';

export interface NeighborhoodOptions {
  /** Hops from the centre (1..3). */
  readonly depth: number;
  /** Most vertices returned, the centre included; the BFS stops adding when reached. */
  readonly maxNodes: number;
  readonly edgeLabels: readonly EdgeLabel[];
  readonly vertexLabels: readonly VertexLabel[];
}

export interface Neighborhood {
  readonly nodes: readonly Vertex[];
  /** Edges between returned nodes only, each once. */
  readonly edges: readonly Edge[];
  /** True when the cap cut the neighbourhood short. */
  readonly truncated: boolean;
}

export const MAX_NEIGHBORHOOD_DEPTH = 3;

/**
 * A bounded ego graph for drawing, read straight from the store (fresh, no
 * projection needed): breadth-first, one batched `neighbors` call per hop, each
 * vertex asking for at most the remaining room so a hub cannot blow the cap.
 */
export async function loadNeighborhood(
  store: GraphStore,
  id: string,
  options: NeighborhoodOptions,
): Promise<Neighborhood> {
  const { depth, maxNodes } = options;
  if (!(Number.isInteger(depth) && depth >= 1 && depth <= MAX_NEIGHBORHOOD_DEPTH)) {
    throw new AnalyticsError('BAD_PARAMETER', `neighborhood: depth must be 1..${MAX_NEIGHBORHOOD_DEPTH}, got ${depth}`);
  }
  if (!(Number.isInteger(maxNodes) && maxNodes >= 1)) {
    throw new AnalyticsError('BAD_PARAMETER', `neighborhood: maxNodes must be a positive integer, got ${maxNodes}`);
  }
  const [centre] = await store.getVertices([id]);
  if (!centre) throw new AnalyticsError('UNKNOWN_VERTEX', `neighborhood: no vertex ${id}`);
  const nodes = new Map<string, Vertex>([[centre.id, centre]]);
  const edges = new Map<string, Edge>();
  let frontier = [centre.id];
  let truncated = false;
  for (let hop = 0; hop < depth && frontier.length > 0; hop++) {
    const room = maxNodes - nodes.size;
    if (room <= 0) {
      truncated = true;
      break;
    }
    const pages = await store.neighbors(
      frontier.map((v) => ({
        id: v,
        direction: 'both' as const,
        edgeLabels: options.edgeLabels,
        vertexLabels: options.vertexLabels,
        // One more than the room tells us whether anything was left out.
        first: room + 1,
        after: null,
      })),
    );
    const next: string[] = [];
    for (const page of pages) {
      if (page.hasNextPage) truncated = true;
      for (const n of page.items) {
        if (!nodes.has(n.vertex.id)) {
          if (nodes.size >= maxNodes) {
            truncated = true;
            continue;
          }
          nodes.set(n.vertex.id, n.vertex);
          next.push(n.vertex.id);
        }
        edges.set(n.edge.id, n.edge);
      }
    }
    frontier = next;
  }
  // Edges among the last hop's vertices were not asked for; drawing them needs one more hop, which depth forbids.
  return { nodes: [...nodes.values()], edges: [...edges.values()], truncated };
}
