/**
 * Hostile HTTP requests against the real hub (issue #22 item 6). Each is
 * answered with a 4xx the sender can act on — never a 503 that SDKs retry
 * forever, never data silently altered — and none can make the hub write
 * unbounded audit log or guess credentials at line speed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createConfig } from '../../../app/config';
import { API_KEYS, type SecuredHub, startSecuredHub, WRITE_KEY } from './security-kit';

const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

async function post(h: SecuredHub, path: string, body: Buffer | string, headers: Record<string, string>) {
  const res = await fetch(`${h.url}${path}`, { method: 'POST', headers, body });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const asAdmin = { 'content-type': 'application/json', authorization: `Bearer ${API_KEYS.admin}` };
const asSender = { 'content-type': 'application/json', authorization: basic(WRITE_KEY) };

describe('malformed requests are 400s, not 503s', () => {
  let h: SecuredHub;
  beforeAll(async () => {
    h = await startSecuredHub();
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('10,000-level nested JSON: 400 on GraphQL (query and variables) and on the collector', async () => {
    const nested = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    const gql = await post(h, '/graphql', `{"query":"{__typename}","variables":${nested}}`, asAdmin);
    expect(gql.status).toBe(400);
    expect(gql.text).toContain('nested deeper');
    const batch = await post(h, '/v1/batch', `{"batch":[${'['.repeat(10_000)}${']'.repeat(10_000)}]}`, asSender);
    expect(batch.status).toBe(400);
    expect(JSON.parse(batch.text)).toMatchObject({ success: false, code: 'INVALID_BODY' });
  });

  it('a corrupt gzip body: 400 on both endpoints; a good one is accepted', async () => {
    const good = gzipSync(JSON.stringify({ userId: 'gz-user', event: 'Zipped', messageId: 'gz-1' }));
    const gzip = { 'content-encoding': 'gzip' };
    expect((await post(h, '/v1/track', good, { ...asSender, ...gzip })).status).toBe(200);
    const broken = Buffer.concat([good.subarray(0, 20), Buffer.from('not deflate at all')]);
    const v1 = await post(h, '/v1/track', broken, { ...asSender, ...gzip });
    expect(v1.status).toBe(400);
    expect(v1.text).toContain('decompressed');
    const gql = await post(h, '/graphql', broken, { ...asAdmin, ...gzip });
    expect(gql.status).toBe(400);
  });

  it('a 100 KB id: 400 BAD_USER_INPUT as a literal and as a variable; a 10 KB userId is dead-lettered', async () => {
    const id = 'x'.repeat(100_000);
    for (const body of [
      { query: 'query($id: ID!) { customer(id: $id) { id } }', variables: { id } },
      { query: `{ customer(id: "${id}") { id } }` },
    ]) {
      const res = await post(h, '/graphql', JSON.stringify(body), asAdmin);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    }
    const res = await post(
      h,
      '/v1/batch',
      JSON.stringify({ batch: [{ type: 'track', userId: 'u'.repeat(10_000), event: 'Long', messageId: 'long-1' }] }),
      asSender,
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).rejected).toEqual([
      expect.objectContaining({ index: 0, code: 'INVALID_VALUE', message: expect.stringContaining('userId') }),
    ]);
  });

  it('invalid UTF-8 is refused, not replaced with U+FFFD and stored', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"userId":"utf-user","messageId":"utf-1","event":"caf'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}'),
    ]);
    const v1 = await post(h, '/v1/track', bytes, asSender);
    expect(v1.status).toBe(400);
    expect(v1.text).toContain('UTF-8');
    expect((await h.hub.store.getVertices(['Customer:utf-user']))[0]).toBeNull();
    const query = Buffer.concat([
      Buffer.from('{"query":"{ customer(id: \\"Customer:a'),
      Buffer.from([0xff]),
      Buffer.from('\\") { id } }"}'),
    ]);
    const gql = await post(h, '/graphql', query, asAdmin);
    expect(gql.status).toBe(400);
    expect(gql.text).toContain('UTF-8');
  });

  it('"Did you mean" is shown to roles that may introspect, never to the others', async () => {
    const typo = JSON.stringify({ query: '{ customr(id: "x") { id } }' });
    const marketer = await post(h, '/graphql', typo, { ...asAdmin, authorization: `Bearer ${API_KEYS.marketer}` });
    expect(marketer.status).toBe(400);
    expect(marketer.text).toContain('Cannot query field');
    expect(marketer.text).not.toMatch(/Did you mean|"customer"/);
    const analyst = await post(h, '/graphql', typo, { ...asAdmin, authorization: `Bearer ${API_KEYS.analyst}` });
    expect(analyst.text).toContain('Did you mean');
  });

  it('a 1,000-alias query writes a bounded audit entry, with the count of what it folded', async () => {
    const file = join(h.dir, 'data', 'audit', 'security.ndjson');
    const before = existsSync(file) ? readFileSync(file).length : 0;
    const aliases = Array.from({ length: 1000 }, (_, i) => `a${i}: customer(id: "Customer:probe-${i}") { id }`);
    const res = await post(h, '/graphql', JSON.stringify({ query: `{ ${aliases.join(' ')} }` }), {
      ...asAdmin,
      authorization: `Bearer ${API_KEYS.agent}`,
    });
    expect(res.status).toBe(200);
    const written = readFileSync(file).subarray(before).toString('utf8');
    // Measured before: 225,000 bytes for this query (one ~225-byte line per alias).
    expect(written.length).toBeLessThan(10_000);
    const entries = written
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const summaries = entries.filter((e) => e.details?.summary === true);
    expect(entries.length - summaries.length).toBe(20);
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({ action: 'Query.customer', outcome: 'ok', details: { count: 980 } });
  });
});

describe('failed authentication is throttled by client address', () => {
  let h: SecuredHub;
  beforeAll(async () => {
    h = await startSecuredHub({ env: { C360_TRUSTED_PROXIES: 'loopback', C360_AUTH_FAILURES_PER_MINUTE: '5' } });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  const from = (address: string, headers: Record<string, string>) => ({ ...headers, 'x-forwarded-for': address });
  const query = JSON.stringify({ query: '{ __typename }' });
  const event = JSON.stringify({ userId: 'throttle-user', event: 'Probe' });

  it('a guessing address is refused after 5 wrong keys (right ones too), on both endpoints; others are not', async () => {
    const guesser = '203.0.113.7';
    for (let i = 0; i < 3; i++) {
      const res = await post(h, '/graphql', query, from(guesser, { ...asAdmin, authorization: `Bearer wrong-${i}` }));
      expect(res.status).toBe(401);
    }
    for (let i = 0; i < 2; i++) {
      const res = await post(h, '/v1/track', event, from(guesser, { ...asSender, authorization: basic(`wrong-${i}`) }));
      expect(res.status).toBe(401);
    }
    const blockedGql = await post(h, '/graphql', query, from(guesser, asAdmin));
    expect(blockedGql.status).toBe(429);
    expect(Number(blockedGql.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(JSON.parse(blockedGql.text).errors[0].extensions.code).toBe('RATE_LIMITED');
    const blockedV1 = await post(h, '/v1/track', event, from(guesser, asSender));
    expect(blockedV1.status).toBe(429);
    expect(JSON.parse(blockedV1.text).code).toBe('RATE_LIMITED');

    // Behind the same (trusted) load balancer, another client is its own bucket.
    expect((await post(h, '/graphql', query, from('203.0.113.8', asAdmin))).status).toBe(200);
    expect((await post(h, '/v1/track', event, from('203.0.113.8', asSender))).status).toBe(200);
  });

  it('refused WebSocket connection_init credentials count against the same address, and a blocked address cannot connect', async () => {
    const guesser = '203.0.113.50';
    const connect = (key: string) =>
      new Promise<number | 'connected'>((resolve) => {
        class FromGuesser extends WebSocket {
          constructor(url: string, protocols?: string | string[]) {
            super(url, protocols, { headers: { 'x-forwarded-for': guesser } });
          }
        }
        const client = createClient({
          url: `${h.url.replace('http', 'ws')}/graphql`,
          webSocketImpl: FromGuesser,
          connectionParams: { authorization: `Bearer ${key}` },
          retryAttempts: 0,
          lazy: false,
          onNonLazyError: () => undefined,
        });
        client.on('connected', () => {
          resolve('connected');
          void client.dispose();
        });
        client.on('closed', (e) => resolve((e as { code: number }).code));
      });
    for (let i = 0; i < 3; i++) expect(await connect(`wrong-ws-${i}`)).toBe(4403);
    for (let i = 0; i < 2; i++) {
      const res = await post(h, '/graphql', query, from(guesser, { ...asAdmin, authorization: `Bearer wrong-${i}` }));
      expect(res.status).toBe(401);
    }
    // Five refusals over both transports: now the address is throttled on both, right key or not.
    expect((await post(h, '/graphql', query, from(guesser, asAdmin))).status).toBe(429);
    expect(await connect(API_KEYS.admin)).toBe(4403);
  });

  it('good credentials never count, however many', async () => {
    for (let i = 0; i < 20; i++) {
      expect((await post(h, '/graphql', query, from('198.51.100.20', asAdmin))).status).toBe(200);
    }
  });
});

describe('without a trusted proxy, X-Forwarded-For does not pick the bucket', () => {
  let h: SecuredHub;
  beforeAll(async () => {
    h = await startSecuredHub({ env: { C360_AUTH_FAILURES_PER_MINUTE: '3' } });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('a guesser rotating X-Forwarded-For is still one address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await post(h, '/graphql', JSON.stringify({ query: '{ __typename }' }), {
        ...asAdmin,
        authorization: `Bearer wrong-${i}`,
        'x-forwarded-for': `192.0.2.${i}`,
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
  });
});

describe('C360_TRUSTED_PROXIES and C360_AUTH_FAILURES_PER_MINUTE are validated', () => {
  it.each([
    ['loopback', ['loopback']],
    ['10.0.0.0/8, 192.168.1.10, ::1, uniquelocal', ['10.0.0.0/8', '192.168.1.10', '::1', 'uniquelocal']],
    ['2', 2],
    ['', false],
  ])('%j is accepted', (raw, expected) => {
    expect(createConfig({}, { C360_TRUSTED_PROXIES: raw }).apiLimits.trustedProxies).toEqual(expected);
  });

  it.each(['true', '*', '10.0.0.0/40', 'lb.internal', '300.1.1.1'])(
    '%j is a startup error naming the setting',
    (raw) => {
      expect(() => createConfig({}, { C360_TRUSTED_PROXIES: raw })).toThrow(
        expect.objectContaining({ name: 'ConfigError', setting: 'C360_TRUSTED_PROXIES' }),
      );
    },
  );

  it('a negative failure budget is refused', () => {
    expect(() => createConfig({}, { C360_AUTH_FAILURES_PER_MINUTE: '-1' })).toThrow(
      expect.objectContaining({ setting: 'C360_AUTH_FAILURES_PER_MINUTE' }),
    );
  });
});
