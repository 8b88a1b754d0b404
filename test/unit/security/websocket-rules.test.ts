/**
 * The WebSocket transport keeps the rules HTTP enforces (issue 22 item 4): one
 * per-principal rate budget across both transports, HTTP's time limit on queries
 * and mutations sent over the socket, and the credential's lifetime — the socket
 * closes when the key expires and no new operation starts after that.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSchema } from 'graphql';
import { createClient } from 'graphql-ws';
import pino from 'pino';
import WebSocket from 'ws';
import { createAuthenticator, createPrincipal, hashApiKey } from '../../../api/auth';
import { DEFAULT_API_LIMITS } from '../../../api/auth/api-limits';
import { createSubscriptionSecurity } from '../../../api/auth/subscription-security';
import { createConfig } from '../../../app/config';
import { type Hub, startHub } from '../../../app/processes';
import { waitFor } from '../../helpers/wait-for';

const KEY = `c360_ws_rules_${'x'.repeat(40)}`;

async function hubWith(
  overrides: Record<string, unknown>,
  env: Record<string, string>,
): Promise<{ hub: Hub; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'c360-ws-rules-'));
  const config = createConfig({ dataDir: dir, port: 0, writeKeys: ['wk'], logLevel: 'silent', ...overrides }, env);
  return { hub: await startHub(config, { logger: pino({ level: 'silent' }) }), dir };
}

function wsClient(hub: Hub) {
  const closes: number[] = [];
  const client = createClient({
    url: `${hub.url.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${KEY}` },
    retryAttempts: 0,
    lazy: false,
  });
  client.on('closed', (e) => closes.push((e as { code: number }).code));
  const query = (q: string) =>
    new Promise<{ data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] }>((resolve) => {
      let result: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] } = {};
      client.subscribe(
        { query: q },
        {
          next: (r) => {
            result = r as typeof result;
          },
          error: (e) => resolve({ errors: Array.isArray(e) ? e : [{ message: String((e as Error)?.message ?? e) }] }),
          complete: () => resolve(result),
        },
      );
    });
  return { client, closes, query };
}

describe('the WebSocket transport keeps HTTP rules', () => {
  const dirs: string[] = [];
  const hubs: Hub[] = [];
  afterAll(async () => {
    for (const h of hubs) await h.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('one rate budget per principal across HTTP and WebSocket', async () => {
    const { hub, dir } = await hubWith(
      {},
      {
        C360_API_KEYS: JSON.stringify([{ name: 'ws-agent', roles: ['agent'], keyHash: hashApiKey(KEY) }]),
        C360_GRAPHQL_RATE_LIMIT_PER_MINUTE: '3',
      },
    );
    hubs.push(hub);
    dirs.push(dir);
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${hub.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(r.status).toBe(200);
    }
    const ws = wsClient(hub);
    const over = await ws.query('{ __typename }');
    expect(over.errors?.[0]?.extensions?.code ?? over.errors?.[0]?.message).toMatch(/RATE_LIMITED|Too many requests/);
    await ws.client.dispose();
  });

  it('the socket closes (4403) when the API key expires, and nothing runs after', async () => {
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const { hub, dir } = await hubWith(
      {},
      { C360_API_KEYS: JSON.stringify([{ name: 'ws-short', roles: ['agent'], keyHash: hashApiKey(KEY), expiresAt }]) },
    );
    hubs.push(hub);
    dirs.push(dir);
    const ws = wsClient(hub);
    expect(await ws.query('{ __typename }')).toEqual({ data: { __typename: 'Query' } });
    await waitFor(() => ws.closes.includes(4403), { timeoutMs: 10_000, description: 'the socket closed on expiry' });
    await ws.client.dispose();
    const again = wsClient(hub);
    await waitFor(() => again.closes.includes(4403), { timeoutMs: 10_000, description: 'a new connection refused' });
    await again.client.dispose();
  });

  it('queries and mutations over the socket get the HTTP time limit; subscriptions do not', async () => {
    const schema = buildSchema('type Query { a: Int } type Subscription { b: Int }');
    const seen: (number | undefined)[] = [];
    const principal = createPrincipal('apiKey', 'apiKey:t', 't', ['agent']);
    const security = createSubscriptionSecurity({
      authenticator: createAuthenticator({ demo: true, apiKeys: [], jwt: null }),
      schema,
      limits: { ...DEFAULT_API_LIMITS, timeoutMs: 15_000 },
      budget: { take: async () => true },
      createContext: (_p, deadlineMs) => {
        seen.push(deadlineMs);
        return {};
      },
      logger: pino({ level: 'silent' }),
      now: () => 1_000_000,
    });
    const ctx = {};
    expect(await security.onConnect(ctx)).toBe(true);
    await security.onSubscribe(ctx, '1', { query: '{ a }' });
    await security.onSubscribe(ctx, '2', { query: 'subscription { b }' });
    expect(seen).toEqual([1_015_000, undefined]);
    expect(principal.expiresAtMs).toBeNull();
  });
});
