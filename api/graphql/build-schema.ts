/**
 * The one executable schema: base SDL and resolvers plus feature modules,
 * merged the way Apollo merges them (later resolvers win field by field), then
 * secured: each module's policy (roles, audit, PII masks) is enforced by
 * wrapping the resolvers once (api/auth secureSchema). HTTP (Apollo) and
 * WebSocket (graphql-ws subscriptions) serve this same object, so a query
 * means — and is allowed — the same on both transports.
 */
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import { mergePolicies, type SchemaPolicy } from '../auth/field-policy';
import type { OpaqueIds } from '../auth/opaque-ids';
import { secureSchema } from '../auth/secure-schema';
import type { SecurityAuditLog } from '../auth/security-audit-log';
import type { GraphQLModule } from '../http-app';
import { basePolicy } from './policies';
import { resolvers } from './resolvers';
import { typeDefs } from './type-defs';

export interface SchemaSecurity {
  readonly auditLog?: SecurityAuditLog | null;
  readonly logger?: Logger;
  /** Opaque ids and cursors for principals without PII access (absent: ids masked by shape). */
  readonly opaqueIds?: OpaqueIds | null;
}

/** The base schema's policy plus the policies the modules bring. */
export function schemaPolicy(modules: readonly GraphQLModule[] = []): SchemaPolicy {
  return mergePolicies([basePolicy, ...modules.flatMap((m) => (m.policy ? [m.policy] : []))]);
}

/** The merged schema before policies are applied (tests compare its root fields with the policy). */
export function buildUnsecuredSchema(modules: readonly GraphQLModule[] = []): GraphQLSchema {
  return makeExecutableSchema({
    typeDefs: [typeDefs, ...modules.map((m) => m.typeDefs)],
    resolvers: [resolvers, ...modules.map((m) => m.resolvers)],
  });
}

export function buildGraphQLSchema(
  modules: readonly GraphQLModule[] = [],
  security: SchemaSecurity = {},
): GraphQLSchema {
  return secureSchema(buildUnsecuredSchema(modules), {
    policy: schemaPolicy(modules),
    auditLog: security.auditLog ?? null,
    logger: security.logger,
    opaqueIds: security.opaqueIds ?? null,
  });
}
