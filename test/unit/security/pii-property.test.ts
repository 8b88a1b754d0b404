/**
 * Issue #22 item 2, as a property: for every role without PII access, no byte of
 * any answer — data, ids, cursors, errors, subscription payloads — contains a
 * personal value that was sent in. fast-check makes up people (e-mail used as
 * the userId, so it is in the Customer id and every cursor over it; phones in
 * international, national and tel: form, inside free text as well as in
 * traits; card numbers; names under free-form keys), sends them through the
 * real collector, and asks the hub what a marketer and an analyst may ask.
 */
import fc from 'fast-check';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { waitFor } from '../../helpers/wait-for';
import { API_KEYS, type SecuredHub, startSecuredHub } from './security-kit';

interface Person {
  readonly local: string;
  readonly email: string;
  /** National significant number, e.g. 7700900123. */
  readonly nsn: string;
  readonly phoneAs: 'e164' | 'spaced' | 'national' | 'tel';
  readonly card: string;
  readonly given: string;
  readonly family: string;
}

function luhnComplete(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return `${body}${(10 - (sum % 10)) % 10}`;
}

const letters = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'), minLength: min, maxLength: max });
const digits = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: n, maxLength: n });

const person: fc.Arbitrary<Person> = fc
  .record({
    // "zq" starts no English word or schema name: a seeded value cannot turn up by coincidence.
    local: letters(5, 8).map((l) => `zq${l}`),
    domain: fc.constantFrom('example.com', 'mail.example.org'),
    nsnTail: digits(3),
    phoneAs: fc.constantFrom('e164' as const, 'spaced' as const, 'national' as const, 'tel' as const),
    cardBody: digits(14),
    given: letters(6, 9),
    family: letters(6, 9),
  })
  .map((r) => ({
    local: r.local,
    email: `${r.local}.q@${r.domain}`,
    nsn: `7700900${r.nsnTail}`,
    phoneAs: r.phoneAs,
    card: luhnComplete(`4${r.cardBody}`),
    given: `Zq${r.given}`,
    family: `Xv${r.family}`,
  }));

function written(p: Person): string {
  switch (p.phoneAs) {
    case 'e164':
      return `+44${p.nsn}`;
    case 'spaced':
      return `+44 ${p.nsn.slice(0, 4)} ${p.nsn.slice(4)}`;
    case 'national':
      return `0${p.nsn.slice(0, 4)} ${p.nsn.slice(4)}`;
    case 'tel':
      return `tel:+44${p.nsn}`;
  }
}

/** What must never come back: each value as sent, and the forms the hub normalizes it to. */
function secrets(p: Person): string[] {
  const grouped = p.card.replace(/(\d{4})(?=\d)/g, '$1 ');
  return [p.email, p.local, p.nsn, written(p), p.card, grouped, p.given, p.family];
}

const VIEW = /* GraphQL */ `
  query View($id: ID!) {
    customer(id: $id) {
      id
      traits
      identities { id type value }
      timeline(first: 2) { edges { cursor node { id ... on Event { name properties } } } pageInfo { endCursor } }
      neighborhood { nodes { id label properties } edges { id from to } }
    }
  }
`;
const PAGE_2 = /* GraphQL */ `
  query Page($id: ID!, $after: String) {
    customer(id: $id) { timeline(first: 2, after: $after) { edges { cursor node { id } } } }
  }
`;
const PREVIEW = /* GraphQL */ `
  query Preview($d: JSON!) {
    previewSegment(definition: $d) { count members(first: 3) { edges { cursor node { id traits } } pageInfo { endCursor } } }
  }
`;
const ANALYTICS = /* GraphQL */ `
  {
    analytics {
      communities(kind: COMPONENTS, label: "Customer", first: 50) { communities { id members { id properties } } }
      centrality(kind: DEGREE, label: "Customer", first: 50) { entries { node { id properties } } }
    }
  }
`;

describe('no personal value reaches a role without PII access, on any path', () => {
  let h: SecuredHub;
  let n = 0;
  const pushed: string[] = [];
  let unsubscribe: () => void = () => undefined;
  let ws: ReturnType<typeof createClient> | null = null;

  beforeAll(async () => {
    // Shrinking a failure replays many runs: the per-principal rate limit must not be what fails.
    h = await startSecuredHub({ env: { C360_GRAPHQL_RATE_LIMIT_PER_MINUTE: '0' } });
    const saved = await h.gql<{ saveSegment: { id: string } }>(
      API_KEYS.marketer,
      'mutation { saveSegment(name: "Prop Gold", definition: { trait: { name: "plan", op: "eq", value: "prop-gold" } }) { id } }',
    );
    const segmentId = saved.body.data?.saveSegment.id as string;
    ws = createClient({
      url: `${h.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${API_KEYS.marketer}` },
      retryAttempts: 0,
    });
    unsubscribe = ws.subscribe(
      {
        query: `subscription($s: ID!) { segmentMembershipChanged(segmentId: $s) { id segmentId customerId entered customer { id traits } } }`,
        variables: { s: segmentId },
      },
      {
        next: (m) => void pushed.push(JSON.stringify(m)),
        error: (e) => void pushed.push(JSON.stringify(e)),
        complete: () => undefined,
      },
    );
  }, 60_000);
  afterAll(async () => {
    unsubscribe();
    await ws?.dispose();
    await h?.close();
  });

  it('holds for made-up people sent through the collector', async () => {
    await fc.assert(
      fc.asyncProperty(person, async (p) => {
        const run = n++;
        const phone = written(p);
        const at = new Date(Date.UTC(2026, 2, 1, 10, run)).toISOString();
        const res = await h.collect('/v1/batch', {
          batch: [
            {
              type: 'identify',
              messageId: `prop-${run}-1`,
              userId: p.email,
              timestamp: at,
              traits: {
                email: p.email,
                phone,
                givenName: p.given,
                billing_name: `${p.given} ${p.family}`,
                plan: 'prop-gold',
                notes: `prefers a call on ${phone} after six`,
              },
            },
            ...[2, 3, 4].map((k) => ({
              type: 'track',
              messageId: `prop-${run}-${k}`,
              userId: p.email,
              event: 'Order Noted',
              timestamp: at,
              properties: {
                recipient: p.family,
                note: `paid with ${p.card.replace(/(\d{4})(?=\d)/g, '$1 ')}; reach ${p.email} or ${phone}`,
                card: p.card,
              },
            })),
          ],
        });
        expect(res.status).toBe(200);
        const customerId = `Customer:${p.email}`;
        await waitFor(async () => (await h.hub.store.getVertices([customerId]))[0] !== null, {
          description: 'person applied',
        });

        const answers: string[] = [];
        const ask = async (as: string, query: string, variables?: Record<string, unknown>) => {
          const r = await h.gql(as, query, variables);
          answers.push(JSON.stringify(r.body));
          return r.body as { data?: Record<string, unknown>; errors?: unknown[] };
        };
        // The 360° view by raw id, then by the opaque id it returned, then the next timeline page.
        const view = await ask(API_KEYS.marketer, VIEW, { id: customerId });
        const c = view.data?.customer as { id: string; timeline: { pageInfo: { endCursor: string } } } | null;
        if (!c) throw new Error(`no view: ${JSON.stringify(view.errors)}`);
        expect(c.id).toMatch(/^op_/);
        await ask(API_KEYS.marketer, VIEW, { id: c?.id });
        await ask(API_KEYS.marketer, PAGE_2, { id: c?.id, after: c?.timeline.pageInfo.endCursor });
        // Previews and their members; the value oracle is refused.
        await ask(API_KEYS.marketer, PREVIEW, { d: { trait: { name: 'plan', op: 'eq', value: 'prop-gold' } } });
        const oracle = await ask(API_KEYS.marketer, PREVIEW, {
          d: { trait: { name: 'email', op: 'startsWith', value: p.email.slice(0, 3) } },
        });
        expect(oracle.errors).toEqual([
          expect.objectContaining({ extensions: expect.objectContaining({ code: 'FORBIDDEN' }) }),
        ]);
        await ask(API_KEYS.analyst, PREVIEW, { d: { trait: { name: 'plan', op: 'eq', value: 'prop-gold' } } });
        // An admin's saved segment about this person, read back by a marketer.
        const saved = await h.gql(
          API_KEYS.admin,
          'mutation($n: String!, $d: JSON!) { saveSegment(name: $n, definition: $d) { id } }',
          {
            n: `Prop PII ${run}`,
            d: { and: [{ trait: { name: 'email', op: 'eq', value: p.email } }, { boughtWith: { customer: p.email } }] },
          },
        );
        expect(saved.body.errors).toBeUndefined();
        await ask(API_KEYS.marketer, '{ segments { id name definition } }');
        // Analytics nodes, the ego graph and an error that names a missing id.
        await ask(API_KEYS.analyst, ANALYTICS);
        await ask(
          API_KEYS.analyst,
          'query($id: ID!) { neighborhood(id: $id) { nodes { id properties } edges { id } } }',
          {
            id: customerId,
          },
        );
        const missing = await ask(API_KEYS.analyst, 'query($id: ID!) { neighborhood(id: $id) { nodes { id } } }', {
          id: `${customerId}.missing`,
        });
        expect(missing.errors?.length).toBeGreaterThan(0);

        for (const text of [...answers, ...pushed]) {
          for (const secret of secrets(p)) {
            if (text.includes(secret)) throw new Error(`${secret} leaked in ${text.slice(0, 2000)}`);
          }
        }
      }),
      { numRuns: 8 },
    );
    // The live segment pushed the people who entered it, and those payloads were checked too.
    await waitFor(() => pushed.length > 0, { description: 'segment membership pushed' });
    // The component trait analytics wrote back is opaque as well (checked above via traits).
    const anyView = await h.gql(
      API_KEYS.marketer,
      '{ analytics { communities(kind: COMPONENTS, label: "Customer", first: 1) { communities { id } } } }',
    );
    expect(JSON.stringify(anyView.body)).toMatch(/"id":"op_/);
  }, 240_000);
});
