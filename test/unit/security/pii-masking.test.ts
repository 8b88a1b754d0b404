/**
 * The same 360° query answers raw personal data to an agent and masked data to
 * a marketer (graph-schema's pii marks, plus emails and phone numbers wherever
 * they appear); sensitive reads and admin mutations land in the audit log with
 * ids, never values.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { maskEmail, maskPhone, maskProps, maskVertexId, type SecurityAuditEntry } from '../../../api/auth';
import { ANN, API_KEYS, type SecuredHub, seedAnn, startSecuredHub } from './security-kit';

const VIEW_360 = /* GraphQL */ `
  query View($id: ID) {
    customer(id: $id) {
      id
      traits
      identities { id type value }
      identityEvidence { from { id type value } to { id type value } reason }
      segments { id }
      timeline(first: 10) { edges { node { id ... on Event { name properties } } } }
    }
  }
`;

interface View {
  customer: {
    id: string;
    traits: Record<string, unknown>;
    identities: { id: string; type: string; value: string }[];
    identityEvidence: { from: { id: string; value: string }; to: { id: string; value: string } }[];
    timeline: { edges: { node: { id: string; properties?: Record<string, unknown> } }[] };
  };
}

describe('PII masking and the audit log', () => {
  let h: SecuredHub;

  beforeAll(async () => {
    h = await startSecuredHub();
    await seedAnn(h);
  });
  afterAll(async () => {
    await h?.close();
  });

  test('mask shapes', () => {
    expect(maskEmail('john@example.com')).toBe('j***@example.com');
    expect(maskPhone('+447700900100')).toBe('+44********00');
    expect(maskVertexId('Identity:email:ann.lee@example.com')).toBe('Identity:email:a***@example.com');
    expect(maskVertexId('Customer:C0000001')).toBe('Customer:C0000001');
    expect(maskProps({ name: 'Acme Ltd', plan: 'gold' }, 'Account')).toEqual({ name: 'Acme Ltd', plan: 'gold' });
    expect(maskProps({ firstName: 'Ann', lifetimeValue: 10, note: 'mail ann@x.io' }, 'Customer')).toEqual({
      firstName: 'A***',
      lifetimeValue: 10,
      note: 'mail a***@x.io',
    });
  });

  test('an agent sees raw values; a marketer running the same query sees masked values, counts and shapes', async () => {
    const id = `Customer:${ANN.userId}`;
    const agent = await h.gql<View>(API_KEYS.agent, VIEW_360, { id });
    const marketer = await h.gql<View>(API_KEYS.marketer, VIEW_360, { id });
    expect(agent.body.errors).toBeUndefined();
    expect(marketer.body.errors).toBeUndefined();
    const a = agent.body.data?.customer as View['customer'];
    const m = marketer.body.data?.customer as View['customer'];

    expect(a.traits).toMatchObject({
      email: ANN.email,
      phone: ANN.phone,
      firstName: 'Ann',
      lastName: 'Lee',
      plan: 'gold',
    });
    expect(m.traits).toMatchObject({
      email: 'a***@example.com',
      phone: '+44********00',
      firstName: 'A***',
      lastName: 'L***',
      plan: 'gold',
    });
    expect(a.identities.map((i) => i.value)).toContain(ANN.email);
    expect(m.identities.map((i) => i.value)).toContain('a***@example.com');
    // Ids are opaque (keyed by the hub secret), not masked copies of the value they index...
    for (const i of [m.id, ...m.identities.map((x) => x.id)]) expect(i).toMatch(/^op_[\w-]+$/);
    // ...and every path takes them back: the marketer reopens the same customer with it.
    const again = await h.gql<View>(API_KEYS.marketer, VIEW_360, { id: m.id });
    expect(again.body.data?.customer.id).toBe(m.id);
    expect(again.body.data?.customer.traits).toEqual(m.traits);
    // Same shape and counts: a marketer learns how many identifiers and events, not which.
    expect(m.identities).toHaveLength(a.identities.length);
    expect(m.timeline.edges).toHaveLength(a.timeline.edges.length);
    const agentEvent = a.timeline.edges.find((e) => e.node.properties?.sku === 'TV-55');
    const marketerEvent = m.timeline.edges.find((e) => e.node.properties?.sku === 'TV-55');
    expect(agentEvent?.node.properties?.contactEmail).toBe(ANN.email);
    expect(marketerEvent?.node.properties?.contactEmail).toBe('a***@example.com');

    // Nothing raw anywhere in the marketer's answer.
    const text = JSON.stringify(marketer.body);
    for (const raw of [ANN.email, ANN.phone, 'anon-ann-1', '"Ann"', '"Lee"']) expect(text).not.toContain(raw);
  });

  test('segment previews give marketers counts and masked members', async () => {
    const q = `{ previewSegment(definition: { trait: { name: "plan", op: "eq", value: "gold" } }) { count members { edges { node { id traits } } } } }`;
    const { body } = await h.gql<{
      previewSegment: { count: number; members: { edges: { node: { traits: unknown } }[] } };
    }>(API_KEYS.marketer, q);
    expect(body.data?.previewSegment.count).toBe(1);
    expect(JSON.stringify(body)).not.toContain(ANN.email);
    expect(body.data?.previewSegment.members.edges[0].node.traits).toMatchObject({ email: 'a***@example.com' });
  });

  test('sensitive reads and admin mutations are audited with who, when and ids; refused attempts too', async () => {
    const id = `Customer:${ANN.userId}`;
    await h.gql(API_KEYS.agent, 'query ($id: ID) { customer(id: $id) { id } }', { id });
    await h.gql(API_KEYS.agent, 'query ($v: String!) { customer(identifier: { type: "email", value: $v }) { id } }', {
      v: ANN.email,
    });
    const saved = await h.gql<{ saveSegment: { id: string } }>(
      API_KEYS.marketer,
      'mutation { saveSegment(name: "Gold", definition: { trait: { name: "plan", op: "eq", value: "gold" } }) { id } }',
    );
    const segmentId = saved.body.data?.saveSegment.id as string;
    await h.gql(API_KEYS.admin, `mutation { deleteSegment(id: "${segmentId}") }`);
    await h.gql(API_KEYS.agent, `mutation { forgetCustomer(id: "${id}", requestedBy: "x") { auditId } }`);
    const forgot = await h.gql<{ forgetCustomer: { auditId: string } }>(
      API_KEYS.admin,
      `mutation { forgetCustomer(id: "${id}", requestedBy: "dpo", reason: "erasure request") { auditId } }`,
    );
    expect(forgot.body.errors).toBeUndefined();

    const text = readFileSync(join(h.dir, 'data', 'audit', 'security.ndjson'), 'utf8');
    const entries = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as SecurityAuditEntry);
    const summary = entries.map((e) => [e.action, e.principal.id, e.outcome, e.subject]);
    expect(summary).toEqual(
      expect.arrayContaining([
        ['Query.customer', 'apiKey:test-agent', 'ok', id],
        ['Mutation.saveSegment', 'apiKey:test-marketer', 'ok', segmentId],
        ['Mutation.deleteSegment', 'apiKey:test-admin', 'ok', segmentId],
        ['Mutation.forgetCustomer', 'apiKey:test-agent', 'denied', id],
        ['Mutation.forgetCustomer', 'apiKey:test-admin', 'ok', id],
      ]),
    );
    const byIdentifier = entries.find((e) => e.action === 'Query.customer' && e.details?.by === 'identifier');
    expect(byIdentifier).toMatchObject({ subject: id, details: { identifierType: 'email' } });
    const forget = entries.find((e) => e.action === 'Mutation.forgetCustomer' && e.outcome === 'ok');
    expect(forget?.details).toEqual({ identityAuditId: forgot.body.data?.forgetCustomer.auditId });
    for (const e of entries) expect(Date.parse(e.at)).not.toBeNaN();
    // Ids only: the audit log holds none of the values that forgetCustomer erased.
    for (const raw of [ANN.email, ANN.phone, 'Ann', 'Lee']) expect(text).not.toContain(raw);
  });
});
