/**
 * The same checks for graphql-ws subscriptions as for HTTP: the connection is
 * authenticated once from its `connection_init` payload (a refused one closes
 * with 4403 Forbidden), and each subscribe is parsed and validated with the
 * depth limit, then checked for cost and introspection before it executes.
 * Field policies apply through the shared secured schema.
 */
import { type ExecutionArgs, GraphQLError, type GraphQLSchema, parse, specifiedRules, validate } from 'graphql';
import type { Logger } from 'pino';
import type { ApiLimits } from './api-limits';
import { AuthError } from './auth-error';
import { type Authenticator, credentialsFromParams } from './authenticator';
import { depthLimitRule, mayIntrospect, safeOperationCost, tooComplexError, usesIntrospection } from './query-limits';
import type { Principal } from './roles';

export interface SubscriptionSecurityDeps {
  readonly authenticator: Authenticator;
  readonly schema: GraphQLSchema;
  readonly limits: ApiLimits;
  readonly createContext: (principal: Principal) => unknown;
  readonly logger: Logger;
}

interface ConnectionLike {
  readonly connectionParams?: Readonly<Record<string, unknown>>;
}

interface SubscribePayload {
  readonly query: string;
  readonly variables?: Record<string, unknown> | null;
  readonly operationName?: string | null;
}

export function createSubscriptionSecurity(deps: SubscriptionSecurityDeps) {
  const principals = new WeakMap<object, Principal>();
  const rules = [...specifiedRules, depthLimitRule(deps.limits.maxDepth)];
  return {
    async onConnect(ctx: ConnectionLike): Promise<boolean> {
      try {
        principals.set(ctx, await deps.authenticator.authenticate(credentialsFromParams(ctx.connectionParams)));
        return true;
      } catch (e) {
        if (!(e instanceof AuthError)) throw e;
        deps.logger.info({ reason: e.message }, 'subscription connection refused: not authenticated');
        return false;
      }
    },
    onSubscribe(ctx: ConnectionLike, _id: string, payload: SubscribePayload): ExecutionArgs | readonly GraphQLError[] {
      const principal = principals.get(ctx);
      if (!principal) return [new GraphQLError('Authentication required', { extensions: { code: 'UNAUTHENTICATED' } })];
      let document: ReturnType<typeof parse>;
      try {
        document = parse(payload.query, { maxTokens: 10_000 });
      } catch (e) {
        return [e instanceof GraphQLError ? e : new GraphQLError('Syntax error')];
      }
      const errors = validate(deps.schema, document, rules);
      if (errors.length > 0) return errors;
      if (usesIntrospection(document) && !mayIntrospect(deps.limits.introspection, principal)) {
        return [
          new GraphQLError('Introspection is not available to this principal.', { extensions: { code: 'FORBIDDEN' } }),
        ];
      }
      const cost = safeOperationCost(
        deps.schema,
        document,
        payload.variables ?? undefined,
        payload.operationName ?? undefined,
      );
      if (cost !== null && cost > deps.limits.maxComplexity) return [tooComplexError(cost, deps.limits.maxComplexity)];
      return {
        schema: deps.schema,
        document,
        variableValues: payload.variables ?? undefined,
        operationName: payload.operationName ?? undefined,
        contextValue: deps.createContext(principal),
      };
    },
  };
}
