/**
 * The API on a free port over the real embedded store and the real ingest
 * pipeline, in a fresh temp dir per harness.
 */
import pino from 'pino';
import {
  type ApiConfig,
  createHttpApp,
  type GraphQLModule,
  type Readiness,
  type RunningHttpServer,
  startHttpServer,
} from '../../../api';
import type { GraphStore } from '../../../graph-schema';
import type { IngestPipeline, PipelineOptions } from '../../../ingest';
import { createTestPipeline, type TestPipeline } from '../../helpers/hub-pipeline';

export const WRITE_KEY = 'test-write-key';

export interface ApiHarness {
  readonly url: string;
  readonly graphqlUrl: string;
  readonly store: GraphStore;
  readonly pipeline: IngestPipeline;
  readonly test: TestPipeline;
  readonly server: RunningHttpServer;
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<{ status: number; body: { data?: T; errors?: GqlError[] } }>;
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
  } = {},
): Promise<ApiHarness> {
  const test = await createTestPipeline({ wrapStore: options.wrapPipelineStore, overrides: options.pipelineOverrides });
  const apiStore = options.wrapApiStore ? options.wrapApiStore(test.store) : test.store;
  const http = createHttpApp({
    store: apiStore,
    pipeline: test.pipeline,
    registry: test.registry,
    logger: pino({ level: 'silent' }),
    config: {
      writeKeys: [WRITE_KEY],
      maxEventBytes: 32 * 1024,
      maxBatchBytes: 500 * 1024,
      playground: true,
      graphqlPath: '/graphql',
      ...options.config,
    },
    readiness: options.readiness ?? (() => ({ ready: true, reasons: [] })),
    ...(options.modules ? { modules: options.modules } : {}),
  });
  const server = await startHttpServer(http, { port: 0, host: '127.0.0.1' });
  const graphqlUrl = `${server.url}/graphql`;
  return {
    url: server.url,
    graphqlUrl,
    store: test.store,
    pipeline: test.pipeline,
    test,
    server,
    async gql<T>(query: string, variables?: Record<string, unknown>) {
      const res = await fetch(graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, body: (await res.json()) as { data?: T; errors?: GqlError[] } };
    },
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
