export { API_ERROR_CODES, ApiError, type ApiErrorCode } from './api-errors';
export { type ApiMetrics, createApiMetrics, registerHeavyWorkGauge } from './api-metrics';
export { type CollectorErrorCode, createCollectorRouter } from './collector/collector-router';
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './graphql/connections';
export type { Health, HealthStatus } from './graphql/health';
export { identityVertexId, normalizeIdentifierValue } from './graphql/identifiers';
export {
  type CustomerView,
  customerView,
  type GraphQLContext,
  type GraphQLResolvers,
  resolvers,
} from './graphql/resolvers';
export { typeDefs } from './graphql/type-defs';
export { type ApiConfig, createHttpApp, type GraphQLModule, type HttpApp, type HttpAppDeps } from './http-app';
export { type HttpServerOptions, type RunningHttpServer, startHttpServer } from './http-server';
export { createOperationsRouter, type Readiness } from './operations/operations-router';
export { PLAYGROUND_CSP } from './playground/playground-router';
