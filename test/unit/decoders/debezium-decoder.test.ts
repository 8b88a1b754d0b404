import { compareVersions, makeCdcVersion } from '../../../graph-schema';
import { createDecoders } from '../../../ingest/decoders';
import type { CdcEvent, HubEvent } from '../../../ingest/hub-event';
import { debeziumRecords, failureOf, kafkaRaw, okEvents, onlyEvent, raw } from './decoder-fixtures';

const { cdc } = createDecoders();
/** Receipt a few seconds after the newest commit in the fixtures. */
const RECEIVED = Date.parse('2024-03-08T15:00:00Z');

function decodeFixture(name: string): HubEvent[] {
  return debeziumRecords(name).flatMap((r) => okEvents(cdc.decode(kafkaRaw(r, RECEIVED))));
}

const body = (e: HubEvent) => e.body as CdcEvent;

const adaAfterCreate = {
  id: 'C000123',
  first_name: 'Ada',
  last_name: 'Lovelace',
  email: 'ada@example.com',
  phone: '+44 20 7946 0958',
  country: 'GB',
  plan: 'pro',
  lifetime_value: 1234.5,
  created_at: '2024-03-01T09:30:00.123456Z',
  updated_at: '2024-03-01T09:30:00.123456Z',
};

describe('debezium decoder: crm.customers with the schema wrapper', () => {
  test('create: Decimal decoded through the schema, id from table + LSN + key, version from commit time + LSN', () => {
    const [event] = decodeFixture('customers-create.json');
    expect(event.id).toBe('cdc:c360.crm.customers:24023128:{"id":"C000123"}');
    expect(event.version).toBe('001709285400123~cdc:00000000000024023128:000000');
    expect(event.position).toEqual({
      source: 'cdc',
      transport: 'kafka',
      topic: 'c360.crm.customers',
      partition: 0,
      offset: '42',
    });
    expect(event.body).toEqual({
      source: 'cdc',
      op: 'c',
      table: 'customers',
      schema: 'crm',
      db: 'c360',
      before: null,
      after: adaAfterCreate,
      key: { id: 'C000123' },
      lsn: '24023128',
      txId: '771',
      tsMs: 1709285400123,
      tombstone: false,
      snapshot: false,
    });
  });

  test('update: full before image (REPLICA IDENTITY FULL) and the new after image', () => {
    const [event] = decodeFixture('customers-update.json');
    const b = body(event);
    expect(b.op).toBe('u');
    expect(b.before).toEqual(adaAfterCreate);
    expect(b.after).toEqual({
      ...adaAfterCreate,
      plan: 'enterprise',
      lifetime_value: 1999.99,
      updated_at: '2024-03-04T16:02:11.5Z',
    });
    expect(event.id).toBe('cdc:c360.crm.customers:24035520:{"id":"C000123"}');
    expect(event.version).toBe(makeCdcVersion(1709568131500, '24035520'));
  });

  test('delete then tombstone: the tombstone is an event to skip, not an error', () => {
    const [del, tomb] = decodeFixture('customers-delete-tombstone.json');
    expect(body(del).op).toBe('d');
    expect(body(del).after).toBeNull();
    expect(body(del).before?.['plan']).toBe('enterprise');
    expect(body(del).tombstone).toBe(false);
    expect(del.version).toBe(makeCdcVersion(1709827205042, '24051744'));

    expect(tomb.id).toBe('cdc:tombstone:c360.crm.customers:0:64:{"id":"C000123"}');
    expect(tomb.body).toEqual({
      source: 'cdc',
      op: 'd',
      table: 'customers',
      schema: 'crm',
      db: null,
      before: null,
      after: null,
      key: { id: 'C000123' },
      lsn: '0',
      txId: null,
      tsMs: 0,
      tombstone: true,
      snapshot: false,
    });
  });
});

describe('debezium decoder: without the schema wrapper', () => {
  test('create: same id and version as with the schema; decimals pass through as decimal.handling.mode=string sent them', () => {
    const [withSchema] = decodeFixture('customers-create.json');
    const [bare] = decodeFixture('customers-create-schemaless.json');
    expect(bare.id).toBe(withSchema.id);
    expect(bare.version).toBe(withSchema.version);
    expect(body(bare).after).toEqual({ ...adaAfterCreate, lifetime_value: '1234.50' });
    expect(body(bare).key).toEqual({ id: 'C000123' });
  });

  test('update and delete + tombstone', () => {
    const [update] = decodeFixture('customers-update-schemaless.json');
    expect(body(update).after?.['lifetime_value']).toBe('1999.99');
    expect(body(update).before?.['plan']).toBe('pro');
    const [del, tomb] = decodeFixture('customers-delete-tombstone-schemaless.json');
    expect(body(del).op).toBe('d');
    expect(body(tomb).tombstone).toBe(true);
  });

  test('snapshot rows share one LSN but get distinct ids, and order before any later streamed change', () => {
    const [first, second] = decodeFixture('customers-snapshot-read-schemaless.json');
    expect(body(first).op).toBe('r');
    expect(body(first).snapshot).toBe(true);
    expect(body(second).snapshot).toBe(true);
    expect(body(first).lsn).toBe(body(second).lsn);
    expect(first.id).toBe('cdc:c360.crm.customers:23890456:{"id":"C000001"}');
    expect(second.id).toBe('cdc:c360.crm.customers:23890456:{"id":"C000002"}');
    expect(body(first).after?.['phone']).toBeNull();

    // ts_ms of snapshot rows is the snapshot transaction's start; a change it missed committed later at a higher LSN.
    const [streamed] = decodeFixture('customers-create.json');
    expect(compareVersions(first.version, streamed.version)).toBeLessThan(0);
    const sameMillisecond = makeCdcVersion(body(first).tsMs, Number(body(first).lsn) + 8);
    expect(compareVersions(first.version, sameMillisecond)).toBeLessThan(0);
  });
});

describe('debezium decoder: orders, order_items, accounts, truncate', () => {
  test('orders: bigint key, numeric(12,2) total from Decimal bytes', () => {
    const [event] = decodeFixture('orders-create.json');
    expect(event.id).toBe('cdc:c360.crm.orders:24102416:{"id":50314}');
    expect(body(event).key).toEqual({ id: 50314 });
    expect(body(event).after).toEqual({
      id: 50314,
      customer_id: 'C000123',
      status: 'placed',
      total: 89.97,
      currency: 'EUR',
      placed_at: '2024-03-01T14:02:01.981204Z',
    });
  });

  test('order_items: the composite key is part of the id, canonical (sorted) JSON', () => {
    const [a, b] = decodeFixture('order-items-create.json');
    expect(a.id).toBe('cdc:c360.crm.order_items:24102600:{"order_id":50314,"sku":"SKU-100"}');
    expect(b.id).toBe('cdc:c360.crm.order_items:24102712:{"order_id":50314,"sku":"SKU-205"}');
    expect(body(a).after).toEqual({ order_id: 50314, sku: 'SKU-100', quantity: 1, unit_price: 59.99 });
    expect(body(b).after).toEqual({ order_id: 50314, sku: 'SKU-205', quantity: 2, unit_price: 7.49 });
    expect(body(a).txId).toBe(body(b).txId);
    expect(compareVersions(a.version, b.version)).toBeLessThan(0);
  });

  test('accounts: io.debezium.data.Uuid key and column', () => {
    const [event] = decodeFixture('accounts-create.json');
    expect(body(event).key).toEqual({ id: '8f14e45f-ceea-467f-a0e6-1b2c3d4e5f60' });
    expect(body(event).after?.['id']).toBe('8f14e45f-ceea-467f-a0e6-1b2c3d4e5f60');
    expect(body(event).after?.['created_at']).toBe('2024-03-01T09:31:12.000001Z');
  });

  test('truncate has no before/after and no key', () => {
    const [event] = decodeFixture('orders-truncate.json');
    expect(event.id).toBe('cdc:c360.crm.orders:24200000:null');
    expect(event.body).toMatchObject({ op: 't', before: null, after: null, key: null, table: 'orders', schema: 'crm' });
  });
});

describe('debezium decoder: envelopes built in the test', () => {
  const source = { ts_ms: 1709285400123, db: 'c360', schema: 'crm', table: 'customers', lsn: 100, txId: 5 };
  const decodeValue = (value: unknown, key: unknown = { id: 'C1' }) =>
    cdc.decode({
      ...raw('cdc', JSON.stringify(value), RECEIVED),
      key: key === null ? null : Buffer.from(JSON.stringify(key)),
    });

  test('incremental-snapshot rows carry no LSN: position is the read time, LSN 0 so streamed changes win ties', () => {
    const event = onlyEvent(
      decodeValue({
        op: 'r',
        after: { id: 'C1' },
        source: { ...source, snapshot: 'incremental', lsn: undefined, txId: undefined },
      }),
    );
    expect(event.id).toBe('cdc:c360.crm.customers:ts1709285400123:{"id":"C1"}');
    expect(body(event).lsn).toBe('0');
    expect(body(event).txId).toBeNull();
    expect(event.version).toBe(makeCdcVersion(1709285400123, 0));
  });

  test('an LSN beyond 2^53 is read exactly from source.sequence', () => {
    const event = onlyEvent(
      decodeValue({
        op: 'c',
        after: { id: 'C1' },
        source: { ...source, lsn: 2 ** 60, sequence: '["1152921504606846970","1152921504606846976"]' },
      }),
    );
    expect(body(event).lsn).toBe('1152921504606846976');
  });

  test('without a Kafka key the row images identify the change', () => {
    const a = onlyEvent(decodeValue({ op: 'r', after: { id: 'C1' }, source }, null));
    const b = onlyEvent(decodeValue({ op: 'r', after: { id: 'C2' }, source }, null));
    expect(a.id).toMatch(/^cdc:c360\.crm\.customers:100:row:[0-9a-f]{32}$/);
    expect(a.id).not.toBe(b.id);
  });

  test('the legacy boolean snapshot marker is understood', () => {
    const event = onlyEvent(decodeValue({ op: 'r', after: { id: 'C1' }, source: { ...source, snapshot: true } }));
    expect(body(event).snapshot).toBe(true);
  });

  test.each([
    ['op missing', { after: {}, source }, { reason: 'MISSING_FIELD', path: 'op' }],
    ['op m (logical message)', { op: 'm', source }, { reason: 'UNKNOWN_TYPE', path: 'op' }],
    ['source missing', { op: 'c', after: { id: 'C1' } }, { reason: 'MISSING_FIELD', path: 'source' }],
    ['create without after', { op: 'c', after: null, source }, { reason: 'MISSING_FIELD', path: 'after' }],
    ['after not an object', { op: 'c', after: [1], source }, { reason: 'WRONG_TYPE', path: 'after' }],
    [
      'lsn negative',
      { op: 'c', after: {}, source: { ...source, lsn: -1 } },
      { reason: 'INVALID_VALUE', path: 'source.lsn' },
    ],
    [
      'lsn beyond 2^53 without sequence',
      { op: 'c', after: {}, source: { ...source, lsn: 2 ** 60 } },
      { reason: 'INVALID_VALUE', path: 'source.lsn' },
    ],
    [
      'table not a string',
      { op: 'c', after: {}, source: { ...source, table: 7 } },
      { reason: 'WRONG_TYPE', path: 'source.table' },
    ],
    [
      'ts_ms missing',
      { op: 'c', after: {}, source: { ...source, ts_ms: undefined } },
      { reason: 'MISSING_FIELD', path: 'source.ts_ms' },
    ],
    [
      'ts_ms in the far future',
      { op: 'c', after: {}, source: { ...source, ts_ms: RECEIVED + 2 * 86_400_000 } },
      { reason: 'INVALID_VALUE', path: 'source.ts_ms' },
    ],
    [
      'unknown snapshot marker',
      { op: 'r', after: {}, source: { ...source, snapshot: 'maybe' } },
      { reason: 'INVALID_VALUE', path: 'source.snapshot' },
    ],
    ['wrapped payload not an object', { schema: null, payload: 'x' }, { reason: 'NOT_AN_OBJECT', path: 'payload' }],
    [
      'wrapped, lsn wrong type',
      { schema: null, payload: { op: 'c', after: {}, source: { ...source, lsn: {} } } },
      { reason: 'WRONG_TYPE', path: 'payload.source.lsn' },
    ],
  ])('%s', (_name, value, expected) => {
    expect(failureOf(onlyOutcome(decodeValue(value)))).toEqual(expected);
  });

  test('a bad Kafka key is reported at key', () => {
    const outcome = cdc.decode({
      ...raw('cdc', JSON.stringify({ op: 'c', after: {}, source }), RECEIVED),
      key: Buffer.from('{'),
    });
    expect(failureOf(onlyOutcome(outcome))).toEqual({ reason: 'INVALID_JSON', path: 'key' });
  });
});

function onlyOutcome<T>(outcomes: T[]): T {
  expect(outcomes).toHaveLength(1);
  return outcomes[0];
}
