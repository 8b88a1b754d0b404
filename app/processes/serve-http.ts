/**
 * HTTP for the processes that serve the API (`c360 start`, `c360 api`): the wiring's
 * GraphQL modules, the collector, the playground and the console, subscriptions over
 * graphql-ws, and the security audit log — built the same way for both.
 */
import { join } from 'node:path';
import { createHttpApp, type Readiness, startHttpServer } from '../../api';
import { createFileSecurityAuditLog } from '../../api/auth';
import type { IngestPipeline } from '../../ingest';
import { resolveIdSecret } from '../id-secret';
import { apiSecurity, type Wiring } from '../wiring';

export interface ServedHttp {
  readonly url: string;
  /** Stops accepting, drains in-flight requests, then closes the audit log. */
  close(): Promise<void>;
}

export async function serveHttp(
  w: Wiring,
  options: {
    readonly writeKeys: readonly string[];
    readonly readiness: () => Readiness;
    readonly playgroundExamples?: { readonly email?: string; readonly customerId?: string };
  },
): Promise<ServedHttp> {
  const { config, logger } = w;
  const security = apiSecurity(config);
  const auditLog = createFileSecurityAuditLog(join(config.dataDir, 'audit', 'security.ndjson'));
  const app = createHttpApp({
    store: w.store,
    pipeline: w.collector as IngestPipeline,
    auditLog,
    registry: w.registry,
    logger: logger.child({ component: 'http' }),
    config: {
      writeKeys: options.writeKeys,
      maxEventBytes: config.maxEventBytes,
      maxBatchBytes: config.maxBatchBytes,
      playground: security.playground,
      ...(options.playgroundExamples ? { playgroundExamples: options.playgroundExamples } : {}),
      graphqlPath: '/graphql',
      auth: security.auth,
      limits: security.limits,
      idSecret: resolveIdSecret(config),
    },
    modules: w.modules,
    readiness: options.readiness,
  });
  try {
    const http = await startHttpServer(app, { port: config.port, host: config.host, subscriptions: true });
    return {
      url: http.url,
      async close() {
        await http.close();
        await auditLog.close();
      },
    };
  } catch (e) {
    await auditLog.close();
    throw e;
  }
}
