import { ApiError } from '../../../api/api-errors';
import { pageSize } from '../../../api/graphql/connections';
import type { CustomerView, GraphQLContext, GraphQLResolvers } from '../../../api/graphql/resolvers';
import type { GraphQLModule } from '../../../api/http-app';
import type { Edge, Vertex, VertexLabel } from '../../../graph-schema';
import { isVertexLabel } from '../../../graph-schema';
import {
  AnalyticsError,
  type AnalyticsRun,
  type AnalyticsService,
  type CentralityKind,
  type CommunityKind,
  type SimilarityMeasure,
} from '..';
import { analyticsPolicy } from './analytics-policy';
import { analyticsTypeDefs } from './analytics-type-defs';

const DEFAULT_NEIGHBORHOOD_NODES = 100;
const MAX_NEIGHBORHOOD_NODES = 500;
const DEFAULT_MAX_DEPTH = 6;
const MAX_PATH_DEPTH = 10;
const MAX_RUNS = 50;

/** What an AnalyticsNode resolves from: an id, and the vertex when already at hand. */
interface NodeRef {
  readonly id: string;
  readonly vertex?: Vertex | null;
}

function intArg(name: string, value: number | null | undefined, def: number, min: number, max: number): number {
  if (value === null || value === undefined) return def;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ApiError('BAD_USER_INPUT', `${name} must be an integer in ${min}..${max}, got ${value}`, {
      argument: name,
    });
  }
  return value;
}

function labelArg(value: string | null | undefined, def: VertexLabel | undefined): VertexLabel | undefined {
  if (value === null || value === undefined) return def;
  if (!isVertexLabel(value))
    throw new ApiError('BAD_USER_INPUT', `label ${value} is not a vertex label`, { argument: 'label' });
  return value;
}

/** Analytics errors are the caller's question (bad id, bad parameter) or a retriable run failure; never internals. */
async function translate<T>(argument: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof AnalyticsError) {
      switch (e.code) {
        case 'UNKNOWN_VERTEX':
        case 'BAD_PARAMETER':
        case 'BAD_PROJECTION':
          throw new ApiError('BAD_USER_INPUT', e.message, { argument, cause: e });
        case 'RUN_FAILED':
        case 'SERVICE_CLOSED':
          throw new ApiError('SERVICE_UNAVAILABLE', 'The analytics run failed; retry later.', { cause: e });
        default: {
          const never: never = e.code;
          throw new TypeError(`analytics: unknown error code ${String(never)}`);
        }
      }
    }
    throw e;
  }
}

const edgeOut = (e: Edge) => ({ id: e.id, label: e.label, from: e.from, to: e.to });

function runOut(r: AnalyticsRun) {
  return { ...r, id: r.runId };
}

/**
 * The GraphQL module of graph analytics: `Query.analytics`,
 * `Customer.neighborhood`, and the resolver of the base `Customer.similar`
 * (which the module takes over when modules are merged).
 */
export function createAnalyticsModule(service: AnalyticsService): GraphQLModule {
  /** Customer.neighborhood and Query.neighborhood: the same bounded ego graph, from a customer or any vertex. */
  const neighborhoodOf = (id: string, args: { depth?: number | null; maxNodes?: number | null }, argument: string) => {
    const depth = intArg('depth', args.depth, 1, 1, 3);
    const maxNodes = intArg('maxNodes', args.maxNodes, DEFAULT_NEIGHBORHOOD_NODES, 1, MAX_NEIGHBORHOOD_NODES);
    return translate(argument, async () => {
      const n = await service.neighborhood(id, { depth, maxNodes });
      return {
        nodes: n.nodes.map((v): NodeRef => ({ id: v.id, vertex: v })),
        edges: n.edges.map(edgeOut),
        truncated: n.truncated,
      };
    });
  };
  const resolvers: GraphQLResolvers = {
    Query: {
      // The fields live on Analytics; the object itself carries nothing.
      analytics: () => ({}),
      neighborhood: (_: unknown, args: { id: string; depth?: number | null; maxNodes?: number | null }) =>
        neighborhoodOf(args.id, args, 'id'),
    },
    Analytics: {
      centrality: (_: unknown, args: { kind: CentralityKind; label?: string | null; first?: number | null }) => {
        const first = pageSize(args.first, 10);
        const label = labelArg(args.label, 'Customer') as VertexLabel;
        return translate('kind', async () => {
          const r = await service.centrality(args.kind, { label, first });
          return {
            run: runOut(r.run),
            entries: r.entries.map((e) => ({ node: { id: e.id } satisfies NodeRef, score: e.score, rank: e.rank })),
          };
        });
      },
      communities: (_: unknown, args: { kind: CommunityKind; first?: number | null; label?: string | null }) => {
        const first = pageSize(args.first, 10);
        const label = labelArg(args.label, undefined);
        return translate('kind', async () => {
          const r = await service.communities(args.kind, { first, label });
          return {
            run: runOut(r.run),
            count: r.count,
            communities: r.communities.map((c) => ({
              id: c.id,
              size: c.size,
              members: c.members.map((id): NodeRef => ({ id })),
            })),
          };
        });
      },
      shortestPath: (_: unknown, args: { from: string; to: string; maxDepth?: number | null }) => {
        const maxDepth = intArg('maxDepth', args.maxDepth, DEFAULT_MAX_DEPTH, 1, MAX_PATH_DEPTH);
        return translate('from', async () => {
          const p = await service.shortestPath(args.from, args.to, maxDepth);
          if (!p) return null;
          return {
            length: p.nodes.length - 1,
            nodes: p.nodes.map((id): NodeRef => ({ id })),
            edges: p.edges.map(edgeOut),
          };
        });
      },
      similarCustomers: async (
        _: unknown,
        args: { id: string; first?: number | null; measure?: SimilarityMeasure | null },
        ctx: GraphQLContext,
      ) => {
        const first = pageSize(args.first, 10);
        const similar = await translate('id', () =>
          service.similarCustomers(args.id, { first, measure: args.measure ?? undefined }),
        );
        const vertices = await ctx.loaders.vertex.loadMany(similar.map((s) => s.id));
        return similar.flatMap((s, i) => {
          const v = vertices[i];
          // Deleted since the projection was read: left out rather than served as a ghost.
          return v && !(v instanceof Error)
            ? [{ customer: { root: v, anonymous: false }, score: s.score, shared: s.shared }]
            : [];
        });
      },
      productsBoughtTogether: async (
        _: unknown,
        args: { productId: string; first?: number | null; measure?: SimilarityMeasure | null },
        ctx: GraphQLContext,
      ) => {
        const first = pageSize(args.first, 10);
        const pairs = await translate('productId', () =>
          service.productsBoughtTogether(args.productId, { first, measure: args.measure ?? undefined }),
        );
        const vertices = await ctx.loaders.vertex.loadMany(pairs.map((p) => p.id));
        return pairs.flatMap((p, i) => {
          const v = vertices[i];
          return v && !(v instanceof Error) ? [{ product: v, score: p.score, orders: p.shared }] : [];
        });
      },
      runs: (_: unknown, args: { first?: number | null }) => {
        const first = intArg('first', args.first, 20, 1, MAX_RUNS);
        return service.runs().slice(0, first).map(runOut);
      },
    },
    AnalyticsNode: {
      id: (n: NodeRef) => n.id,
      label: (n: NodeRef) => n.id.slice(0, n.id.indexOf(':')),
      properties: async (n: NodeRef, _: unknown, ctx: GraphQLContext) => {
        const v = n.vertex !== undefined ? n.vertex : await ctx.loaders.vertex.load(n.id);
        return v ? v.props : null;
      },
    },
    Customer: {
      similar: async (view: CustomerView, args: { first?: number | null }, ctx: GraphQLContext) => {
        const first = pageSize(args.first, 10);
        if (view.anonymous) return [];
        let similar: { id: string }[];
        try {
          similar = await service.similarCustomers(view.root.id, { first });
        } catch (e) {
          // A customer created after the projection was read has no neighbours there yet: nobody similar, not an error.
          if (e instanceof AnalyticsError && e.code === 'UNKNOWN_VERTEX') return [];
          return translate('first', () => Promise.reject(e));
        }
        const vertices = await ctx.loaders.vertex.loadMany(similar.map((s) => s.id));
        return vertices.flatMap((v) => (v && !(v instanceof Error) ? [{ root: v, anonymous: false }] : []));
      },
      neighborhood: (view: CustomerView, args: { depth?: number | null; maxNodes?: number | null }) =>
        neighborhoodOf(view.root.id, args, 'depth'),
    },
  };
  return { name: 'analytics', typeDefs: analyticsTypeDefs, resolvers, policy: analyticsPolicy };
}
