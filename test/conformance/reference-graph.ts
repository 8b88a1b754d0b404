/**
 * The reference model every store is checked against: all mutations merged with
 * graph-schema's `mergeStates` (through `coalesce`), then read with its visibility rules
 * and the ordering the GraphStore contract states — written directly from the contract,
 * sharing no code with any store.
 */
import {
  coalesce,
  EDGES,
  type Edge,
  type EdgeLabel,
  type ElementState,
  EMPTY_STATE,
  isEdgeVisible,
  isLive,
  type JsonValue,
  type Mutation,
  type Neighbor,
  parseVertexId,
  type StoreStats,
  type TimelineItem,
  type Vertex,
  type VertexLabel,
  vertexId,
  visibleProps,
  visibleVersion,
} from '../../graph-schema';
import type { GraphDump } from './dump-graph';

interface ReferenceEdge {
  readonly id: string;
  readonly label: EdgeLabel;
  readonly from: string;
  readonly to: string;
  readonly state: ElementState;
}

export interface ReferenceGraph {
  readonly vertices: ReadonlyMap<string, ElementState>;
  readonly edges: readonly ReferenceEdge[];
}

/** Byte order of UTF-8, the order the contract promises for ids. */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function referenceGraph(mutations: Iterable<Mutation>): ReferenceGraph {
  const batch = coalesce(mutations);
  const vertices = new Map<string, ElementState>();
  for (const v of batch.vertices) vertices.set(v.id, v.state);
  const edges = batch.edges.map((e) => ({
    id: e.id,
    label: e.label,
    from: vertexId(e.from),
    to: vertexId(e.to),
    state: e.state,
  }));
  return { vertices, edges };
}

function stateOf(graph: ReferenceGraph, id: string): ElementState {
  return graph.vertices.get(id) ?? EMPTY_STATE;
}

function vertexOf(id: string, state: ElementState): Vertex {
  const ref = parseVertexId(id);
  if (ref === null) throw new Error(`reference: bad vertex id ${id}`);
  return { id, label: ref.label, key: ref.key, props: visibleProps(state), version: visibleVersion(state) ?? '' };
}

function edgeOf(e: ReferenceEdge): Edge {
  return {
    id: e.id,
    label: e.label,
    from: e.from,
    to: e.to,
    props: visibleProps(e.state),
    version: visibleVersion(e.state) ?? '',
  };
}

function visibleEdges(graph: ReferenceGraph): ReferenceEdge[] {
  return graph.edges.filter((e) => isEdgeVisible(e.state, stateOf(graph, e.from), stateOf(graph, e.to)));
}

export function referenceVertex(graph: ReferenceGraph, id: string): Vertex | null {
  const state = stateOf(graph, id);
  return isLive(state) ? vertexOf(id, state) : null;
}

/** Neighbours in contract order: edge label, then neighbour id, byte order. */
export function referenceNeighbors(graph: ReferenceGraph, id: string, direction: 'out' | 'in'): Neighbor[] {
  return visibleEdges(graph)
    .filter((e) => (direction === 'out' ? e.from === id : e.to === id))
    .map((e) => {
      const other = direction === 'out' ? e.to : e.from;
      return { edge: edgeOf(e), vertex: vertexOf(other, stateOf(graph, other)) };
    })
    .sort((a, b) => byteOrder(a.edge.label, b.edge.label) || byteOrder(a.vertex.id, b.vertex.id));
}

/** The contract's timeline position of an item: its visible numeric `ts`, else 0. */
export function timelineTsOf(vertex: Vertex): number {
  const ts = vertex.props.ts;
  return typeof ts === 'number' && Number.isFinite(ts) ? ts : 0;
}

/**
 * Items reached from the owners over visible timeline edges, once each (reported `via` the
 * first such edge label in byte order), newest first by `ts`, then id descending.
 */
export function referenceTimeline(
  graph: ReferenceGraph,
  ownerIds: readonly string[],
  labels?: readonly VertexLabel[],
): TimelineItem[] {
  const owners = new Set(ownerIds);
  const byItem = new Map<string, EdgeLabel>();
  for (const e of visibleEdges(graph)) {
    if (!EDGES[e.label].timeline || !owners.has(e.from)) continue;
    const current = byItem.get(e.to);
    if (current === undefined || byteOrder(e.label, current) < 0) byItem.set(e.to, e.label);
  }
  const items: TimelineItem[] = [];
  for (const [id, via] of byItem) {
    const vertex = vertexOf(id, stateOf(graph, id));
    if (labels && labels.length > 0 && !labels.includes(vertex.label)) continue;
    items.push({ vertex, ts: timelineTsOf(vertex), via });
  }
  return items.sort((a, b) => b.ts - a.ts || byteOrder(b.vertex.id, a.vertex.id));
}

export function referenceLookup(
  graph: ReferenceGraph,
  label: VertexLabel,
  property: string,
  value: JsonValue,
): string[] {
  const wanted = JSON.stringify(value);
  return [...graph.vertices.keys()]
    .filter((id) => parseVertexId(id)?.label === label)
    .map((id) => referenceVertex(graph, id))
    .filter((v): v is Vertex => v !== null && JSON.stringify(v.props[property]) === wanted)
    .map((v) => v.id)
    .sort(byteOrder);
}

/** Vertices of the label whose searchable property starts with the text, ignoring case; '' lists all. */
export function referenceSearch(
  graph: ReferenceGraph,
  label: VertexLabel,
  text: string,
  searchable: readonly string[],
): Vertex[] {
  const needle = text.toLowerCase();
  return [...graph.vertices.keys()]
    .filter((id) => parseVertexId(id)?.label === label)
    .map((id) => referenceVertex(graph, id))
    .filter(
      (v): v is Vertex =>
        v !== null &&
        (needle === '' ||
          searchable.some((p) => {
            const value = v.props[p];
            return typeof value === 'string' && value.toLowerCase().startsWith(needle);
          })),
    )
    .sort((a, b) => byteOrder(a.id, b.id));
}

export function referenceStats(graph: ReferenceGraph): StoreStats {
  const vertices: Partial<Record<VertexLabel, number>> = {};
  for (const [id, state] of graph.vertices) {
    if (!isLive(state)) continue;
    const label = parseVertexId(id)?.label as VertexLabel;
    vertices[label] = (vertices[label] ?? 0) + 1;
  }
  const edges: Partial<Record<EdgeLabel, number>> = {};
  for (const e of visibleEdges(graph)) edges[e.label] = (edges[e.label] ?? 0) + 1;
  return { vertices, edges };
}

export function referenceDump(graph: ReferenceGraph, ids: readonly string[]): GraphDump {
  const dump: GraphDump = { vertices: {}, out: {}, in: {}, timeline: {} };
  for (const id of ids) {
    dump.vertices[id] = referenceVertex(graph, id);
    dump.out[id] = referenceNeighbors(graph, id, 'out');
    dump.in[id] = referenceNeighbors(graph, id, 'in');
    dump.timeline[id] = referenceTimeline(graph, [id]);
  }
  return dump;
}
