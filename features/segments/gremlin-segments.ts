/**
 * Segment definitions → Gremlin bytecode, built with the driver's `process.statics`
 * and GraphTraversal; every value from a definition is a step argument (bytecode
 * data), never text of a script.
 *
 * It reads the Gremlin store's encoding (services/graph/gremlin/element-encoding.ts):
 * a property is `c.<name>` = `<version>\u0001<JSON value>`, liveness is `_up`, element
 * versions `_live`/`_tomb`, a numeric `ts` is copied to `t`, `_ord` orders ids in
 * UTF-8 byte order. So:
 * - equality is `endingWith('\u0001' + JSON)` (the separator occurs once: versions hold
 *   no control characters and JSON escapes them), a string prefix is
 *   `containing('\u0001"' + escaped prefix)`;
 * - numeric comparisons take the JSON after the separator and `asNumber()` it (TinkerPop
 *   3.8), guarded by a regex so only numbers are parsed;
 * - every hop applies graph-schema's `isEdgeVisible` (edge and ends live, edge newer
 *   than either end's tombstone), like the store's own reads.
 */
import * as gremlin from 'gremlin';
import type { EdgeLabel, Page, VertexLabel } from '../../graph-schema';
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

const { P, TextP } = gremlin.process;

/** Steps of TinkerPop 3.7/3.8 that the driver has and @types/gremlin does not declare yet. */
type GraphTraversal = gremlin.process.GraphTraversal & {
  split(separator: string): GraphTraversal;
  asNumber(): GraphTraversal;
};
type GraphTraversalSource = gremlin.process.GraphTraversalSource;
const __ = gremlin.process.statics as unknown as {
  [K in keyof typeof gremlin.process.statics]: (...args: unknown[]) => GraphTraversal;
};

/** The Gremlin store's layout (kept in step with services/graph/gremlin/element-encoding.ts). */
export const GREMLIN_LAYOUT = {
  id: 'c360id',
  ord: '_ord',
  live: '_live',
  tomb: '_tomb',
  up: '_up',
  propPrefix: 'c.',
  separator: '\u0001',
  ts: 't',
} as const;
const { separator: SEP } = GREMLIN_LAYOUT;
const prop = (name: string) => `${GREMLIN_LAYOUT.propPrefix}${name}`;
/** The stored value is a JSON scalar (string, number, boolean), not an object, list or null. */
const SCALAR = `^[^${SEP}]*${SEP}["0-9tf-]`;
const NUMBER = `^[^${SEP}]*${SEP}-?[0-9]`;

/** `Label:key` ids as `_ord` values: UTF-8 bytes as Latin-1, so server string order is byte order. */
export function gremlinOrderKey(id: string): string {
  return Buffer.from(id, 'utf8').toString('latin1');
}

interface Hop {
  readonly out: boolean;
  readonly edges: readonly EdgeLabel[];
  readonly to: readonly VertexLabel[];
}
const hopOf = (out: boolean, edges: EdgeLabel[], to: VertexLabel[]): Hop => ({ out, edges, to });
const IDENTITIES = hopOf(true, ['HAS_IDENTITY'], ['Identity']);
const CLAIMED_BY = hopOf(false, ['HAS_IDENTITY'], ['Customer']);
const PERFORMED = hopOf(true, ['PERFORMED'], ['Event']);
const PLACED = hopOf(true, ['PLACED'], ['Order']);
const PLACED_BY = hopOf(false, ['PLACED'], ['Customer', 'Identity']);
const ABOUT = hopOf(true, ['ABOUT'], ['Product']);
const CONTAINS = hopOf(true, ['CONTAINS'], ['Product']);
const CONTAINED_IN = hopOf(false, ['CONTAINS'], ['Order']);
const DEVICES = hopOf(true, ['USES_DEVICE'], ['Device']);
const DEVICE_USERS = hopOf(false, ['USES_DEVICE'], ['Customer', 'Identity']);
const ACCOUNTS = hopOf(true, ['BELONGS_TO', 'OWNS'], ['Account']);
const ACCOUNT_MEMBERS = hopOf(false, ['BELONGS_TO', 'OWNS'], ['Customer', 'Identity']);
const MEMBER_OF = hopOf(true, ['MEMBER_OF'], ['Segment']);

/** Step labels must be unique per nesting so that `shares.with` can name its own customer. */
class Labels {
  private n = 0;
  next(prefix: string): string {
    this.n++;
    return `${prefix}${this.n}`;
  }
}

/** Appends a visible hop to `tr` (graph-schema `isEdgeVisible`). */
function hop(tr: GraphTraversal, labels: Labels, h: Hop): GraphTraversal {
  const { up, live, tomb } = GREMLIN_LAYOUT;
  const s = labels.next('s');
  const e = labels.next('e');
  let t = tr.as(s);
  t = (h.out ? t.outE(...h.edges) : t.inE(...h.edges)).has(up, true).as(e).where(P.gt(s)).by(live).by(tomb);
  t = (h.out ? t.inV() : t.outV()).has(up, true);
  if (h.to.length > 0) t = t.hasLabel(...h.to);
  return t.where(P.lt(e)).by(tomb).by(live);
}

/** From a customer: itself and every identity it claims. */
function owners(labels: Labels): GraphTraversal {
  return __.union(__.identity(), hop(__.identity(), labels, IDENTITIES));
}

/** From Customer/Identity vertices: the customers behind them. */
function customersOf(tr: GraphTraversal, labels: Labels): GraphTraversal {
  return tr.union(__.hasLabel('Customer'), hop(__.hasLabel('Identity'), labels, CLAIMED_BY)).dedup();
}

const json = (v: unknown) => JSON.stringify(v);
/** A literal inside a Java regular expression (TinkerPop's TextP.regex). */
const escapeRegex = (text: string) => text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');

/** A filter on the current vertex implementing testProperty's semantics. */
export function gremlinPropertyFilter(test: PropertyTest): GraphTraversal {
  const key = prop(test.name);
  const is = (v: unknown) => TextP.endingWith(`${SEP}${json(v)}`);
  const isNot = (v: unknown) => TextP.notEndingWith(`${SEP}${json(v)}`);
  const numeric = (p: gremlin.process.P) =>
    __.has(key, TextP.regex(NUMBER)).filter(__.values(key).split(SEP).unfold().tail().asNumber().is(p));
  switch (test.op) {
    case 'exists':
      return __.has(key, isNot(null));
    case 'notExists':
      return __.not(__.has(key, isNot(null)));
    case 'eq':
      return __.has(key, is(test.value));
    case 'neq':
      return __.has(key, TextP.regex(SCALAR)).has(key, isNot(test.value));
    case 'in':
      return test.value.length === 1
        ? __.has(key, is(test.value[0]))
        : __.or(...test.value.map((v) => __.has(key, is(v))));
    case 'notIn': {
      let t = __.has(key, TextP.regex(SCALAR));
      for (const v of test.value) t = t.has(key, isNot(v));
      return t;
    }
    case 'gt':
      return numeric(P.gt(test.value));
    case 'gte':
      return numeric(P.gte(test.value));
    case 'lt':
      return numeric(P.lt(test.value));
    case 'lte':
      return numeric(P.lte(test.value));
    case 'startsWith':
      // The JSON of the prefix without its closing quote is a prefix of the JSON of any string it starts.
      return __.has(key, TextP.containing(`${SEP}${json(test.value).slice(0, -1)}`));
    default: {
      const never: never = test;
      throw new TypeError(`gremlinPropertyFilter: unknown op ${JSON.stringify(never)}`);
    }
  }
}

function countFilter(items: GraphTraversal, bounds: CountBounds): GraphTraversal {
  const { min, max } = countRange(bounds);
  let counted = items.dedup().count();
  if (min > 0) counted = counted.is(P.gte(min));
  if (max !== null) counted = counted.is(P.lte(max));
  return __.filter(counted);
}

function behaviour(
  labels: Labels,
  now: number,
  itemsHop: Hop,
  productHop: Hop,
  bounds: CountBounds & { product?: ProductFilter },
  equals: Readonly<Record<string, string | undefined>>,
): GraphTraversal {
  let items = hop(owners(labels), labels, itemsHop);
  for (const [name, value] of Object.entries(equals)) {
    if (value !== undefined) items = items.has(prop(name), TextP.endingWith(`${SEP}${json(value)}`));
  }
  if (bounds.within !== undefined) {
    items = items.has(GREMLIN_LAYOUT.ts, P.gte(now - durationMs(bounds.within))).has(GREMLIN_LAYOUT.ts, P.lte(now));
  }
  if (bounds.product !== undefined) {
    items = items.filter(
      hop(__.identity(), labels, productHop).has(
        prop('category'),
        // Categories match ignoring case ("tv" finds "TV"): the stored value is `<version><SEP><json>`.
        TextP.regex(`(?i)${escapeRegex(`${SEP}${json(bounds.product.category)}`)}$`),
      ),
    );
  }
  return countFilter(items, bounds);
}

/** A filter traversal over Customer vertices that keeps the members. */
export function gremlinSegmentFilter(definition: SegmentDefinition, now: number): GraphTraversal {
  return compile(definition, now, new Labels());
}

function compile(c: Condition, now: number, labels: Labels): GraphTraversal {
  if ('and' in c)
    return c.and.length === 1 ? compile(c.and[0], now, labels) : __.and(...c.and.map((x) => compile(x, now, labels)));
  if ('or' in c)
    return c.or.length === 1 ? compile(c.or[0], now, labels) : __.or(...c.or.map((x) => compile(x, now, labels)));
  if ('not' in c) return __.not(compile(c.not, now, labels));
  if ('trait' in c) return gremlinPropertyFilter(c.trait);
  if ('event' in c) {
    return behaviour(labels, now, PERFORMED, ABOUT, c.event, { type: c.event.type, name: c.event.name });
  }
  if ('order' in c) return behaviour(labels, now, PLACED, CONTAINS, c.order, { status: c.order.status });
  if ('device' in c) {
    let devices = hop(owners(labels), labels, DEVICES);
    for (const t of c.device.where) devices = devices.filter(gremlinPropertyFilter(t));
    return __.filter(devices);
  }
  if ('segment' in c) {
    return __.filter(hop(__.identity(), labels, MEMBER_OF).has(GREMLIN_LAYOUT.id, `Segment:${c.segment}`));
  }
  if ('shares' in c) {
    const self = labels.next('c');
    const [via, back] = c.shares.via === 'device' ? [DEVICES, DEVICE_USERS] : [ACCOUNTS, ACCOUNT_MEMBERS];
    const things = hop(__.as(self).union(__.identity(), hop(__.identity(), labels, IDENTITIES)), labels, via);
    const mates = customersOf(hop(things.dedup(), labels, back), labels).where(P.neq(self));
    return __.filter(mates.filter(compile(c.shares.with, now, labels)));
  }
  if ('boughtWith' in c) {
    const other = `Customer:${c.boughtWith.customer}`;
    const products = hop(hop(owners(labels), labels, PLACED), labels, CONTAINS).dedup();
    const boughtByOther = customersOf(hop(hop(__.identity(), labels, CONTAINED_IN), labels, PLACED_BY), labels).has(
      GREMLIN_LAYOUT.id,
      other,
    );
    return __.not(__.has(GREMLIN_LAYOUT.id, other)).filter(products.filter(boughtByOther));
  }
  const never: never = c;
  throw new TypeError(`gremlinSegmentFilter: unknown condition ${JSON.stringify(never)}`);
}

function customers(g: GraphTraversalSource): GraphTraversal {
  return g.V().hasLabel('Customer').has(GREMLIN_LAYOUT.up, true) as GraphTraversal;
}

/** Member ids in id order, `first + 1` of them so the caller knows whether a next page exists. */
export function gremlinMembersTraversal(
  g: GraphTraversalSource,
  definition: SegmentDefinition,
  request: MembersRequest,
): GraphTraversal {
  let tr = customers(g);
  if (request.after) tr = tr.has(GREMLIN_LAYOUT.ord, P.gt(gremlinOrderKey(request.after)));
  return tr
    .filter(gremlinSegmentFilter(definition, request.now))
    .order()
    .by(GREMLIN_LAYOUT.ord)
    .limit(request.first + 1)
    .values(GREMLIN_LAYOUT.id);
}

export function gremlinCountTraversal(
  g: GraphTraversalSource,
  definition: SegmentDefinition,
  at: EvaluationTime,
): GraphTraversal {
  return customers(g).filter(gremlinSegmentFilter(definition, at.now)).count();
}

/** The members among the given customer ids. */
export function gremlinCheckTraversal(
  g: GraphTraversalSource,
  definition: SegmentDefinition,
  customerIds: readonly string[],
  at: EvaluationTime,
): GraphTraversal {
  return (g.V(...customerIds) as GraphTraversal)
    .hasLabel('Customer')
    .has(GREMLIN_LAYOUT.up, true)
    .filter(gremlinSegmentFilter(definition, at.now))
    .values(GREMLIN_LAYOUT.id);
}

export interface GremlinSegmentEvaluatorOptions {
  /**
   * Runs a traversal built on a source bound to the server and returns all its results:
   * the Gremlin store's `traverse` (its connections and retries), or `(build) => build(g).toList()`.
   */
  readonly run: <T>(build: (g: GraphTraversalSource) => GraphTraversal) => Promise<T[]>;
}

/** Runs compiled traversals on a Gremlin server: the database does the work, c360 gets ids and counts. */
export function createGremlinSegmentEvaluator(options: GremlinSegmentEvaluatorOptions): SegmentEvaluator {
  const { run } = options;
  const count = async (definition: SegmentDefinition, at: EvaluationTime) => {
    const [n] = await run((g) => gremlinCountTraversal(g, definition, at));
    return Number(n);
  };
  const members = async (definition: SegmentDefinition, request: MembersRequest): Promise<Page<string>> => {
    const ids = await run<string>((g) => gremlinMembersTraversal(g, definition, request));
    const items = ids.slice(0, request.first);
    return { items, cursors: items, hasNextPage: ids.length > request.first };
  };
  return {
    backend: 'gremlin',
    count,
    members,
    async preview(definition, request): Promise<SegmentPreviewResult> {
      const [n, page] = await Promise.all([count(definition, request), members(definition, request)]);
      return { count: n, members: page };
    },
    async check(definition, customerIds, at) {
      if (customerIds.length === 0) return [];
      const found = new Set(await run<string>((g) => gremlinCheckTraversal(g, definition, customerIds, at)));
      return customerIds.map((id) => found.has(id));
    },
  };
}
