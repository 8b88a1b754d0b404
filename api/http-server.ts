import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
// graphql-ws names it like a React hook; it is not one.
import { useServer as serveGraphQLWs } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { createSubscriptionSecurity } from './auth/subscription-security';
import type { HttpApp } from './http-app';

export interface HttpServerOptions {
  readonly port: number;
  readonly host: string;
  /** How long close() lets in-flight requests finish before cutting connections. */
  readonly drainTimeoutMs?: number;
  /** Serve GraphQL subscriptions (graphql-ws protocol) over WebSocket on the GraphQL path. */
  readonly subscriptions?: boolean;
}

export interface RunningHttpServer {
  readonly server: Server;
  /** Base URL, e.g. http://127.0.0.1:4000 (the real port when 0 was asked). */
  readonly url: string;
  readonly port: number;
  /**
   * Graceful stop: accept no new connections, let in-flight requests finish
   * (a collector request answers only once its events are durable), close idle
   * keep-alive connections and WebSocket subscriptions, then stop the GraphQL server. Idempotent.
   */
  close(): Promise<void>;
}

const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
/** Keep-alive connections become idle as their last response completes; sweep them while draining. */
const IDLE_SWEEP_MS = 50;

export async function startHttpServer(http: HttpApp, options: HttpServerOptions): Promise<RunningHttpServer> {
  await http.start();
  const server = createServer(http.app);
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
  // A per-subscription context: its DataLoaders are cleared by the subscription resolvers before each event.
  // The connection authenticates once (connection_init); each subscribe gets the same limits as HTTP.
  const security = createSubscriptionSecurity({
    authenticator: http.authenticator,
    schema: http.schema,
    limits: http.limits,
    budget: http.budget,
    createContext: (principal, deadlineMs) => http.createContext(principal, deadlineMs),
    logger: http.logger,
    failedAuth: http.failedAuth,
    clientAddress: (request) => http.clientAddress(request),
  });
  const ws = options.subscriptions
    ? serveGraphQLWs(
        {
          schema: http.schema,
          context: () => http.createContext(),
          onConnect: (ctx) => security.onConnect(ctx),
          onSubscribe: (ctx, id, payload) => security.onSubscribe(ctx, id, payload),
        },
        new WebSocketServer({ server, path: http.graphqlPath, maxPayload: http.limits.maxBodyBytes }),
      )
    : null;

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const closed = new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
      server.closeIdleConnections();
      // Upgraded sockets count as open connections: close them (1001 Going Away) or the server never closes.
      await ws?.dispose();
      const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
      const force = setTimeout(() => server.closeAllConnections(), drainTimeoutMs);
      try {
        await closed;
      } finally {
        clearInterval(sweep);
        clearTimeout(force);
      }
      await http.stop();
    })();
    return closing;
  };

  return { server, url: `http://${host}:${port}`, port, close };
}
