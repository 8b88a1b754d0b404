/**
 * A GraphBatch as parameterized bytecode: `inject(rows).unfold()`, then `mergeV`/`mergeE` to get
 * or create each element, then the versioned merge applied by the database inside the same
 * traversal — so two ingest workers racing on one element cannot lose the newer write (on a
 * transactional graph the loser's commit conflicts and is retried; see gremlin-store.ts).
 *
 * All data travels in the injected rows; the step arguments are constants of this file, which
 * is why the generated query text is the same for every batch (test/unit/gremlin snapshots it).
 */
import * as gremlin from 'gremlin';
import {
  type EdgeWrite,
  type ElementState,
  type GraphBatch,
  isEdgeLabel,
  isVertexLabel,
  type VertexLabel,
  type VertexWrite,
  vertexId,
} from '../../../graph-schema';
import {
  checkState,
  DERIVED_GUARDS,
  derivedValues,
  encodeProperty,
  gremlinVertexId,
  orderKey,
  PROP_PREFIX,
  SYSTEM_KEYS,
  versionMark,
} from './element-encoding';
import { GremlinStoreError } from './gremlin-store-error';

const { statics: __, P, TextP, t, merge, cardinality, direction } = gremlin.process;
type GraphTraversal = gremlin.process.GraphTraversal;
type GraphTraversalSource = gremlin.process.GraphTraversalSource;

/** One property write: set `k` to `x` (or drop `k` when `x` is absent) unless `g`'s stored value is newer than `c`. */
export interface PropertyItem {
  readonly k: string;
  readonly g: string;
  readonly c: string;
  readonly x?: string | number;
}

export interface ElementRow {
  /** The merge map: T.id + T.label for vertices, T.label + Direction.OUT/IN for edges. */
  readonly m: Map<unknown, unknown>;
  /** Extra properties of a newly created element. */
  readonly c: Record<string, unknown>;
  readonly live: string;
  readonly tomb: string;
  readonly p: readonly PropertyItem[];
}

function propertyItems(state: ElementState, label: VertexLabel | null): PropertyItem[] {
  const items: PropertyItem[] = [];
  for (const name of Object.keys(state.props).sort()) {
    const p = state.props[name];
    const c = encodeProperty(p);
    const guard = `${PROP_PREFIX}${name}`;
    items.push({ k: guard, g: guard, c, x: c });
    if (label === null) continue;
    for (const d of derivedValues(label, name, p.value)) {
      items.push(d.value === undefined ? { k: d.key, g: guard, c } : { k: d.key, g: guard, c, x: d.value });
    }
  }
  return items;
}

const EMPTY_STATE_PROPS = { [SYSTEM_KEYS.live]: '', [SYSTEM_KEYS.tomb]: '', [SYSTEM_KEYS.up]: false } as const;

export function vertexRow(label: VertexLabel, key: string, state: ElementState): ElementRow {
  const id = vertexId({ label, key });
  return {
    m: new Map<unknown, unknown>([
      [t.id, gremlinVertexId(id)],
      [t.label, label],
    ]),
    c: { [SYSTEM_KEYS.id]: id, [SYSTEM_KEYS.ord]: orderKey(id), ...EMPTY_STATE_PROPS },
    live: versionMark(state.live),
    tomb: versionMark(state.tomb),
    p: propertyItems(state, label),
  };
}

export function edgeRow(write: EdgeWrite): ElementRow {
  return {
    m: new Map<unknown, unknown>([
      [t.label, write.label],
      [direction.out, gremlinVertexId(vertexId(write.from))],
      [direction.in, gremlinVertexId(vertexId(write.to))],
    ]),
    c: { ...EMPTY_STATE_PROPS },
    live: versionMark(write.state.live),
    tomb: versionMark(write.state.tomb),
    p: propertyItems(write.state, null),
  };
}

const NO_CHANGE: ElementState = { live: null, tomb: null, props: {} };

/**
 * The vertex rows of a batch: its vertices, then every edge endpoint the batch does not name
 * (a deleteEdge carries none), as an empty state that only makes sure the vertex exists.
 */
export function batchRows(batch: GraphBatch): { vertices: ElementRow[]; edges: ElementRow[] } {
  validateBatch(batch);
  const named = new Set<string>();
  const vertices: ElementRow[] = [];
  for (const v of batch.vertices) {
    named.add(vertexId(v));
    vertices.push(vertexRow(v.label, v.key, v.state));
  }
  for (const e of batch.edges) {
    for (const end of [e.from, e.to]) {
      const id = vertexId(end);
      if (named.has(id)) continue;
      named.add(id);
      vertices.push(vertexRow(end.label, end.key, NO_CHANGE));
    }
  }
  return { vertices, edges: batch.edges.map(edgeRow) };
}

function validateBatch(batch: GraphBatch): void {
  const checkVertex = (what: string, v: { label: string; key: string }) => {
    if (!isVertexLabel(v.label)) {
      throw new GremlinStoreError(
        'INVALID_ELEMENT',
        `GremlinStore.apply: ${what} has unknown label ${JSON.stringify(v.label)}`,
      );
    }
    if (typeof v.key !== 'string') {
      throw new GremlinStoreError('INVALID_ELEMENT', `GremlinStore.apply: ${what} ${v.label} has a non-string key`);
    }
  };
  for (const v of batch.vertices as readonly VertexWrite[]) {
    checkVertex('vertex', v);
    checkState(`vertex ${v.label}`, v.state);
  }
  for (const e of batch.edges) {
    if (!isEdgeLabel(e.label)) {
      throw new GremlinStoreError(
        'INVALID_ELEMENT',
        `GremlinStore.apply: unknown edge label ${JSON.stringify(e.label)}`,
      );
    }
    checkVertex('edge endpoint', e.from);
    checkVertex('edge endpoint', e.to);
    checkState(`edge ${e.label}`, e.state);
  }
}

/** Splits rows into chunks of at most `maxProperties` property items (a row counts one more), never splitting a row. */
export function chunkRows(rows: readonly ElementRow[], maxProperties: number): ElementRow[][] {
  const chunks: ElementRow[][] = [];
  let current: ElementRow[] = [];
  let weight = 0;
  for (const row of rows) {
    const w = 1 + row.p.length;
    if (current.length > 0 && weight + w > maxProperties) {
      chunks.push(current);
      current = [];
      weight = 0;
    }
    current.push(row);
    weight += w;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

// ---- the traversal, shared by vertices and edges -----------------------------------------

/** isLive: the newest upsert is newer than the newest tombstone. */
export function isLiveStep(): GraphTraversal {
  return __.project('l', 't').by(SYSTEM_KEYS.live).by(SYSTEM_KEYS.tomb).where('l', P.gt('t'));
}

/** `property()` for the element kind: vertex properties are single-valued explicitly. */
type SetProperty = (traversal: GraphTraversal, key: unknown, value: unknown) => GraphTraversal;
const setVertexProperty: SetProperty = (tr, key, value) => tr.property(cardinality.single, key, value);
const setEdgeProperty: SetProperty = (tr, key, value) => tr.property(key, value);

/** The merge rule, applied to the element labelled 'v' against the row labelled 'r'. */
function applyState(tr: GraphTraversal, set: SetProperty, pruneDerived: boolean): GraphTraversal {
  const prune = __.properties()
    .hasKey(TextP.startingWith(PROP_PREFIX))
    .where(P.lt('v'))
    .by(__.value())
    .by(SYSTEM_KEYS.tomb)
    .drop();
  let tombBranch = set(
    __.where(P.lt('r')).by(SYSTEM_KEYS.tomb).by('tomb'),
    SYSTEM_KEYS.tomb,
    __.select('r').select('tomb'),
  )
    // A newer tombstone hides everything written at or before it: drop it, as mergeStates does.
    .sideEffect(prune);
  if (pruneDerived) {
    tombBranch = tombBranch.sideEffect(
      __.union(...DERIVED_GUARDS.map(([derived, guard]) => __.not(__.has(guard)).properties(derived))).drop(),
    );
  }
  const keyIs = (field: string) => __.properties().where(P.eq('p')).by(__.key()).by(field);
  const writeProperty = set(
    __.select('v')
      // Older than the tombstone: never visible again.
      .where(P.lt('p'))
      .by(SYSTEM_KEYS.tomb)
      .by('c')
      // The guard already holds a newer version (or, at the same version, a greater JSON value).
      .not(keyIs('g').where(P.gt('p')).by(__.value()).by('c')),
    __.select('p').select('k'),
    __.select('p').select('x'),
  );
  const dropProperty = __.select('v')
    .where(P.lt('p'))
    .by(SYSTEM_KEYS.tomb)
    .by('c')
    .not(keyIs('g').where(P.gt('p')).by(__.value()).by('c'))
    .sideEffect(keyIs('k').drop());
  return set(
    tr
      .as('v')
      .sideEffect(
        set(__.where(P.lt('r')).by(SYSTEM_KEYS.live).by('live'), SYSTEM_KEYS.live, __.select('r').select('live')),
      )
      .sideEffect(tombBranch)
      .sideEffect(__.select('r').select('p').unfold().as('p').choose(__.select('x'), writeProperty, dropProperty))
      .select('v'),
    SYSTEM_KEYS.up,
    __.choose(isLiveStep(), __.constant(true), __.constant(false)),
  );
}

/** Upserts vertex rows; yields one count, the number of rows merged. */
export function vertexUpsertTraversal(g: GraphTraversalSource, rows: unknown): GraphTraversal {
  const merged = g.inject(rows).unfold().as('r').mergeV(__.select('m')).option(merge.onCreate, __.select('c'));
  return applyState(merged, setVertexProperty, true).count();
}

/** Upserts edge rows whose endpoints exist; yields one count, the number of rows merged. */
export function edgeUpsertTraversal(g: GraphTraversalSource, rows: unknown): GraphTraversal {
  const merged = g.inject(rows).unfold().as('r').mergeE(__.select('m')).option(merge.onCreate, __.select('c'));
  return applyState(merged, setEdgeProperty, false).count();
}
