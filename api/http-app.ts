import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { GraphQLSchema } from 'graphql';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { GraphStore } from '../graph-schema';
import type { IngestPipeline } from '../ingest/ingest-pipeline';
import { type ApiMetrics, createApiMetrics } from './api-metrics';
import { type ApiLimits, DEFAULT_API_LIMITS } from './auth/api-limits';
import { createAuthMiddleware, principalOf } from './auth/authenticate-request';
import { type AuthConfig, type Authenticator, createAuthenticator } from './auth/authenticator';
import { createCorsMiddleware } from './auth/cors';
import { createFailedAuthLimit, type FailedAuthLimit } from './auth/failed-auth-limit';
import type { ModulePolicy } from './auth/field-policy';
import { createOpaqueIds } from './auth/opaque-ids';
import { createQueryLimitsPlugin, depthLimitRule } from './auth/query-limits';
import {
  createCollectorRateLimit,
  createGraphQLRateLimit,
  createOperationBudget,
  type OperationBudget,
} from './auth/rate-limiters';
import { DEMO_PRINCIPAL, type Principal } from './auth/roles';
import type { SecurityContext } from './auth/secure-schema';
import type { SecurityAuditLog } from './auth/security-audit-log';
import { createCollectorRouter } from './collector/collector-router';
import { CONSOLE_ASSETS_PATH, createConsoleRouter } from './console/console-router';
import { buildGraphQLSchema } from './graphql/build-schema';
import { createFormatError } from './graphql/format-error';
import { createLoaders } from './graphql/loaders';
import { createMetricsPlugin } from './graphql/metrics-plugin';
import type { GraphQLContext, GraphQLResolvers } from './graphql/resolvers';
import { createSubscriptionsOverHttpPlugin } from './graphql/subscriptions-over-http-plugin';
import { createOperationsRouter, type Readiness } from './operations/operations-router';
import { createPlayground, PLAYGROUND_ASSETS_PATH, type PlaygroundExamples } from './playground/playground-router';

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
  /** Values the playground's example operations start with (the hub passes its demo data's). */
  readonly playgroundExamples?: PlaygroundExamples;
  /** Serve the landing page (`/`) and the console (`/console`); default true. They only call the public API. */
  readonly console?: boolean;
  /** Where GraphQL is served, e.g. `/graphql`. */
  readonly graphqlPath: string;
  /**
   * Who may call GraphQL (API keys, JWT). Absent = demo mode: requests without
   * credentials act as an all-roles principal (logged as a warning). The
   * composition roots always pass it; they refuse to start without credentials
   * outside demo mode.
   */
  readonly auth?: AuthConfig;
  /** Depth, cost, time, body size, introspection, rate limits, CORS (defaults: DEFAULT_API_LIMITS). */
  readonly limits?: Partial<ApiLimits>;
  /**
   * The hub secret that keys the opaque ids and cursors principals without PII access
   * get (C360_ID_SECRET; every replica needs the same one). Absent: a random secret for
   * this process — its opaque ids stop working when it restarts (tests, embedded use).
   */
  readonly idSecret?: string;
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
  /** Where sensitive reads and admin mutations are recorded (none: not recorded). */
  readonly auditLog?: SecurityAuditLog | null;
}

export interface GraphQLModule {
  readonly name: string;
  readonly typeDefs: string;
  readonly resolvers: GraphQLResolvers;
  /**
   * Roles, audit and masks of the fields the module adds, for modules outside
   * api/graphql/policies.ts. A root field without a policy is denied to everyone.
   */
  readonly policy?: ModulePolicy;
}

/** The per-operation context: store, loaders, who asks and until when. */
export type ApiContext = GraphQLContext & SecurityContext;

export interface HttpApp {
  readonly app: express.Express;
  /** The executable schema Apollo serves; startHttpServer serves subscriptions over WebSocket with it too. */
  readonly schema: GraphQLSchema;
  readonly graphqlPath: string;
  /**
   * A fresh per-operation context (store + DataLoaders + principal), for transports other than HTTP.
   * Without a principal: the demo principal in demo mode, otherwise none (every field then refuses).
   */
  createContext(principal?: Principal, deadlineMs?: number): ApiContext;
  /** Verifies credentials (HTTP headers, graphql-ws connection_init payloads). */
  readonly authenticator: Authenticator;
  readonly limits: ApiLimits;
  /** The per-principal operation budget HTTP uses; the WebSocket transport draws on the same one. */
  readonly budget: OperationBudget;
  /** Refused credentials per client address; the WebSocket's connection_init counts against it too. */
  readonly failedAuth: FailedAuthLimit;
  /** The client address of a raw request (a WebSocket upgrade), by the same trusted-proxy rule as `req.ip`. */
  clientAddress(request: IncomingMessage): string;
  readonly logger: Logger;
  /** Starts the GraphQL server (schema, plugins); startHttpServer calls it before listening. Idempotent. */
  start(): Promise<void>;
  /** Stops the GraphQL server; call after the HTTP server has drained (startHttpServer's close does both). */
  stop(): Promise<void>;
}

/** Bounded route labels for the latency histogram (raw paths would let clients create series). */
function routeLabel(req: Request, graphqlPath: string): string {
  const p = req.path;
  if (p === graphqlPath) return graphqlPath;
  if (p.startsWith('/v1/')) return '/v1/:endpoint';
  if (p.startsWith(`${PLAYGROUND_ASSETS_PATH}/`)) return PLAYGROUND_ASSETS_PATH;
  if (p.startsWith(`${CONSOLE_ASSETS_PATH}/`)) return CONSOLE_ASSETS_PATH;
  if (p === '/' || p === '/console') return p;
  if (p === '/healthz' || p === '/readyz' || p === '/metrics') return p;
  return 'other';
}

/**
 * helmet's headers everywhere; the API answers JSON, so its CSP allows
 * nothing (the playground page sets its own, stricter-than-default one). The
 * collector is called cross-origin by analytics.js: no Cross-Origin-Resource-Policy there.
 */
function securityHeaders(): express.RequestHandler {
  const csp = {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"] },
  };
  const api = helmet({ contentSecurityPolicy: csp });
  const collector = helmet({ contentSecurityPolicy: csp, crossOriginResourcePolicy: false });
  return (req, res, next) => (req.path.startsWith('/v1/') ? collector(req, res, next) : api(req, res, next));
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

/** Deepest JSON nesting of a GraphQL request body (query text is a string; variables hold JSON definitions). */
const MAX_GRAPHQL_BODY_DEPTH = 64;

class BodyRejected extends Error {
  override name = 'BodyRejected';
  readonly status = 400;
}

/**
 * Runs on the raw (decompressed) bytes before express.json parses them: invalid UTF-8 is
 * refused rather than replaced with U+FFFD, and nesting is bounded so that no recursive
 * code later (variable coercion, JSON scalars) can overflow the stack on `[[[[…`.
 */
function checkGraphQLBody(_req: unknown, _res: unknown, buf: Buffer): void {
  if (!isUtf8(buf)) throw new BodyRejected('Request body is not valid UTF-8');
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_GRAPHQL_BODY_DEPTH) {
        throw new BodyRejected(`Request body is nested deeper than ${MAX_GRAPHQL_BODY_DEPTH} levels`);
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
}

/** zlib's errors for a corrupt gzip/deflate/brotli body: the client's bytes are broken. */
function isDecompressionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('Z_') || code.startsWith('ERR_BROTLI'));
}

/**
 * The one HTTP surface of c360: GraphQL (+ the offline playground), the
 * Segment-compatible collector and the operations endpoints.
 */
export function createHttpApp(deps: HttpAppDeps): HttpApp {
  const { store, pipeline, registry, config } = deps;
  const logger = deps.logger.child({ component: 'api' });
  const metrics = createApiMetrics(registry);
  const limits: ApiLimits = { ...DEFAULT_API_LIMITS, ...config.limits };
  const authConfig: AuthConfig = config.auth ?? { demo: true, apiKeys: [], jwt: null };
  const authenticator = createAuthenticator(authConfig);
  if (authenticator.mode === 'demo') {
    logger.warn(
      'DEMO MODE: GraphQL accepts requests without credentials as an all-roles principal; never expose this to a network',
    );
  }

  const opaqueIds = createOpaqueIds(config.idSecret ?? randomBytes(32).toString('base64url'));
  // Later modules win field by field, so a module can take over a base placeholder.
  const schema = buildGraphQLSchema(deps.modules ?? [], { auditLog: deps.auditLog ?? null, logger, opaqueIds });
  const createContext = (principal?: Principal, deadlineMs?: number): ApiContext => ({
    store,
    loaders: createLoaders(store),
    principal: principal ?? (authenticator.mode === 'demo' ? DEMO_PRINCIPAL : undefined),
    ...(deadlineMs === undefined ? {} : { deadlineMs }),
  });
  const apollo = new ApolloServer<ApiContext>({
    schema,
    // GraphiQL is served by c360 itself (offline); Apollo's landing page would load from a CDN.
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      // No field carries cache hints and every answer is per principal: the default plugin
      // would only wrap every resolver to compute a policy nobody uses (~10 % of a 360° view).
      ApolloServerPluginCacheControlDisabled(),
      createMetricsPlugin(metrics),
      createSubscriptionsOverHttpPlugin(config.graphqlPath),
      createQueryLimitsPlugin(limits),
    ],
    validationRules: [depthLimitRule(limits.maxDepth)],
    formatError: createFormatError(logger),
    includeStacktraceInErrorResponses: false,
    // 'roles' is enforced per principal by the query-limits plugin.
    introspection: limits.introspection !== 'off',
    csrfPrevention: true,
    // The composition root owns signals and shutdown order (drain HTTP, then stop GraphQL).
    stopOnTerminationSignals: false,
    logger,
  });

  const app = express();
  app.disable('x-powered-by');
  // req.ip is the client address only behind proxies the operator named (limits by address use it).
  app.set('trust proxy', limits.trustedProxies === false ? false : limits.trustedProxies);
  app.use(httpMetrics(metrics, config.graphqlPath));
  app.use(securityHeaders());
  app.use(createOperationsRouter({ registry, readiness: deps.readiness, logger }));
  // Before any credential is checked, on both endpoints that check one.
  const failedAuth = createFailedAuthLimit(limits.authFailuresPerMinute);
  app.use('/v1', failedAuth.collector);
  app.use(config.graphqlPath, failedAuth.graphql);
  if (limits.collectorRateLimitPerMinute > 0)
    app.use('/v1', createCollectorRateLimit(limits.collectorRateLimitPerMinute));
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
    const playground = createPlayground(config.playgroundExamples);
    app.use(playground.router);
    app.get(config.graphqlPath, playground.page);
  }
  if (config.console !== false) app.use(createConsoleRouter());
  // Apollo must be started before its middleware exists; until then GraphQL answers 503.
  let graphql: express.RequestHandler | null = null;
  // One budget per principal for HTTP and WebSocket operations alike.
  const operations = createOperationBudget(limits.rateLimitPerMinute);
  const passThrough: express.RequestHandler = (_req, _res, next) => next();
  app.all(
    config.graphqlPath,
    createCorsMiddleware(limits.corsOrigins),
    // Credentials first: nothing of an unauthenticated request is parsed or executed.
    createAuthMiddleware(authenticator, logger),
    limits.rateLimitPerMinute > 0 ? createGraphQLRateLimit(limits.rateLimitPerMinute, operations.store) : passThrough,
    express.json({ limit: limits.maxBodyBytes, verify: checkGraphQLBody }),
    (req, res, next) => {
      if (graphql) return graphql(req, res, next);
      res
        .status(503)
        .json({ errors: [{ message: 'GraphQL is starting', extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
    },
  );

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ code: 'NOT_FOUND', message: 'No such endpoint' });
  });
  app.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const status = (error as { status?: unknown } | null)?.status;
    if (error instanceof BodyRejected) {
      res.status(400).json({ errors: [{ message: error.message, extensions: { code: 'BAD_REQUEST' } }] });
      return;
    }
    if (isDecompressionError(error)) {
      const message = 'Request body could not be decompressed (Content-Encoding)';
      res.status(400).json({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
      return;
    }
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
    authenticator,
    limits,
    budget: operations.budget,
    failedAuth,
    clientAddress(request) {
      // Express's own req.ip over the raw request: X-Forwarded-For counts only from trusted proxies.
      const req = Object.create(app.request, {
        app: { value: app },
        headers: { value: request.headers },
        socket: { value: request.socket },
        connection: { value: request.socket },
      }) as Request;
      return req.ip ?? request.socket.remoteAddress ?? 'unknown';
    },
    logger,
    start() {
      starting ??= apollo.start().then(() => {
        graphql = expressMiddleware(apollo, {
          context: async ({ res }) => createContext(principalOf(res), Date.now() + limits.timeoutMs),
        });
      });
      return starting;
    },
    stop: () => apollo.stop(),
  };
}
