/**
 * Role × operation: every root field of the running hub's schema, called with
 * the API key of every role, is allowed or refused exactly as the policy maps
 * the feature modules carry (features/policies.ts). Subscriptions are
 * checked through the same secured schema in process and over graphql-ws.
 */
import { type ExecutionResult, parse, subscribe } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createPrincipal, DEMO_PRINCIPAL, mergePolicies, type Role, unpolicedRootFields } from '../../../api/auth';
import { buildGraphQLSchema } from '../../../api/graphql/build-schema';
import { createLoaders } from '../../../api/graphql/loaders';
import { createChangeFeed, createSubscriptionsModule } from '../../../features/actions/graphql';
import { MODULE_POLICIES } from '../../../features/policies';
import { waitFor } from '../../helpers/wait-for';
import {
  ALL_ROLES,
  ANN,
  API_KEYS,
  codesOf,
  fetchSchema,
  type GeneratedOperation,
  rootOperations,
  type SecuredHub,
  seedAnn,
  startSecuredHub,
} from './security-kit';

const policy = mergePolicies(MODULE_POLICIES);
const allowedRoles = (coordinate: string): readonly Role[] => policy.roles.get(coordinate) ?? [];

describe('role × operation matrix against the running hub', () => {
  let h: SecuredHub;
  let ops: GeneratedOperation[];

  beforeAll(async () => {
    h = await startSecuredHub();
    await seedAnn(h);
    ops = rootOperations(await fetchSchema(h));
  });
  afterAll(async () => {
    await h?.close();
  });

  test('every Query, Mutation and Subscription field has a policy, and no policy names a missing field', async () => {
    const schema = await fetchSchema(h);
    expect(unpolicedRootFields(schema, policy)).toEqual([]);
    const roots = new Set(ops.map((o) => o.coordinate));
    const stale = [...policy.roles.keys()].filter((c) => /^(Query|Mutation|Subscription)\./.test(c) && !roots.has(c));
    expect(stale).toEqual([]);
    // The matrix below covers queries, mutations and subscriptions alike.
    expect(ops.filter((o) => o.kind === 'subscription').length).toBeGreaterThan(0);
    expect(ops.filter((o) => o.kind === 'mutation').length).toBeGreaterThan(0);
  });

  test('each query and mutation is allowed to exactly its declared roles', async () => {
    const cells: string[] = [];
    for (const op of ops.filter((o) => o.kind !== 'subscription')) {
      for (const role of ALL_ROLES) {
        const { status, body } = await h.gql(API_KEYS[role], op.query, op.variables);
        const codes = codesOf(body);
        const refused = codes.includes('FORBIDDEN');
        const expected = allowedRoles(op.coordinate).includes(role);
        // Allowed cells may still fail on the probe's dummy arguments (BAD_USER_INPUT), never on authorization.
        expect({ cell: `${op.coordinate} as ${role}`, refused, status }).toEqual({
          cell: `${op.coordinate} as ${role}`,
          refused: !expected,
          status: 200,
        });
        expect(codes).not.toContain('UNAUTHENTICATED');
        expect(codes).not.toContain('INTERNAL_SERVER_ERROR');
        cells.push(`${op.coordinate}:${role}:${refused ? 'deny' : 'allow'}`);
      }
    }
    expect(cells.length).toBe(ops.filter((o) => o.kind !== 'subscription').length * ALL_ROLES.length);
  });

  test('spot checks: agents read customers, marketers preview segments, only admins forget or unlink, ingest keys read nothing', async () => {
    const view = `query ($id: ID) { customer(id: $id) { id } }`;
    expect((await h.gql(API_KEYS.agent, view, { id: `Customer:${ANN.userId}` })).body.data).toEqual({
      customer: { id: `Customer:${ANN.userId}` },
    });
    const preview = `{ previewSegment(definition: { trait: { name: "plan", op: "eq", value: "gold" } }) { count } }`;
    expect((await h.gql(API_KEYS.marketer, preview)).body.data).toEqual({ previewSegment: { count: 1 } });
    expect(codesOf((await h.gql(API_KEYS.agent, preview)).body)).toEqual(['FORBIDDEN']);

    const forget = `mutation { forgetCustomer(id: "Customer:${ANN.userId}", requestedBy: "dpo", reason: "test") { auditId } }`;
    for (const role of ['agent', 'marketer', 'analyst', 'ingest'] as const) {
      expect(codesOf((await h.gql(API_KEYS[role], forget)).body)).toEqual(['FORBIDDEN']);
    }
    const unlink = `mutation { unlinkIdentity(identifier: { type: "email", value: "${ANN.email}" }) { removed } }`;
    expect(codesOf((await h.gql(API_KEYS.marketer, unlink)).body)).toEqual(['FORBIDDEN']);
    // Refused attempts changed nothing: Ann is still there.
    expect((await h.gql(API_KEYS.agent, view, { id: `Customer:${ANN.userId}` })).body.data).toEqual({
      customer: { id: `Customer:${ANN.userId}` },
    });
    const analytics = `{ analytics { runs { id } } }`;
    expect(codesOf((await h.gql(API_KEYS.ingest, analytics)).body)).toEqual(['FORBIDDEN']);
    expect(codesOf((await h.gql(API_KEYS.agent, analytics)).body)).toEqual(['FORBIDDEN']);
    expect((await h.gql(API_KEYS.analyst, analytics)).body.errors).toBeUndefined();
  });

  test('no credentials, unknown keys and collector write keys are 401 before anything executes', async () => {
    const q = '{ customers { edges { cursor } } }';
    const none = await h.gql(null, q);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect(codesOf(none.body)).toEqual(['UNAUTHENTICATED']);
    expect((await h.gql('c360-not-a-key-0123456789abcdef', q)).status).toBe(401);
    // A write key is not an API credential, in any header.
    expect((await h.gql('wk-security-test-0123456789', q)).status).toBe(401);
    const basic = Buffer.from('wk-security-test-0123456789:').toString('base64');
    expect((await h.gql({ headers: { authorization: `Basic ${basic}` } }, q)).status).toBe(401);
    expect((await h.gql({ headers: { 'x-api-key': API_KEYS.admin } }, q)).status).toBe(200);
  });

  test('subscriptions over graphql-ws: a connection without credentials is closed 4403; roles apply per subscription', async () => {
    const wsUrl = h.graphqlUrl.replace('http', 'ws');
    const anonymous = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: false,
      onNonLazyError: () => undefined,
    });
    const closed: number[] = [];
    anonymous.on('closed', (e) => closed.push((e as { code: number }).code));
    await waitFor(() => closed.length > 0, { description: 'anonymous socket closed' });
    expect(closed).toEqual([4403]);
    await anonymous.dispose();

    const as = (key: string) =>
      createClient({
        url: wsUrl,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        connectionParams: { authorization: `Bearer ${key}` },
      });
    const marketer = as(API_KEYS.marketer);
    const agent = as(API_KEYS.agent);
    try {
      const query = `subscription { customerUpdated(id: "${ANN.userId}") { id traits } }`;
      const denied: unknown[] = [];
      marketer.subscribe({ query }, { next: (m) => denied.push(m), error: (e) => denied.push(e), complete: () => {} });
      await waitFor(() => denied.length > 0, { description: 'marketer refused' });
      expect(JSON.stringify(denied)).toContain('FORBIDDEN');

      const received: { data?: { customerUpdated: { id: string; traits: { email?: string } } } }[] = [];
      agent.subscribe(
        { query },
        {
          next: (m) => received.push(m as never),
          error: (e) => received.push({ data: undefined, e } as never),
          complete: () => {},
        },
      );
      // The subscription registers asynchronously: keep sending until an update arrives.
      let n = 0;
      await waitFor(
        async () => {
          n += 1;
          await h.collect('/v1/track', {
            userId: ANN.userId,
            event: 'Pinged',
            messageId: `sec-ws-${n}`,
            timestamp: '2026-03-02T10:00:00.000Z',
          });
          return received.length > 0;
        },
        { description: 'agent hears customerUpdated', intervalMs: 200 },
      );
      expect(received[0].data?.customerUpdated.traits.email).toBe(ANN.email);
    } finally {
      await marketer.dispose();
      await agent.dispose();
    }
  });
});

describe('subscription fields through the secured schema, per role', () => {
  const schema = buildGraphQLSchema([
    createSubscriptionsModule({ actions: { subscribe: () => () => undefined }, changes: createChangeFeed() }),
  ]);
  const store = {} as never;
  const operations: Record<string, string> = {
    'Subscription.customerUpdated': 'subscription { customerUpdated(id: "x") { id } }',
    'Subscription.healthChanged': 'subscription { healthChanged { id } }',
    'Subscription.segmentMembershipChanged': 'subscription { segmentMembershipChanged(segmentId: "s") { id } }',
  };

  test.each(Object.keys(operations))('%s is allowed to exactly its declared roles', async (coordinate) => {
    for (const role of [...ALL_ROLES, 'demo' as const]) {
      const principal = role === 'demo' ? DEMO_PRINCIPAL : createPrincipal('apiKey', `apiKey:${role}`, role, [role]);
      const result = await subscribe({
        schema,
        document: parse(operations[coordinate]),
        contextValue: { store, loaders: createLoaders(store), principal },
      });
      const refused = 'errors' in result && (result as ExecutionResult).errors?.[0]?.extensions?.code === 'FORBIDDEN';
      if (!refused) await (result as AsyncIterableIterator<unknown>).return?.();
      expect({ role, refused }).toEqual({
        role,
        refused: role === 'demo' ? false : !allowedRoles(coordinate).includes(role),
      });
    }
  });
});
