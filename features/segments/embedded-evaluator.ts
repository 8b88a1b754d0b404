/**
 * The reference evaluator: answers a definition with nothing but the GraphStore read
 * API, so it works over every store and defines what the Gremlin and Cypher
 * compilers must return. Customers are evaluated a page at a time; each condition
 * sees only the customers still undecided (an `and` stops at the first false
 * child), and every store read of a page is one batched `neighbors` call.
 *
 * It also reports, per customer, the next instant at which a time window alone
 * could change the answer (`nextCheckAt`) — what live segments schedule on.
 */
import {
  type BehaviourIndex,
  type BehaviourItem,
  type EdgeLabel,
  endCursorOf,
  type GraphStore,
  hasBehaviourIndex,
  hasLabelPartitions,
  type LabelRange,
  type Neighbor,
  type NeighborQuery,
  type Page,
  type Vertex,
  type VertexLabel,
} from '../../graph-schema';
import { testProperty } from './property-test';
import {
  type Condition,
  type CountBounds,
  countRange,
  durationMs,
  type ProductFilter,
  type SegmentDefinition,
} from './segment-definition';
import {
  checkpoint,
  compareIds,
  type EvaluationTime,
  type MembersRequest,
  type SegmentEvaluator,
  type SegmentPreviewResult,
} from './segment-evaluator';

export interface EmbeddedEvaluationOptions extends EvaluationTime {
  /**
   * Segment memberships to use instead of the stored MEMBER_OF edges, per customer id
   * (segment keys): live evaluation decides dependent segments in one round.
   */
  readonly memberships?: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface Verdict {
  readonly member: boolean;
  /** The earliest instant after `now` at which a time window alone may change the answer; null if never. */
  readonly nextCheckAt: number | null;
}

export interface EmbeddedSegmentEvaluator extends SegmentEvaluator {
  /** Verdicts for these customers (same order); missing or deleted customers are never members. */
  evaluate(
    definition: SegmentDefinition,
    customerIds: readonly string[],
    options: EmbeddedEvaluationOptions,
  ): Promise<Verdict[]>;
  /** Every customer's verdict, a page at a time in id order. */
  scan(
    definition: SegmentDefinition,
    options: EmbeddedEvaluationOptions,
    onPage: (ids: readonly string[], verdicts: readonly Verdict[]) => void | Promise<void>,
  ): Promise<void>;
  /**
   * The customers cut into about `parts` contiguous slices in id order (one slice when the
   * store cannot count them), for `preview`/`count` of one slice each on several threads.
   */
  ranges(parts: number): Promise<LabelRange[]>;
  /** `preview` over one slice of `ranges`: its count, and its first page of members. */
  previewRange(
    definition: SegmentDefinition,
    request: MembersRequest,
    range: LabelRange,
  ): Promise<SegmentPreviewResult>;
  /** `count` over one slice of `ranges`. */
  countRange(definition: SegmentDefinition, at: EvaluationTime, range: LabelRange): Promise<number>;
}

export interface EmbeddedEvaluatorOptions {
  readonly store: GraphStore;
  /** Customers evaluated per batch (default 1,000). */
  readonly pageSize?: number;
  /** Neighbours read per query per round trip (default 1,000). */
  readonly neighborPageSize?: number;
  /**
   * Whether conditions with a time window read the store's behaviour index (owner × time, with
   * each item's product categories, kept at write time) instead of every item and its
   * products. Default: whenever the store offers one (the embedded store does).
   */
  readonly behaviourIndex?: boolean;
}

type NextCheck = Map<string, number>;

const WHOLE: LabelRange = { after: null, through: null };

function noteCheck(sink: NextCheck | null, id: string, at: number): void {
  if (sink === null) return;
  const current = sink.get(id);
  if (current === undefined || at < current) sink.set(id, at);
}

interface Hop {
  readonly direction: 'out' | 'in';
  readonly edgeLabels: readonly EdgeLabel[];
  readonly vertexLabels: readonly VertexLabel[];
}

const IDENTITIES: Hop = { direction: 'out', edgeLabels: ['HAS_IDENTITY'], vertexLabels: ['Identity'] };
const PERFORMED: Hop = { direction: 'out', edgeLabels: ['PERFORMED'], vertexLabels: ['Event'] };
const PLACED: Hop = { direction: 'out', edgeLabels: ['PLACED'], vertexLabels: ['Order'] };
const ABOUT: Hop = { direction: 'out', edgeLabels: ['ABOUT'], vertexLabels: ['Product'] };
const CONTAINS: Hop = { direction: 'out', edgeLabels: ['CONTAINS'], vertexLabels: ['Product'] };
const DEVICES: Hop = { direction: 'out', edgeLabels: ['USES_DEVICE'], vertexLabels: ['Device'] };
const ACCOUNTS: Hop = { direction: 'out', edgeLabels: ['BELONGS_TO', 'OWNS'], vertexLabels: ['Account'] };
const DEVICE_USERS: Hop = { direction: 'in', edgeLabels: ['USES_DEVICE'], vertexLabels: ['Customer', 'Identity'] };
const ACCOUNT_MEMBERS: Hop = {
  direction: 'in',
  edgeLabels: ['BELONGS_TO', 'OWNS'],
  vertexLabels: ['Customer', 'Identity'],
};
const CLAIMED_BY: Hop = { direction: 'in', edgeLabels: ['HAS_IDENTITY'], vertexLabels: ['Customer'] };
const MEMBER_OF: Hop = { direction: 'out', edgeLabels: ['MEMBER_OF'], vertexLabels: ['Segment'] };

const hopKey = (id: string, hop: Hop) => `${hop.direction}|${hop.edgeLabels.join(',')}|${id}`;

const uniq = <T>(xs: Iterable<T>): T[] => [...new Set(xs)];

/** One evaluation: caches every read, so a customer's owners or events are read once however many conditions use them. */
class Run {
  private readonly vertices = new Map<string, Vertex | null>();
  private readonly hops = new Map<string, Vertex[]>();

  constructor(
    private readonly store: GraphStore,
    private readonly neighborPageSize: number,
    readonly options: EmbeddedEvaluationOptions,
    /** The store's behaviour index, when windows are read from it. */
    readonly index: BehaviourIndex | null = null,
  ) {}

  async vertex(ids: readonly string[]): Promise<(Vertex | null)[]> {
    const missing = uniq(ids.filter((id) => !this.vertices.has(id)));
    if (missing.length > 0) {
      const found = await this.store.getVertices(missing);
      missing.forEach((id, i) => {
        this.vertices.set(id, found[i]);
      });
    }
    return ids.map((id) => this.vertices.get(id) ?? null);
  }

  remember(vs: readonly Vertex[]): void {
    for (const v of vs) this.vertices.set(v.id, v);
  }

  /** All neighbours over one hop for each id, paging until done; one `neighbors` call per round. */
  async hop(ids: readonly string[], hop: Hop): Promise<Vertex[][]> {
    const todo = uniq(ids.filter((id) => !this.hops.has(hopKey(id, hop))));
    const acc = new Map<string, Vertex[]>(todo.map((id) => [id, []]));
    let pending: { id: string; after: string | null }[] = todo.map((id) => ({ id, after: null }));
    while (pending.length > 0) {
      checkpoint(this.options.signal);
      const queries: NeighborQuery[] = pending.map((p) => ({
        id: p.id,
        direction: hop.direction,
        edgeLabels: hop.edgeLabels,
        vertexLabels: hop.vertexLabels,
        first: this.neighborPageSize,
        after: p.after,
      }));
      const pages: Page<Neighbor>[] = await this.store.neighbors(queries);
      const next: { id: string; after: string | null }[] = [];
      pages.forEach((page, i) => {
        const list = acc.get(pending[i].id) as Vertex[];
        for (const n of page.items) list.push(n.vertex);
        if (page.hasNextPage && page.items.length > 0) {
          next.push({ id: pending[i].id, after: endCursorOf(page) });
        }
      });
      pending = next;
    }
    for (const [id, list] of acc) {
      // A hop over two edge labels (OWNS and BELONGS_TO) can reach one vertex twice.
      const distinct = [...new Map(list.map((v) => [v.id, v])).values()];
      this.hops.set(hopKey(id, hop), distinct);
      this.remember(distinct);
    }
    return ids.map((id) => this.hops.get(hopKey(id, hop)) ?? []);
  }

  /** The customer and every identity it claims: the vertices its events, orders and devices hang off. */
  async owners(customerIds: readonly string[]): Promise<string[][]> {
    const identities = await this.hop(customerIds, IDENTITIES);
    return customerIds.map((id, i) => [id, ...identities[i].map((v) => v.id)]);
  }

  /** Distinct vertices reached from each customer's owners over a hop. */
  async ownedItems(customerIds: readonly string[], hop: Hop): Promise<Vertex[][]> {
    const owners = await this.owners(customerIds);
    const flat = uniq(owners.flat());
    const reached = await this.hop(flat, hop);
    const byOwner = new Map(flat.map((id, i) => [id, reached[i]]));
    return owners.map((os) => {
      const seen = new Map<string, Vertex>();
      for (const o of os) for (const v of byOwner.get(o) ?? []) seen.set(v.id, v);
      return [...seen.values()];
    });
  }

  /**
   * Each customer's items of this label (over any of its owners) whose `ts` is at or after
   * `since`, including any ahead of now, from the behaviour index: one read for the page.
   */
  async windowItems(customerIds: readonly string[], label: VertexLabel, since: number): Promise<BehaviourItem[][]> {
    const index = this.index as BehaviourIndex;
    checkpoint(this.options.signal);
    // Owners another condition already read are passed; the others the store finds in the same read.
    return index.behaviourWindows(
      customerIds.map((id) => {
        const identities = this.hops.get(hopKey(id, IDENTITIES));
        return identities === undefined
          ? { ownerIds: [id], withIdentitiesOf: id, label, since }
          : { ownerIds: [id, ...identities.map((v) => v.id)], label, since };
      }),
    );
  }

  /** Customers behind Customer/Identity vertices (an identity resolves to the customers that claim it). */
  async customersOf(vertices: readonly Vertex[]): Promise<string[]> {
    const identities = vertices.filter((v) => v.label === 'Identity').map((v) => v.id);
    const claimed = await this.hop(identities, CLAIMED_BY);
    const out = new Set<string>();
    for (const v of vertices) if (v.label === 'Customer') out.add(v.id);
    for (const list of claimed) for (const v of list) out.add(v.id);
    return [...out];
  }
}

function withinCount(count: number, bounds: CountBounds): boolean {
  const { min, max } = countRange(bounds);
  return count >= min && (max === null || count <= max);
}

const str = (v: Vertex, name: string) => v.props[name];

async function productFilter(
  run: Run,
  items: readonly Vertex[],
  hop: Hop,
  filter: ProductFilter,
): Promise<Set<string>> {
  const products = await run.hop(
    items.map((v) => v.id),
    hop,
  );
  const ok = new Set<string>();
  // Categories match ignoring case ("tv" finds "TV"), as on every store.
  const wanted = filter.category.toLowerCase();
  items.forEach((item, i) => {
    if (products[i].some((p) => typeof p.props.category === 'string' && p.props.category.toLowerCase() === wanted))
      ok.add(item.id);
  });
  return ok;
}

/**
 * Counts the items (events or orders) per customer that pass `keep` and the optional
 * product filter, inside the window when there is one, and notes when the window
 * alone would change the count.
 */
async function countBehaviour(
  run: Run,
  ids: readonly string[],
  hop: Hop,
  itemLabel: VertexLabel,
  productHop: Hop,
  bounds: CountBounds & { product?: ProductFilter },
  keep: (v: Vertex) => boolean,
  sink: NextCheck | null,
): Promise<boolean[]> {
  const { now } = run.options;
  const windowMs = bounds.within === undefined ? null : durationMs(bounds.within);
  let items: Vertex[][];
  /** Items whose product categories the index already gave: no product hop for them. */
  let indexed: Map<string, readonly string[]> | null = null;
  if (windowMs !== null && run.index !== null) {
    const windows = await run.windowItems(ids, itemLabel, now - windowMs);
    indexed = new Map();
    for (const list of windows) for (const w of list) if (w.categories !== null) indexed.set(w.vertex.id, w.categories);
    items = windows.map((list) => list.map((w) => w.vertex));
  } else {
    items = await run.ownedItems(ids, hop);
  }
  // Only items inside the window (or still ahead of it) can matter now or later: filter before any product hop.
  const candidates = items.map((list) =>
    list.filter((v) => {
      if (!keep(v)) return false;
      if (windowMs === null) return true;
      const ts = v.props.ts;
      return typeof ts === 'number' && Number.isFinite(ts) && ts >= now - windowMs;
    }),
  );
  let productOk: Set<string> | null = null;
  if (bounds.product !== undefined) {
    const wanted = bounds.product.category.toLowerCase();
    const known = indexed ?? new Map<string, readonly string[]>();
    const unknown = uniq(candidates.flat()).filter((v) => !known.has(v.id));
    productOk = await productFilter(run, unknown, productHop, bounds.product);
    for (const [id, categories] of known) if (categories.includes(wanted)) productOk.add(id);
  }
  return ids.map((id, i) => {
    let count = 0;
    for (const v of candidates[i]) {
      if (productOk !== null && !productOk.has(v.id)) continue;
      if (windowMs === null) {
        count++;
        continue;
      }
      const ts = v.props.ts as number;
      if (ts > now) noteCheck(sink, id, ts);
      else if (ts >= now - windowMs) {
        count++;
        noteCheck(sink, id, ts + windowMs + 1);
      }
    }
    return withinCount(count, bounds);
  });
}

async function evalCondition(
  run: Run,
  c: Condition,
  ids: readonly string[],
  sink: NextCheck | null,
): Promise<boolean[]> {
  if (ids.length === 0) return [];
  if ('and' in c || 'or' in c) {
    const isAnd = 'and' in c;
    const children = isAnd ? c.and : c.or;
    const result = ids.map(() => isAnd);
    let open = ids.map((_, i) => i);
    for (const child of children) {
      if (open.length === 0) break;
      const r = await evalCondition(
        run,
        child,
        open.map((i) => ids[i]),
        sink,
      );
      const stillOpen: number[] = [];
      open.forEach((i, k) => {
        // and: a false child decides; or: a true child decides.
        if (r[k] !== isAnd) result[i] = r[k];
        else stillOpen.push(i);
      });
      open = stillOpen;
    }
    return result;
  }
  if ('not' in c) return (await evalCondition(run, c.not, ids, sink)).map((b) => !b);
  if ('trait' in c) {
    const vs = await run.vertex(ids);
    return vs.map((v) => v !== null && testProperty(v.props, c.trait));
  }
  if ('segment' in c) {
    const target = `Segment:${c.segment}`;
    const overrides = run.options.memberships;
    const stored = ids.filter((id) => !overrides?.has(id));
    const lists = await run.hop(stored, MEMBER_OF);
    const byId = new Map(stored.map((id, i) => [id, lists[i]]));
    return ids.map((id) => {
      const o = overrides?.get(id);
      if (o !== undefined) return o.has(c.segment);
      return (byId.get(id) ?? []).some((v) => v.id === target);
    });
  }
  if ('event' in c) {
    const e = c.event;
    const keep = (v: Vertex) =>
      (e.type === undefined || str(v, 'type') === e.type) && (e.name === undefined || str(v, 'name') === e.name);
    return countBehaviour(run, ids, PERFORMED, 'Event', ABOUT, e, keep, sink);
  }
  if ('order' in c) {
    const o = c.order;
    const keep = (v: Vertex) => o.status === undefined || str(v, 'status') === o.status;
    return countBehaviour(run, ids, PLACED, 'Order', CONTAINS, o, keep, sink);
  }
  if ('device' in c) {
    const devices = await run.ownedItems(ids, DEVICES);
    return devices.map((list) => list.some((d) => c.device.where.every((t) => testProperty(d.props, t))));
  }
  if ('shares' in c) {
    const [via, back] = c.shares.via === 'device' ? [DEVICES, DEVICE_USERS] : [ACCOUNTS, ACCOUNT_MEMBERS];
    const things = await run.ownedItems(ids, via);
    const flatThings = uniq(things.flat().map((v) => v.id));
    const users = await run.hop(flatThings, back);
    const usersOf = new Map(flatThings.map((id, i) => [id, users[i]]));
    const mates: string[][] = [];
    for (let i = 0; i < ids.length; i++) {
      const reached = things[i].flatMap((t) => usersOf.get(t.id) ?? []);
      mates.push((await run.customersOf(reached)).filter((m) => m !== ids[i]));
    }
    const allMates = uniq(mates.flat()).sort(compareIds);
    // Another customer's windows do not schedule this one: reconcile covers that (documented).
    const verdicts = await evalCondition(run, c.shares.with, allMates, null);
    const matching = new Set(allMates.filter((_, i) => verdicts[i]));
    return mates.map((list) => list.some((m) => matching.has(m)));
  }
  if ('boughtWith' in c) {
    const other = `Customer:${c.boughtWith.customer}`;
    const [otherVertex] = await run.vertex([other]);
    if (otherVertex === null) return ids.map(() => false);
    const productsOf = async (customerIds: readonly string[]) => {
      const orders = await run.ownedItems(customerIds, PLACED);
      const flat = uniq(orders.flat().map((o) => o.id));
      const products = await run.hop(flat, CONTAINS);
      const byOrder = new Map(flat.map((id, i) => [id, products[i]]));
      return orders.map((list) => new Set(list.flatMap((o) => (byOrder.get(o.id) ?? []).map((p) => p.id))));
    };
    const [theirs] = await productsOf([other]);
    const mine = await productsOf(ids);
    return ids.map((id, i) => id !== other && [...mine[i]].some((p) => theirs.has(p)));
  }
  const never: never = c;
  throw new TypeError(`EmbeddedSegmentEvaluator: unknown condition ${JSON.stringify(never)}`);
}

export function createEmbeddedSegmentEvaluator(options: EmbeddedEvaluatorOptions): EmbeddedSegmentEvaluator {
  const { store } = options;
  const pageSize = options.pageSize ?? 1000;
  const neighborPageSize = options.neighborPageSize ?? 1000;
  const index = options.behaviourIndex !== false && hasBehaviourIndex(store) ? store : null;

  async function evaluate(
    definition: SegmentDefinition,
    customerIds: readonly string[],
    evaluation: EmbeddedEvaluationOptions,
  ): Promise<Verdict[]> {
    const run = new Run(store, neighborPageSize, evaluation, index);
    const vertices = await run.vertex(customerIds);
    const live = customerIds.filter((_id, i) => vertices[i]?.label === 'Customer');
    const sink: NextCheck = new Map();
    const verdicts = await evalCondition(run, definition, uniq(live), sink);
    const byId = new Map(uniq(live).map((id, i) => [id, verdicts[i]]));
    return customerIds.map((id) => ({ member: byId.get(id) ?? false, nextCheckAt: sink.get(id) ?? null }));
  }

  async function scan(
    definition: SegmentDefinition,
    evaluation: EmbeddedEvaluationOptions,
    onPage: (ids: readonly string[], verdicts: readonly Verdict[]) => void | Promise<void>,
    startAfter: string | null = null,
    stopWhen?: () => boolean,
    through: string | null = null,
  ): Promise<void> {
    let after = startAfter;
    for (;;) {
      checkpoint(evaluation.signal);
      const page = await store.search('Customer', '', { first: pageSize, after });
      // A slice ends at `through`: the page's customers past it are the next slice's.
      let end = page.items.length;
      if (through !== null) while (end > 0 && compareIds(page.items[end - 1].id, through) > 0) end--;
      const customers = end === page.items.length ? page.items : page.items.slice(0, end);
      if (customers.length === 0) return;
      const run = new Run(store, neighborPageSize, evaluation, index);
      run.remember(customers);
      const ids = customers.map((v) => v.id);
      const sink: NextCheck = new Map();
      const verdicts = await evalCondition(run, definition, ids, sink);
      await onPage(
        ids,
        verdicts.map((member, i) => ({ member, nextCheckAt: sink.get(ids[i]) ?? null })),
      );
      if (!page.hasNextPage || end < page.items.length || stopWhen?.()) return;
      after = endCursorOf(page);
      // The embedded store answers synchronously under its promises: without a turn of the
      // event loop between pages, a whole-graph scan would hold it (and every request) to the end.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  async function members(definition: SegmentDefinition, request: MembersRequest): Promise<Page<string>> {
    const items: string[] = [];
    let more = false;
    const after = request.after ?? null;
    await scan(
      definition,
      { now: request.now, signal: request.signal },
      (ids, verdicts) => {
        ids.forEach((id, i) => {
          if (!verdicts[i].member || (after !== null && compareIds(id, after) <= 0)) return;
          if (items.length < request.first) items.push(id);
          else more = true;
        });
      },
      null,
      () => more,
    );
    return { items, cursors: items, hasNextPage: more };
  }

  async function preview(
    definition: SegmentDefinition,
    request: MembersRequest,
    range: LabelRange = WHOLE,
  ): Promise<SegmentPreviewResult> {
    let count = 0;
    const items: string[] = [];
    let more = false;
    const after = request.after ?? null;
    await scan(
      definition,
      { now: request.now, signal: request.signal },
      (ids, verdicts) => {
        ids.forEach((id, i) => {
          if (!verdicts[i].member) return;
          count++;
          if (after !== null && compareIds(id, after) <= 0) return;
          if (items.length < request.first) items.push(id);
          else more = true;
        });
      },
      range.after,
      undefined,
      range.through,
    );
    return { count, members: { items, cursors: items, hasNextPage: more } };
  }

  async function count(definition: SegmentDefinition, at: EvaluationTime, range: LabelRange = WHOLE): Promise<number> {
    let n = 0;
    await scan(
      definition,
      { now: at.now, signal: at.signal },
      (_ids, verdicts) => {
        for (const v of verdicts) if (v.member) n++;
      },
      range.after,
      undefined,
      range.through,
    );
    return n;
  }

  return {
    backend: 'embedded',
    evaluate,
    scan: (definition, evaluation, onPage) => scan(definition, evaluation, onPage),
    members,
    preview: (definition, request) => preview(definition, request),
    count: (definition, at) => count(definition, at),
    async ranges(parts) {
      return hasLabelPartitions(store) ? store.labelRanges('Customer', parts) : [WHOLE];
    },
    previewRange: preview,
    countRange: count,
    async check(definition, customerIds, at) {
      return (await evaluate(definition, customerIds, { now: at.now, signal: at.signal })).map((v) => v.member);
    },
  };
}
