import { createDecoders, decimalString, decimalToJson } from '../../../ingest/decoders';
import type { CdcEvent } from '../../../ingest/hub-event';
import { failureOf, onlyEvent, raw } from './decoder-fixtures';

const { cdc } = createDecoders();
const RECEIVED = Date.parse('2024-03-08T15:00:00Z');

/** Two's-complement big-endian bytes of `unscaled`, base64: what Kafka Connect's Decimal puts on the wire. */
function decimalBytes(unscaled: bigint): string {
  let hex = (unscaled < 0n ? (1n << 128n) + unscaled : unscaled).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if (unscaled < 0n) {
    while (bytes.length > 1 && bytes[0] === 0xff && bytes[1] & 0x80) bytes = bytes.subarray(1);
  } else if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return bytes.toString('base64');
}

/** A change event whose `after.v` column has the given Connect schema. */
function decodeColumn(columnSchema: object, value: unknown) {
  const schema = {
    type: 'struct',
    fields: [{ type: 'struct', field: 'after', optional: true, fields: [{ ...columnSchema, field: 'v' }] }],
  };
  const payload = {
    op: 'c',
    after: { v: value },
    source: { ts_ms: 1709285400123, db: 'c360', schema: 'crm', table: 't', lsn: 1 },
  };
  return cdc.decode(raw('cdc', JSON.stringify({ schema, payload }), RECEIVED));
}

function columnValue(columnSchema: object, value: unknown) {
  return (onlyEvent(decodeColumn(columnSchema, value)).body as CdcEvent).after?.['v'];
}

const decimal = (scale: number) => ({
  type: 'bytes',
  name: 'org.apache.kafka.connect.data.Decimal',
  version: 1,
  parameters: { scale: String(scale), 'connect.decimal.precision': '38' },
});

describe('Kafka Connect Decimal', () => {
  test.each([
    ['AeI6', 2, 1234.5],
    ['IyU=', 2, 89.97],
    ['AA==', 2, 0],
    ['8Q==', 1, -1.5],
    ['/w==', 0, -1],
    ['AQ==', -3, 1000],
  ])('%s with scale %d → %p', (bytes, scale, expected) => {
    expect(columnValue(decimal(scale), bytes)).toBe(expected);
  });

  test('a value a double cannot hold exactly stays an exact decimal string', () => {
    expect(columnValue(decimal(2), decimalBytes(1234567890123456789n))).toBe('12345678901234567.89');
    expect(columnValue(decimal(30), decimalBytes(1n))).toBe('0.000000000000000000000000000001');
    expect(columnValue(decimal(2), decimalBytes(-99999999999999999999n))).toBe('-999999999999999999.99');
  });

  test('the number-or-string rule: shortest double form must spell the same digits', () => {
    expect(decimalString(123450n, 2)).toBe('1234.5');
    expect(decimalString(-5n, 3)).toBe('-0.005');
    expect(decimalString(0n, 5)).toBe('0');
    expect(decimalToJson(9007199254740993n, 0)).toBe('9007199254740993');
    expect(decimalToJson(9007199254740992n, 0)).toBe(9007199254740992);
  });

  test('malformed Decimal values are rejected with the column path', () => {
    expect(failureOf(decodeColumn(decimal(2), 'not base64!')[0])).toEqual({
      reason: 'INVALID_VALUE',
      path: 'payload.after.v',
    });
    expect(failureOf(decodeColumn(decimal(2), 12.5)[0])).toEqual({ reason: 'WRONG_TYPE', path: 'payload.after.v' });
    const noScale = { type: 'bytes', name: 'org.apache.kafka.connect.data.Decimal' };
    expect(failureOf(decodeColumn(noScale, 'AQ==')[0])).toEqual({ reason: 'INVALID_VALUE', path: 'payload.after.v' });
  });
});

describe('Debezium logical types', () => {
  const variable = { type: 'struct', name: 'io.debezium.data.VariableScaleDecimal', version: 1 };

  test('VariableScaleDecimal carries its own scale', () => {
    expect(columnValue(variable, { scale: 3, value: decimalBytes(123456n) })).toBe(123.456);
    expect(columnValue(variable, { scale: 0, value: decimalBytes(-42n) })).toBe(-42);
    expect(failureOf(decodeColumn(variable, { scale: 'x', value: 'AQ==' })[0])).toEqual({
      reason: 'INVALID_VALUE',
      path: 'payload.after.v.scale',
    });
  });

  test('MicroTimestamp, Timestamp, NanoTimestamp become ISO-8601 UTC keeping their precision', () => {
    const micro = { type: 'int64', name: 'io.debezium.time.MicroTimestamp', version: 1 };
    // The example from the Debezium PostgreSQL documentation.
    expect(columnValue(micro, 1529507596945104)).toBe('2018-06-20T15:13:16.945104Z');
    expect(columnValue(micro, -1)).toBe('1969-12-31T23:59:59.999999Z');
    expect(columnValue(micro, 9223372036825200000)).toBe('infinity');
    expect(columnValue(micro, -9223372036832400000)).toBe('-infinity');
    const milli = { type: 'int64', name: 'io.debezium.time.Timestamp', version: 1 };
    expect(columnValue(milli, 1529507596945)).toBe('2018-06-20T15:13:16.945Z');
    const nano = { type: 'int64', name: 'io.debezium.time.NanoTimestamp', version: 1 };
    expect(columnValue(nano, 1529507596945104)).toBe('1970-01-18T16:51:47.596945104Z');
  });

  test('ZonedTimestamp strings pass through; Date days become YYYY-MM-DD', () => {
    const zoned = { type: 'string', name: 'io.debezium.time.ZonedTimestamp', version: 1 };
    expect(columnValue(zoned, '2024-03-01T09:30:00.123456Z')).toBe('2024-03-01T09:30:00.123456Z');
    const date = { type: 'int32', name: 'io.debezium.time.Date', version: 1 };
    expect(columnValue(date, 19000)).toBe('2022-01-08');
    expect(columnValue(date, -1)).toBe('1969-12-31');
  });

  test('Uuid is checked and lower-cased; Json is parsed with the same hardening as the message', () => {
    const uuid = { type: 'string', name: 'io.debezium.data.Uuid', version: 1 };
    expect(columnValue(uuid, '8F14E45F-CEEA-467F-A0E6-1B2C3D4E5F60')).toBe('8f14e45f-ceea-467f-a0e6-1b2c3d4e5f60');
    expect(failureOf(decodeColumn(uuid, 'nope')[0])).toEqual({ reason: 'INVALID_VALUE', path: 'payload.after.v' });
    const json = { type: 'string', name: 'io.debezium.data.Json', version: 1 };
    expect(columnValue(json, '{"tier":"gold","tags":["a"]}')).toEqual({ tier: 'gold', tags: ['a'] });
    expect(failureOf(decodeColumn(json, '{"__proto__":{"admin":true}}')[0])).toEqual({
      reason: 'FORBIDDEN_KEY',
      path: 'payload.after.v.__proto__',
    });
    expect(failureOf(decodeColumn(json, '{oops')[0])).toEqual({ reason: 'INVALID_JSON', path: 'payload.after.v' });
  });

  test('int64 beyond 2^53 is rejected: JSON already rounded it and a rounded key would merge two rows', () => {
    expect(failureOf(decodeColumn({ type: 'int64' }, 2 ** 60)[0])).toEqual({
      reason: 'INVALID_VALUE',
      path: 'payload.after.v',
    });
    expect(columnValue({ type: 'int64' }, 2 ** 53 - 1)).toBe(2 ** 53 - 1);
  });

  test('columns the schema does not describe pass through', () => {
    expect(columnValue({ type: 'string', name: 'io.debezium.data.Xml' }, '<a/>')).toBe('<a/>');
  });
});
