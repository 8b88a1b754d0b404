/**
 * The Debezium decoder's envelope fast path (ingest/decoders/debezium-decoder.ts,
 * `unwrapEnvelope`): the JSON converter's compact `{"schema":…,"payload":…}` has its schema
 * parsed once per distinct schema and only the payload parsed per row. Whatever the bytes, the
 * outcome must be the one the whole-message parse gives — the same message pretty-printed
 * (which the fast path never takes) is the reference.
 */

import { readdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { createDecoders, type DecodeOutcome } from '../../../ingest/decoders';
import { debeziumRecords, kafkaRaw } from './decoder-fixtures';

const RECEIVED = Date.parse('2024-03-08T15:00:00Z');
const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'debezium');

/** What a consumer sees of an outcome; `original` holds the bytes, which differ by design, and the position is the test's. */
function seen(outcome: DecodeOutcome): unknown {
  if (!outcome.ok) return { reason: outcome.error.reason, path: outcome.error.path };
  const { original: _original, position: _position, ...event } = outcome.event;
  return event;
}

const asBytes = (value: unknown, pretty: boolean) => Buffer.from(JSON.stringify(value, null, pretty ? 2 : undefined));

function decodeBoth(decode: ReturnType<typeof createDecoders>['cdc'], value: unknown, key: unknown) {
  const message = (pretty: boolean) => ({
    source: 'cdc' as const,
    key: key === null ? null : asBytes(key, pretty),
    value: asBytes(value, pretty),
    position: { source: 'cdc' as const, transport: 'kafka' as const, topic: 'c360.crm.customers', partition: 0 },
    receivedAtMs: RECEIVED,
  });
  return { compact: decode.decode(message(false)).map(seen), pretty: decode.decode(message(true)).map(seen) };
}

const source = { ts_ms: 1709285400123, db: 'c360', schema: 'crm', table: 'customers', lsn: 100, txId: 5 };

describe('debezium decoder: the envelope fast path answers as the whole-message parse', () => {
  const { cdc } = createDecoders();

  test('every recorded fixture, compact and pretty-printed, decodes to the same events', () => {
    const names = readdirSync(FIXTURES).filter((n) => n.endsWith('.json'));
    expect(names.length).toBeGreaterThan(5);
    let compared = 0;
    for (const name of names)
      for (const record of debeziumRecords(name)) {
        if (record.value === null) continue;
        const { compact, pretty } = decodeBoth(cdc, record.value, record.key);
        expect(compact).toEqual(pretty);
        expect(compact).toEqual(cdc.decode(kafkaRaw(record, RECEIVED)).map(seen));
        compared++;
      }
    expect(compared).toBeGreaterThan(8);
  });

  test('two schemas of one table, interleaved, each decode their own rows (a column retyped)', () => {
    const decimal = (scale: number) => ({
      type: 'struct',
      optional: false,
      name: 'c360.crm.customers.Envelope',
      fields: [
        {
          type: 'struct',
          optional: true,
          field: 'after',
          fields: [
            {
              type: 'bytes',
              optional: true,
              name: 'org.apache.kafka.connect.data.Decimal',
              parameters: { scale: String(scale) },
              field: 'lifetime_value',
            },
          ],
        },
      ],
    });
    // 0x3039 = 12345: 123.45 at scale 2, 12.345 at scale 3.
    const payload = { op: 'c', after: { lifetime_value: 'MDk=' }, source };
    const values: unknown[] = [];
    for (let i = 0; i < 6; i++) {
      const { compact, pretty } = decodeBoth(cdc, { schema: decimal(2 + (i % 2)), payload }, { id: 'C1' });
      expect(compact).toEqual(pretty);
      values.push((compact[0] as { body: { after: { lifetime_value: unknown } } }).body.after.lifetime_value);
    }
    expect(values).toEqual([123.45, 12.345, 123.45, 12.345, 123.45, 12.345]);
  });

  test('more distinct schemas than the cache keeps: evicted ones are parsed again, correctly', () => {
    const schemaFor = (i: number) => ({ type: 'struct', optional: false, name: `t${i}`, fields: [] });
    for (const i of [...Array.from({ length: 70 }, (_, i) => i), 0, 1, 69]) {
      const { compact, pretty } = decodeBoth(
        cdc,
        { schema: schemaFor(i), payload: { op: 'c', after: { i }, source } },
        null,
      );
      expect(compact).toEqual(pretty);
      expect(compact[0]).toMatchObject({ body: { after: { i } } });
    }
  });

  test('a hostile or odd envelope gets the same verdict either way (property)', () => {
    const hostile = fc.constantFrom(
      '__proto__',
      'constructor',
      'payload',
      'schema',
      ',"payload":',
      '"payload":{}}',
      '\ud800',
      'é',
    );
    const key = fc.oneof(fc.string({ maxLength: 6 }), hostile);
    const value = fc.letrec((tie) => ({
      json: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.oneof(fc.string({ maxLength: 8 }), hostile),
        fc.array(tie('json'), { maxLength: 3 }),
        fc.dictionary(key, tie('json'), { maxKeys: 3 }),
      ),
    })).json;
    const row = fc.record({
      op: fc.constantFrom('c', 'u', 'd', 'r', 't', 'x'),
      after: fc.oneof(fc.constant(null), fc.dictionary(key, value, { maxKeys: 4 })),
      before: fc.oneof(fc.constant(null), fc.dictionary(key, value, { maxKeys: 3 })),
      source: fc.constant(source),
    });
    const envelope = fc.record({
      schema: fc.oneof(fc.constant(null), value, fc.constant({ type: 'struct', fields: [{ field: ',"payload":' }] })),
      payload: fc.oneof(row, value),
    });
    // Both parsers see every key: a JSON-built `__proto__` key stays an own property in the bytes.
    const withProto = envelope.map((e) => JSON.parse(JSON.stringify(e)) as unknown);
    fc.assert(
      fc.property(withProto, fc.oneof(fc.constant(null), fc.constant({ id: 'C1' }), value), (message, k) => {
        const { compact, pretty } = decodeBoth(cdc, message, k);
        expect(compact).toEqual(pretty);
      }),
      { numRuns: 500 },
    );
  });
});
