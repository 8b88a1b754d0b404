/**
 * A real hub for the console's browser tests and the page-weight benchmark:
 * app/processes startHub on the embedded store, seeded with the demo
 * generator, in demo mode (requests without credentials act as every role)
 * with one API key per role (keys are honoured in demo mode too).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createConfig } from '../../../app/config';
import { type Hub, startHub } from '../../../app/processes';
import { runDemo } from '../../../scripts/demo';
import { API_KEYS, TEST_API_KEYS } from '../api/api-harness';

export { API_KEYS };

export interface ConsoleHub {
  readonly hub: Hub;
  readonly url: string;
  /** A GraphQL call as a role (an API key) or, with null, without credentials (demo mode). */
  gql<T>(key: string | null, query: string, variables?: Record<string, unknown>): Promise<T>;
  close(): Promise<void>;
}

export async function startConsoleHub(options: { customers?: number } = {}): Promise<ConsoleHub> {
  const dir = mkdtempSync(join(tmpdir(), 'c360-console-'));
  const config = createConfig({
    dataDir: join(dir, 'data'),
    port: 0,
    demo: true,
    demoCustomers: options.customers ?? 40,
    apiKeys: [...TEST_API_KEYS],
    logLevel: 'silent',
  });
  const hub = await startHub(config, {
    logger: pino({ level: 'silent' }),
    demo: (o) => runDemo({ ...o, batchSize: 500, progress: false }),
  });
  await hub.seeded;
  return {
    hub,
    url: hub.url,
    async gql<T>(key: string | null, query: string, variables?: Record<string, unknown>) {
      const res = await fetch(`${hub.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as { data?: T; errors?: unknown[] };
      if (body.errors || !body.data) throw new Error(`GraphQL failed: ${JSON.stringify(body.errors)}`);
      return body.data;
    },
    async close() {
      await hub.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
