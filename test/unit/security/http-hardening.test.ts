/**
 * The HTTP surface around GraphQL: secrets never reach logs, rate limits
 * answer 429 with Retry-After, security headers and CORS, introspection and
 * the playground follow role and config, slow operations time out, and a
 * process without credentials outside demo mode refuses to start.
 */
import { getIntrospectionQuery } from 'graphql';
import { createConfig, requireApiAuth } from '../../../app/config';
import { BatchBuilder, ConfigError, type GraphStore, makeVersion } from '../../../graph-schema';
import { API_KEYS, type ApiHarness, startApi, TEST_API_KEYS, WRITE_KEY } from '../api/api-harness';
import { capturingLogger, codesOf, type SecuredHub, seedAnn, startSecuredHub } from './security-kit';

const Q = '{ customers(first: 1) { edges { cursor } } }';

describe('secrets never reach the logs', () => {
  let h: SecuredHub;
  afterAll(async () => {
    await h?.close();
  });

  test('keys, tokens and write keys sent in every place are absent from every log line', async () => {
    h = await startSecuredHub({ overrides: { graphPassword: 'graph-password-SECRET-5' } });
    await seedAnn(h);
    const secrets = [
      API_KEYS.admin,
      'wk-security-test-0123456789',
      'c360-wrong-SECRET-key-1-0123456789',
      'graph-password-SECRET-5',
    ];
    await h.gql(API_KEYS.admin, Q);
    await h.gql('c360-wrong-SECRET-key-1-0123456789', Q);
    await h.gql({ headers: { 'x-api-key': 'c360-wrong-SECRET-key-1-0123456789' } }, Q);
    await h.gql({ headers: { authorization: 'Basic d2stc2VjdXJpdHktdGVzdC0wMTIzNDU2Nzg5Og==' } }, Q);
    await h.collect(
      '/v1/track',
      { userId: 'u', event: 'e', messageId: 'log-1', timestamp: '2026-01-01T00:00:00Z' },
      'c360-wrong-SECRET-key-1-0123456789',
    );
    await fetch(`${h.url}/v1/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ writeKey: 'c360-wrong-SECRET-key-1-0123456789', userId: 'u', event: 'e' }),
    });
    // A resolver failure is logged with its error; the request's credentials are not part of it.
    await h.gql(API_KEYS.admin, '{ customer(id: "Order:x") { id } }');
    const logs = h.logs();
    expect(logs.length).toBeGreaterThan(500);
    expect(logs).toContain('refused');
    for (const secret of secrets) expect(logs).not.toContain(secret);
    // Redaction itself works on the shapes a careless log call would use.
    const probe = capturingLogger();
    probe.logger.info({
      req: { headers: { authorization: `Bearer ${API_KEYS.admin}`, 'x-api-key': API_KEYS.admin } },
      config: {
        graphPassword: 'graph-password-SECRET-5',
        apiKeys: [{ key: API_KEYS.admin }],
        writeKeys: ['wk-x-SECRET'],
      },
      token: API_KEYS.admin,
    });
    for (const secret of [...secrets, 'wk-x-SECRET']) expect(probe.text()).not.toContain(secret);
  });
});

describe('HTTP hardening on the API', () => {
  let api: ApiHarness;
  let release: () => void = () => undefined;

  beforeAll(async () => {
    api = await startApi({
      auth: { demo: false, apiKeys: TEST_API_KEYS, jwt: null },
      config: {
        limits: {
          rateLimitPerMinute: 40,
          collectorRateLimitPerMinute: 5,
          timeoutMs: 300,
          corsOrigins: ['https://app.example'],
        },
        playground: false,
      },
      // timeline hangs until the test releases it: the operation's deadline, not the store, ends the request.
      wrapApiStore: (store) =>
        new Proxy(store, {
          get(target, prop, receiver) {
            if (prop === 'timeline') {
              return (...args: Parameters<GraphStore['timeline']>) =>
                new Promise<void>((resolve) => {
                  const previous = release;
                  release = () => {
                    previous();
                    resolve();
                  };
                }).then(() => target.timeline(...args));
            }
            return Reflect.get(target, prop, receiver);
          },
        }),
    });
  });
  afterAll(async () => {
    release();
    await api?.close();
  });

  test('security headers on API answers; CORS only for configured origins', async () => {
    const res = await fetch(`${api.url}/healthz`);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('strict-transport-security')).toContain('max-age');
    expect(res.headers.get('x-powered-by')).toBeNull();

    const pre = (origin: string) =>
      fetch(api.graphqlUrl, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
      });
    const allowed = await pre('https://app.example');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('Authorization');
    const denied = await pre('https://evil.example');
    expect(denied.status).toBe(403);
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    // The collector keeps its open CORS for analytics.js on any site, without Cross-Origin-Resource-Policy.
    const collector = await fetch(`${api.url}/v1/t`, {
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' },
    });
    expect(collector.status).toBe(204);
    expect(collector.headers.get('access-control-allow-origin')).toBe('*');
    expect(collector.headers.get('cross-origin-resource-policy')).toBeNull();
  });

  test('introspection follows roles; the playground is served only when enabled', async () => {
    const intro = getIntrospectionQuery();
    expect((await api.gqlAs(API_KEYS.analyst, intro)).body.data).toBeDefined();
    const marketer = await api.gqlAs(API_KEYS.marketer, intro);
    expect(marketer.status).toBe(403);
    expect(codesOf(marketer.body)).toEqual(['FORBIDDEN']);
    expect((await api.gqlAs(API_KEYS.marketer, '{ __typename }')).body.data).toEqual({ __typename: 'Query' });
    const page = await fetch(api.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(401);
    expect(await page.text()).not.toContain('<html');
  });

  test('an operation that outlives its deadline answers TIMEOUT without waiting for the store', async () => {
    const b = new BatchBuilder();
    b.add({ op: 'upsertVertex', label: 'Customer', key: 'slow', props: {}, version: makeVersion(1, 't') });
    await api.store.apply(b.build());
    // customers answers at once; each customer's timeline hangs in the store until released.
    const slow = await api.gqlAs(
      API_KEYS.agent,
      '{ customers { edges { node { id timeline { edges { cursor } } } } } }',
    );
    expect(slow.status).toBe(200);
    expect(codesOf(slow.body)).toEqual(['TIMEOUT']);
    expect(slow.body.data).toEqual({ customers: { edges: [{ node: { id: 'Customer:slow', timeline: null } }] } });
    release();
  });

  test('over the per-key budget: 429 with Retry-After, for GraphQL and for the collector per write key', async () => {
    let limited: Awaited<ReturnType<ApiHarness['gqlAs']>> | null = null;
    for (let i = 0; i < 60 && limited === null; i++) {
      const r = await api.gqlAs(API_KEYS.analyst, '{ __typename }');
      if (r.status === 429) limited = r;
    }
    expect(limited?.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(codesOf(limited?.body ?? {})).toEqual(['RATE_LIMITED']);
    // Another key has its own budget.
    expect((await api.gqlAs(API_KEYS.admin, '{ __typename }')).status).toBe(200);

    const send = (key: string) =>
      fetch(`${api.url}/v1/track`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}`,
        },
        body: JSON.stringify({ userId: 'rl', event: 'e', timestamp: '2026-01-01T00:00:00Z' }),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await send(WRITE_KEY)).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    const over = await send(WRITE_KEY);
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await over.json()).toMatchObject({ success: false, code: 'RATE_LIMITED' });
  });
});

describe('starting without credentials', () => {
  test('outside demo mode the API refuses to start, naming the setting; demo mode starts and warns', async () => {
    const config = createConfig({ dataDir: '/tmp/unused', writeKeys: ['wk'] }, {});
    expect(() => requireApiAuth(config)).toThrow(ConfigError);
    try {
      requireApiAuth(config);
    } catch (e) {
      expect((e as ConfigError).setting).toBe('C360_API_KEYS');
    }
    expect(() => requireApiAuth(createConfig({ demo: true }, {}))).not.toThrow();
    expect(() =>
      requireApiAuth(
        createConfig({}, { C360_API_KEYS: JSON.stringify([{ name: 'ops', roles: ['admin'], key: 'k'.repeat(24) }]) }),
      ),
    ).not.toThrow();

    const bad: [Record<string, string>, string][] = [
      [{ C360_API_KEYS: 'not json' }, 'C360_API_KEYS'],
      [
        { C360_API_KEYS: JSON.stringify([{ name: 'ops', roles: ['root'], key: 'k'.repeat(24) }]) },
        'C360_API_KEYS[0].roles',
      ],
      [{ C360_API_KEYS: JSON.stringify([{ name: 'ops', roles: ['admin'], key: 'short' }]) }, 'C360_API_KEYS[0].key'],
      [
        { C360_API_KEYS: JSON.stringify([{ name: 'ops', roles: ['admin'], keyHash: 'md5:x' }]) },
        'C360_API_KEYS[0].keyHash',
      ],
      [
        {
          C360_WRITE_KEYS: 'k'.repeat(24),
          C360_API_KEYS: JSON.stringify([{ name: 'ops', roles: ['admin'], key: 'k'.repeat(24) }]),
        },
        'C360_API_KEYS',
      ],
      [{ C360_JWT_JWKS_URL: 'https://idp/jwks' }, 'C360_JWT_ISSUER'],
      [{ C360_JWT_JWKS_URL: 'https://idp/jwks', C360_JWT_ISSUER: 'i' }, 'C360_JWT_AUDIENCE'],
      [{ C360_JWT_ALGORITHMS: 'none' }, 'C360_JWT_ALGORITHMS'],
      [{ C360_JWT_ALGORITHMS: 'HS256' }, 'C360_JWT_ALGORITHMS'],
      [{ C360_API_KEYS_FILE: '/nonexistent/keys.json' }, 'C360_API_KEYS_FILE'],
    ];
    for (const [env, setting] of bad) {
      let error: unknown = null;
      try {
        createConfig({}, env);
      } catch (e) {
        error = e;
      }
      expect({ env, setting: (error as ConfigError | null)?.setting }).toEqual({ env, setting });
    }
  });

  test('demo mode is announced with a warning', async () => {
    const captured = capturingLogger();
    const api = await startApi({ logger: captured.logger });
    try {
      expect(captured.text()).toMatch(/"level":40[^\n]*DEMO MODE/);
      // Demo mode admits requests without credentials.
      expect((await api.gqlAs(null, '{ __typename }')).status).toBe(200);
    } finally {
      await api.close();
    }
  });
});
