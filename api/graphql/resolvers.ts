/**
 * Resolvers for type-defs.ts. Parents are store `Vertex`es (or a `CustomerView`
 * around one); all store reads go through the per-request loaders so that
 * sibling fields share round trips.
 */
import type { ApolloServerOptionsWithTypeDefs } from '@apollo/server';
import {
  EDGE_LABELS,
  type EdgeLabel,
  type GraphStore,
  isEdgeLabel,
  isVertexLabel,
  type JsonObject,
  type Neighbor,
  type NeighborQuery,
  type Page,
  parseVertexId,
  type Vertex,
  type VertexLabel,
} from '../../graph-schema';
import { ApiError } from '../api-errors';
import {
  type Connection,
  decodeCursor,
  isMergeState,
  isString,
  MAX_PAGE_SIZE,
  mapNodes,
  mergedNeighborQueries,
  mergeNeighborPages,
  pageSize,
  toConnection,
} from './connections';
import { deriveHealth } from './health';
import { identityVertexId } from './identifiers';
import type { Loaders } from './loaders';
import { DateTimeScalar, JSONScalar } from './scalars';

export interface GraphQLContext {
  readonly store: GraphStore;
  readonly loaders: Loaders;
}

/**
 * The root of a 360° view. Usually a Customer vertex; for an identifier that no
 * customer claims yet (an anonymous visitor) the Identity vertex itself, so an
 * agent still sees that visitor's devices and timeline.
 */
export interface CustomerView {
  readonly root: Vertex;
  readonly anonymous: boolean;
}

/** What a module's resolver returns for a `Customer`: the view of a Customer vertex. */
export function customerView(root: Vertex): CustomerView {
  return { root, anonymous: false };
}

/** More identities than this on one profile is an over-merge; the view then covers the first ones only. */
const MAX_IDENTITIES = MAX_PAGE_SIZE;

const TIMELINE_LABELS: Record<string, VertexLabel> = {
  EVENT: 'Event',
  ORDER: 'Order',
  INTERACTION: 'Interaction',
  HEALTH: 'HealthChange',
};

interface PageArgs {
  readonly first?: number | null;
  readonly after?: string | null;
}

function identitiesQuery(customerId: string): NeighborQuery {
  return {
    id: customerId,
    direction: 'out',
    edgeLabels: ['HAS_IDENTITY'],
    vertexLabels: ['Identity'],
    first: MAX_IDENTITIES,
    after: null,
  };
}

/** The vertices whose edges make up the customer: the profile and every identity it claims. */
async function ownersOf(ctx: GraphQLContext, view: CustomerView): Promise<string[]> {
  if (view.anonymous) return [view.root.id];
  const page = await ctx.loaders.neighbors.load(identitiesQuery(view.root.id));
  return [view.root.id, ...page.items.map((n) => n.vertex.id)];
}

async function mergedNeighbors(
  ctx: GraphQLContext,
  view: CustomerView,
  kind: string,
  edgeLabels: readonly EdgeLabel[],
  vertexLabel: VertexLabel,
  args: PageArgs,
  defaultSize?: number,
): Promise<Connection<Vertex>> {
  const first = pageSize(args.first, defaultSize);
  const state = decodeCursor(kind, args.after, isMergeState);
  const owners = await ownersOf(ctx, view);
  const queries = mergedNeighborQueries(
    owners,
    state,
    { direction: 'out', edgeLabels, vertexLabels: [vertexLabel] },
    first,
  );
  const pages = await Promise.all(queries.map((q) => ctx.loaders.neighbors.load(q)));
  const merged = mergeNeighborPages(kind, owners, pages, state, first);
  return mapNodes(merged, (n) => n.vertex);
}

async function viewOfIdentity(ctx: GraphQLContext, identityId: string): Promise<CustomerView | null> {
  const [identity, claimedBy] = await Promise.all([
    ctx.loaders.vertex.load(identityId),
    ctx.loaders.neighbors.load({
      id: identityId,
      direction: 'in',
      edgeLabels: ['HAS_IDENTITY'],
      vertexLabels: ['Customer'],
      first: 1,
      after: null,
    }),
  ]);
  if (identity === null) return null;
  // Several customers claiming one identifier is an over-merge the identity rules should prevent;
  // the lowest id wins so the answer is at least stable.
  const customer = claimedBy.items[0];
  return customer ? { root: customer.vertex, anonymous: false } : { root: identity, anonymous: true };
}

async function viewOfId(ctx: GraphQLContext, id: string): Promise<CustomerView | null> {
  const ref = parseVertexId(id);
  if (ref && isVertexLabel(ref.label)) {
    if (ref.label === 'Identity') return viewOfIdentity(ctx, id);
    if (ref.label !== 'Customer') {
      throw new ApiError('BAD_USER_INPUT', `id is a ${ref.label} id, not a customer id`, { argument: 'id' });
    }
  }
  // Anything that is not a `Label:key` id is taken as a bare CRM key / userId.
  const vid = ref?.label === 'Customer' ? id : `Customer:${id}`;
  const vertex = await ctx.loaders.vertex.load(vid);
  return vertex ? { root: vertex, anonymous: false } : null;
}

const str = (v: Vertex, name: string): string | null => {
  const value = v.props[name];
  return typeof value === 'string' ? value : null;
};
const num = (props: JsonObject, name: string): number | null => {
  const value = props[name];
  return typeof value === 'number' ? value : null;
};
const obj = (props: JsonObject, name: string): JsonObject => {
  const value = props[name];
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {};
};

type ApolloResolvers = NonNullable<ApolloServerOptionsWithTypeDefs<GraphQLContext>['resolvers']>;
/** One resolver map (Apollo also accepts a list of them; modules each bring one). */
export type GraphQLResolvers = Exclude<ApolloResolvers, readonly unknown[]>;
type Resolvers = GraphQLResolvers;

/** Name-like properties whose words a multi-word search matches ("Aleaume Colin", "ann lee"). */
const NAME_PARTS = ['firstName', 'lastName', 'name', 'email'] as const;
/** Store pages a multi-word search reads at most per request: the cost stays bounded. */
const MAX_SEARCH_SCAN_PAGES = 10;
const SEARCH_SCAN_PAGE = 100;

function matchesAllWords(v: Vertex, words: readonly string[]): boolean {
  const parts = NAME_PARTS.flatMap((k) => {
    const value = v.props[k];
    return typeof value === 'string' ? value.toLowerCase().split(/[\s@._-]+/) : [];
  });
  return words.every((w) => parts.some((p) => p.startsWith(w)));
}

/**
 * Full names: the store searches one property by prefix, so it is asked for the first word
 * and the customers whose name parts start with every word are kept. Paging stays forward
 * and exact: a cursor is the store cursor of the last customer returned.
 */
async function searchAllWords(
  ctx: GraphQLContext,
  rawWords: readonly string[],
  first: number,
  after: string | null,
): Promise<Page<Vertex>> {
  const words = rawWords.map((w) => w.toLowerCase());
  const items: Vertex[] = [];
  const cursors: string[] = [];
  let cursor = after;
  for (let pages = 0; pages < MAX_SEARCH_SCAN_PAGES; pages++) {
    const page = await ctx.store.search('Customer', rawWords[0], { first: SEARCH_SCAN_PAGE, after: cursor });
    for (const [i, v] of page.items.entries()) {
      if (!matchesAllWords(v, words)) continue;
      if (items.length === first) return { items, cursors, hasNextPage: true };
      items.push(v);
      cursors.push(page.cursors[i]);
    }
    if (!page.hasNextPage) return { items, cursors, hasNextPage: false };
    cursor = page.cursors[page.cursors.length - 1] ?? null;
  }
  // Bounded: a multi-word search looks at the first MAX_SEARCH_SCAN_PAGES × SEARCH_SCAN_PAGE
  // customers matching the first word (docs: api/README.md). Claiming a next page here would
  // hand the client a cursor that rescans the same candidates.
  return { items, cursors, hasNextPage: false };
}

export const resolvers: Resolvers = {
  JSON: JSONScalar,
  DateTime: DateTimeScalar,

  Query: {
    customer: async (
      _: unknown,
      args: { id?: string | null; identifier?: { type: string; value: string } | null },
      ctx: GraphQLContext,
    ) => {
      const hasId = args.id !== null && args.id !== undefined;
      const hasIdentifier = args.identifier !== null && args.identifier !== undefined;
      if (hasId === hasIdentifier) {
        throw new ApiError('BAD_USER_INPUT', 'pass exactly one of id or identifier');
      }
      if (hasId) {
        if ((args.id as string).trim() === '')
          throw new ApiError('BAD_USER_INPUT', 'id must not be empty', { argument: 'id' });
        return viewOfId(ctx, args.id as string);
      }
      const { type, value } = args.identifier as { type: string; value: string };
      return viewOfIdentity(ctx, identityVertexId(type, value));
    },
    customers: async (_: unknown, args: PageArgs & { search?: string | null }, ctx: GraphQLContext) => {
      const first = pageSize(args.first);
      const after = decodeCursor('customers', args.after, isString);
      const words = (args.search ?? '')
        .trim()
        .split(/\s+/)
        .filter((w) => w !== '');
      const page =
        words.length <= 1
          ? await ctx.store.search('Customer', words[0] ?? '', { first, after })
          : await searchAllWords(ctx, words, first, after);
      return toConnection('customers', page, (v): CustomerView => ({ root: v, anonymous: false }));
    },
  },

  Customer: {
    id: (view: CustomerView) => view.root.id,
    anonymous: (view: CustomerView) => view.anonymous,
    traits: (view: CustomerView) => (view.anonymous ? {} : view.root.props),
    identities: async (view: CustomerView, _: unknown, ctx: GraphQLContext) => {
      if (view.anonymous) return [{ vertex: view.root, evidence: null }];
      const page = await ctx.loaders.neighbors.load(identitiesQuery(view.root.id));
      return page.items.map((n: Neighbor) => ({ vertex: n.vertex, evidence: n.edge.props }));
    },
    devices: (view: CustomerView, args: PageArgs, ctx: GraphQLContext) =>
      mergedNeighbors(ctx, view, 'devices', ['USES_DEVICE'], 'Device', args),
    accounts: (view: CustomerView, args: PageArgs, ctx: GraphQLContext) =>
      mergedNeighbors(ctx, view, 'accounts', ['BELONGS_TO', 'OWNS'], 'Account', args),
    neighbors: async (
      view: CustomerView,
      args: PageArgs & { edge: string; label?: string | null },
      ctx: GraphQLContext,
    ) => {
      if (!isEdgeLabel(args.edge)) {
        throw new ApiError('BAD_USER_INPUT', `unknown edge label ${args.edge}; one of ${EDGE_LABELS.join(', ')}`, {
          argument: 'edge',
        });
      }
      if (args.label != null && !isVertexLabel(args.label)) {
        throw new ApiError('BAD_USER_INPUT', `unknown vertex label ${args.label}`, { argument: 'label' });
      }
      const first = pageSize(args.first);
      const after = decodeCursor('neighbors', args.after, isString);
      const [page] = await ctx.store.neighbors([
        {
          id: view.root.id,
          direction: 'both',
          edgeLabels: [args.edge],
          ...(args.label != null ? { vertexLabels: [args.label as VertexLabel] } : {}),
          first,
          after,
        },
      ]);
      return toConnection('neighbors', page, (n: Neighbor) => ({
        id: n.vertex.id,
        label: n.vertex.label,
        properties: n.vertex.props,
        edgeLabel: n.edge.label,
        edgeProperties: n.edge.props,
      }));
    },
    addresses: (view: CustomerView, args: PageArgs, ctx: GraphQLContext) =>
      mergedNeighbors(ctx, view, 'addresses', ['HAS_ADDRESS'], 'Address', args),
    orders: (view: CustomerView, args: PageArgs, ctx: GraphQLContext) =>
      mergedNeighbors(ctx, view, 'orders', ['PLACED'], 'Order', args),
    interactions: (view: CustomerView, args: PageArgs, ctx: GraphQLContext) =>
      mergedNeighbors(ctx, view, 'interactions', ['CONTACTED'], 'Interaction', args),
    timeline: async (
      view: CustomerView,
      args: PageArgs & { types?: readonly string[] | null },
      ctx: GraphQLContext,
    ) => {
      const first = pageSize(args.first);
      const after = decodeCursor('timeline', args.after, isString);
      const labels = args.types?.length ? [...new Set(args.types.map((t) => TIMELINE_LABELS[t]))] : undefined;
      const ownerIds = await ownersOf(ctx, view);
      const page = await ctx.store.timeline({ ownerIds, labels, first, after });
      return toConnection('timeline', page, (item) => item.vertex);
    },
    health: async (view: CustomerView, _: unknown, ctx: GraphQLContext) => {
      const devices = await mergedNeighbors(ctx, view, 'devices', ['USES_DEVICE'], 'Device', { first: MAX_PAGE_SIZE });
      return deriveHealth(devices.edges.map((e) => e.node));
    },
    // Membership is served by the segments release; an empty list keeps the contract stable until then.
    segments: () => [],
    similar: (_view: CustomerView, args: { first?: number | null }) => {
      pageSize(args.first, 10);
      // Similarity comes with the analytics release; validate the argument now so clients see errors early.
      return [];
    },
  },

  Identity: {
    id: (i: { vertex: Vertex }) => i.vertex.id,
    type: (i: { vertex: Vertex }) => str(i.vertex, 'type') ?? i.vertex.key.slice(0, i.vertex.key.indexOf(':')),
    value: (i: { vertex: Vertex }) => str(i.vertex, 'value') ?? i.vertex.key.slice(i.vertex.key.indexOf(':') + 1),
    evidence: (i: { evidence: JsonObject | null }) => i.evidence,
  },

  IdentityEvidence: {
    rule: (e: JsonObject) => (typeof e.rule === 'string' ? e.rule : null),
    sourceId: (e: JsonObject) => (typeof e.sourceId === 'string' ? e.sourceId : null),
    at: (e: JsonObject) => num(e, 'at'),
  },

  Device: {
    type: (v: Vertex) => str(v, 'type'),
    manufacturer: (v: Vertex) => str(v, 'manufacturer'),
    model: (v: Vertex) => str(v, 'model'),
    firmware: (v: Vertex) => str(v, 'firmware'),
    lastSeen: (v: Vertex) => num(v.props, 'lastSeen'),
    properties: (v: Vertex) => v.props,
  },

  Address: {
    line1: (v: Vertex) => str(v, 'line1'),
    city: (v: Vertex) => str(v, 'city'),
    postalCode: (v: Vertex) => str(v, 'postalCode'),
    country: (v: Vertex) => str(v, 'country'),
    properties: (v: Vertex) => v.props,
  },

  Account: {
    name: (v: Vertex) => str(v, 'name'),
    status: (v: Vertex) => str(v, 'status'),
    plan: (v: Vertex) => str(v, 'plan'),
    createdAt: (v: Vertex) => num(v.props, 'createdAt'),
    properties: (v: Vertex) => v.props,
  },

  TimelineItem: {
    __resolveType: (v: Vertex) => {
      switch (v.label) {
        case 'Event':
        case 'Order':
        case 'Interaction':
          return v.label;
        case 'HealthChange':
          // HealthChange is the subscription's payload type; the timeline's item is a HealthTransition.
          return 'HealthTransition';
        default:
          // Timeline edges only reach these labels (graph-schema model); anything else is a store bug.
          throw new TypeError(`TimelineItem: unexpected ${v.label} on a timeline`);
      }
    },
  },

  HealthTransition: {
    ts: (v: Vertex) => num(v.props, 'ts'),
    deviceId: (v: Vertex) => str(v, 'deviceId'),
    from: (v: Vertex) => str(v, 'from'),
    to: (v: Vertex) => str(v, 'to'),
    since: (v: Vertex) => num(v.props, 'since'),
    reasons: (v: Vertex) => {
      const r = v.props.reasons;
      return Array.isArray(r) ? r.filter((x): x is string => typeof x === 'string') : [];
    },
    customerStatus: (v: Vertex) => str(v, 'customerStatus'),
  },

  Event: {
    ts: (v: Vertex) => num(v.props, 'ts'),
    type: (v: Vertex) => str(v, 'type'),
    name: (v: Vertex) => str(v, 'name'),
    properties: (v: Vertex) => obj(v.props, 'properties'),
  },

  Order: {
    ts: (v: Vertex) => num(v.props, 'ts'),
    status: (v: Vertex) => str(v, 'status'),
    total: (v: Vertex) => num(v.props, 'total'),
    currency: (v: Vertex) => str(v, 'currency'),
    properties: (v: Vertex) => v.props,
    products: async (v: Vertex, _: unknown, ctx: GraphQLContext) => {
      const page = await ctx.loaders.neighbors.load({
        id: v.id,
        direction: 'out',
        edgeLabels: ['CONTAINS'],
        vertexLabels: ['Product'],
        first: MAX_PAGE_SIZE,
        after: null,
      });
      return page.items.map((n) => ({
        product: n.vertex,
        quantity: num(n.edge.props, 'quantity'),
        price: num(n.edge.props, 'price'),
      }));
    },
  },

  Product: {
    name: (v: Vertex) => str(v, 'name'),
    category: (v: Vertex) => str(v, 'category'),
    price: (v: Vertex) => num(v.props, 'price'),
  },

  Interaction: {
    ts: (v: Vertex) => num(v.props, 'ts'),
    channel: (v: Vertex) => str(v, 'channel'),
    subject: (v: Vertex) => str(v, 'subject'),
    status: (v: Vertex) => str(v, 'status'),
    priority: (v: Vertex) => str(v, 'priority'),
    properties: (v: Vertex) => v.props,
  },

  Segment: {
    id: (v: Vertex) => v.id,
    name: (v: Vertex) => str(v, 'name'),
  },
};
