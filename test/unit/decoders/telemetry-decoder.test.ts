import { makeVersion } from '../../../graph-schema';
import { canonicalHash, createDecoders } from '../../../ingest/decoders';
import type { TelemetryEvent } from '../../../ingest/hub-event';
import { failureOf, fixtureBytes, okEvents, onlyEvent, raw } from './decoder-fixtures';

const { telemetry } = createDecoders();
const RECEIVED = Date.parse('2024-05-14T10:20:00Z');
const body = (e: { body: unknown }) => e.body as TelemetryEvent;

describe('telemetry decoder: fixtures', () => {
  test('a router reading: seq in the id, extra fields kept', () => {
    const event = onlyEvent(
      telemetry.decode(raw('telemetry', fixtureBytes('telemetry', 'router-reading.json'), RECEIVED)),
    );
    const indicators = { signal_dbm: -61.5, uptime_s: 864012, wan_up: true, firmware: '4.2.17', packet_loss_pct: 0.4 };
    const hash = canonicalHash(indicators, 16);
    expect(event.id).toBe(`telemetry:rtr-7f3a9c:18234:${hash}`);
    expect(event.version).toBe(makeVersion(Date.parse('2024-05-14T10:15:00.000Z'), 'tel:rtr-7f3a9c:18234'));
    expect(event.body).toEqual({
      source: 'telemetry',
      deviceId: 'rtr-7f3a9c',
      entityId: 'C000123',
      indicators,
      timestampMs: Date.parse('2024-05-14T10:15:00.000Z'),
      seq: '18234',
      extra: { model: 'HX-300', fw_channel: 'stable' },
    });
  });

  test('a thermostat reading with epoch-ms time and no seq: the timestamp and indicator hash identify it', () => {
    const event = onlyEvent(
      telemetry.decode(raw('telemetry', fixtureBytes('telemetry', 'thermostat-reading-epoch.json'), RECEIVED)),
    );
    const hash = canonicalHash({ temperature_c: 21.5, setpoint_c: 22, heating: false, battery_pct: 87 }, 16);
    expect(event.id).toBe(`telemetry:thm-00412:1715681700250:${hash}`);
    expect(event.version).toBe(makeVersion(1715681700250, `tel:thm-00412:${hash}`));
    expect(body(event).entityId).toBeNull();
    expect(body(event).seq).toBeNull();
  });

  test('a gateway batch yields one event per reading, with its index; offsets are honoured', () => {
    const events = okEvents(
      telemetry.decode(raw('telemetry', fixtureBytes('telemetry', 'gateway-batch.json'), RECEIVED)),
    );
    expect(events.map((e) => [body(e).deviceId, body(e).seq, e.position.index])).toEqual([
      ['gw-0091', '900001', 0],
      ['gw-0091', '900002', 1],
      ['cam-0417', null, 2],
    ]);
    expect(body(events[1]).indicators).toEqual({ cpu_pct: 97.25, mem_pct: 88, status: 'RED' });
    expect(body(events[2]).timestampMs).toBe(Date.parse('2024-05-14T08:16:00.500Z'));
    expect(body(events[2]).extra).toEqual({ site: 'warehouse-2' });
  });
});

describe('telemetry decoder: validation', () => {
  const good = { deviceId: 'd1', timestamp: '2024-05-14T10:00:00Z', indicators: { t: 1 } };
  const decodeJson = (text: string) => telemetry.decode(raw('telemetry', text, RECEIVED));

  test.each([
    ['deviceId missing', { ...good, deviceId: undefined }, { reason: 'MISSING_FIELD', path: 'deviceId' }],
    ['deviceId a number', { ...good, deviceId: 7 }, { reason: 'WRONG_TYPE', path: 'deviceId' }],
    ['timestamp missing', { ...good, timestamp: undefined }, { reason: 'MISSING_FIELD', path: 'timestamp' }],
    ['timestamp not ISO-8601', { ...good, timestamp: 'yesterday' }, { reason: 'INVALID_VALUE', path: 'timestamp' }],
    [
      'timestamp with month 13',
      { ...good, timestamp: '2024-13-01T00:00:00Z' },
      { reason: 'INVALID_VALUE', path: 'timestamp' },
    ],
    [
      'timestamp Feb 30',
      { ...good, timestamp: '2024-02-30T00:00:00Z' },
      { reason: 'INVALID_VALUE', path: 'timestamp' },
    ],
    ['indicators missing', { ...good, indicators: undefined }, { reason: 'MISSING_FIELD', path: 'indicators' }],
    ['indicators empty', { ...good, indicators: {} }, { reason: 'EMPTY', path: 'indicators' }],
    ['indicators an array', { ...good, indicators: [1] }, { reason: 'WRONG_TYPE', path: 'indicators' }],
    ['indicator null', { ...good, indicators: { t: null } }, { reason: 'WRONG_TYPE', path: 'indicators.t' }],
    ['indicator nested', { ...good, indicators: { t: { v: 1 } } }, { reason: 'WRONG_TYPE', path: 'indicators.t' }],
    [
      'indicator with an empty name',
      { ...good, indicators: { '': 1 } },
      { reason: 'INVALID_VALUE', path: 'indicators[""]' },
    ],
    ['seq negative', { ...good, seq: -1 }, { reason: 'INVALID_VALUE', path: 'seq' }],
    ['seq not decimal', { ...good, seq: '0x10' }, { reason: 'INVALID_VALUE', path: 'seq' }],
    ['readings not an array', { readings: {} }, { reason: 'WRONG_TYPE', path: 'readings' }],
    ['readings empty', { readings: [] }, { reason: 'EMPTY', path: 'readings' }],
  ])('%s', (_name, reading, expected) => {
    const outcomes = decodeJson(JSON.stringify(reading));
    expect(outcomes).toHaveLength(1);
    expect(failureOf(outcomes[0])).toEqual(expected);
  });

  test('NaN cannot be spelled in JSON and an overflowing number is not a reading', () => {
    expect(failureOf(decodeJson('{"deviceId":"d1","timestamp":0,"indicators":{"t":NaN}}')[0]).reason).toBe(
      'INVALID_JSON',
    );
    expect(failureOf(decodeJson('{"deviceId":"d1","timestamp":0,"indicators":{"t":1e999}}')[0])).toEqual({
      reason: 'INVALID_VALUE',
      path: 'indicators.t',
    });
    expect(failureOf(decodeJson('{"deviceId":"d1","timestamp":0,"indicators":{"t":-1e999}}')[0])).toEqual({
      reason: 'INVALID_VALUE',
      path: 'indicators.t',
    });
  });
});
