import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { GraphStore } from '../graph-schema';
import type { IngestPipeline } from '../ingest/ingest-pipeline';
import { type ApiMetrics, createApiMetrics } from './api-metrics';
import { createCollectorRouter } from './collector/collector-router';
import { buildGraphQLSchema } from './graphql/build-schema';
import { createFormatError } from './graphql/format-error';
import { createLoaders } from './graphql/loaders';
import { createMetricsPlugin } from './graphql/metrics-plugin';
import type { GraphQLContext, GraphQLResolvers } from './graphql/resolvers';
import { createOperationsRouter, type Readiness } from './operations/operations-router';
import { createPlayground, PLAYGROUND_ASSETS_PATH } from './playground/playground-router';

/** The HTTP settings the config module resolves (defaults live there, not here). */
export interface ApiConfig {
  /** Segment write keys the collector accepts; empty accepts any key (logged once as a warning). */
  readonly writeKeys: readonly string[];
  /** Largest single Segment event, in bytes (Segment: 32 KiB). */
  readonly maxEventBytes: number;
  /** Largest `/v1/batch` request body, in bytes (Segment: 500 KiB). */
  readonly maxBatchBytes: number;
  /** Serve GraphiQL on GET of the GraphQL path from a browser. */
  readonly playground: boolean;
  /** Where GraphQL is served, e.g. `/graphql`. */
  readonly graphqlPath: string;
}

export interface HttpAppDeps {
  readonly store: GraphStore;
  readonly pipeline: IngestPipeline;
  /** The process's registry (never prom-client's global one): API metrics are added to it. */
  readonly registry: Registry;
  readonly logger: Logger;
  readonly config: ApiConfig;
  readonly readiness: () => Readiness;
  /**
   * Feature modules (analytics, segments, identity, …): SDL that extends the
   * base schema (`extend type Query { … }`) and resolvers merged over the base
   * ones — a module may replace a base field's resolver (e.g. `Customer.similar`).
   */
  readonly modules?: readonly GraphQLModule[];
}

export interface GraphQLModule {
  readonly name: string;
  readonly typeDefs: string;
  readonly resolvers: GraphQLResolvers;
}

export interface HttpApp {
  readonly app: express.Express;
  /** The executable schema Apollo serves; startHttpServer serves subscriptions over WebSocket with it too. */
  readonly schema: GraphQLSchema;
  readonly graphqlPath: string;
  /** A fresh per-operation context (store + DataLoaders), for transports other than HTTP. */
  createContext(): GraphQLContext;
  /** Starts the GraphQL server (schema, plugins); startHttpServer calls it before listening. Idempotent. */
  start(): Promise<void>;
  /** Stops the GraphQL server; call after the HTTP server has drained (startHttpServer's close does both). */
  stop(): Promise<void>;
}

/** Largest GraphQL request body: queries are small; this only stops abuse. */
const MAX_GRAPHQL_BODY = '1mb';

/** Bounded route labels for the latency histogram (raw paths would let clients create series). */
function routeLabel(req: Request, graphqlPath: string): string {
  const p = req.path;
  if (p === graphqlPath) return graphqlPath;
  if (p.startsWith('/v1/')) return '/v1/:endpoint';
  if (p.startsWith(`${PLAYGROUND_ASSETS_PATH}/`)) return PLAYGROUND_ASSETS_PATH;
  if (p === '/healthz' || p === '/readyz' || p === '/metrics') return p;
  return 'other';
}

function httpMetrics(metrics: ApiMetrics, graphqlPath: string): express.RequestHandler {
  return (req, res, next) => {
    const end = metrics.httpDuration.startTimer();
    res.on('finish', () =>
      end({ method: req.method, route: routeLabel(req, graphqlPath), status: String(res.statusCode) }),
    );
    next();
  };
}

/**
 * The one HTTP surface of c360: GraphQL (+ the offline playground), the
 * Segment-compatible collector and the operations endpoints.
 */
export function createHttpApp(deps: HttpAppDeps): HttpApp {
  const { store, pipeline, registry, config } = deps;
  const logger = deps.logger.child({ component: 'api' });
  const metrics = createApiMetrics(registry);

  // Later modules win field by field, so a module can take over a base placeholder.
  const schema = buildGraphQLSchema(deps.modules ?? []);
  const createContext = (): GraphQLContext => ({ store, loaders: createLoaders(store) });
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    // GraphiQL is served by c360 itself (offline); Apollo's landing page would load from a CDN.
    plugins: [ApolloServerPluginLandingPageDisabled(), createMetricsPlugin(metrics)],
    formatError: createFormatError(logger),
    includeStacktraceInErrorResponses: false,
    introspection: true,
    csrfPrevention: true,
    // The composition root owns signals and shutdown order (drain HTTP, then stop GraphQL).
    stopOnTerminationSignals: false,
    logger,
  });

  const app = express();
  app.disable('x-powered-by');
  app.use(httpMetrics(metrics, config.graphqlPath));
  app.use(createOperationsRouter({ registry, readiness: deps.readiness, logger }));
  app.use(
    createCollectorRouter({
      pipeline,
      logger,
      metrics,
      writeKeys: config.writeKeys,
      maxEventBytes: config.maxEventBytes,
      maxBatchBytes: config.maxBatchBytes,
    }),
  );
  if (config.playground) {
    const playground = createPlayground();
    app.use(playground.router);
    app.get(config.graphqlPath, playground.page);
  }
  // Apollo must be started before its middleware exists; until then GraphQL answers 503.
  let graphql: express.RequestHandler | null = null;
  app.all(config.graphqlPath, express.json({ limit: MAX_GRAPHQL_BODY }), (req, res, next) => {
    if (graphql) return graphql(req, res, next);
    res.status(503).json({ errors: [{ message: 'GraphQL is starting', extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
  });

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ code: 'NOT_FOUND', message: 'No such endpoint' });
  });
  app.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const status = (error as { status?: unknown } | null)?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Body-parser rejections of a GraphQL request (malformed JSON, too large): a client error in GraphQL's shape.
      const message = status === 413 ? 'Request body too large' : 'Request body is not valid JSON';
      res.status(status).json({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
      return;
    }
    logger.error({ err: error, path: req.path }, 'unhandled HTTP error');
    res
      .status(500)
      .json({ errors: [{ message: 'Internal server error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
  });

  let starting: Promise<void> | null = null;
  return {
    app,
    schema,
    graphqlPath: config.graphqlPath,
    createContext,
    start() {
      starting ??= apollo.start().then(() => {
        graphql = expressMiddleware(apollo, { context: async () => createContext() });
      });
      return starting;
    },
    stop: () => apollo.stop(),
  };
}
