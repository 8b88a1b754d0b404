/**
 * Segment definitions → parameterized Cypher for the Neo4j store. Labels and
 * relationship types come only from graph-schema's closed sets (checked again
 * here); every value from a definition — trait names included, through dynamic
 * property access `n[$p]` — is a query parameter.
 *
 * It reads the Neo4j store's layout (services/graph/neo4j/stored-element.ts): a
 * user property's scalar value is stored under its own name (or `c360p:<escaped>`
 * for names that would clash), objects and lists as JSON under `c360json:<name>`;
 * liveness is `c360live`/`c360tomb`, and the store prunes properties a tombstone
 * hides and removes unset ones, so a present property is a visible one.
 */
import neo4j from 'neo4j-driver';
import { type EdgeLabel, isEdgeLabel, isVertexLabel, type Page, type VertexLabel } from '../../graph-schema';
import {
  type Condition,
  type CountBounds,
  countRange,
  durationMs,
  type ProductFilter,
  type PropertyTest,
  type SegmentDefinition,
} from './segment-definition';
import type { EvaluationTime, MembersRequest, SegmentEvaluator, SegmentPreviewResult } from './segment-evaluator';

/** The Neo4j store's layout (kept in step with services/graph/neo4j/stored-element.ts). */
export const NEO4J_LAYOUT = {
  id: 'c360id',
  live: 'c360live',
  tomb: 'c360tomb',
  internalPrefix: 'c360',
  escapePrefix: 'c360p:',
  jsonPrefix: 'c360json:',
} as const;

/** The key a user property is stored under (the Neo4j store's `encodeName`). */
export function neo4jPropertyKey(name: string): string {
  return name === '' || name.startsWith(NEO4J_LAYOUT.internalPrefix) || name.includes('\u0000')
    ? NEO4J_LAYOUT.escapePrefix + encodeURIComponent(name)
    : name;
}

export interface CypherQuery {
  readonly text: string;
  readonly params: Record<string, unknown>;
}

export class CypherCompileError extends TypeError {
  override name = 'CypherCompileError';
}

function vertexLabel(label: VertexLabel): string {
  if (!isVertexLabel(label) || !/^[A-Za-z]+$/.test(label)) throw new CypherCompileError(`not a vertex label: ${label}`);
  return label;
}
function edgeLabels(labels: readonly EdgeLabel[]): string {
  for (const l of labels) {
    if (!isEdgeLabel(l) || !/^[A-Z_]+$/.test(l)) throw new CypherCompileError(`not an edge label: ${l}`);
  }
  return labels.join('|');
}

const live = (x: string) =>
  `(${x}.${NEO4J_LAYOUT.live} IS NOT NULL AND (${x}.${NEO4J_LAYOUT.tomb} IS NULL OR ${x}.${NEO4J_LAYOUT.live} > ${x}.${NEO4J_LAYOUT.tomb}))`;
/** graph-schema `isEdgeVisible`. */
const visible = (e: string, from: string, to: string) =>
  [
    live(e),
    live(from),
    live(to),
    `(${from}.${NEO4J_LAYOUT.tomb} IS NULL OR ${e}.${NEO4J_LAYOUT.live} > ${from}.${NEO4J_LAYOUT.tomb})`,
    `(${to}.${NEO4J_LAYOUT.tomb} IS NULL OR ${e}.${NEO4J_LAYOUT.live} > ${to}.${NEO4J_LAYOUT.tomb})`,
  ].join(' AND ');

/** Compilation state: fresh variable and parameter names. */
class Scope {
  private vars = 0;
  readonly params: Record<string, unknown> = {};
  v(prefix: string): string {
    this.vars++;
    return `${prefix}${this.vars}`;
  }
  p(value: unknown): string {
    const name = `p${Object.keys(this.params).length}`;
    this.params[name] = value;
    return `$${name}`;
  }
}

/**
 * A path pattern grown hop by hop, with the visibility condition of every part.
 * `owners()` is zero or one visible HAS_IDENTITY hop: the customer and every
 * identity it claims, the vertices its events, orders and devices hang off.
 */
class PathPattern {
  private text: string;
  readonly where: string[] = [];
  end: string;
  constructor(
    private readonly s: Scope,
    start: string,
    label?: VertexLabel,
  ) {
    this.text = label ? `(${start}:${vertexLabel(label)})` : `(${start})`;
    this.end = start;
  }

  owners(ownerVar?: string): this {
    const hs = this.s.v('hs');
    const h = this.s.v('h');
    const o = ownerVar ?? this.s.v('o');
    const from = this.end;
    this.text += `-[${hs}:HAS_IDENTITY*0..1]->(${o})`;
    this.where.push(`all(${h} IN ${hs} WHERE ${visible(h, from, o)})`);
    this.end = o;
    return this;
  }

  hop(out: boolean, edges: readonly EdgeLabel[], to: readonly VertexLabel[]): this {
    const e = this.s.v('r');
    const t = this.s.v('n');
    const from = this.end;
    const rel = `[${e}:${edgeLabels(edges)}]`;
    const node = `(${t}${to.length === 1 ? `:${vertexLabel(to[0])}` : ''})`;
    this.text += out ? `-${rel}->${node}` : `<-${rel}-${node}`;
    this.where.push(out ? visible(e, from, t) : visible(e, t, from));
    if (to.length > 1) this.where.push(`(${to.map((l) => `${t}:${vertexLabel(l)}`).join(' OR ')})`);
    this.end = t;
    return this;
  }

  match(...extra: string[]): string {
    return `MATCH ${this.text} WHERE ${[...this.where, ...extra].join(' AND ')}`;
  }
}

/** A predicate on `x` implementing testProperty's semantics. */
export function cypherPropertyPredicate(s: Scope, x: string, test: PropertyTest): string {
  const key = s.p(neo4jPropertyKey(test.name));
  const value = `${x}[${key}]`;
  switch (test.op) {
    case 'exists':
    case 'notExists': {
      const jsonKey = s.p(NEO4J_LAYOUT.jsonPrefix + neo4jPropertyKey(test.name));
      const present = `(${value} IS NOT NULL OR ${x}[${jsonKey}] IS NOT NULL)`;
      return test.op === 'exists' ? present : `NOT ${present}`;
    }
    case 'eq':
      return `${value} = ${s.p(test.value)}`;
    case 'neq':
      return `(${value} IS NOT NULL AND ${value} <> ${s.p(test.value)})`;
    case 'in':
      return `${value} IN ${s.p([...test.value])}`;
    case 'notIn':
      return `(${value} IS NOT NULL AND NOT ${value} IN ${s.p([...test.value])})`;
    // A comparison with a value of another type is null in Cypher, so non-numbers never match.
    case 'gt':
      return `${value} > ${s.p(test.value)}`;
    case 'gte':
      return `${value} >= ${s.p(test.value)}`;
    case 'lt':
      return `${value} < ${s.p(test.value)}`;
    case 'lte':
      return `${value} <= ${s.p(test.value)}`;
    case 'startsWith':
      return `${value} STARTS WITH ${s.p(test.value)}`;
    default: {
      const never: never = test;
      throw new CypherCompileError(`unknown op ${JSON.stringify(never)}`);
    }
  }
}

function countPredicate(s: Scope, subquery: string, bounds: CountBounds): string {
  const { min, max } = countRange(bounds);
  const parts: string[] = [];
  if (min > 0) parts.push(`${subquery} >= ${s.p(min)}`);
  if (max !== null) parts.push(`${subquery} <= ${s.p(max)}`);
  return parts.length === 0 ? 'true' : `(${parts.join(' AND ')})`;
}

function behaviour(
  s: Scope,
  c: string,
  now: number,
  items: { edge: EdgeLabel; label: VertexLabel; productEdge: EdgeLabel },
  bounds: CountBounds & { product?: ProductFilter },
  equals: Readonly<Record<string, string | undefined>>,
): string {
  const path = new PathPattern(s, c).owners().hop(true, [items.edge], [items.label]);
  const item = path.end;
  const where: string[] = [];
  for (const [name, value] of Object.entries(equals)) {
    // Fixed schema property names (type, name, status): safe as identifiers.
    if (value !== undefined) where.push(`${item}.${name} = ${s.p(value)}`);
  }
  if (bounds.within !== undefined) {
    where.push(`${item}.ts >= ${s.p(now - durationMs(bounds.within))}`, `${item}.ts <= ${s.p(now)}`);
  }
  if (bounds.product !== undefined) {
    const product = new PathPattern(s, item).hop(true, [items.productEdge], ['Product']);
    // Categories match ignoring case ("tv" finds "TV"), as on every store.
    where.push(
      `EXISTS { ${product.match(`toLower(${product.end}.category) = toLower(${s.p(bounds.product.category)})`)} }`,
    );
  }
  return countPredicate(s, `COUNT { ${path.match(...where)} RETURN DISTINCT ${item} }`, bounds);
}

/**
 * From customer `c`, the other live customers sharing a device/account, bound to `mate`.
 * Separate MATCH clauses: Cypher's relationship uniqueness is per pattern, and one
 * relationship may legitimately serve both sides.
 */
function matesMatch(s: Scope, c: string, via: 'device' | 'account'): { text: string; mate: string } {
  const [edges, label]: [EdgeLabel[], VertexLabel] =
    via === 'device' ? [['USES_DEVICE'], 'Device'] : [['BELONGS_TO', 'OWNS'], 'Account'];
  const mine = new PathPattern(s, c).owners().hop(true, edges, [label]);
  const users = new PathPattern(s, mine.end).hop(false, edges, ['Customer', 'Identity']);
  const mate = s.v('m');
  const theirs = new PathPattern(s, mate, 'Customer').owners(users.end);
  return { text: [mine.match(), users.match(), theirs.match(live(mate), `${mate} <> ${c}`)].join(' '), mate };
}

function compile(s: Scope, c: Condition, x: string, now: number): string {
  if ('and' in c) return `(${c.and.map((y) => compile(s, y, x, now)).join(' AND ')})`;
  if ('or' in c) return `(${c.or.map((y) => compile(s, y, x, now)).join(' OR ')})`;
  if ('not' in c) return `NOT ${compile(s, c.not, x, now)}`;
  if ('trait' in c) return cypherPropertyPredicate(s, x, c.trait);
  if ('event' in c) {
    return behaviour(s, x, now, { edge: 'PERFORMED', label: 'Event', productEdge: 'ABOUT' }, c.event, {
      type: c.event.type,
      name: c.event.name,
    });
  }
  if ('order' in c) {
    return behaviour(s, x, now, { edge: 'PLACED', label: 'Order', productEdge: 'CONTAINS' }, c.order, {
      status: c.order.status,
    });
  }
  if ('device' in c) {
    const path = new PathPattern(s, x).owners().hop(true, ['USES_DEVICE'], ['Device']);
    const device = path.end;
    return `EXISTS { ${path.match(...c.device.where.map((t) => cypherPropertyPredicate(s, device, t)))} }`;
  }
  if ('segment' in c) {
    const path = new PathPattern(s, x).hop(true, ['MEMBER_OF'], ['Segment']);
    return `EXISTS { ${path.match(`${path.end}.${NEO4J_LAYOUT.id} = ${s.p(`Segment:${c.segment}`)}`)} }`;
  }
  if ('shares' in c) {
    const { text, mate } = matesMatch(s, x, c.shares.via);
    return `EXISTS { ${text} AND ${compile(s, c.shares.with, mate, now)} }`;
  }
  if ('boughtWith' in c) {
    const other = s.p(`Customer:${c.boughtWith.customer}`);
    const mine = new PathPattern(s, x).owners().hop(true, ['PLACED'], ['Order']).hop(true, ['CONTAINS'], ['Product']);
    const theirs = new PathPattern(s, mine.end)
      .hop(false, ['CONTAINS'], ['Order'])
      .hop(false, ['PLACED'], ['Customer', 'Identity']);
    const y = s.v('y');
    const buyer = new PathPattern(s, y, 'Customer').owners(theirs.end);
    const clauses = [mine.match(), theirs.match(), buyer.match(live(y), `${y}.${NEO4J_LAYOUT.id} = ${other}`)];
    return `(${x}.${NEO4J_LAYOUT.id} <> ${other} AND EXISTS { ${clauses.join(' ')} })`;
  }
  const never: never = c;
  throw new CypherCompileError(`unknown condition ${JSON.stringify(never)}`);
}

/** The WHERE predicate on customer variable `c` and its parameters. */
export function cypherSegmentPredicate(definition: SegmentDefinition, now: number): CypherQuery {
  const s = new Scope();
  const text = compile(s, definition, 'c', now);
  return { text, params: s.params };
}

function query(lines: readonly string[], params: Record<string, unknown>): CypherQuery {
  return { text: lines.join('\n'), params };
}

/** Member ids in id order, `first + 1` of them so the caller knows whether a next page exists. */
export function cypherMembersQuery(definition: SegmentDefinition, request: MembersRequest): CypherQuery {
  const { text, params } = cypherSegmentPredicate(definition, request.now);
  const after = request.after ? ` AND c.${NEO4J_LAYOUT.id} > $after` : '';
  return query(
    [
      'MATCH (c:Customer)',
      `WHERE ${live('c')}${after}`,
      `  AND ${text}`,
      `RETURN c.${NEO4J_LAYOUT.id} AS id`,
      'ORDER BY id',
      'LIMIT $limit',
    ],
    // LIMIT takes an integer; the driver would send a JS number as a float.
    { ...params, ...(request.after ? { after: request.after } : {}), limit: neo4j.int(request.first + 1) },
  );
}

export function cypherCountQuery(definition: SegmentDefinition, at: EvaluationTime): CypherQuery {
  const { text, params } = cypherSegmentPredicate(definition, at.now);
  return query(['MATCH (c:Customer)', `WHERE ${live('c')}`, `  AND ${text}`, 'RETURN count(c) AS count'], params);
}

export function cypherCheckQuery(
  definition: SegmentDefinition,
  customerIds: readonly string[],
  at: EvaluationTime,
): CypherQuery {
  const { text, params } = cypherSegmentPredicate(definition, at.now);
  return query(
    [
      'UNWIND $ids AS id',
      `MATCH (c:Customer {${NEO4J_LAYOUT.id}: id})`,
      `WHERE ${live('c')}`,
      `  AND ${text}`,
      `RETURN c.${NEO4J_LAYOUT.id} AS id`,
    ],
    { ...params, ids: [...customerIds] },
  );
}

/** What the Cypher evaluator needs from a driver: run one read query, get records as plain objects. */
export type CypherReader = (query: CypherQuery) => Promise<readonly Record<string, unknown>[]>;

export interface CypherSegmentEvaluatorOptions {
  readonly read: CypherReader;
}

const toNumber = (v: unknown): number =>
  typeof v === 'number'
    ? v
    : typeof v === 'bigint'
      ? Number(v)
      : typeof (v as { toNumber?: unknown })?.toNumber === 'function'
        ? (v as { toNumber(): number }).toNumber()
        : Number(v);

/**
 * Runs compiled Cypher through `read` (the composition root adapts a neo4j-driver
 * session: `session.executeRead(tx => tx.run(text, params))`, with `limit` as an integer).
 */
export function createCypherSegmentEvaluator(options: CypherSegmentEvaluatorOptions): SegmentEvaluator {
  const { read } = options;
  const count = async (definition: SegmentDefinition, at: EvaluationTime) => {
    const rows = await read(cypherCountQuery(definition, at));
    return toNumber(rows[0]?.count ?? 0);
  };
  const members = async (definition: SegmentDefinition, request: MembersRequest): Promise<Page<string>> => {
    const rows = await read(cypherMembersQuery(definition, request));
    const ids = rows.map((r) => String(r.id));
    const items = ids.slice(0, request.first);
    return { items, cursors: items, hasNextPage: ids.length > request.first };
  };
  return {
    backend: 'neo4j',
    count,
    members,
    async preview(definition, request): Promise<SegmentPreviewResult> {
      const [n, page] = await Promise.all([count(definition, request), members(definition, request)]);
      return { count: n, members: page };
    },
    async check(definition, customerIds, at) {
      if (customerIds.length === 0) return [];
      const rows = await read(cypherCheckQuery(definition, customerIds, at));
      const found = new Set(rows.map((r) => String(r.id)));
      return customerIds.map((id) => found.has(id));
    },
  };
}
