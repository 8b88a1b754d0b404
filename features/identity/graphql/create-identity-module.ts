/**
 * The GraphQL module of identity resolution. It takes over how a 360° view
 * finds its owners: a view is a resolved profile, so `customer(id|identifier)`,
 * devices, orders, timeline, … cover every identifier the evidence joins — not
 * only the identities one Customer vertex claims. A customer nobody merged
 * looks exactly as before.
 */

import { ApiError } from '../../../api/api-errors';
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
} from '../../../api/graphql/connections';
import { deriveHealth } from '../../../api/graphql/health';
import { identityVertexId } from '../../../api/graphql/identifiers';
import type { CustomerView, GraphQLContext } from '../../../api/graphql/resolvers';
import type { GraphQLModule } from '../../../api/http-app';
import {
  type EdgeLabel,
  isVertexLabel,
  type JsonObject,
  parseVertexId,
  type Vertex,
  type VertexLabel,
} from '../../../graph-schema';
import {
  type CustomerForgetter,
  IdentityError,
  type IdentityResolver,
  type Profile,
  type ProfileEvidence,
  type ProfileIdentifier,
} from '..';
import { identityPolicy } from './identity-policy';
import { identityTypeDefs } from './identity-type-defs';

export interface IdentityModuleDeps {
  readonly resolver: IdentityResolver;
  readonly forgetter: CustomerForgetter;
}

/** Identifier types the built-in mappings write (besides the rules' own list). */
const BUILT_IN_IDENTIFIER_TYPES = ['userId', 'anonymousId', 'email', 'phone', 'crmId', 'deviceId'] as const;

/** A view that already carries its profile (views from other resolvers get theirs on first use). */
interface ProfileView extends CustomerView {
  readonly profile?: Profile;
}

interface PageArgs {
  readonly first?: number | null;
  readonly after?: string | null;
}

const TIMELINE_LABELS: Record<string, VertexLabel> = {
  EVENT: 'Event',
  ORDER: 'Order',
  INTERACTION: 'Interaction',
  HEALTH: 'HealthChange',
};

function viewOf(profile: Profile): ProfileView {
  return { root: profile.anchor, anonymous: profile.anonymous, profile };
}

/** The vertex id a `customer(id:)` argument names (same rules as the base resolver). */
function customerArgToId(id: string): string {
  if (id.trim() === '') throw new ApiError('BAD_USER_INPUT', 'id must not be empty', { argument: 'id' });
  const ref = parseVertexId(id);
  if (ref && isVertexLabel(ref.label)) {
    if (ref.label !== 'Customer' && ref.label !== 'Identity') {
      throw new ApiError('BAD_USER_INPUT', `id is a ${ref.label} id, not a customer id`, { argument: 'id' });
    }
    return id;
  }
  return `Customer:${id}`;
}

function identityError(e: unknown, argument: string): never {
  if (e instanceof IdentityError && (e.code === 'INVALID_IDENTIFIER' || e.code === 'UNKNOWN_IDENTIFIER')) {
    throw new ApiError('BAD_USER_INPUT', e.message, { argument, cause: e });
  }
  throw e;
}

function link(e: ProfileEvidence) {
  return {
    label: e.label,
    from: e.from,
    to: e.to,
    rule: e.rule,
    sourceId: e.sourceId,
    at: e.at,
    merged: e.status === 'merged',
    reason: e.reason,
  };
}

export function createIdentityModule(deps: IdentityModuleDeps): GraphQLModule {
  const { resolver, forgetter } = deps;
  /** One resolution per view per request: sibling fields share it. */
  const cache = new WeakMap<object, Map<string, Promise<Profile | null>>>();

  function profileOf(ctx: GraphQLContext, view: ProfileView): Promise<Profile | null> {
    if (view.profile) return Promise.resolve(view.profile);
    let perRequest = cache.get(ctx.loaders);
    if (!perRequest) {
      perRequest = new Map();
      cache.set(ctx.loaders, perRequest);
    }
    let p = perRequest.get(view.root.id);
    if (!p) {
      p = resolver.profileOf(view.root.id);
      perRequest.set(view.root.id, p);
    }
    return p;
  }

  /** The vertices whose edges make up the customer: every member identifier of the profile. */
  async function ownersOf(ctx: GraphQLContext, view: ProfileView): Promise<string[]> {
    const profile = await profileOf(ctx, view);
    if (!profile) return [view.root.id];
    return profile.identifiers.filter((i) => i.status === 'member' || i.id === profile.id).map((i) => i.id);
  }

  async function mergedNeighbors(
    ctx: GraphQLContext,
    view: ProfileView,
    kind: string,
    edgeLabels: readonly EdgeLabel[],
    vertexLabel: VertexLabel,
    args: PageArgs,
  ): Promise<Connection<Vertex>> {
    const first = pageSize(args.first);
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

  async function profileFor(id: string): Promise<ProfileView | null> {
    const profile = await resolver.profileOf(id);
    return profile ? viewOf(profile) : null;
  }

  /**
   * A miss on a type nobody writes is a mistake, not an unknown person: say which types
   * exist. Types the rules know are never scanned (an email lookup would list them all);
   * an unlisted type (an `externalIds` type, a CDC mapping's) is known once one Identity has it.
   */
  async function refuseUnknownType(type: string, ctx: GraphQLContext): Promise<void> {
    const known = new Set([...Object.keys(resolver.rules.types), ...BUILT_IN_IDENTIFIER_TYPES]);
    known.delete('customer');
    if (known.has(type)) return;
    if ((await ctx.store.lookup('Identity', 'type', type)).length > 0) return;
    throw new ApiError(
      'BAD_USER_INPUT',
      `unknown identifier type '${type}'; known types: ${[...known].sort().join(', ')} (and any type your mappings or context.externalIds write)`,
      { argument: 'identifier' },
    );
  }

  return {
    name: 'identity',
    policy: identityPolicy,
    typeDefs: identityTypeDefs,
    resolvers: {
      Query: {
        customer: async (
          _: unknown,
          args: { id?: string | null; identifier?: { type: string; value: string } | null },
          ctx: GraphQLContext,
        ) => {
          const hasId = args.id !== null && args.id !== undefined;
          const hasIdentifier = args.identifier !== null && args.identifier !== undefined;
          if (hasId === hasIdentifier) throw new ApiError('BAD_USER_INPUT', 'pass exactly one of id or identifier');
          if (hasId) return profileFor(customerArgToId(args.id as string));
          const { type, value } = args.identifier as { type: string; value: string };
          const found = await profileFor(identityVertexId(type, value));
          if (found === null) await refuseUnknownType(type.trim(), ctx);
          return found;
        },
        explainMerge: async (
          _: unknown,
          args: { a: { type: string; value: string }; b: { type: string; value: string } },
        ) => {
          const a = identityVertexId(args.a.type, args.a.value);
          const b = identityVertexId(args.b.type, args.b.value);
          const x = await resolver.explainMerge(a, b);
          return { sameProfile: x.sameProfile, profileId: x.profileId, path: x.path.map(link), reason: x.reason };
        },
      },
      Mutation: {
        unlinkIdentity: async (
          _: unknown,
          args: { identifier: { type: string; value: string }; from?: string | null },
        ) => {
          const id = identityVertexId(args.identifier.type, args.identifier.value);
          const from = args.from == null ? null : customerArgToId(args.from);
          const result = await resolver.unlink(id, from).catch((e) => identityError(e, 'identifier'));
          if (result.removed.length === 0 && result.profileIds.length === 0) {
            throw new ApiError('BAD_USER_INPUT', 'no such identifier', { argument: 'identifier' });
          }
          return { removed: result.removed.length, profileIds: result.profileIds };
        },
        forgetCustomer: async (_: unknown, args: { id: string; requestedBy: string; reason?: string | null }) => {
          if (args.requestedBy.trim() === '') {
            throw new ApiError('BAD_USER_INPUT', 'requestedBy must name who asked', { argument: 'requestedBy' });
          }
          const result = await forgetter
            .forget(customerArgToId(args.id), { requestedBy: args.requestedBy, reason: args.reason ?? null })
            .catch((e) => identityError(e, 'id'));
          if (result === null) throw new ApiError('BAD_USER_INPUT', 'no customer with that id', { argument: 'id' });
          return { auditId: result.auditId, erased: result.erased };
        },
      },
      Customer: {
        id: async (view: ProfileView, _: unknown, ctx: GraphQLContext) =>
          (await profileOf(ctx, view))?.id ?? view.root.id,
        anonymous: async (view: ProfileView, _: unknown, ctx: GraphQLContext) =>
          (await profileOf(ctx, view))?.anonymous ?? view.anonymous,
        traits: async (view: ProfileView, _: unknown, ctx: GraphQLContext) => {
          const profile = await profileOf(ctx, view);
          if (!profile) return view.anonymous ? {} : view.root.props;
          if (profile.anonymous) return {};
          // Every merged Customer's traits; the profile's own Customer wins where they disagree.
          const traits: JsonObject = {};
          const customers = profile.identifiers.filter((i) => i.type === 'customer' && i.status === 'member');
          for (const c of customers) if (c.id !== profile.id) Object.assign(traits, c.vertex.props);
          return Object.assign(traits, profile.anchor.props);
        },
        identities: async (view: ProfileView, _: unknown, ctx: GraphQLContext) => {
          const profile = await profileOf(ctx, view);
          if (!profile) return [];
          const firstMerged = (i: ProfileIdentifier) =>
            profile.evidence.find((e) => e.status === 'merged' && (e.from.id === i.id || e.to.id === i.id)) ?? null;
          return profile.identifiers
            .filter((i) => i.vertex.label === 'Identity')
            .slice(0, MAX_PAGE_SIZE)
            .map((i) => {
              const e = firstMerged(i);
              return {
                vertex: i.vertex,
                evidence: e ? { rule: e.rule, sourceId: e.sourceId, at: e.at } : null,
                identifier: i,
              };
            });
        },
        identityEvidence: async (view: ProfileView, _: unknown, ctx: GraphQLContext) =>
          ((await profileOf(ctx, view))?.evidence ?? []).map(link),
        devices: (view: ProfileView, args: PageArgs, ctx: GraphQLContext) =>
          mergedNeighbors(ctx, view, 'devices', ['USES_DEVICE'], 'Device', args),
        accounts: (view: ProfileView, args: PageArgs, ctx: GraphQLContext) =>
          mergedNeighbors(ctx, view, 'accounts', ['BELONGS_TO', 'OWNS'], 'Account', args),
        orders: (view: ProfileView, args: PageArgs, ctx: GraphQLContext) =>
          mergedNeighbors(ctx, view, 'orders', ['PLACED'], 'Order', args),
        interactions: (view: ProfileView, args: PageArgs, ctx: GraphQLContext) =>
          mergedNeighbors(ctx, view, 'interactions', ['CONTACTED'], 'Interaction', args),
        timeline: async (
          view: ProfileView,
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
        health: async (view: ProfileView, _: unknown, ctx: GraphQLContext) => {
          const devices = await mergedNeighbors(ctx, view, 'devices', ['USES_DEVICE'], 'Device', {
            first: MAX_PAGE_SIZE,
          });
          return deriveHealth(devices.edges.map((e) => e.node));
        },
      },
      Identity: {
        firstSeen: (i: { identifier?: ProfileIdentifier }) => i.identifier?.firstSeen ?? null,
        lastSeen: (i: { identifier?: ProfileIdentifier }) => i.identifier?.lastSeen ?? null,
        status: (i: { identifier?: ProfileIdentifier }) => i.identifier?.status.toUpperCase() ?? null,
      },
    },
  };
}
