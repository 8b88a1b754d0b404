/**
 * The identity conformance suite: Segment and Debezium inputs, decoded and
 * mapped exactly as the pipeline does and applied to the store under test,
 * then the profiles, explanations, splits and erasures every store must give
 * identically (profiles are computed from evidence read through GraphStore,
 * so a store that reads differently resolves differently).
 *
 * Isolation: every test builds its ids from a fresh random prefix.
 */
import { randomUUID } from 'node:crypto';
import {
  type AuditLog,
  createCustomerForgetter,
  createIdentityResolver,
  createIdentityRules,
  createMemoryAuditLog,
  type IdentityRulesInput,
  type Profile,
} from '../../features/identity';
import { coalesce, defaultMappings, type GraphStore, type Mutation, vertexId } from '../../graph-schema';
import { createEventMapper, type RawMessage, type SourceKind } from '../../ingest';
import { createDecoders } from '../../ingest/decoders';
import type { CreatedStore } from './graph-store-suite';

export interface IdentitySuiteOptions {
  readonly timeoutMs?: number;
}

const RECEIVED = Date.UTC(2026, 10, 1);
const T0 = Date.UTC(2026, 9, 1);
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** Received as it was sent: Segment's clock-skew correction then keeps the event's own time. */
export function segmentMessage(event: Record<string, unknown>, receivedAtMs?: number): RawMessage {
  const body = {
    sentAt: event.timestamp,
    context: { library: { name: 'analytics-node', version: '2.3.0' } },
    ...event,
  };
  const sent = typeof event.timestamp === 'string' ? Date.parse(event.timestamp) : RECEIVED;
  return message('segment', JSON.stringify(body), receivedAtMs ?? sent);
}

export function cdcMessage(
  table: string,
  op: 'c' | 'u' | 'd' | 'r',
  before: unknown,
  after: unknown,
  lsn: number,
  tsMs: number,
): RawMessage {
  const value = {
    before,
    after,
    source: {
      version: '3.0.8.Final',
      connector: 'postgresql',
      name: 'c360',
      ts_ms: tsMs,
      snapshot: op === 'r' ? 'true' : 'false',
      db: 'crm',
      schema: 'crm',
      table,
      txId: 700 + lsn,
      lsn,
      xmin: null,
    },
    op,
    ts_ms: tsMs + 5,
    transaction: null,
  };
  return message('cdc', JSON.stringify(value), tsMs + 1000);
}

let offset = 0;
function message(source: SourceKind, value: string, receivedAtMs: number): RawMessage {
  return {
    source,
    value: Buffer.from(value, 'utf8'),
    position: { source, transport: 'test', offset: String(offset++) },
    receivedAtMs,
  };
}

const decoders = createDecoders({});
const mapper = createEventMapper(defaultMappings);

/** decode → map → apply, as the pipeline does it (minus batching and dedupe, which do not change the graph). */
export function mutationsOf(messages: readonly RawMessage[]): Mutation[] {
  const out: Mutation[] = [];
  for (const raw of messages) {
    for (const outcome of decoders[raw.source].decode(raw)) {
      if (!outcome.ok) throw new Error(`identity suite: bad fixture: ${outcome.error.message}`);
      const mapped = mapper(outcome.event);
      if (mapped === 'ignore') continue;
      if (!mapped.ok) throw new Error(`identity suite: unmapped fixture: ${mapped.error.message}`);
      out.push(...mapped.mutations);
    }
  }
  return out;
}

export async function ingest(store: GraphStore, messages: readonly RawMessage[]): Promise<void> {
  await store.apply(coalesce(mutationsOf(messages)));
}

const ids = (p: Profile | null) =>
  p === null ? null : p.identifiers.filter((i) => i.status === 'member').map((i) => i.id);

export function defineIdentitySuite(
  name: string,
  createStore: () => Promise<CreatedStore>,
  options: IdentitySuiteOptions = {},
): void {
  describe(`identity conformance: ${name}`, () => {
    let created: CreatedStore;
    let store: GraphStore;
    let p: string;
    jest.setTimeout(options.timeoutMs ?? 60_000);

    beforeAll(async () => {
      created = await createStore();
      store = created.store;
    });
    afterAll(async () => {
      await store?.close();
      await created?.cleanup?.();
    });
    beforeEach(() => {
      p = randomUUID().slice(0, 8);
    });

    const resolverOf = (rules: IdentityRulesInput = {}) =>
      createIdentityResolver({ store, rules: createIdentityRules(rules), now: () => RECEIVED + 60 * MIN });
    const cust = (key: string) => vertexId({ label: 'Customer', key: `${p}-${key}` });
    const ident = (type: string, value: string) => `Identity:${type}:${value}`;
    const page = (anon: string, at: number, extra: Record<string, unknown> = {}) =>
      segmentMessage({
        type: 'page',
        messageId: `${p}-pg-${at}-${anon}`,
        anonymousId: `${p}-${anon}`,
        name: 'Home',
        timestamp: iso(at),
        ...extra,
      });
    const identify = (user: string, anon: string | null, at: number, traits: Record<string, unknown> = {}) =>
      segmentMessage({
        type: 'identify',
        messageId: `${p}-id-${at}-${user}`,
        userId: `${p}-${user}`,
        ...(anon ? { anonymousId: `${p}-${anon}` } : {}),
        traits,
        timestamp: iso(at),
      });
    const crmRow = (id: string, email: string, phone = '') => ({
      id: `${p}-${id}`,
      first_name: 'Ann',
      last_name: `Lee${p}`,
      email,
      phone,
      country: 'GB',
      plan: 'fiber',
      lifetime_value: '10.00',
      created_at: '2025-01-01T00:00:00Z',
      updated_at: '2025-01-01T00:00:00Z',
    });

    test('identify ties an anonymous visitor to the customer: one profile, named after the customer, history included', async () => {
      const email = `ann.${p}@example.com`;
      await ingest(store, [page('a1', T0), identify('u1', 'a1', T0 + MIN, { email: email.toUpperCase() })]);
      const profile = await resolverOf().profileOf(ident('anonymousId', `${p}-a1`));
      expect(profile?.id).toBe(cust('u1'));
      expect(profile?.anonymous).toBe(false);
      expect(ids(profile)).toEqual([
        cust('u1'),
        ident('anonymousId', `${p}-a1`),
        ident('email', email),
        ident('userId', `${p}-u1`),
      ]);
      const timeline = await store.timeline({ ownerIds: ids(profile) ?? [], first: 10 });
      expect(timeline.items.map((i) => i.vertex.id)).toEqual([`Event:${p}-pg-${T0}-a1`]);
    });

    test('alias (previousId → userId) and context.externalIds join identifiers', async () => {
      await ingest(store, [
        segmentMessage({
          type: 'alias',
          messageId: `${p}-al`,
          userId: `${p}-u1`,
          previousId: `${p}-old`,
          timestamp: iso(T0),
        }),
        page('a9', T0 + MIN, { context: { externalIds: [{ id: `${p}-zd`, type: 'zendeskId', collection: 'users' }] } }),
        page('a9', T0 + 2 * MIN, { userId: `${p}-u1` }),
      ]);
      const profile = await resolverOf().profileOf(ident('zendeskId', `${p}-zd`));
      expect(profile?.id).toBe(cust('u1'));
      expect(ids(profile)).toEqual(
        expect.arrayContaining([ident('anonymousId', `${p}-old`), ident('anonymousId', `${p}-a9`)]),
      );
    });

    test('an anonymous newsletter email joins the CRM customer with that email; the profile id is the CRM key', async () => {
      const email = `bo.${p}@example.com`;
      await ingest(store, [
        segmentMessage({
          type: 'identify',
          messageId: `${p}-nl`,
          anonymousId: `${p}-v1`,
          traits: { email, newsletter: true },
          timestamp: iso(T0),
        }),
      ]);
      const before = await resolverOf().profileOf(ident('anonymousId', `${p}-v1`));
      expect(before?.anonymous).toBe(true);
      expect(ids(before)).toEqual([ident('anonymousId', `${p}-v1`), ident('email', email)]);
      await ingest(store, [
        cdcMessage('customers', 'c', null, crmRow('crm7', ` ${email.toUpperCase()}`), 1000, T0 + 10 * MIN),
        identify('web7', null, T0 + 20 * MIN, { email }),
      ]);
      const after = await resolverOf().profileOf(ident('anonymousId', `${p}-v1`));
      // CRM key and a different userId, joined through the email: the CRM key names the profile.
      expect(after?.id).toBe(cust('crm7'));
      expect(ids(after)).toEqual(expect.arrayContaining([cust('web7'), ident('userId', `${p}-web7`)]));
    });

    test('a family tablet (one anonymousId, two userIds) is contested: two profiles, neither holds it; explain says why', async () => {
      await ingest(store, [
        identify('mum', 'tab', T0),
        identify('kid', 'tab', T0 + MIN),
        page('tab', T0 + 2 * MIN),
        identify('mum', 'mumphone', T0 + 3 * MIN),
      ]);
      const r = resolverOf();
      const [mum, kid, tablet] = await r.profilesOf([cust('mum'), cust('kid'), ident('anonymousId', `${p}-tab`)]);
      expect(mum?.id).toBe(cust('mum'));
      expect(kid?.id).toBe(cust('kid'));
      expect(ids(mum)).not.toContain(ident('anonymousId', `${p}-tab`));
      expect(ids(kid)).toEqual([cust('kid'), ident('userId', `${p}-kid`)]);
      expect(tablet?.identifiers.map((i) => i.status)).toEqual(['contested']);
      expect(mum?.evidence.find((e) => e.to.id === ident('anonymousId', `${p}-tab`))?.status).toBe('rejected');
      const why = await r.explainMerge(cust('mum'), cust('kid'));
      expect(why.sameProfile).toBe(false);
      expect(why.path.map((s) => s.status)).toEqual(['rejected', 'rejected']);
      expect(why.reason).toMatch(/userId/);
    });

    test('junk values never merge, and an identifier linked to too many profiles is a flagged supernode', async () => {
      await ingest(store, [
        identify('j1', null, T0, { email: 'TEST@test.com', phone: 'unknown' }),
        identify('j2', null, T0 + MIN, { email: 'test@test.com' }),
        ...['s1', 's2', 's3', 's4'].map((u, i) => identify(u, null, T0 + i * MIN, { email: `desk.${p}@example.com` })),
      ]);
      const r = resolverOf({ types: { email: { maxLinks: 3, maxPerProfile: 5 } } });
      const [j1, j2, s1] = await r.profilesOf([cust('j1'), cust('j2'), cust('s1')]);
      expect(j1?.id).toBe(cust('j1'));
      expect(j2?.id).toBe(cust('j2'));
      expect(j1?.evidence.find((e) => e.to.type === 'email')?.reason).toMatch(/blocklisted/);
      expect(ids(s1)).toEqual([cust('s1'), ident('userId', `${p}-s1`)]);
      const desk = s1?.evidence.find((e) => e.to.type === 'email');
      expect(desk?.status).toBe('rejected');
      expect(desk?.reason).toMatch(/supernode/);
    });

    test('per-type limits: a second CRM key never joins through a shared email', async () => {
      const email = `family.${p}@example.com`;
      await ingest(store, [
        cdcMessage('customers', 'c', null, crmRow('k1', email), 2000, T0),
        cdcMessage('customers', 'c', null, crmRow('k2', email), 2001, T0 + MIN),
      ]);
      const [k1, k2] = await resolverOf().profilesOf([cust('k1'), cust('k2')]);
      expect(k1?.id).toBe(cust('k1'));
      expect(k2?.id).toBe(cust('k2'));
      expect(ids(k1)).not.toContain(ident('email', email));
    });

    test('explain → unlink → the profile splits and history follows its identifiers', async () => {
      await ingest(store, [page('a1', T0), identify('u1', 'a1', T0 + MIN), page('a1', T0 + 2 * MIN)]);
      const r = resolverOf();
      const why = await r.explainMerge(ident('anonymousId', `${p}-a1`), ident('userId', `${p}-u1`));
      expect(why.sameProfile).toBe(true);
      expect(why.path.map((s) => [s.from.id, s.to.id, s.rule, s.status])).toEqual([
        [cust('u1'), ident('anonymousId', `${p}-a1`), 'identify', 'merged'],
        [cust('u1'), ident('userId', `${p}-u1`), 'identify', 'merged'],
      ]);
      expect(why.path[0].sourceId).toBe(`${p}-id-${T0 + MIN}-u1`);

      const result = await r.unlink(ident('anonymousId', `${p}-a1`), cust('u1'));
      expect(result.removed).toHaveLength(1);
      expect(result.profileIds).toEqual([ident('anonymousId', `${p}-a1`), cust('u1')]);
      const [visitor, customer] = await r.profilesOf([ident('anonymousId', `${p}-a1`), cust('u1')]);
      expect(visitor?.anonymous).toBe(true);
      expect(ids(customer)).toEqual([cust('u1'), ident('userId', `${p}-u1`)]);
      const events = await store.timeline({ ownerIds: ids(visitor) ?? [], first: 10 });
      expect(events.items).toHaveLength(2);
      // Replaying the old evidence does not undo the split: the unlink tombstone is newer.
      await ingest(store, [identify('u1', 'a1', T0 + MIN)]);
      expect((await r.profileOf(cust('u1')))?.identifiers).toHaveLength(2);
    });

    test('a CDC delete of the CRM row removes its evidence and the profile splits', async () => {
      const email = `cy.${p}@example.com`;
      const row = crmRow('d1', email);
      await ingest(store, [
        cdcMessage('customers', 'c', null, row, 3000, T0),
        identify('w1', 'aw', T0 + MIN, { email }),
      ]);
      const r = resolverOf();
      expect((await r.profileOf(cust('w1')))?.id).toBe(cust('d1'));
      await ingest(store, [cdcMessage('customers', 'd', row, null, 3001, T0 + 5 * MIN)]);
      const after = await r.profileOf(cust('w1'));
      expect(after?.id).toBe(cust('w1'));
      expect(await r.profileOf(cust('d1'))).toBeNull();
    });

    test('the same evidence in any order gives the same profiles', async () => {
      const messages = [
        identify('o1', 'oa', T0),
        identify('o2', 'oa', T0 + MIN),
        identify('o1', 'ob', T0 + 2 * MIN, { email: `o.${p}@example.com` }),
        segmentMessage({
          type: 'identify',
          messageId: `${p}-oc`,
          anonymousId: `${p}-oc`,
          traits: { email: `o.${p}@example.com` },
          timestamp: iso(T0 + 3 * MIN),
        }),
      ];
      const all = [cust('o1'), cust('o2'), ...['oa', 'ob', 'oc'].map((a) => ident('anonymousId', `${p}-${a}`))];
      for (const m of [...messages].reverse()) await ingest(store, [m]);
      const profiles = (await resolverOf().profilesOf(all)).map((x) => x?.id);
      expect(profiles).toEqual([cust('o1'), cust('o2'), ident('anonymousId', `${p}-oa`), cust('o1'), cust('o1')]);
    });

    test('forget erases the profile everywhere and replays — even with later times — do not bring it back', async () => {
      const email = `zed.${p}@example.com`;
      // Unique per run: forget retires identifiers for good, and a shared server keeps earlier runs' data.
      const digits = String([...p].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) % 10_000_000, 7)).padStart(7, '0');
      const row = crmRow('f1', email, `+44 20 ${digits}`);
      const story = [
        cdcMessage('customers', 'c', null, row, 4000, T0),
        page('fa', T0 + MIN),
        identify('f1', 'fa', T0 + 2 * MIN, { email }),
        segmentMessage({
          type: 'track',
          event: 'Order Completed',
          messageId: `${p}-oc1`,
          userId: `${p}-f1`,
          anonymousId: `${p}-fa`,
          properties: { order_id: `${p}-o1`, total: 10 },
          context: { device: { id: `${p}-dev`, type: 'ios' } },
          timestamp: iso(T0 + 3 * MIN),
        }),
        identify('other', 'shared-tab', T0 + 4 * MIN),
        identify('f1', 'shared-tab', T0 + 5 * MIN),
      ];
      await ingest(store, story);
      const audit: AuditLog = createMemoryAuditLog();
      const r = resolverOf();
      const forgetter = createCustomerForgetter({ store, resolver: r, auditLog: audit, now: () => RECEIVED });
      const before = await r.profileOf(cust('f1'));
      const personal = [
        ...(ids(before) ?? []),
        `Event:${p}-pg-${T0 + MIN}-fa`,
        `Event:${p}-oc1`,
        `Order:${p}-o1`,
        `Device:${p}-dev`,
      ];
      expect((await store.getVertices(personal)).every((v) => v !== null)).toBe(true);

      const result = await forgetter.forget(cust('f1'), { requestedBy: 'dpo@example.com', reason: 'GDPR art. 17' });
      expect(result?.erased.identifierTypes).toEqual({
        anonymousId: 1,
        crmId: 1,
        customer: 1,
        email: 1,
        phone: 1,
        userId: 1,
      });
      const check = async () => {
        expect(await store.getVertices(personal)).toEqual(personal.map(() => null));
        expect(await r.profileOf(cust('f1'))).toBeNull();
        expect(await store.lookup('Identity', 'value', email)).toEqual([]);
        expect((await store.search('Customer', `Lee${p}`, { first: 10 })).items).toEqual([]);
        // The other family member keeps the shared tablet (now theirs alone) and their own profile.
        const other = await r.profileOf(cust('other'));
        expect(ids(other)).toEqual([
          cust('other'),
          ident('anonymousId', `${p}-shared-tab`),
          ident('userId', `${p}-other`),
        ]);
      };
      await check();
      const entries = await audit.list();
      expect(entries).toHaveLength(1);
      expect(entries[0].requestedBy).toBe('dpo@example.com');
      expect(JSON.stringify(entries[0])).not.toContain(p);

      // A replay as recorded, then one received a year later (Segment's clock-skew correction moves event times).
      await ingest(store, story);
      const later = story.map((m) => ({ ...m, receivedAtMs: m.receivedAtMs + 365 * 24 * 60 * MIN }));
      const shifted = later.map((m) => (m.source === 'cdc' ? shiftCdc(m, 365 * 24 * 60 * MIN) : m));
      await ingest(store, shifted);
      await check();
    });
  });
}

/** The same CDC row re-read later (a re-snapshot): same LSN, later commit time. */
function shiftCdc(m: RawMessage, byMs: number): RawMessage {
  const value = JSON.parse((m.value as Buffer).toString('utf8'));
  value.source.ts_ms += byMs;
  value.ts_ms += byMs;
  return { ...m, value: Buffer.from(JSON.stringify(value), 'utf8') };
}
