/**
 * The read side as bytecode: each GraphStore read is one traversal whose filters mirror the
 * visibility rules of mutations.ts over the encoded state (element-encoding.ts), and whose
 * order is the contract's (string order of `_ord` is UTF-8 byte order of ids). The store
 * decodes the returned element maps and applies `visibleProps`/`visibleVersion` itself, so the
 * answers are computed by the same functions as everywhere else.
 */
import * as gremlin from 'gremlin';
import { type EdgeLabel, TIMELINE_EDGE_LABELS, type VertexLabel } from '../../../graph-schema';
import { gremlinVertexId, LOOKUP_PREFIX, SEARCH_PREFIX, SYSTEM_KEYS, TIMELINE_TS_KEY } from './element-encoding';

const { statics, P, TextP, t, order } = gremlin.process;
/** `E()` mid-traversal (TinkerPop 3.7+) is in the driver but not yet in @types/gremlin. */
const __ = statics as typeof statics & { E(...ids: unknown[]): GraphTraversal };
type GraphTraversal = gremlin.process.GraphTraversal;
type GraphTraversalSource = gremlin.process.GraphTraversalSource;

const { live: LIVE, tomb: TOMB, up: UP, ord: ORD } = SYSTEM_KEYS;

/**
 * Neighbour queries that share everything but their start vertex (what a DataLoader batches):
 * one start step over all their ids, one page per start vertex.
 */
export interface NeighborScan {
  readonly ids: readonly string[];
  readonly direction: 'out' | 'in' | 'both';
  readonly edgeLabels: readonly EdgeLabel[];
  readonly vertexLabels: readonly VertexLabel[];
  readonly limit: number;
  /** [edge label, neighbour `_ord`, rank (0 out, 1 in)] of the last item already seen. */
  readonly after: readonly [string, string, number] | null;
}

/**
 * Edges of one direction from the start vertex 's' that `isEdgeVisible` accepts: edge live, both
 * endpoints live, edge newer than either endpoint's tombstone.
 */
function side(scan: NeighborScan, out: boolean): GraphTraversal {
  let tr = (out ? __.outE(...scan.edgeLabels) : __.inE(...scan.edgeLabels))
    .has(UP, true)
    .as('e')
    .where(P.gt('s'))
    .by(LIVE)
    .by(TOMB);
  tr = (out ? tr.inV() : tr.outV()).has(UP, true);
  if (scan.vertexLabels.length > 0) tr = tr.hasLabel(...scan.vertexLabels);
  // With `both`, a self-loop is listed once, as its out side.
  if (!out && scan.direction === 'both') tr = tr.where(P.neq('s'));
  return tr
    .where(P.lt('e'))
    .by(TOMB)
    .by(LIVE)
    .project('l', 'o', 'r', 'e', 'n')
    .by(__.select('e').label())
    .by(ORD)
    .by(__.constant(out ? 0 : 1))
    .by(__.select('e').valueMap())
    .by(__.elementMap());
}

function afterNeighbor(after: readonly [string, string, number]): GraphTraversal {
  const [label, ord, rank] = after;
  return __.or(
    __.select('l').is(P.gt(label)),
    __.and(__.select('l').is(P.eq(label)), __.select('o').is(P.gt(ord))),
    __.and(__.select('l').is(P.eq(label)), __.select('o').is(P.eq(ord)), __.select('r').is(P.gt(rank))),
  );
}

/** One map per live start vertex: `id` (its c360id) and `items`, its page (limit items at most). */
function neighborScan(scan: NeighborScan): GraphTraversal {
  const sides =
    scan.direction === 'both' ? [side(scan, true), side(scan, false)] : [side(scan, scan.direction === 'out')];
  let items = __.union(...sides);
  if (scan.after) items = items.filter(afterNeighbor(scan.after));
  return __.V(...scan.ids.map(gremlinVertexId))
    .has(UP, true)
    .as('s')
    .project('id', 'items')
    .by(SYSTEM_KEYS.id)
    .by(items.order().by('l').by('o').by('r').limit(scan.limit).fold())
    .fold();
}

/** All scans in one traversal: a map from `q<index>` to that scan's pages. */
export function neighborsTraversal(g: GraphTraversalSource, scans: readonly NeighborScan[]): GraphTraversal {
  const keys = scans.map((_, i) => `q${i}`);
  let tr = g.inject(0).project(...keys);
  for (const scan of scans) tr = tr.by(neighborScan(scan));
  return tr;
}

export interface TimelineScan {
  readonly ownerIds: readonly string[];
  readonly labels: readonly VertexLabel[];
  readonly limit: number;
  /** [ts, item `_ord`] of the last item already seen. */
  readonly after: readonly [number, string] | null;
}

export function timelineTraversal(g: GraphTraversalSource, scan: TimelineScan): GraphTraversal {
  let tr = g
    .V(...scan.ownerIds.map(gremlinVertexId))
    .has(UP, true)
    .as('s')
    .outE(...TIMELINE_EDGE_LABELS)
    .has(UP, true)
    .as('e')
    .where(P.gt('s'))
    .by(LIVE)
    .by(TOMB)
    .inV()
    .has(UP, true);
  if (scan.labels.length > 0) tr = tr.hasLabel(...scan.labels);
  tr = tr
    .where(P.lt('e'))
    .by(TOMB)
    .by(LIVE)
    .project('ts', 'o', 'l', 'n')
    .by(__.coalesce(__.values(TIMELINE_TS_KEY), __.constant(0)))
    .by(ORD)
    .by(__.select('e').label())
    .by(__.elementMap());
  if (scan.after) {
    const [ts, ord] = scan.after;
    tr = tr.filter(
      __.or(__.select('ts').is(P.lt(ts)), __.and(__.select('ts').is(P.eq(ts)), __.select('o').is(P.lt(ord)))),
    );
  }
  // Sorted newest first; an item reached over several edges keeps the first label in byte order.
  return tr.order().by('ts', order.desc).by('o', order.desc).by('l', order.asc).dedup().by('o').limit(scan.limit);
}

export function lookupTraversal(
  g: GraphTraversalSource,
  label: VertexLabel,
  property: string,
  json: string,
): GraphTraversal {
  return g.V().hasLabel(label).has(`${LOOKUP_PREFIX}${property}`, json).has(UP, true).values(SYSTEM_KEYS.id);
}

export interface SearchScan {
  readonly label: VertexLabel;
  /** Lower-cased; '' lists the label. */
  readonly needle: string;
  readonly properties: readonly string[];
  readonly limit: number;
  /** `_ord` of the last vertex already seen. */
  readonly after: string | null;
}

export function searchTraversal(g: GraphTraversalSource, scan: SearchScan): GraphTraversal {
  let tr = g.V().hasLabel(scan.label).has(UP, true);
  if (scan.needle !== '') {
    tr = tr.or(...scan.properties.map((p) => __.has(`${SEARCH_PREFIX}${p}`, TextP.startingWith(scan.needle))));
  }
  if (scan.after !== null) tr = tr.has(ORD, P.gt(scan.after));
  return tr.order().by(ORD).limit(scan.limit).elementMap();
}

/** Every state of the label, visible or not (GraphStore `scanStates`), in `_ord` order. */
export function scanStatesTraversal(
  g: GraphTraversalSource,
  label: VertexLabel,
  limit: number,
  after: string | null,
): GraphTraversal {
  let tr = g.V().hasLabel(label);
  if (after !== null) tr = tr.has(ORD, P.gt(after));
  return tr.order().by(ORD).limit(limit).elementMap();
}

export function statsTraversal(g: GraphTraversalSource): GraphTraversal {
  const endpointVisible = (end: GraphTraversal) => end.has(UP, true).where(P.lt('e')).by(TOMB).by(LIVE);
  return g
    .inject(0)
    .project('v', 'e')
    .by(__.V().has(UP, true).groupCount().by(t.label))
    .by(
      __.E()
        .has(UP, true)
        .as('e')
        .filter(endpointVisible(__.outV()))
        .filter(endpointVisible(__.inV()))
        .groupCount()
        .by(t.label),
    );
}

export function getVerticesTraversal(g: GraphTraversalSource, ids: readonly string[]): GraphTraversal {
  return g
    .V(...ids.map(gremlinVertexId))
    .has(UP, true)
    .elementMap();
}
