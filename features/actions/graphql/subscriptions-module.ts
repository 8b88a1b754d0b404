/**
 * GraphQL subscriptions (served over WebSocket by startHttpServer with
 * `subscriptions: true`): health transitions and segment-membership changes
 * from the action bus — listeners there only hear actions that are already
 * durable — and customer updates from the in-process change feed.
 */

import { ApiError } from '../../../api/api-errors';
import { customerView, type GraphQLContext } from '../../../api/graphql/resolvers';
import type { GraphQLModule } from '../../../api/http-app';
import type { JsonObject } from '../../../graph-schema';
import type { ChangeFeed } from './change-feed';
import { subscriptionsPolicy } from './subscriptions-policy';

/** Structural view of services/actions' HubAction and ActionBus. */
export interface ActionLike {
  readonly id: string;
  readonly type: string;
  readonly subjectId: string;
  readonly at: number;
  readonly payload: JsonObject;
}
export interface ActionSource {
  subscribe(listener: (action: ActionLike) => void, filter?: (action: ActionLike) => boolean): () => void;
}

export interface SubscriptionsDeps {
  readonly actions: ActionSource;
  readonly changes: ChangeFeed;
  /** Events a slow subscriber may have queued before the oldest are dropped (default 1000). */
  readonly maxQueuedEvents?: number;
}

const typeDefs = /* GraphQL */ `
  "Live updates over WebSocket (graphql-ws protocol) on the GraphQL path."
  type Subscription {
    "The customer's 360° view each time something about it changes (events applied, traits recomputed, health changed). Bursts are coalesced; null once the customer is deleted."
    customerUpdated("Customer:<key>, or a bare CRM key." id: ID!): Customer
    "Device-health transitions (proactive care) as they take effect; only one customer's when customerId is given."
    healthChanged("Customer:<key>, or a bare CRM key." customerId: ID): HealthChange!
    "Customers entering or leaving a live segment."
    segmentMembershipChanged("Segment:<id>, or the bare id." segmentId: ID!): SegmentMembershipChange!
  }

  "A device's committed health transition."
  type HealthChange {
    "Stable id: the same transition always has the same id (deduplicate on it)."
    id: ID!
    "Device:<key>."
    deviceId: ID!
    "Customer:<key> when the device reports its owner."
    customerId: ID
    "Status before."
    from: HealthStatus!
    "Status after."
    to: HealthStatus!
    "When (event time) the new status started to show."
    since: DateTime!
    "When (event time) the transition took effect, after the hold time."
    at: DateTime!
    "Why."
    reasons: [String!]!
    "The readings the rules looked at: [{ts, seq, indicators}]."
    evidence: JSON!
    "The customer's rolled-up status after the transition."
    customerStatus: HealthStatus
    "The customer's 360° view."
    customer: Customer
  }

  "A customer entered or left a segment."
  type SegmentMembershipChange {
    "Stable id of the change."
    id: ID!
    "Segment:<id>."
    segmentId: ID!
    "Customer:<key>."
    customerId: ID!
    "True when the customer entered, false when it left."
    entered: Boolean!
    "When (event time) it happened."
    at: DateTime!
    "The customer's 360° view."
    customer: Customer
  }
`;

/**
 * Push → pull: an async iterator over a listener. With `coalesce`, at most one
 * event waits (the newest): a subscriber re-reads state, so intermediate
 * signals carry nothing it needs.
 */
export function listen<T>(
  subscribe: (push: (value: T) => void) => () => void,
  options: { maxQueued: number; coalesce?: boolean },
): AsyncIterableIterator<T> {
  const queue: T[] = [];
  const waiting: ((r: IteratorResult<T>) => void)[] = [];
  let done = false;
  const unsubscribe = subscribe((value) => {
    if (done) return;
    const next = waiting.shift();
    if (next) return next({ value, done: false });
    if (options.coalesce) queue.length = 0;
    queue.push(value);
    if (queue.length > options.maxQueued) queue.shift();
  });
  const finish = (): Promise<IteratorResult<T>> => {
    if (!done) {
      done = true;
      unsubscribe();
      for (const w of waiting.splice(0)) w({ value: undefined, done: true });
      queue.length = 0;
    }
    return Promise.resolve({ value: undefined, done: true });
  };
  return {
    next() {
      if (queue.length > 0) return Promise.resolve({ value: queue.shift() as T, done: false });
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => waiting.push(resolve));
    },
    return: finish,
    throw(e?: unknown) {
      void finish();
      return Promise.reject(e);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

function prefixed(label: string, id: string): string {
  return id.startsWith(`${label}:`) ? id : `${label}:${id}`;
}

/** Subscription contexts live as long as the subscription: each event must read the store afresh. */
function freshReads(ctx: GraphQLContext): void {
  ctx.loaders.vertex.clearAll();
  ctx.loaders.neighbors.clearAll();
}

async function loadCustomer(ctx: GraphQLContext, id: string) {
  const vertex = await ctx.loaders.vertex.load(id);
  return vertex ? customerView(vertex) : null;
}

export function createSubscriptionsModule(deps: SubscriptionsDeps): GraphQLModule {
  const maxQueued = deps.maxQueuedEvents ?? 1000;
  const customerOfAction = (a: ActionLike) =>
    typeof a.payload.customerId === 'string' ? a.payload.customerId : a.subjectId;
  return {
    name: 'subscriptions',
    policy: subscriptionsPolicy,
    typeDefs,
    resolvers: {
      Subscription: {
        customerUpdated: {
          subscribe: (_: unknown, args: { id: string }) => {
            const id = prefixed('Customer', args.id);
            return listen<string>(
              (push) => {
                const offChanges = deps.changes.subscribe((ids) => {
                  if (ids.has(id)) push(id);
                });
                const offActions = deps.actions.subscribe(
                  () => push(id),
                  (a) => customerOfAction(a) === id,
                );
                return () => {
                  offChanges();
                  offActions();
                };
              },
              { maxQueued: 1, coalesce: true },
            );
          },
          resolve: (id: string, _: unknown, ctx: GraphQLContext) => {
            freshReads(ctx);
            return loadCustomer(ctx, id);
          },
        },
        healthChanged: {
          subscribe: (_: unknown, args: { customerId?: string | null }) => {
            const customerId = args.customerId ? prefixed('Customer', args.customerId) : null;
            return listen<ActionLike>(
              (push) =>
                deps.actions.subscribe(
                  push,
                  (a) => a.type === 'health.changed' && (customerId === null || a.payload.customerId === customerId),
                ),
              { maxQueued },
            );
          },
          resolve: (a: ActionLike, _: unknown, ctx: GraphQLContext) => {
            freshReads(ctx);
            return { ...a.payload, id: a.id, at: a.at };
          },
        },
        segmentMembershipChanged: {
          subscribe: async (_: unknown, args: { segmentId: string }, ctx: GraphQLContext) => {
            const segmentId = prefixed('Segment', args.segmentId);
            // A typo would otherwise listen forever to a segment that never changes.
            const [segment] = await ctx.store.getVertices([segmentId]);
            if (segment === null) {
              throw new ApiError('BAD_USER_INPUT', `no saved segment ${segmentId}`, { argument: 'segmentId' });
            }
            return listen<ActionLike>(
              (push) =>
                deps.actions.subscribe(
                  push,
                  (a) =>
                    (a.type === 'segment.entered' || a.type === 'segment.left') &&
                    typeof a.payload.segmentId === 'string' &&
                    prefixed('Segment', a.payload.segmentId) === segmentId,
                ),
              { maxQueued },
            );
          },
          resolve: (a: ActionLike, _: unknown, ctx: GraphQLContext) => {
            freshReads(ctx);
            return {
              id: a.id,
              segmentId: prefixed('Segment', String(a.payload.segmentId)),
              customerId: customerOfAction(a),
              entered: a.type === 'segment.entered',
              at: a.at,
            };
          },
        },
      },
      HealthChange: {
        customer: (c: { customerId?: unknown }, _: unknown, ctx: GraphQLContext) =>
          typeof c.customerId === 'string' ? loadCustomer(ctx, c.customerId) : null,
      },
      SegmentMembershipChange: {
        customer: (c: { customerId: string }, _: unknown, ctx: GraphQLContext) => loadCustomer(ctx, c.customerId),
      },
    },
  };
}
