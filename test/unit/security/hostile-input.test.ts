/**
 * Hostile input against the running hub: queries too deep or too costly,
 * bodies too large, injection strings in every string argument of every root
 * field and in every field of collector events, forged and stale credentials.
 * Each gets a clean 4xx or a GraphQL error with a code; the server stays up and
 * the graph changes only by the writes that were asked for (and allowed).
 */
import { createHash } from 'node:crypto';
import type { JWK } from 'jose';
import { dumpWholeGraph, type GraphDump } from '../../helpers/graph-dump';
import { waitFor } from '../../helpers/wait-for';
import {
  ANN,
  API_KEYS,
  codesOf,
  fetchSchema,
  INJECTIONS,
  rootOperations,
  type SecuredHub,
  type SigningKey,
  seedAnn,
  signingKey,
  signJwt,
  startSecuredHub,
  TEST_KEYS_WITH_EXPIRED,
} from './security-kit';

/** Client errors a hostile argument may earn; anything else (INTERNAL_SERVER_ERROR, …) would be a finding. */
const CLIENT_CODES = new Set(['BAD_USER_INPUT', 'INVALID_CURSOR']);

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** Vertices and edges that differ between two dumps (added, removed or changed). */
function changed(before: GraphDump, after: GraphDump): string[] {
  const diff = (a: Record<string, unknown>, b: Record<string, unknown>) =>
    [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
  return [...diff(before.vertices, after.vertices), ...diff(before.edges, after.edges)];
}

describe('hostile input against the running hub', () => {
  let h: SecuredHub;
  let key: SigningKey;
  let stranger: SigningKey;

  beforeAll(async () => {
    key = await signingKey('idp-1');
    stranger = await signingKey('idp-1');
    h = await startSecuredHub({
      jwks: { keys: [key.jwk as JWK] },
      overrides: { apiKeys: TEST_KEYS_WITH_EXPIRED },
    });
    await seedAnn(h);
  });
  afterAll(async () => {
    await h?.close();
  });

  afterEach(async () => {
    // The server is still up and answering after every hostile test.
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    const ok = await h.gql(API_KEYS.agent, `{ customer(id: "Customer:${ANN.userId}") { id } }`);
    expect(ok.body.data).toEqual({ customer: { id: `Customer:${ANN.userId}` } });
  });

  test('too deep, too costly and too large operations are refused before they run', async () => {
    const deep = `{ customer(id: "Customer:${ANN.userId}") { ${'similar { '.repeat(14)}id${' }'.repeat(14)} } }`;
    const d = await h.gql(API_KEYS.admin, deep);
    expect(d.status).toBe(400);
    expect(codesOf(d.body)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(d.body.errors?.[0].message).toMatch(/levels deep/);

    const costly = `{ customers(first: 100) { edges { node { timeline(first: 100) { edges { node { id } } } orders(first: 100) { edges { node { products { product { id } } } } } } } } }`;
    const c = await h.gql(API_KEYS.admin, costly);
    expect(c.status).toBe(400);
    expect(codesOf(c.body)).toEqual(['QUERY_TOO_COMPLEX']);

    const aliases = `{ ${Array.from({ length: 3000 }, (_, i) => `a${i}: customer(id: "x${i}") { id traits }`).join(' ')} }`;
    const a = await h.gql(API_KEYS.admin, aliases);
    expect(a.status).toBe(400);
    expect(codesOf(a.body)).toEqual(['QUERY_TOO_COMPLEX']);

    const huge = await h.gql(API_KEYS.admin, 'query ($s: String) { customers(search: $s) { edges { cursor } } }', {
      s: 'x'.repeat(2 * 1024 * 1024),
    });
    expect(huge.status).toBe(413);
    expect(codesOf(huge.body)).toEqual(['BAD_REQUEST']);

    // Large but within the body limit: answered, nothing found.
    const big = await h.gql(API_KEYS.admin, 'query ($s: String) { customers(search: $s) { edges { cursor } } }', {
      s: 'y'.repeat(200 * 1024),
    });
    expect(big.body).toEqual({ data: { customers: { edges: [] } } });

    for (const r of [d, c, a, huge]) {
      const text = JSON.stringify(r.body);
      expect(text).not.toMatch(/\bat .+\.(ts|js):\d+/);
      expect(text).not.toContain('similar { similar');
    }
  });

  test('injection strings in every string argument of every root field leave the graph as it was, except the writes asked for', async () => {
    const schema = await fetchSchema(h);
    const before = await dumpWholeGraph(h.hub.store);
    let requests = 0;
    for (const hostile of INJECTIONS) {
      const ops = rootOperations(schema, hostile).filter((o) => o.kind !== 'subscription');
      for (const op of ops) {
        const { status, body } = await h.gql(API_KEYS.admin, op.query, op.variables);
        requests += 1;
        expect({ op: op.coordinate, hostile, status }).toEqual({ op: op.coordinate, hostile, status: 200 });
        const codes = codesOf(body);
        expect({ op: op.coordinate, hostile, codes: codes.filter((c) => !CLIENT_CODES.has(c)) }).toEqual({
          op: op.coordinate,
          hostile,
          codes: [],
        });
      }
      // The analytics questions sit one level down; their string arguments get the same treatment.
      const analytics = `query ($s: ID!, $l: String) { analytics {
        shortestPath(from: $s, to: $s) { length }
        similarCustomers(id: $s) { score }
        productsBoughtTogether(productId: $s) { score }
        centrality(kind: DEGREE, label: $l) { entries { rank } }
      } }`;
      const r = await h.gql(API_KEYS.admin, analytics, { s: hostile, l: hostile });
      expect(codesOf(r.body).filter((c) => !CLIENT_CODES.has(c))).toEqual([]);
    }
    expect(requests).toBeGreaterThan(INJECTIONS.length * 8);
    const after = await dumpWholeGraph(h.hub.store);
    // saveSegment is the one write the probes may make (admin may save segments, hostile names included).
    const unexpected = changed(before, after).filter((id) => !id.startsWith('Segment:') && !id.includes('"MEMBER_OF"'));
    expect(unexpected).toEqual([]);
    // Ann is untouched.
    expect(after.vertices[`Customer:${ANN.userId}`]).toEqual(before.vertices[`Customer:${ANN.userId}`]);

    // An allowed write with hostile text stores the text, byte for byte, and nothing else.
    for (const hostile of INJECTIONS.slice(0, 7)) {
      const saved = await h.gql<{ saveSegment: { id: string; name: string } }>(
        API_KEYS.admin,
        'mutation ($n: String!) { saveSegment(name: $n, definition: { trait: { name: "plan", op: "eq", value: "gold" } }) { id name } }',
        { n: hostile },
      );
      expect(saved.body.data?.saveSegment.name).toBe(hostile);
    }
    const final = await dumpWholeGraph(h.hub.store);
    expect(changed(after, final).filter((id) => !id.startsWith('Segment:') && !id.includes('"MEMBER_OF"'))).toEqual([]);
  });

  test('injection strings in every field of collector events are stored as data, never run', async () => {
    const before = await dumpWholeGraph(h.hub.store);
    const batch = INJECTIONS.flatMap((hostile, i) => {
      const suffix = createHash('sha256').update(hostile).digest('hex').slice(0, 8);
      return [
        {
          type: 'identify',
          messageId: `inj-id-${i}-${hostile}`,
          userId: `inj-${suffix}-${hostile}`,
          anonymousId: `anon-${hostile}`,
          timestamp: '2026-03-05T10:00:00.000Z',
          traits: { email: `${suffix}@example.com`, firstName: hostile, [hostile]: hostile },
          context: { ip: hostile, userAgent: hostile },
        },
        {
          type: 'track',
          messageId: `inj-tr-${i}`,
          userId: `inj-${suffix}-${hostile}`,
          event: hostile,
          timestamp: '2026-03-05T10:01:00.000Z',
          properties: { [hostile]: hostile, nested: { deep: hostile } },
        },
      ];
    });
    const res = await h.collect('/v1/batch', { batch });
    expect(res.status).toBe(200);
    const first = INJECTIONS.findIndex((s) => s.includes('drop'));
    const suffix = createHash('sha256').update(INJECTIONS[first]).digest('hex').slice(0, 8);
    const userId = `inj-${suffix}-${INJECTIONS[first]}`;
    await waitFor(async () => (await h.hub.store.getVertices([`Customer:${userId}`]))[0] !== null, {
      description: 'hostile events applied',
    });
    const view = await h.gql<{ customer: { traits: Record<string, unknown> } }>(
      API_KEYS.agent,
      'query ($id: ID) { customer(id: $id) { traits } }',
      { id: `Customer:${userId}` },
    );
    // The hostile value round-trips byte for byte: it was a parameter, never query text.
    expect(view.body.data?.customer.traits.firstName).toBe(INJECTIONS[first]);
    const after = await dumpWholeGraph(h.hub.store);
    const vanished = Object.keys(before.vertices).filter((id) => !(id in after.vertices));
    expect(vanished).toEqual([]);
    expect(after.vertices[`Customer:${ANN.userId}`]).toEqual(before.vertices[`Customer:${ANN.userId}`]);
  });

  test('forged, stale and misplaced credentials are 401 with a code and no detail of the credential', async () => {
    const q = '{ customers { edges { cursor } } }';
    const good = await signJwt(key, { roles: ['agent'] });
    expect((await h.gql(good, q)).status).toBe(200);

    const badSignature = await signJwt(stranger, { roles: ['admin'] });
    const [header, payload] = good.split('.');
    const algNone = `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`;
    const tampered = `${header}.${b64({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), roles: ['admin'] })}.${good.split('.')[2]}`;
    const expired = await signJwt(key, { roles: ['admin'] }, { expiresIn: Math.floor(Date.now() / 1000) - 3600 });
    const wrongAudience = await signJwt(key, { roles: ['admin'] }, { audience: 'someone-else' });
    const wrongIssuer = await signJwt(key, { roles: ['admin'] }, { issuer: 'https://evil.example' });
    const cases: [string, string][] = [
      ['bad signature', badSignature],
      ['alg none', algNone],
      ['tampered payload', tampered],
      ['expired', expired],
      ['wrong audience', wrongAudience],
      ['wrong issuer', wrongIssuer],
      ['garbage', 'a.b.c'],
      ['expired API key', 'c360-expired-admin-key-0123456789abcdef'],
    ];
    for (const [name, token] of cases) {
      const r = await h.gql(token, q);
      expect({ name, status: r.status, codes: codesOf(r.body) }).toEqual({
        name,
        status: 401,
        codes: ['UNAUTHENTICATED'],
      });
      expect(JSON.stringify(r.body)).not.toContain(token);
    }
    expect((await h.gql('c360-expired-admin-key-0123456789abcdef', q)).body.errors?.[0].message).toMatch(/expired/);
    expect((await h.gql(expired, q)).body.errors?.[0].message).toMatch(/expired/);
    expect((await h.gql(wrongAudience, q)).body.errors?.[0].message).toMatch(/aud/);

    // A JWT's roles are the claim's: a marketer token cannot forget.
    const marketer = await signJwt(key, { roles: 'marketer' }, { subject: 'm-1' });
    const forget = await h.gql(
      marketer,
      `mutation { forgetCustomer(id: "Customer:${ANN.userId}", requestedBy: "m") { auditId } }`,
    );
    expect(codesOf(forget.body)).toEqual(['FORBIDDEN']);
    expect(forget.body.errors?.[0].message).not.toMatch(/stack|\.ts:/);
  });

  test('the collector takes write keys only: a wrong key, no key or an API key is 401', async () => {
    const event = {
      userId: ANN.userId,
      event: 'Probe',
      messageId: 'wk-probe-1',
      timestamp: '2026-03-05T10:00:00.000Z',
    };
    expect((await h.collect('/v1/track', event, 'wrong-write-key')).status).toBe(401);
    expect((await h.collect('/v1/track', event, null)).status).toBe(401);
    expect((await h.collect('/v1/track', event, API_KEYS.ingest)).status).toBe(401);
    expect((await h.collect('/v1/track', event, API_KEYS.admin)).status).toBe(401);
    const bearer = await fetch(`${h.url}/v1/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEYS.admin}` },
      body: JSON.stringify(event),
    });
    expect(bearer.status).toBe(401);
    expect((await h.hub.store.getVertices(['Event:wk-probe-1']))[0]).toBeNull();
  });
});
