import {
  coalesce,
  defaultMappings,
  isLive,
  isPlainObject,
  type Mutation,
  makeCdcVersion,
  makeVersion,
  SchemaError,
  validateTemplate,
  visibleProps,
} from '../../../graph-schema';
import {
  type CdcEvent,
  createEventMapper,
  type HubEvent,
  type SegmentEvent,
  type TelemetryEvent,
} from '../../../ingest';

const mapper = createEventMapper(defaultMappings);
const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);

function segment(partial: Partial<SegmentEvent> & Pick<SegmentEvent, 'type' | 'messageId'>): HubEvent {
  const body: SegmentEvent = {
    source: 'segment',
    userId: null,
    anonymousId: null,
    previousId: null,
    groupId: null,
    name: null,
    properties: {},
    traits: {},
    context: {},
    timestampMs: T0,
    extra: {},
    ...partial,
  };
  return {
    id: `segment:${body.messageId}`,
    version: makeVersion(body.timestampMs, `seg:${body.messageId}`),
    body,
    position: { source: 'segment', transport: 'test' },
    receivedAtMs: T0,
  };
}

function cdc(partial: Partial<CdcEvent> & Pick<CdcEvent, 'op' | 'table'>, lsn: number): HubEvent {
  const body: CdcEvent = {
    source: 'cdc',
    schema: 'crm',
    db: 'crm',
    before: null,
    after: null,
    key: null,
    lsn: String(lsn),
    txId: '1',
    tsMs: T0 + lsn,
    tombstone: false,
    snapshot: false,
    ...partial,
  };
  return {
    id: `cdc:${body.table}:${lsn}`,
    version: makeCdcVersion(body.tsMs, lsn),
    body,
    position: { source: 'cdc', transport: 'test' },
    receivedAtMs: T0,
  };
}

function mutationsOf(event: HubEvent): Mutation[] {
  const out = mapper(event);
  if (out === 'ignore' || !out.ok) throw new Error(`expected mutations, got ${JSON.stringify(out)}`);
  return out.mutations;
}

function summary(ms: Mutation[]): string[] {
  return ms
    .map((m) =>
      m.op === 'upsertEdge' || m.op === 'deleteEdge'
        ? `${m.op} ${m.label} ${m.from.label}:${m.from.key} -> ${m.to.label}:${m.to.key}`
        : `${m.op} ${m.label}:${m.key}`,
    )
    .sort();
}

describe('event mapper', () => {
  it('maps identify to a customer, its identifiers and evidence edges', () => {
    const ms = mutationsOf(
      segment({
        type: 'identify',
        messageId: 'm1',
        userId: 'C1',
        anonymousId: 'a-1',
        traits: { email: ' Ann@Example.COM ', name: 'Ann', plan: 'gold' },
      }),
    );
    expect(summary(ms)).toEqual(
      [
        'upsertVertex Customer:C1',
        'upsertVertex Customer:C1',
        'upsertVertex Identity:anonymousId:a-1',
        'upsertVertex Identity:userId:C1',
        'upsertVertex Identity:email:ann@example.com',
        'upsertEdge HAS_IDENTITY Customer:C1 -> Identity:userId:C1',
        'upsertEdge HAS_IDENTITY Customer:C1 -> Identity:anonymousId:a-1',
        'upsertEdge HAS_IDENTITY Customer:C1 -> Identity:email:ann@example.com',
      ].sort(),
    );
    const batch = coalesce(ms);
    const customer = batch.vertices.find((v) => v.id === 'Customer:C1');
    expect(customer && visibleProps(customer.state)).toEqual({ email: 'ann@example.com', name: 'Ann', plan: 'gold' });
    const evidence = batch.edges.find((e) => e.to.key === 'email:ann@example.com');
    expect(evidence && visibleProps(evidence.state)).toEqual({ at: T0, rule: 'identify', sourceId: 'm1' });
  });

  it('keeps the traits of an anonymous identify on the visitor identity', () => {
    const batch = coalesce(
      mutationsOf(segment({ type: 'identify', messageId: 'm2', anonymousId: 'a-2', traits: { plan: 'trial' } })),
    );
    expect(batch.vertices.map((v) => v.id).sort()).toEqual(['Identity:anonymousId:a-2']);
    expect(visibleProps(batch.vertices[0].state)).toEqual({ plan: 'trial', type: 'anonymousId', value: 'a-2' });
  });

  it('maps Order Completed to an order with line items, the event and the device', () => {
    const ms = mutationsOf(
      segment({
        type: 'track',
        messageId: 'm3',
        userId: 'C1',
        name: 'Order Completed',
        context: { device: { id: 'dev-9', type: 'ios' } },
        properties: {
          order_id: 'O-7',
          total: 30.5,
          currency: 'EUR',
          products: [
            { product_id: 'P1', price: 10, quantity: 2, category: 'tv' },
            { product_id: 'P2', price: 10.5, quantity: 1 },
          ],
        },
      }),
    );
    const s = summary(ms);
    expect(s).toEqual(
      expect.arrayContaining([
        'upsertEdge PLACED Customer:C1 -> Order:O-7',
        'upsertEdge CONTAINS Order:O-7 -> Product:P1',
        'upsertEdge CONTAINS Order:O-7 -> Product:P2',
        'upsertEdge PERFORMED Customer:C1 -> Event:m3',
        'upsertEdge USES_DEVICE Customer:C1 -> Device:dev-9',
      ]),
    );
    const batch = coalesce(ms);
    const order = batch.vertices.find((v) => v.id === 'Order:O-7');
    expect(order && visibleProps(order.state)).toEqual({ currency: 'EUR', status: 'completed', total: 30.5, ts: T0 });
    const line = batch.edges.find((e) => e.to.key === 'P1' && e.label === 'CONTAINS');
    expect(line && visibleProps(line.state)).toEqual({ price: 10, quantity: 2 });
  });

  it('attributes an anonymous page view to the visitor identity', () => {
    const s = summary(mutationsOf(segment({ type: 'page', messageId: 'm4', anonymousId: 'a-3', name: 'Home' })));
    expect(s).toEqual([
      'upsertEdge PERFORMED Identity:anonymousId:a-3 -> Event:m4',
      'upsertVertex Event:m4',
      'upsertVertex Identity:anonymousId:a-3',
      'upsertVertex Identity:anonymousId:a-3',
    ]);
  });

  it('maps a CDC customer row, moves the email identity on update and tombstones on delete', () => {
    const row = {
      id: 'C9',
      first_name: 'Bo',
      email: 'bo@x.io',
      phone: null,
      lifetime_value: '120.50',
      created_at: '2026-01-01T00:00:00Z',
    };
    const created = coalesce(mutationsOf(cdc({ op: 'c', table: 'customers', after: row }, 100)));
    const customer = created.vertices.find((v) => v.id === 'Customer:C9');
    expect(customer && visibleProps(customer.state)).toEqual({
      createdAt: Date.parse('2026-01-01T00:00:00Z'),
      email: 'bo@x.io',
      firstName: 'Bo',
      lifetimeValue: 120.5,
    });
    // phone was null in the row: an explicit unset, not an identity.
    expect(created.vertices.some((v) => v.id.startsWith('Identity:phone:'))).toBe(false);

    const updated = summary(
      mutationsOf(cdc({ op: 'u', table: 'customers', before: row, after: { ...row, email: 'bo@new.io' } }, 200)),
    );
    expect(updated).toContain('deleteEdge HAS_IDENTITY Customer:C9 -> Identity:email:bo@x.io');
    expect(updated).toContain('upsertEdge HAS_IDENTITY Customer:C9 -> Identity:email:bo@new.io');
    expect(updated).not.toContain('deleteVertex Customer:C9');

    const deleted = mutationsOf(cdc({ op: 'd', table: 'customers', before: { ...row, email: 'bo@new.io' } }, 300));
    expect(summary(deleted)).toContain('deleteVertex Customer:C9');
    // The crmId exists because of the row (owned in crm.mapping.json) and goes with it; the email
    // is a shared fact other sources may know: only the row's evidence edge goes.
    expect(summary(deleted).filter((s) => s.startsWith('deleteVertex Identity'))).toEqual([
      'deleteVertex Identity:crmId:C9',
    ]);
    const state = coalesce(deleted).vertices.find((v) => v.id === 'Customer:C9');
    expect(state && isLive(state.state)).toBe(false);
  });

  it('deletes a composite-key order item as an edge', () => {
    const s = summary(
      mutationsOf(cdc({ op: 'd', table: 'order_items', before: { order_id: 5, sku: 'SKU-1', quantity: 1 } }, 400)),
    );
    expect(s).toEqual(['deleteEdge CONTAINS Order:5 -> Product:SKU-1']);
  });

  it('ignores Kafka tombstones and dead-letters unmapped tables and truncates with a reason', () => {
    expect(mapper(cdc({ op: 'd', table: 'customers', tombstone: true }, 500))).toBe('ignore');
    const unmapped = mapper(cdc({ op: 'c', table: 'invoices', after: { id: 1 } }, 501));
    expect(unmapped !== 'ignore' && !unmapped.ok && unmapped.error.code).toBe('UNMAPPED_TABLE');
    const truncate = mapper(cdc({ op: 't', table: 'orders' }, 502));
    expect(truncate !== 'ignore' && !truncate.ok && truncate.error.code).toBe('UNSUPPORTED_OP');
  });

  it('maps telemetry indicators to per-indicator device properties', () => {
    const body: TelemetryEvent = {
      source: 'telemetry',
      deviceId: 'router-1',
      entityId: 'C1',
      indicators: { packetErrors: 3, firmware: '1.2' },
      timestampMs: T0,
      seq: '7',
      extra: {},
    };
    const batch = coalesce(
      mutationsOf({
        id: 'telemetry:router-1:7',
        version: makeVersion(T0, 'tel:router-1:7'),
        body,
        position: { source: 'telemetry', transport: 'test' },
        receivedAtMs: T0,
      }),
    );
    const device = batch.vertices.find((v) => v.id === 'Device:router-1');
    expect(device && visibleProps(device.state)).toEqual({ ind_firmware: '1.2', ind_packetErrors: 3, lastSeen: T0 });
    expect(batch.edges.map((e) => e.id)).toEqual([JSON.stringify(['USES_DEVICE', 'Customer:C1', 'Device:router-1'])]);
  });

  it('devices lose what they are: telemetry keeps type, manufacturer, model and firmware on the Device', () => {
    const reading = (ms: number, firmware: string): TelemetryEvent => ({
      source: 'telemetry',
      deviceId: 'router-2',
      entityId: 'C1',
      indicators: { packetErrors: 3 },
      timestampMs: ms,
      seq: String(ms),
      extra: { deviceType: 'router', manufacturer: 'AVM', model: 'FRITZ!Box 7590 AX', firmware },
    });
    const event = (body: TelemetryEvent) => ({
      id: `telemetry:router-2:${body.seq}`,
      version: makeVersion(body.timestampMs, `tel:router-2:${body.seq}`),
      body,
      position: { source: 'telemetry' as const, transport: 'test' as const },
      receivedAtMs: body.timestampMs,
    });
    // The newer reading's firmware wins whatever the order they are applied in.
    for (const order of [
      [reading(T0, '7.57'), reading(T0 + 60_000, '7.59')],
      [reading(T0 + 60_000, '7.59'), reading(T0, '7.57')],
    ]) {
      const batch = coalesce(order.flatMap((b) => mutationsOf(event(b))));
      const device = batch.vertices.find((v) => v.id === 'Device:router-2');
      expect(device && visibleProps(device.state)).toEqual({
        type: 'router',
        manufacturer: 'AVM',
        model: 'FRITZ!Box 7590 AX',
        firmware: '7.59',
        ind_packetErrors: 3,
        lastSeen: T0 + 60_000,
      });
    }
  });

  it('rejects a template whose edge names an unknown vertex at startup', () => {
    expect(() =>
      validateTemplate('broken', {
        vertices: [{ as: 'a', label: 'Customer', key: 'id' }],
        edges: [{ label: 'OWNS', from: 'a', to: 'b' }],
      }),
    ).toThrow(SchemaError);
  });
});

describe('isPlainObject', () => {
  it('accepts plain objects from any realm and rejects class instances and arrays', () => {
    const { runInNewContext } = require('node:vm') as typeof import('node:vm');
    expect(isPlainObject({ a: 1 })).toBe(true);
    expect(isPlainObject(Object.create(null))).toBe(true);
    expect(isPlainObject(runInNewContext('({ a: 1 })'))).toBe(true);
    expect(isPlainObject([])).toBe(false);
    expect(isPlainObject(new Date())).toBe(false);
    expect(isPlainObject(new (class Foo {})())).toBe(false);
    expect(isPlainObject(null)).toBe(false);
  });
});

describe('clickstream joins CDC customers (issue 21)', () => {
  it('a track whose userId is an e-mail is evidence of that e-mail identity, the one a CRM row keys', () => {
    const track = summary(
      mutationsOf(segment({ type: 'track', messageId: 'm-mail', userId: 'Ann@Example.com', name: 'Viewed' })),
    );
    expect(track).toContain('upsertEdge HAS_IDENTITY Customer:Ann@Example.com -> Identity:email:ann@example.com');
    const crm = summary(
      mutationsOf(cdc({ op: 'c', table: 'customers', after: { id: 'C42', email: 'ann@example.com' } }, 500)),
    );
    expect(crm).toContain('upsertEdge HAS_IDENTITY Customer:C42 -> Identity:email:ann@example.com');
    // A userId that is not an e-mail makes no e-mail identity.
    const plain = summary(mutationsOf(segment({ type: 'track', messageId: 'm-id', userId: 'C42', name: 'Viewed' })));
    expect(plain.filter((s) => s.includes('Identity:email:'))).toEqual([]);
  });

  it('context.traits contribute traits and identifiers like identify: on the customer, or on the visitor', () => {
    const known = mutationsOf(
      segment({
        type: 'page',
        messageId: 'm-ctx',
        userId: 'C42',
        context: { traits: { email: 'Bo@X.io', plan: 'pro' } },
      }),
    );
    expect(summary(known)).toContain('upsertEdge HAS_IDENTITY Customer:C42 -> Identity:email:bo@x.io');
    const customer = coalesce(known).vertices.find((v) => v.id === 'Customer:C42');
    expect(customer && visibleProps(customer.state)).toMatchObject({ plan: 'pro', email: 'bo@x.io' });

    const visitor = mutationsOf(
      segment({
        type: 'track',
        messageId: 'm-anon',
        anonymousId: 'a-1',
        name: 'Viewed',
        context: { traits: { phone: '+44 20 7946 0958', plan: 'free' } },
      }),
    );
    expect(summary(visitor)).toContain('upsertEdge SAME_AS Identity:anonymousId:a-1 -> Identity:phone:+442079460958');
    const anon = coalesce(visitor).vertices.find((v) => v.id === 'Identity:anonymousId:a-1');
    expect(anon && visibleProps(anon.state)).toMatchObject({ plan: 'free' });
  });
});
