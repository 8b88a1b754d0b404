/**
 * The read side of the GraphStore contract as parameterized Cypher — pure builders, so the
 * unit tests can snapshot them. Each batched call (getVertices, neighbors) is one query
 * that UNWINDs its inputs. Visibility (graph-schema `isLive`, `isEdgeVisible`) is decided
 * in Cypher wherever it decides what a page holds; the client then decodes each element's
 * state and reads it with graph-schema's own `visibleProps`/`visibleVersion`.
 */
import neo4j from 'neo4j-driver';
import {
  EDGE_LABELS,
  type EdgeLabel,
  indexedProperties,
  isPlainObject,
  type JsonValue,
  type NeighborQuery,
  parseVertexId,
  searchableProperties,
  TIMELINE_EDGE_LABELS,
  type TimelineQuery,
  VERTEX_LABELS,
  type VertexLabel,
} from '../../../graph-schema';
import { decodeCursor } from './cursor';
import { edgeLabelText, edgeVisibleText, keys, liveText, schemaPropertyText, vertexLabelText } from './cypher-text';
import type { CypherStatement } from './cypher-writes';
import { Neo4jStoreError } from './neo4j-store-error';
import { toIdKey } from './sort-key';
import { exactJson, SEARCH_PREFIX } from './stored-element';

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A subquery binding `node` to the vertex whose id is `row.id`. Vertex ids carry their
 * label, and only a labelled match uses the per-label uniqueness index, so there is one
 * UNION branch per label that occurs among the rows.
 */
export function matchByIdText(node: string, row: string, labels: readonly VertexLabel[]): string {
  const branches = [...new Set(labels)]
    .sort(compareText)
    .map(
      (label) =>
        `  MATCH (${node}:${vertexLabelText(label)} {${keys.id}: ${row}.id}) WHERE ${row}.label = '${vertexLabelText(label)}' RETURN ${node}`,
    );
  return [`CALL (${row}) {`, branches.join('\n  UNION\n'), '}'].join('\n');
}

interface IdRow {
  readonly i: number;
  /** The id as stored: `toIdKey` of the vertex id. */
  readonly id: string;
  readonly label: VertexLabel;
}

/** Rows for the ids that can name a vertex; an id with no known label is simply never found. */
function idRows(ids: readonly string[]): IdRow[] {
  const rows: IdRow[] = [];
  ids.forEach((id, i) => {
    const ref = typeof id === 'string' ? parseVertexId(id) : null;
    if (ref !== null && (VERTEX_LABELS as readonly string[]).includes(ref.label))
      rows.push({ i, id: toIdKey(id), label: ref.label });
  });
  return rows;
}

export function getVerticesStatement(ids: readonly string[]): CypherStatement | null {
  const rows = idRows(ids);
  if (rows.length === 0) return null;
  return {
    text: [
      'UNWIND $rows AS r',
      matchByIdText(
        'n',
        'r',
        rows.map((r) => r.label),
      ),
      'RETURN r.i AS i, properties(n) AS props',
    ].join('\n'),
    params: { rows },
  };
}

export function checkFirst(operation: string, first: unknown): number {
  if (typeof first !== 'number' || !Number.isInteger(first) || first < 0) {
    throw new Neo4jStoreError(
      'BAD_PAGE',
      `Neo4jStore.${operation}: first must be a non-negative integer, got ${String(first)}`,
    );
  }
  return first;
}

/** A neighbour position: edge label, neighbour id, and 0 for an out edge or 1 for an in edge. */
export type NeighborPosition = readonly [label: string, neighbour: string, rank: number];

export function decodeNeighborCursor(cursor: string): NeighborPosition {
  const [label, neighbour, rank] = decodeCursor(cursor, ['string', 'string', 'number']);
  return [label as string, neighbour as string, rank as number];
}

export interface NeighborRow extends IdRow {
  readonly out: boolean;
  readonly in: boolean;
  readonly types: readonly string[] | null;
  readonly vlabels: readonly string[] | null;
  readonly after: NeighborPosition | null;
}

/**
 * One page per query, in contract order (edge label, neighbour id, out before in); a
 * self-loop is listed once by `both`, as its out side. Each query gets at most `$limit`
 * rows (the largest `first` + 1); the caller cuts each page to its own `first` + 1.
 */
export function neighborsStatement(queries: readonly NeighborQuery[]): CypherStatement | null {
  const rows: NeighborRow[] = [];
  let limit = 1;
  for (const [i, q] of queries.entries()) {
    const first = checkFirst('neighbors', q.first);
    const after = q.after ? decodeNeighborCursor(q.after) : null;
    const ref = typeof q.id === 'string' ? parseVertexId(q.id) : null;
    if (ref === null || !(VERTEX_LABELS as readonly string[]).includes(ref.label)) continue;
    if (q.direction !== 'out' && q.direction !== 'in' && q.direction !== 'both') {
      throw new Neo4jStoreError('BAD_QUERY', `Neo4jStore.neighbors: unknown direction ${JSON.stringify(q.direction)}`);
    }
    limit = Math.max(limit, first + 1);
    rows.push({
      i,
      id: toIdKey(q.id),
      label: ref.label,
      out: q.direction !== 'in',
      in: q.direction !== 'out',
      types: q.edgeLabels?.length ? [...q.edgeLabels] : null,
      vlabels: q.vertexLabels?.length ? [...q.vertexLabels] : null,
      after,
    });
  }
  if (rows.length === 0) return null;
  const after =
    '(q.after IS NULL OR label > q.after[0] OR (label = q.after[0] AND (oid > q.after[1] OR (oid = q.after[1] AND rank > q.after[2]))))';
  return {
    text: [
      'UNWIND $queries AS q',
      matchByIdText(
        's',
        'q',
        rows.map((r) => r.label),
      ),
      `WITH q, s WHERE ${liveText('s')}`,
      'CALL (q, s) {',
      '  CALL (q, s) {',
      '    MATCH (s)-[e]->(o) WHERE q.out RETURN e, o, 0 AS rank',
      '    UNION ALL',
      '    MATCH (s)<-[e]-(o) WHERE q.in AND NOT (q.out AND o = s) RETURN e, o, 1 AS rank',
      '  }',
      `  WITH e, o, rank, type(e) AS label, o.${keys.id} AS oid`,
      '  WHERE (q.types IS NULL OR label IN q.types)',
      '    AND (q.vlabels IS NULL OR any(l IN labels(o) WHERE l IN q.vlabels))',
      `    AND ${after}`,
      // isEdgeVisible treats both ends alike, so the direction does not matter here.
      `    AND ${edgeVisibleText('e', 's', 'o')}`,
      '  RETURN e, o, rank, label, oid',
      '  ORDER BY label, oid, rank',
      '  LIMIT $limit',
      '}',
      `RETURN q.i AS i, label, rank, s.${keys.id} AS sid, oid, properties(e) AS edge, properties(o) AS other`,
    ].join('\n'),
    params: { queries: rows, limit: neo4j.int(limit) },
  };
}

export function decodeTimelineCursor(cursor: string): readonly [number, string] {
  const [ts, id] = decodeCursor(cursor, ['number', 'string']);
  return [ts as number, id as string];
}

const TIMELINE_TYPES = [...TIMELINE_EDGE_LABELS].sort(compareText);

/**
 * Items reached from the owners over visible timeline edges, once each `via` the first
 * label in byte order, newest first by their visible numeric `ts` (0 without one), then id
 * descending.
 */
export function timelineStatement(query: TimelineQuery): CypherStatement | null {
  const first = checkFirst('timeline', query.first);
  const after = query.after ? decodeTimelineCursor(query.after) : null;
  const owners = idRows([...new Set(query.ownerIds)]);
  if (owners.length === 0) return null;
  const types = TIMELINE_TYPES.map((t) => edgeLabelText(t)).join('|');
  return {
    text: [
      'UNWIND $owners AS w',
      matchByIdText(
        's',
        'w',
        owners.map((o) => o.label),
      ),
      `MATCH (s)-[e:${types}]->(item)`,
      `WHERE ${edgeVisibleText('e', 's', 'item')}`,
      '  AND ($labels IS NULL OR any(l IN labels(item) WHERE l IN $labels))',
      'WITH item, min(type(e)) AS via',
      `WITH item, via, item.${keys.id} AS id, CASE WHEN item.ts IS NOT NULL AND item.ts IS :: INTEGER | FLOAT THEN item.ts ELSE 0 END AS ts`,
      'WHERE $after IS NULL OR ts < $after[0] OR (ts = $after[0] AND id < $after[1])',
      'RETURN id, via, ts, properties(item) AS props',
      'ORDER BY ts DESC, id DESC',
      'LIMIT $limit',
    ].join('\n'),
    params: {
      owners,
      labels: query.labels?.length ? [...query.labels] : null,
      after,
      limit: neo4j.int(first + 1),
    },
  };
}

export function lookupStatement(label: VertexLabel, property: string, value: JsonValue): CypherStatement | null {
  if (!indexedProperties(label).includes(property)) {
    throw new Neo4jStoreError('BAD_QUERY', `Neo4jStore.lookup: ${label}.${property} is not an indexed property`);
  }
  if (value === null || value === undefined) return null;
  const structured = Array.isArray(value) || isPlainObject(value);
  const stored = schemaPropertyText(structured ? keys.json : '', property);
  return {
    text: [
      `MATCH (n:${vertexLabelText(label)})`,
      `WHERE n.${stored} = $value AND ${liveText('n')}`,
      `RETURN n.${keys.id} AS id`,
      'ORDER BY id',
    ].join('\n'),
    params: { value: structured ? exactJson(value) : value },
  };
}

export function decodeSearchCursor(cursor: string): string {
  return decodeCursor(cursor, ['string'])[0] as string;
}

/**
 * Vertices of the label whose searchable property starts with the text, ignoring case: the
 * lowercased shadow properties (`c360s:<name>`, text-indexed) are searched one UNION
 * branch each, so every branch is an index seek and a vertex matching twice appears once.
 */
export function searchStatement(
  label: VertexLabel,
  text: string,
  first: number,
  after: string | null,
): CypherStatement | null {
  const labelText = vertexLabelText(label);
  const tail = [
    `WITH n WHERE ${liveText('n')} AND ($after IS NULL OR n.${keys.id} > $after)`,
    `RETURN n.${keys.id} AS id, properties(n) AS props`,
    'ORDER BY id',
    'LIMIT $limit',
  ];
  const params = { after, limit: neo4j.int(first + 1) };
  if (text === '') return { text: [`MATCH (n:${labelText})`, ...tail].join('\n'), params };
  const properties = searchableProperties(label);
  if (properties.length === 0) return null;
  const branches = properties.map(
    (p) => `  MATCH (n:${labelText}) WHERE n.${schemaPropertyText(SEARCH_PREFIX, p)} STARTS WITH $text RETURN n`,
  );
  return {
    text: ['CALL () {', branches.join('\n  UNION\n'), '}', ...tail].join('\n'),
    params: { ...params, text: text.toLowerCase() },
  };
}

/** Every state of the label, visible or not (GraphStore `scanStates`), by id. */
export function scanStatesStatement(label: VertexLabel, first: number, after: string | null): CypherStatement {
  return {
    text: [
      `MATCH (n:${vertexLabelText(label)})`,
      `WHERE $after IS NULL OR n.${keys.id} > $after`,
      `RETURN n.${keys.id} AS id, properties(n) AS props`,
      'ORDER BY id',
      'LIMIT $limit',
    ].join('\n'),
    params: { after, limit: neo4j.int(first + 1) },
  };
}

/** Visible vertices per label and visible edges per type, over c360's labels and types only. */
export function statsStatement(): CypherStatement {
  const labels = [...VERTEX_LABELS].sort(compareText).map(vertexLabelText).join('|');
  const types = [...EDGE_LABELS]
    .sort(compareText)
    .map((t: EdgeLabel) => edgeLabelText(t))
    .join('|');
  return {
    text: [
      `MATCH (n:${labels}) WHERE ${liveText('n')}`,
      "RETURN 'v' AS kind, labels(n) AS labels, count(*) AS count",
      'UNION ALL',
      `MATCH (a)-[e:${types}]->(b) WHERE ${edgeVisibleText('e', 'a', 'b')}`,
      "RETURN 'e' AS kind, [type(e)] AS labels, count(*) AS count",
    ].join('\n'),
    params: {},
  };
}
