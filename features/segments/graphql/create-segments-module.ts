/**
 * The GraphQL module of segments: previews, saved segments, and the resolver of
 * the base `Customer.segments` (a neighbours read of MEMBER_OF edges, batched by
 * the request's loaders).
 */

import { GraphQLError } from 'graphql';
import { ApiError } from '../../../api/api-errors';
import type { HeavyWorkLimiter } from '../../../api/auth/heavy-work';
import { type SecurityContext, TIMEOUT_CODE } from '../../../api/auth/secure-schema';
import {
  type Connection,
  decodeCursor,
  encodeCursor,
  isString,
  MAX_PAGE_SIZE,
  pageSize,
  toConnection,
} from '../../../api/graphql/connections';
import {
  type CustomerView,
  customerView,
  type GraphQLContext,
  type GraphQLResolvers,
} from '../../../api/graphql/resolvers';
import type { GraphQLModule } from '../../../api/http-app';
import type { Vertex } from '../../../graph-schema';
import {
  type Clock,
  conditionsOf,
  type LiveSegments,
  parseSegmentDefinition,
  type SegmentCatalog,
  type SegmentDefinition,
  SegmentDefinitionError,
  SegmentError,
  type SegmentEvaluator,
  type SegmentPreviewResult,
  storedDefinition,
  systemClock,
} from '..';
import { refusePiiConditions } from './pii-conditions';
import { segmentsPolicy } from './segments-policy';
import { segmentsTypeDefs } from './segments-type-defs';

export interface SegmentsModuleDeps {
  readonly catalog: SegmentCatalog;
  /** Answers previews: the embedded evaluator, or the Gremlin/Cypher one of the configured store. */
  readonly evaluator: SegmentEvaluator;
  /** When present, a saved segment's membership is computed before saveSegment answers, and kept live. */
  readonly live?: LiveSegments;
  readonly clock?: Clock;
  /**
   * Trait names some source declares or computes (the model's Customer properties, computed
   * and analytics traits): a preview warns about others. Absent: no trait warnings.
   */
  readonly knownTraits?: ReadonlySet<string>;
  /**
   * Bounds previews and saves (each evaluates the definition over every customer) per
   * principal and per process. Absent: unbounded (tests of the module alone).
   */
  readonly limiter?: HeavyWorkLimiter;
}

interface PageArgs {
  readonly first?: number | null;
  readonly after?: string | null;
}

/** A preview's parent: the definition, the instant, and the one evaluation its fields share. */
interface Preview {
  readonly definition: SegmentDefinition;
  readonly now: number;
  first(): Promise<SegmentPreviewResult>;
}

/** A bad definition points at its bad part: `extensions.definitionPath` (and every issue found). */
function definitionError(e: SegmentDefinitionError, argument: string): GraphQLError {
  return new GraphQLError(e.message, {
    extensions: {
      code: 'BAD_USER_INPUT',
      argumentName: argument,
      definitionPath: [...e.path],
      issues: e.issues.map((i) => ({ path: [...i.path], message: i.message })),
    },
  });
}

async function translate<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof SegmentDefinitionError) throw definitionError(e, 'definition');
    if (e instanceof SegmentError) {
      switch (e.code) {
        case 'BAD_SEGMENT_NAME':
          throw new ApiError('BAD_USER_INPUT', e.message, { argument: 'name', cause: e });
        case 'SEGMENT_NOT_FOUND':
        case 'SEGMENT_CYCLE':
          throw new ApiError('BAD_USER_INPUT', e.message, { argument: 'id', cause: e });
        case 'SEGMENT_STORE_FAILED':
          throw new ApiError('SERVICE_UNAVAILABLE', 'Segments are temporarily unavailable; retry later.', { cause: e });
        case 'EVALUATION_CANCELLED':
          throw new GraphQLError('The segment evaluation ran out of time; narrow the definition or retry later.', {
            extensions: { code: TIMEOUT_CODE },
          });
        case 'EVALUATION_FAILED':
          throw new ApiError('SERVICE_UNAVAILABLE', `The segment could not be evaluated: ${e.message}`, { cause: e });
        default: {
          const never: never = e.code;
          throw new TypeError(`segments: unknown error code ${String(never)}`);
        }
      }
    }
    throw e;
  }
}

function parseDefinition(value: unknown): SegmentDefinition {
  try {
    return parseSegmentDefinition(value);
  } catch (e) {
    if (e instanceof SegmentDefinitionError) throw definitionError(e, 'definition');
    throw e;
  }
}

function idArg(id: string): string {
  const key = id.startsWith('Segment:') ? id.slice('Segment:'.length) : id;
  if (key.trim() === '') throw new ApiError('BAD_USER_INPUT', 'id must not be empty', { argument: 'id' });
  return key;
}

async function customersByIds(ctx: GraphQLContext, ids: readonly string[]): Promise<(Vertex | null)[]> {
  return Promise.all(ids.map((id) => ctx.loaders.vertex.load(id)));
}

export function createSegmentsModule(deps: SegmentsModuleDeps): GraphQLModule {
  const { catalog, evaluator, live } = deps;
  const clock = deps.clock ?? systemClock;

  /**
   * Whole-graph work: waits its turn in the limiter, and is told to stop when the operation's
   * deadline passes (the client has its TIMEOUT by then; this frees the worker and the slot).
   */
  function heavy<T>(ctx: SecurityContext | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const deadline = ctx?.deadlineMs;
    const timer =
      deadline === undefined
        ? null
        : setTimeout(
            () => controller.abort(new SegmentError('EVALUATION_CANCELLED', 'segment evaluation ran out of time')),
            Math.max(0, deadline - Date.now()),
          );
    timer?.unref();
    const principal = ctx?.principal?.id ?? 'anonymous';
    const run = deps.limiter ? deps.limiter.run(principal, controller.signal, work) : work(controller.signal);
    return translate(() => run).finally(() => {
      if (timer) clearTimeout(timer);
    });
  }

  async function previewMembers(
    preview: Preview,
    args: PageArgs,
    ctx: GraphQLContext,
  ): Promise<Connection<CustomerView>> {
    const first = pageSize(args.first);
    const after = decodeCursor('segment-preview', args.after, isString);
    const page =
      after === null && first === pageSize(null)
        ? (await preview.first()).members
        : await heavy(ctx as SecurityContext, (signal) =>
            evaluator.members(preview.definition, { now: preview.now, first, after, signal }),
          );
    const vertices = await customersByIds(ctx, page.items);
    // A member deleted between evaluation and this read is left out rather than failing the page.
    const edges = page.items.flatMap((id, i) => {
      const v = vertices[i];
      return v ? [{ cursor: encodeCursor('segment-preview', id), node: customerView(v) }] : [];
    });
    return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  const resolvers: GraphQLResolvers = {
    Query: {
      previewSegment: (_: unknown, args: { definition: unknown }, ctx: SecurityContext): Preview => {
        const definition = parseDefinition(args.definition);
        refusePiiConditions(definition, ctx?.principal);
        const now = clock.now();
        let shared: Promise<SegmentPreviewResult> | null = null;
        return {
          definition,
          now,
          first: () => {
            shared ??= heavy(ctx, (signal) => evaluator.preview(definition, { now, first: pageSize(null), signal }));
            return shared;
          },
        };
      },
      segments: async (_: unknown, __: unknown, ctx: GraphQLContext) => {
        const saved = await catalog.list();
        const vertices = await Promise.all(saved.map((s) => ctx.loaders.vertex.load(s.id)));
        return vertices.filter((v): v is Vertex => v !== null);
      },
      segment: (_: unknown, args: { id: string }, ctx: GraphQLContext) =>
        ctx.loaders.vertex.load(`Segment:${idArg(args.id)}`),
    },
    Mutation: {
      saveSegment: (_: unknown, args: { name: string; definition: unknown; id?: string | null }, ctx: GraphQLContext) =>
        translate(async () => {
          refusePiiConditions(parseDefinition(args.definition), (ctx as SecurityContext).principal);
          const saved = await catalog.save({
            name: args.name,
            definition: args.definition,
            id: args.id ? idArg(args.id) : null,
          });
          if (live) await heavy(ctx as SecurityContext, () => live.reconcile(saved.key));
          const [vertex] = await ctx.store.getVertices([saved.id]);
          if (!vertex) throw new SegmentError('SEGMENT_NOT_FOUND', `segment ${saved.key} was deleted concurrently`);
          return vertex;
        }),
      deleteSegment: (_: unknown, args: { id: string }) => translate(() => catalog.delete(idArg(args.id))),
    },
    SegmentPreview: {
      count: async (preview: Preview) => (await preview.first()).count,
      warnings: async (preview: Preview, _: unknown, ctx: GraphQLContext) => {
        const warnings: string[] = [];
        const customers: string[] = [];
        for (const c of conditionsOf(preview.definition)) {
          if ('trait' in c && deps.knownTraits && !deps.knownTraits.has(c.trait.name)) {
            warnings.push(
              `trait '${c.trait.name}' is neither a declared Customer property nor a computed or analytics trait: only customers whose sources sent it can match`,
            );
          }
          if ('boughtWith' in c) customers.push(`Customer:${c.boughtWith.customer}`);
        }
        const found = customers.length > 0 ? await ctx.store.getVertices(customers) : [];
        customers.forEach((id, i) => {
          if (found[i] === null) warnings.push(`boughtWith names ${id}, which does not exist: it matches nobody`);
        });
        return warnings;
      },
      members: (preview: Preview, args: PageArgs, ctx: GraphQLContext) => previewMembers(preview, args, ctx),
    },
    Segment: {
      definition: (v: Vertex) => storedDefinition(v),
      size: async (v: Vertex) => (await catalog.allMembers(v.key)).length,
      members: async (v: Vertex, args: PageArgs) => {
        const first = pageSize(args.first);
        const after = decodeCursor('segment-members', args.after, isString);
        const page = await catalog.members(v.key, { first, after });
        return toConnection('segment-members', page, customerView);
      },
    },
    Customer: {
      segments: async (view: CustomerView, _: unknown, ctx: GraphQLContext) => {
        if (view.anonymous) return [];
        const page = await ctx.loaders.neighbors.load({
          id: view.root.id,
          direction: 'out',
          edgeLabels: ['MEMBER_OF'],
          vertexLabels: ['Segment'],
          first: MAX_PAGE_SIZE,
          after: null,
        });
        return page.items.map((n) => n.vertex);
      },
    },
  };
  return { name: 'segments', typeDefs: segmentsTypeDefs, resolvers, policy: segmentsPolicy };
}
