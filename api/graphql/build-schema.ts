/**
 * The one executable schema: base SDL and resolvers plus feature modules,
 * merged the way Apollo merges them (later resolvers win field by field).
 * HTTP (Apollo) and WebSocket (graphql-ws subscriptions) serve this same
 * object, so a query means the same thing on both transports.
 */
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import type { GraphQLModule } from '../http-app';
import { resolvers } from './resolvers';
import { typeDefs } from './type-defs';

export function buildGraphQLSchema(modules: readonly GraphQLModule[] = []): GraphQLSchema {
  return makeExecutableSchema({
    typeDefs: [typeDefs, ...modules.map((m) => m.typeDefs)],
    resolvers: [resolvers, ...modules.map((m) => m.resolvers)],
  });
}
