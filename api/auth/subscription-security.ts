/**
 * The same checks for graphql-ws subscriptions as for HTTP: the connection is
 * authenticated once from its `connection_init` payload (a refused one closes
 * with 4403 Forbidden), and each subscribe is parsed and validated with the
 * depth limit, then checked for cost and introspection before it executes.
 * Field policies apply through the shared secured schema.
 */

import type { IncomingMessage } from 'node:http';
import {
  type ExecutionArgs,
  GraphQLError,
  type GraphQLSchema,
  getOperationAST,
  parse,
  specifiedRules,
  validate,
} from 'graphql';
import type { Logger } from 'pino';
import type { ApiLimits } from './api-limits';
import { AuthError } from './auth-error';
import { type Authenticator, credentialsFromParams } from './authenticator';
import type { FailedAuthLimit } from './failed-auth-limit';
import {
  depthLimitRule,
  MAX_ID_ARGUMENT_CHARS,
  mayIntrospect,
  overlongIdArgument,
  safeOperationCost,
  tooComplexError,
  usesIntrospection,
  withoutSuggestions,
} from './query-limits';
import type { OperationBudget } from './rate-limiters';
import type { Principal } from './roles';

export interface SubscriptionSecurityDeps {
  readonly authenticator: Authenticator;
  readonly schema: GraphQLSchema;
  readonly limits: ApiLimits;
  /** The per-principal operation budget HTTP draws on too. */
  readonly budget: OperationBudget;
  /** `deadlineMs` for queries and mutations (HTTP's time limit); subscriptions live as long as the socket. */
  readonly createContext: (principal: Principal, deadlineMs?: number) => unknown;
  readonly now?: () => number;
  readonly logger: Logger;
  /** Refused credentials per client address, shared with HTTP (absent: not throttled). */
  readonly failedAuth?: Pick<FailedAuthLimit, 'blocked' | 'recordFailure'>;
  /** The client address of the upgrade request (trusted-proxy aware). */
  readonly clientAddress?: (request: IncomingMessage) => string;
}

interface ConnectionLike {
  readonly connectionParams?: Readonly<Record<string, unknown>>;
  /** graphql-ws hands the ws socket and the upgrade request here (graphql-ws/use/ws). */
  readonly extra?: {
    readonly socket?: { close(code: number, reason: string): void };
    readonly request?: IncomingMessage;
  };
}

/** graphql-ws closes a socket whose credentials are refused with 4403 Forbidden; expiry is a refusal too. */
const FORBIDDEN_CLOSE = 4403;

interface SubscribePayload {
  readonly query: string;
  readonly variables?: Record<string, unknown> | null;
  readonly operationName?: string | null;
}

export function createSubscriptionSecurity(deps: SubscriptionSecurityDeps) {
  const principals = new WeakMap<object, Principal>();
  const rules = [...specifiedRules, depthLimitRule(deps.limits.maxDepth)];
  const now = deps.now ?? Date.now;
  return {
    async onConnect(ctx: ConnectionLike): Promise<boolean> {
      const request = ctx.extra?.request;
      const address = request && deps.clientAddress ? deps.clientAddress(request) : null;
      // A guessing address is refused before its credential is even looked at, as on HTTP.
      if (address !== null && deps.failedAuth?.blocked(address)) {
        deps.logger.info({ ip: address }, 'subscription connection refused: too many refused credentials');
        return false;
      }
      try {
        const principal = await deps.authenticator.authenticate(credentialsFromParams(ctx.connectionParams));
        principals.set(ctx, principal);
        // The same credential lifetime as HTTP: the socket closes when the key or token expires.
        if (principal.expiresAtMs !== null) {
          const timer = setTimeout(
            () => ctx.extra?.socket?.close(FORBIDDEN_CLOSE, 'Forbidden: credentials expired'),
            Math.max(0, principal.expiresAtMs - now()),
          );
          timer.unref();
        }
        return true;
      } catch (e) {
        if (!(e instanceof AuthError)) throw e;
        deps.logger.info({ reason: e.message, ip: address }, 'subscription connection refused: not authenticated');
        if (address !== null) deps.failedAuth?.recordFailure(address);
        return false;
      }
    },
    async onSubscribe(
      ctx: ConnectionLike,
      _id: string,
      payload: SubscribePayload,
    ): Promise<ExecutionArgs | readonly GraphQLError[]> {
      const principal = principals.get(ctx);
      if (!principal) return [new GraphQLError('Authentication required', { extensions: { code: 'UNAUTHENTICATED' } })];
      if (principal.expiresAtMs !== null && now() >= principal.expiresAtMs) {
        return [new GraphQLError('Credentials expired', { extensions: { code: 'UNAUTHENTICATED' } })];
      }
      if (!(await deps.budget.take(principal.id))) {
        return [
          new GraphQLError('Too many requests; retry after the Retry-After delay.', {
            extensions: { code: 'RATE_LIMITED' },
          }),
        ];
      }
      let document: ReturnType<typeof parse>;
      try {
        document = parse(payload.query, { maxTokens: 10_000 });
      } catch (e) {
        return [e instanceof GraphQLError ? e : new GraphQLError('Syntax error')];
      }
      const errors = validate(deps.schema, document, rules);
      if (errors.length > 0) {
        if (!mayIntrospect(deps.limits.introspection, principal)) withoutSuggestions(errors);
        return errors;
      }
      const overlong = overlongIdArgument(deps.schema, document, payload.variables ?? undefined);
      if (overlong !== null) {
        return [
          new GraphQLError(`Argument ${overlong} is longer than ${MAX_ID_ARGUMENT_CHARS} characters; no id is.`, {
            extensions: { code: 'BAD_USER_INPUT' },
          }),
        ];
      }
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
      // Queries and mutations sent over the socket get HTTP's time limit; a subscription lives with the socket.
      const operation = getOperationAST(document, payload.operationName ?? undefined);
      const deadlineMs = operation?.operation === 'subscription' ? undefined : now() + deps.limits.timeoutMs;
      return {
        schema: deps.schema,
        document,
        variableValues: payload.variables ?? undefined,
        operationName: payload.operationName ?? undefined,
        contextValue: deps.createContext(principal, deadlineMs),
      };
    },
  };
}
