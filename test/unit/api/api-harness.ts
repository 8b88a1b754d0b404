/**
 * The API on a free port over the real embedded store and the real ingest
 * pipeline, in a fresh temp dir per harness.
 *
 * Security: by default the API runs like `npm start` (demo mode: requests
 * without credentials act as the demo principal, so a browser playground
 * works), and `gql` authenticates with the admin API key, so the real key
 * verification and role checks run on every request. `auth` replaces that
 * (the security tests start with `demo: false`); `gqlAs` sends any credential.
 */
import { Kind, parse } from 'graphql';
import pino, { type Logger } from 'pino';
import {
  type ApiConfig,
  createHttpApp,
  type GraphQLModule,
  type Readiness,
  type RunningHttpServer,
  startHttpServer,
} from '../../../api';
import type { ApiKeyConfig, AuthConfig, ModulePolicy, Role, SecurityAuditLog } from '../../../api/auth';
import { MODULE_POLICIES } from '../../../features/policies';
import type { GraphStore } from '../../../graph-schema';
import type { IngestPipeline, PipelineOptions } from '../../../ingest';
import { createTestPipeline, type TestPipeline } from '../../helpers/hub-pipeline';

export const WRITE_KEY = 'test-write-key';

/** One API key per role (plain keys: the harness hashes them like a local config would). */
export const API_KEYS: Readonly<Record<Role, string>> = {
  agent: 'c360-test-agent-key-0123456789abcdef',
  marketer: 'c360-test-marketer-key-0123456789abcdef',
  analyst: 'c360-test-analyst-key-0123456789abcdef',
  admin: 'c360-test-admin-key-0123456789abcdef',
  ingest: 'c360-test-ingest-key-0123456789abcdef',
};
export const TEST_API_KEYS: readonly ApiKeyConfig[] = Object.entries(API_KEYS).map(([role, key]) => ({
  name: `test-${role}`,
  roles: [role as Role],
  key,
}));
export const ADMIN_KEY = API_KEYS.admin;

/** Credentials for one request: a bearer token (API key or JWT), or none at all. */
export type As = string | null | { readonly headers: Record<string, string> };

/**
 * Test modules that declare no policy get admin-only root fields, so a module
 * under test is reachable with the harness's admin key; policies of real
 * modules come from api/graphql/policies.ts as in production.
 */
function withTestPolicy(module: GraphQLModule): GraphQLModule {
  if (module.policy) return module;
  const known = new Set(MODULE_POLICIES.flatMap((p) => Object.keys(p.roles)));
  const roles: Record<string, readonly Role[]> = {};
  for (const d of parse(module.typeDefs).definitions) {
    if (d.kind !== Kind.OBJECT_TYPE_DEFINITION && d.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    if (!['Query', 'Mutation', 'Subscription'].includes(d.name.value)) continue;
    for (const f of d.fields ?? []) {
      const coordinate = `${d.name.value}.${f.name.value}`;
      if (!known.has(coordinate)) roles[coordinate] = ['admin'];
    }
  }
  return Object.keys(roles).length === 0 ? module : { ...module, policy: { roles } as ModulePolicy };
}

export interface ApiHarness {
  readonly url: string;
  readonly graphqlUrl: string;
  readonly store: GraphStore;
  readonly pipeline: IngestPipeline;
  readonly test: TestPipeline;
  readonly server: RunningHttpServer;
  /** As the admin API key. */
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<{ status: number; body: { data?: T; errors?: GqlError[] } }>;
  /** With the given credential (null: none). */
  gqlAs<T = Record<string, unknown>>(
    as: As,
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<{ status: number; headers: Headers; body: { data?: T; errors?: GqlError[] } }>;
  close(): Promise<void>;
}

export interface GqlError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; [key: string]: unknown };
}

export async function startApi(
  options: {
    config?: Partial<ApiConfig>;
    readiness?: () => Readiness;
    /** Wraps the store the API reads from (not the one the pipeline writes to). */
    wrapApiStore?: (store: GraphStore) => GraphStore;
    /** Wraps the store the pipeline writes to. */
    wrapPipelineStore?: (store: GraphStore) => GraphStore;
    pipelineOverrides?: Partial<PipelineOptions>;
    modules?: readonly GraphQLModule[];
    /** Default: demo mode with TEST_API_KEYS. */
    auth?: AuthConfig;
    auditLog?: SecurityAuditLog;
    logger?: Logger;
    subscriptions?: boolean;
  } = {},
): Promise<ApiHarness> {
  const test = await createTestPipeline({ wrapStore: options.wrapPipelineStore, overrides: options.pipelineOverrides });
  const apiStore = options.wrapApiStore ? options.wrapApiStore(test.store) : test.store;
  const http = createHttpApp({
    store: apiStore,
    pipeline: test.pipeline,
    registry: test.registry,
    logger: options.logger ?? pino({ level: 'silent' }),
    config: {
      writeKeys: [WRITE_KEY],
      maxEventBytes: 32 * 1024,
      maxBatchBytes: 500 * 1024,
      playground: true,
      graphqlPath: '/graphql',
      auth: options.auth ?? { demo: true, apiKeys: TEST_API_KEYS, jwt: null },
      ...options.config,
    },
    readiness: options.readiness ?? (() => ({ ready: true, reasons: [] })),
    ...(options.modules ? { modules: options.modules.map(withTestPolicy) } : {}),
    ...(options.auditLog ? { auditLog: options.auditLog } : {}),
  });
  const server = await startHttpServer(http, { port: 0, host: '127.0.0.1', subscriptions: options.subscriptions });
  const graphqlUrl = `${server.url}/graphql`;
  const gqlAs = async <T>(as: As, query: string, variables?: Record<string, unknown>) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (typeof as === 'string') headers.authorization = `Bearer ${as}`;
    else if (as !== null) Object.assign(headers, as.headers);
    const res = await fetch(graphqlUrl, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    return {
      status: res.status,
      headers: res.headers,
      body: (await res.json()) as { data?: T; errors?: GqlError[] },
    };
  };
  return {
    url: server.url,
    graphqlUrl,
    store: test.store,
    pipeline: test.pipeline,
    test,
    server,
    async gql<T>(query: string, variables?: Record<string, unknown>) {
      const { status, body } = await gqlAs<T>(ADMIN_KEY, query, variables);
      return { status, body };
    },
    gqlAs,
    async close() {
      await server.close();
      await test.close();
    },
  };
}

/** Counts calls per GraphStore method on the real store: the bound on round trips is the property under test. */
export function countingStore(store: GraphStore): { store: GraphStore; calls: Map<string, number>; total(): number } {
  const calls = new Map<string, number>();
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.set(String(prop), (calls.get(String(prop)) ?? 0) + 1);
        return value.apply(target, args);
      };
    },
  });
  return { store: proxy, calls, total: () => [...calls.values()].reduce((a, b) => a + b, 0) };
}
