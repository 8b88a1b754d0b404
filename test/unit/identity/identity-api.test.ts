/**
 * The identity GraphQL module over the real pipeline and embedded store:
 * merged 360° views, explain → unlink → split, and forgetCustomer — after
 * which nothing of the person is readable through any API, and replays (dedupe
 * kept, dedupe cleared, later receive times) do not restore it.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  createCustomerForgetter,
  createFileAuditLog,
  createIdentityResolver,
  createIdentityRules,
} from '../../../features/identity';
import { createIdentityModule } from '../../../features/identity/graphql';
import type { GraphStore } from '../../../graph-schema';
import { createMemoryDedupe, type DedupeStore, type RawMessage } from '../../../ingest';
import { cdcMessage, segmentMessage } from '../../conformance/identity-suite';
import { type ApiHarness, startApi } from '../api/api-harness';

const T0 = Date.UTC(2026, 9, 1);
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** A dedupe window the test can wipe, as an operator restoring an old backup would. */
function clearableDedupe(): DedupeStore & { clear(): void } {
  let inner = createMemoryDedupe();
  return {
    seen: (ids) => inner.seen(ids),
    markSeen: (ids) => inner.markSeen(ids),
    get size() {
      return inner.size;
    },
    close: async () => undefined,
    clear() {
      inner = createMemoryDedupe();
    },
  };
}

/** The module is built before the harness opens the store: reads go through this late-bound handle. */
function lateStore(): { store: GraphStore; bind(s: GraphStore): void } {
  let target: GraphStore | null = null;
  const store = new Proxy({} as GraphStore, {
    get(_t, prop) {
      if (target === null) throw new Error('store not bound yet');
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store, bind: (s) => (target = s) };
}

describe('identity GraphQL module', () => {
  let api: ApiHarness;
  let dedupe: ReturnType<typeof clearableDedupe>;
  let p: string;
  let auditPath: string;

  beforeEach(async () => {
    p = randomUUID().slice(0, 8);
    dedupe = clearableDedupe();
    const late = lateStore();
    const resolver = createIdentityResolver({ store: late.store, rules: createIdentityRules() });
    let audit: ReturnType<typeof createFileAuditLog> | null = null;
    const forgetter = createCustomerForgetter({
      store: late.store,
      resolver,
      auditLog: {
        append: (e) => (audit as ReturnType<typeof createFileAuditLog>).append(e),
        list: () => (audit as ReturnType<typeof createFileAuditLog>).list(),
      },
    });
    api = await startApi({
      modules: [createIdentityModule({ resolver, forgetter })],
      pipelineOverrides: { dedupe },
    });
    late.bind(api.store);
    auditPath = join(api.test.dir, 'audit', 'identity.ndjson');
    audit = createFileAuditLog(auditPath);
  });
  afterEach(async () => {
    await api.close();
  });

  const submit = async (messages: readonly RawMessage[]) => {
    const result = await api.pipeline.submit(messages);
    expect(result.rejected).toEqual([]);
  };

  function story(): RawMessage[] {
    const email = `ann.${p}@example.com`;
    return [
      cdcMessage(
        'customers',
        'c',
        null,
        {
          id: `${p}-c1`,
          first_name: 'Ann',
          last_name: `Zed${p}`,
          email,
          phone: '+44 20 7946 0000',
          country: 'GB',
          plan: 'fiber',
          lifetime_value: '10.00',
          created_at: '2025-01-01T00:00:00Z',
          updated_at: '2025-01-01T00:00:00Z',
        },
        9000,
        T0,
      ),
      segmentMessage({
        type: 'page',
        messageId: `${p}-m1`,
        anonymousId: `${p}-a1`,
        name: 'Plans',
        timestamp: iso(T0 + MIN),
      }),
      segmentMessage({
        type: 'identify',
        messageId: `${p}-m2`,
        userId: `${p}-web`,
        anonymousId: `${p}-a1`,
        traits: { email: email.toUpperCase(), firstName: 'Annie' },
        context: { device: { id: `${p}-laptop`, type: 'desktop' } },
        timestamp: iso(T0 + 2 * MIN),
      }),
      segmentMessage({
        type: 'track',
        event: 'Order Completed',
        messageId: `${p}-m3`,
        userId: `${p}-web`,
        anonymousId: `${p}-a1`,
        properties: { order_id: `${p}-o1`, total: 42 },
        timestamp: iso(T0 + 3 * MIN),
      }),
    ];
  }

  const VIEW = /* GraphQL */ `
    query ($id: ID, $identifier: IdentifierInput) {
      customer(id: $id, identifier: $identifier) {
        id
        anonymous
        traits
        identities { type value firstSeen lastSeen status evidence { rule } }
        identityEvidence { from { id } to { id } rule sourceId at merged reason }
        devices { edges { node { id } } }
        orders { edges { node { id } } }
        timeline { edges { node { id } } }
      }
    }
  `;
  interface ViewData {
    customer: null | {
      id: string;
      anonymous: boolean;
      traits: Record<string, unknown>;
      identities: { type: string; value: string; firstSeen: string | null; lastSeen: string; status: string }[];
      identityEvidence: { from: { id: string }; to: { id: string }; rule: string; merged: boolean }[];
      devices: { edges: { node: { id: string } }[] };
      orders: { edges: { node: { id: string } }[] };
      timeline: { edges: { node: { id: string } }[] };
    };
  }

  test('a merged 360° view, explain, then unlink splits it and the history follows', async () => {
    await submit(story());
    const byAnon = await api.gql<ViewData>(VIEW, { identifier: { type: 'anonymousId', value: `${p}-a1` } });
    expect(byAnon.body.errors).toBeUndefined();
    const c = byAnon.body.data?.customer;
    // CRM key and web userId are one person through the email; the CRM key names the profile.
    expect(c?.id).toBe(`Customer:${p}-c1`);
    expect(c?.anonymous).toBe(false);
    expect(c?.traits).toMatchObject({ firstName: 'Ann', lastName: `Zed${p}` });
    expect(c?.identities.map((i) => `${i.type}:${i.value}:${i.status}`).sort()).toEqual(
      [
        `anonymousId:${p}-a1:MEMBER`,
        `crmId:${p}-c1:MEMBER`,
        `email:ann.${p}@example.com:MEMBER`,
        'phone:+442079460000:MEMBER',
        `userId:${p}-web:MEMBER`,
      ].sort(),
    );
    const email = c?.identities.find((i) => i.type === 'email');
    expect(email?.firstSeen).toBe(iso(T0));
    expect(email?.lastSeen).toBe(iso(T0 + 2 * MIN));
    expect(c?.devices.edges.map((e) => e.node.id)).toEqual([`Device:${p}-laptop`]);
    expect(c?.orders.edges.map((e) => e.node.id)).toEqual([`Order:${p}-o1`]);
    expect(c?.timeline.edges.map((e) => e.node.id)).toEqual([`Order:${p}-o1`, `Event:${p}-m3`, `Event:${p}-m1`]);
    expect(c?.identityEvidence.every((e) => e.merged)).toBe(true);

    const why = await api.gql<{ explainMerge: { sameProfile: boolean; path: { rule: string; sourceId: string }[] } }>(
      `query ($a: IdentifierInput!, $b: IdentifierInput!) {
        explainMerge(a: $a, b: $b) { sameProfile profileId reason path { rule sourceId at merged from { id } to { id } } }
      }`,
      { a: { type: 'anonymousId', value: `${p}-a1` }, b: { type: 'crmId', value: `${p}-c1` } },
    );
    expect(why.body.data?.explainMerge.sameProfile).toBe(true);
    // One evidence edge per pair keeps its newest evidence: the order event re-confirmed the anonymousId.
    expect(why.body.data?.explainMerge.path.map((s) => s.rule)).toEqual(['event', 'identify', 'crm', 'crm']);

    const unlink = await api.gql<{ unlinkIdentity: { removed: number; profileIds: string[] } }>(
      `mutation ($i: IdentifierInput!) { unlinkIdentity(identifier: $i) { removed profileIds } }`,
      { i: { type: 'anonymousId', value: `${p}-a1` } },
    );
    expect(unlink.body.errors).toBeUndefined();
    expect(unlink.body.data?.unlinkIdentity).toEqual({
      removed: 1,
      profileIds: [`Identity:anonymousId:${p}-a1`, `Customer:${p}-c1`],
    });
    const visitor = (await api.gql<ViewData>(VIEW, { identifier: { type: 'anonymousId', value: `${p}-a1` } })).body.data
      ?.customer;
    expect(visitor?.anonymous).toBe(true);
    expect(visitor?.traits).toEqual({});
    expect(visitor?.timeline.edges.map((e) => e.node.id)).toEqual([`Event:${p}-m1`]);
    const customer = (await api.gql<ViewData>(VIEW, { id: `${p}-c1` })).body.data?.customer;
    expect(customer?.timeline.edges.map((e) => e.node.id)).toEqual([`Order:${p}-o1`, `Event:${p}-m3`]);
    expect(customer?.identities.map((i) => i.type).sort()).toEqual(['crmId', 'email', 'phone', 'userId']);
  });

  test('forgetCustomer erases the person from every API, audits without values, and replays cannot restore it', async () => {
    const messages = story();
    await submit(messages);
    const forget = await api.gql<{
      forgetCustomer: { auditId: string; erased: Record<string, Record<string, number>> };
    }>(
      `mutation ($id: ID!) { forgetCustomer(id: $id, requestedBy: "dpo@example.com", reason: "erasure request") { auditId erased } }`,
      { id: `Identity:email:ann.${p}@example.com` },
    );
    expect(forget.body.errors).toBeUndefined();
    expect(forget.body.data?.forgetCustomer.erased.vertices).toEqual({
      Customer: 2,
      Device: 1,
      Event: 2,
      Identity: 5,
      Order: 1,
    });

    const gone = async () => {
      const lookups = [
        { id: `${p}-c1` },
        { id: `Customer:${p}-web` },
        { identifier: { type: 'email', value: `ANN.${p}@example.com` } },
        { identifier: { type: 'anonymousId', value: `${p}-a1` } },
        { identifier: { type: 'phone', value: '+44 20 7946 0000' } },
      ];
      for (const variables of lookups) {
        const r = await api.gql<ViewData>(VIEW, variables);
        expect(r.body.errors).toBeUndefined();
        expect(r.body.data?.customer).toBeNull();
      }
      const search = await api.gql<{ customers: { edges: unknown[] } }>(
        `query ($s: String) { customers(search: $s) { edges { node { id } } } }`,
        { s: `Zed${p}` },
      );
      expect(search.body.data?.customers.edges).toEqual([]);
      const ids = [`Event:${p}-m1`, `Event:${p}-m3`, `Order:${p}-o1`, `Device:${p}-laptop`, `Customer:${p}-c1`];
      expect(await api.store.getVertices(ids)).toEqual(ids.map(() => null));
      expect(await api.store.lookup('Identity', 'value', `ann.${p}@example.com`)).toEqual([]);
      expect(await api.store.lookup('Customer', 'email', `ann.${p}@example.com`)).toEqual([]);
    };
    await gone();

    const entries = await createFileAuditLog(auditPath).list();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ action: 'forgetCustomer', requestedBy: 'dpo@example.com' });
    expect(entries[0].id).toBe(forget.body.data?.forgetCustomer.auditId);
    expect(JSON.stringify(entries[0])).not.toContain(p);

    // Replayed as recorded: dedupe drops them.
    expect((await api.pipeline.submit(messages)).duplicates).toBe(messages.length);
    await gone();
    // Dedupe wiped: every old event is applied again.
    dedupe.clear();
    expect((await api.pipeline.submit(messages)).applied).toBe(messages.length);
    await gone();
    // Received a year later: clock-skew correction gives the Segment events later times.
    dedupe.clear();
    const later = messages.map((m) => ({ ...m, receivedAtMs: m.receivedAtMs + 365 * 24 * 60 * MIN }));
    expect((await api.pipeline.submit(later)).applied).toBe(messages.length);
    await gone();
  });
});
