/**
 * A coalesced GraphBatch → parameterized Cypher statements, grouped into transactions.
 * Pure: the TCK-style unit tests snapshot what this returns.
 *
 * One statement per vertex label and per (edge label, from label, to label), each an
 * `UNWIND $rows AS r MERGE …` over at most `batchSize` rows; statements are packed into
 * transactions of at most `batchSize` rows, vertices first. The version rule of
 * graph-schema `mergeStates` is applied by the Cypher itself (see `MERGE_STATE`), so a
 * write never depends on what the client last read.
 */
import {
  type EdgeWrite,
  edgeId,
  type GraphBatch,
  isEdgeLabel,
  isVertexLabel,
  type VertexRef,
  type VertexWrite,
  vertexId,
} from '../../../graph-schema';
import { edgeLabelText, keys, vertexLabelText } from './cypher-text';
import { Neo4jStoreError } from './neo4j-store-error';
import { toIdKey } from './sort-key';
import { KEY, LIVE, NOT_SEARCHABLE, type StateRow, searchableSet, stateRow, TOMB } from './stored-element';

export interface CypherStatement {
  readonly text: string;
  readonly params: Record<string, unknown>;
}

export interface WriteStatement extends CypherStatement {
  /** Elements the statement writes. */
  readonly rows: number;
}

export interface VertexRow extends StateRow {
  readonly id: string;
  readonly key: string;
}

export interface EdgeRow extends StateRow {
  readonly id: string;
  readonly from: string;
  readonly fromKey: string;
  readonly to: string;
  readonly toKey: string;
}

/** Default rows per statement and per transaction; see docs/benchmarks.md "Neo4j writes". */
export const DEFAULT_BATCH_SIZE = 5000;

/**
 * The merge of a row's state `r` into the stored element `x` — graph-schema `mergeStates`:
 * newest upsert and newest tombstone win; properties written at or before the tombstone
 * are dropped; each incoming property replaces the stored one only when its version is
 * newer, or equal with a greater JSON value. Versions and JSON are sort keys, so Cypher's
 * string order is JavaScript's. The caller must already hold the element's write lock:
 * the reads here then see every committed write, and no concurrent writer can interleave.
 */
function mergeState(x: string): string {
  const v = (name: string) => `${x}['${keys.version}' + ${name}]`;
  const t = (name: string) => `${x}['${keys.tie}' + ${name}]`;
  return [
    `WITH ${x}, r, CASE WHEN r.tomb IS NOT NULL AND (${x}.${TOMB} IS NULL OR r.tomb > ${x}.${TOMB}) THEN r.tomb ELSE ${x}.${TOMB} END AS tomb`,
    `SET ${x}.${LIVE} = CASE WHEN r.live IS NOT NULL AND (${x}.${LIVE} IS NULL OR r.live > ${x}.${LIVE}) THEN r.live ELSE ${x}.${LIVE} END,`,
    `  ${x}.${TOMB} = tomb`,
    `FOREACH (name IN CASE WHEN tomb IS NULL THEN [] ELSE [k IN keys(${x}) WHERE k STARTS WITH '${keys.version}' AND ${x}[k] <= tomb | substring(k, ${keys.version.length})] END |`,
    `  SET ${v('name')} = null, ${t('name')} = null, ${x}['${keys.json}' + name] = null, ${x}['${keys.search}' + name] = null,`,
    `    ${x}[name] = null)`,
    `FOREACH (p IN [p IN r.props WHERE (tomb IS NULL OR p.v > tomb) AND (${v('p.k')} IS NULL OR p.v > ${v('p.k')} OR (p.v = ${v('p.k')} AND p.j > ${t('p.k')}))] |`,
    `  SET ${v('p.k')} = p.v, ${t('p.k')} = p.j, ${x}['${keys.json}' + p.k] = p.x, ${x}['${keys.search}' + p.k] = p.s,`,
    `    ${x}[p.k] = p.n)`,
  ].join('\n');
}

/**
 * Write statements keep their first plan. Each batch grows the graph, so Neo4j found its
 * statistics diverged and replanned these statements (≈ 40–80 ms each) about once per run,
 * which cost more than the writes themselves (docs/benchmarks.md "Neo4j writes"). Their plan
 * does not depend on statistics: MERGE on the uniqueness constraint is always a locking
 * unique-index seek, and the edge MERGE expands between its two bound ends (Expand(Into)
 * starts from the end of lower degree at run time).
 */
const KEEP_PLAN = 'CYPHER replan=skip';

/** `SET …c360key` on every merged vertex takes its write lock before the state is read. */
export function vertexMergeText(label: string): string {
  return [
    KEEP_PLAN,
    'UNWIND $rows AS r',
    `MERGE (n:${vertexLabelText(label)} {${keys.id}: r.id})`,
    `SET n.${KEY} = r.key`,
    mergeState('n'),
  ].join('\n');
}

/**
 * Endpoints are merged too (a `deleteEdge` names vertices the batch may not hold); a vertex
 * created here has no upsert, so it stays invisible until one arrives. `SET e.c360id` takes
 * the relationship's write lock before its state is read.
 */
export function edgeMergeText(label: string, fromLabel: string, toLabel: string): string {
  return [
    KEEP_PLAN,
    'UNWIND $rows AS r',
    `MERGE (a:${vertexLabelText(fromLabel)} {${keys.id}: r.from})`,
    `ON CREATE SET a.${KEY} = r.fromKey`,
    `MERGE (b:${vertexLabelText(toLabel)} {${keys.id}: r.to})`,
    `ON CREATE SET b.${KEY} = r.toKey`,
    `MERGE (a)-[e:${edgeLabelText(label)}]->(b)`,
    `SET e.${keys.id} = r.id`,
    mergeState('e'),
  ].join('\n');
}

function invalid(message: string): Neo4jStoreError {
  return new Neo4jStoreError('INVALID_ELEMENT', `Neo4jStore.apply: ${message}`);
}

function checkRef(what: string, ref: VertexRef): void {
  if (typeof ref.label !== 'string' || !isVertexLabel(ref.label)) {
    throw invalid(`${what} has unknown label ${JSON.stringify(ref.label)}`);
  }
  if (typeof ref.key !== 'string') throw invalid(`${what} ${ref.label} has a non-string key`);
}

/** Rejects, before anything is written, what cannot be stored: the whole batch fails, not retriable. */
export function validateBatch(batch: GraphBatch): void {
  for (const v of batch.vertices) checkRef('vertex', v);
  for (const e of batch.edges) {
    if (typeof e.label !== 'string' || !isEdgeLabel(e.label)) {
      throw invalid(`unknown edge label ${JSON.stringify(e.label)}`);
    }
    checkRef('edge endpoint', e.from);
    checkRef('edge endpoint', e.to);
  }
}

function vertexRow(v: VertexWrite): VertexRow {
  return { id: toIdKey(vertexId(v)), key: v.key, ...stateRow(v.state, searchableSet(v.label)) };
}

function edgeRow(e: EdgeWrite): EdgeRow {
  const from = vertexId(e.from);
  const to = vertexId(e.to);
  return {
    id: edgeId(e.label, from, to),
    from: toIdKey(from),
    fromKey: e.from.key,
    to: toIdKey(to),
    toKey: e.to.key,
    ...stateRow(e.state, NOT_SEARCHABLE),
  };
}

/** Rows in a fixed order (by id) so that concurrent writers lock elements in the same order and rarely deadlock. */
function byId(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return new Map([...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function chunks<T>(rows: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/** The statements of a batch, vertices first, in the order they must run. */
export function planWriteStatements(batch: GraphBatch, batchSize = DEFAULT_BATCH_SIZE): WriteStatement[] {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Neo4jStoreError('BAD_QUERY', `Neo4jStore: batchSize must be a positive integer, got ${batchSize}`);
  }
  validateBatch(batch);
  const statements: WriteStatement[] = [];
  for (const [label, writes] of groupBy(batch.vertices, (v) => v.label)) {
    const text = vertexMergeText(label);
    for (const rows of chunks(writes.map(vertexRow).sort(byId), batchSize)) {
      statements.push({ text, params: { rows }, rows: rows.length });
    }
  }
  for (const [, writes] of groupBy(batch.edges, (e) => `${e.label} ${e.from.label} ${e.to.label}`)) {
    const text = edgeMergeText(writes[0].label, writes[0].from.label, writes[0].to.label);
    for (const rows of chunks(writes.map(edgeRow).sort(byId), batchSize)) {
      statements.push({ text, params: { rows }, rows: rows.length });
    }
  }
  return statements;
}

/** Consecutive statements packed into transactions of at most `batchSize` rows (a bigger statement alone). */
export function planWriteTransactions(batch: GraphBatch, batchSize = DEFAULT_BATCH_SIZE): WriteStatement[][] {
  const transactions: WriteStatement[][] = [];
  let current: WriteStatement[] = [];
  let rows = 0;
  for (const statement of planWriteStatements(batch, batchSize)) {
    if (current.length > 0 && rows + statement.rows > batchSize) {
      transactions.push(current);
      current = [];
      rows = 0;
    }
    current.push(statement);
    rows += statement.rows;
  }
  if (current.length > 0) transactions.push(current);
  return transactions;
}
