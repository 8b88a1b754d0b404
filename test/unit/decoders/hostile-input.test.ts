import { ConfigError } from '../../../graph-schema';
import { createDecoders, parseJsonBytes, parseJsonText, resolveDecoderLimits } from '../../../ingest/decoders';
import { DecodeError } from '../../../ingest/errors';
import type { SourceKind } from '../../../ingest/hub-event';
import { failureOf, raw } from './decoder-fixtures';

const decoders = createDecoders();
const RECEIVED = Date.parse('2024-05-14T10:00:00Z');

const track = { type: 'track', userId: 'u1', event: 'Clicked', messageId: 'm1', timestamp: '2024-05-14T09:59:59Z' };
const reading = { deviceId: 'd1', timestamp: '2024-05-14T09:59:59Z', indicators: { t: 1 } };
const change = {
  op: 'c',
  after: { id: 'C1' },
  source: { ts_ms: RECEIVED - 1000, db: 'c360', schema: 'crm', table: 'customers', lsn: 9 },
};

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const withBytes = (before: string, bytes: number[], after: string) =>
  Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]);

type Case = [name: string, source: SourceKind, value: Buffer | string | null, reason: string, path: string | null];

const cases: Case[] = [
  ['empty body', 'segment', '', 'EMPTY', null],
  ['whitespace only', 'telemetry', ' \n\t ', 'EMPTY', null],
  ['null value for Segment', 'segment', null, 'EMPTY', null],
  ['truncated JSON', 'segment', '{"type":"track"', 'INVALID_JSON', null],
  ['trailing garbage', 'telemetry', `${JSON.stringify(reading)}x`, 'INVALID_JSON', null],
  ['single quotes', 'cdc', "{'op':'c'}", 'INVALID_JSON', null],
  ['top level array', 'segment', '[]', 'NOT_AN_OBJECT', null],
  ['top level string', 'cdc', '"c"', 'NOT_AN_OBJECT', null],
  ['top level null', 'telemetry', 'null', 'NOT_AN_OBJECT', null],
  ['invalid UTF-8 byte', 'segment', withBytes('{"type":"track","event":"', [0xff], '"}'), 'INVALID_UTF8', null],
  ['overlong UTF-8 encoding', 'telemetry', withBytes('{"deviceId":"', [0xc0, 0xaf], '"}'), 'INVALID_UTF8', null],
  ['UTF-8-encoded surrogate', 'cdc', withBytes('{"op":"', [0xed, 0xa0, 0x80], '"}'), 'INVALID_UTF8', null],
  [
    'lone surrogate escape in a value',
    'segment',
    JSON.stringify(track).replace('"Clicked"', '"\\ud800x"'),
    'INVALID_VALUE',
    'event',
  ],
  [
    'lone low surrogate in a key',
    'telemetry',
    JSON.stringify({ ...reading, indicators: { t: 1 } }).replace('"t"', '"\\udc00"'),
    'INVALID_VALUE',
    'indicators["\\udc00"]',
  ],
  [
    '__proto__ key',
    'segment',
    JSON.stringify(track).replace('{', '{"__proto__":{"admin":true},'),
    'FORBIDDEN_KEY',
    '__proto__',
  ],
  [
    'nested constructor key',
    'segment',
    JSON.stringify({ ...track, properties: { a: { constructor: { prototype: 1 } } } }),
    'FORBIDDEN_KEY',
    'properties.a.constructor',
  ],
  [
    'prototype key in CDC row',
    'cdc',
    JSON.stringify({ ...change, after: { prototype: 'x' } }),
    'FORBIDDEN_KEY',
    'after.prototype',
  ],
  ['deep nesting', 'segment', `{"type":"track","properties":{"a":${nested(40)}}}`, 'TOO_DEEP', null],
  ['deep nesting in a telemetry batch', 'telemetry', `{"readings":${nested(100000)}}`, 'TOO_DEEP', null],
  [
    'number overflowing a double',
    'segment',
    JSON.stringify(track).replace('"Clicked"', '"Clicked","revenue":1e400'),
    'INVALID_VALUE',
    'revenue',
  ],
  [
    'Segment event over 32 KiB',
    'segment',
    JSON.stringify({ ...track, properties: { blob: 'x'.repeat(33 * 1024) } }),
    'TOO_LARGE',
    null,
  ],
  [
    'Segment message over 500 KiB',
    'segment',
    JSON.stringify({ batch: [track], pad: 'x'.repeat(501 * 1024) }),
    'TOO_LARGE',
    null,
  ],
  [
    'telemetry message over 1 MiB',
    'telemetry',
    JSON.stringify({ ...reading, pad: 'x'.repeat(1024 * 1024) }),
    'TOO_LARGE',
    null,
  ],
  ['Segment type missing', 'segment', JSON.stringify({ ...track, type: undefined }), 'MISSING_FIELD', 'type'],
  ['Segment type unknown', 'segment', JSON.stringify({ ...track, type: 'purchase' }), 'UNKNOWN_TYPE', 'type'],
  ['Segment type wrong type', 'segment', JSON.stringify({ ...track, type: ['track'] }), 'WRONG_TYPE', 'type'],
  [
    'track without identities',
    'segment',
    JSON.stringify({ ...track, userId: null, anonymousId: '' }),
    'MISSING_FIELD',
    'userId',
  ],
  ['track with an empty event', 'segment', JSON.stringify({ ...track, event: '' }), 'INVALID_VALUE', 'event'],
  ['userId an object', 'segment', JSON.stringify({ ...track, userId: { id: 1 } }), 'WRONG_TYPE', 'userId'],
  ['userId a fraction', 'segment', JSON.stringify({ ...track, userId: 1.5 }), 'INVALID_VALUE', 'userId'],
  ['messageId a number', 'segment', JSON.stringify({ ...track, messageId: 7 }), 'WRONG_TYPE', 'messageId'],
  ['properties an array', 'segment', JSON.stringify({ ...track, properties: [1, 2] }), 'WRONG_TYPE', 'properties'],
  ['context a string', 'segment', JSON.stringify({ ...track, context: 'web' }), 'WRONG_TYPE', 'context'],
  ['alias without previousId', 'segment', JSON.stringify({ ...track, type: 'alias' }), 'MISSING_FIELD', 'previousId'],
  [
    'alias without userId',
    'segment',
    JSON.stringify({ type: 'alias', previousId: 'a1', anonymousId: 'a1' }),
    'MISSING_FIELD',
    'userId',
  ],
  ['group without groupId', 'segment', JSON.stringify({ ...track, type: 'group' }), 'MISSING_FIELD', 'groupId'],
  ['timestamp as a boolean', 'segment', JSON.stringify({ ...track, timestamp: true }), 'WRONG_TYPE', 'timestamp'],
  [
    'timestamp in prose',
    'segment',
    JSON.stringify({ ...track, timestamp: 'May 14, 2024' }),
    'INVALID_VALUE',
    'timestamp',
  ],
  [
    'timestamp with a one-digit month',
    'segment',
    JSON.stringify({ ...track, timestamp: '2015-2-02T00:30:08.276Z' }),
    'INVALID_VALUE',
    'timestamp',
  ],
  [
    'timestamp of year 10000 in ms',
    'segment',
    JSON.stringify({ ...track, timestamp: 253402300800000 }),
    'INVALID_VALUE',
    'timestamp',
  ],
  ['sentAt unparseable', 'segment', JSON.stringify({ ...track, sentAt: 'now' }), 'INVALID_VALUE', 'sentAt'],
  ['batch not an array', 'segment', JSON.stringify({ batch: { 0: track } }), 'WRONG_TYPE', 'batch'],
  ['batch empty', 'segment', JSON.stringify({ batch: [] }), 'EMPTY', 'batch'],
  ['batch envelope sentAt bad', 'segment', JSON.stringify({ batch: [track], sentAt: 5e20 }), 'INVALID_VALUE', 'sentAt'],
  ['CDC op a number', 'cdc', JSON.stringify({ ...change, op: 1 }), 'WRONG_TYPE', 'op'],
  [
    'CDC schema wrapper with bad schema',
    'cdc',
    JSON.stringify({ schema: 'x', payload: change }),
    'WRONG_TYPE',
    'schema',
  ],
  [
    'telemetry indicator Infinity',
    'telemetry',
    '{"deviceId":"d","timestamp":0,"indicators":{"x":1e309}}',
    'INVALID_VALUE',
    'indicators.x',
  ],
];

describe('hostile input → precise DecodeError codes and paths', () => {
  test.each(cases)('%s', (_name, source, value, reason, path) => {
    const outcomes = decoders[source].decode(raw(source, value, RECEIVED));
    expect(outcomes).toHaveLength(1);
    expect(failureOf(outcomes[0])).toEqual({ reason, path });
    if (!outcomes[0].ok) {
      expect(outcomes[0].error).toBeInstanceOf(DecodeError);
      expect(outcomes[0].error.retriable).toBe(false);
      expect(outcomes[0].error.code).toBe(reason);
    }
  });

  test('a parse failure reports the character position', () => {
    const outcome = decoders.segment.decode(raw('segment', '{"type":"track",}', RECEIVED))[0];
    expect(!outcome.ok && outcome.error.message).toMatch(/at character 16/);
    const truncated = decoders.segment.decode(raw('segment', '{"type":', RECEIVED))[0];
    expect(!truncated.ok && truncated.error.message).toMatch(/at character 8/);
  });

  test('an invalid UTF-8 failure reports the byte offset', () => {
    const outcome = decoders.telemetry.decode(raw('telemetry', withBytes('{"a":"é', [0xe2, 0x28], '"}'), RECEIVED))[0];
    expect(!outcome.ok && outcome.error.message).toMatch(/at byte 8/);
  });

  test('__proto__ never reaches a prototype, even when JSON.parse would have kept it as an own key', () => {
    const hostile = '{"type":"track","userId":"u","event":"e","properties":{"__proto__":{"polluted":true}}}';
    const outcome = decoders.segment.decode(raw('segment', hostile, RECEIVED))[0];
    expect(failureOf(outcome)).toEqual({ reason: 'FORBIDDEN_KEY', path: 'properties.__proto__' });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  test('good events around bad ones in a batch still decode', () => {
    const batch = {
      batch: [
        track,
        { ...track, messageId: 'm2', properties: { price: 'x'.repeat(33 * 1024) } },
        { ...track, messageId: 'm3', timestamp: 'garbage' },
        { ...track, messageId: 'm4', userId: null },
        { ...track, messageId: 'm5' },
      ],
    };
    const outcomes = decoders.segment.decode(raw('segment', JSON.stringify(batch), RECEIVED));
    expect(outcomes.map((o) => (o.ok ? o.event.id : failureOf(o)))).toEqual([
      'segment:m1',
      { reason: 'TOO_LARGE', path: 'batch[1]', index: 1 },
      { reason: 'INVALID_VALUE', path: 'batch[2].timestamp', index: 2 },
      { reason: 'MISSING_FIELD', path: 'batch[3].userId', index: 3 },
      'segment:m5',
    ]);
  });

  test('a telemetry batch with a NaN-ish reading among good ones', () => {
    const text = `{"readings":[${JSON.stringify(reading)},{"deviceId":"d2","timestamp":0,"indicators":{"t":"NaN","u":[]}},${JSON.stringify({ ...reading, deviceId: 'd3' })}]}`;
    const outcomes = decoders.telemetry.decode(raw('telemetry', text, RECEIVED));
    expect(outcomes.map((o) => (o.ok ? (o.event.body as { deviceId: string }).deviceId : failureOf(o)))).toEqual([
      'd1',
      { reason: 'WRONG_TYPE', path: 'readings[1].indicators.u', index: 1 },
      'd3',
    ]);
  });
});

describe('decoder limits', () => {
  test('limits are options; byte limits are checked before parsing', () => {
    const small = createDecoders({ maxMessageBytes: { telemetry: 64 }, maxDepth: 2 });
    const big = JSON.stringify({ ...reading, model: 'x'.repeat(64) });
    expect(failureOf(small.telemetry.decode(raw('telemetry', big, RECEIVED))[0])).toEqual({
      reason: 'TOO_LARGE',
      path: null,
    });
    // Invalid JSON that is too large is reported as too large: the parser never saw it.
    expect(failureOf(small.telemetry.decode(raw('telemetry', `{${'x'.repeat(100)}`, RECEIVED))[0]).reason).toBe(
      'TOO_LARGE',
    );
    const deep = '{"deviceId":"d","timestamp":0,"indicators":{"t":1},"x":{"y":{}}}';
    expect(failureOf(small.telemetry.decode(raw('telemetry', deep, RECEIVED))[0]).reason).toBe('TOO_DEEP');
  });

  test('bad limit values fail fast with the setting name', () => {
    expect(() => resolveDecoderLimits({ maxDepth: 0 })).toThrow(ConfigError);
    expect(() => resolveDecoderLimits({ maxMessageBytes: { cdc: -1 } })).toThrow(/decoders\.maxMessageBytes\.cdc/);
    expect(() => createDecoders({ maxClockSkewMs: Number.NaN })).toThrow(/decoders\.maxClockSkewMs/);
    expect(resolveDecoderLimits()).toEqual({
      maxEventBytes: 32768,
      maxMessageBytes: { segment: 512000, cdc: 1048576, telemetry: 1048576 },
      maxDepth: 32,
      maxClockSkewMs: 86_400_000,
    });
  });

  test('the parser accepts exactly maxDepth levels', () => {
    expect(parseJsonBytes(Buffer.from(nested(32)), { maxBytes: 1000, maxDepth: 32 })).toBeDefined();
    expect(() => parseJsonBytes(Buffer.from(nested(33)), { maxBytes: 1000, maxDepth: 32 })).toThrow(DecodeError);
    // Brackets inside strings, and escaped quotes, are not nesting.
    expect(parseJsonBytes(Buffer.from('{"a":"[[[[\\"[[["}'), { maxBytes: 1000, maxDepth: 1 })).toEqual({
      a: '[[[["[[[',
    });
  });

  test('surrogates: pairs pass raw or escaped, a lone half is refused raw, escaped, or in a key', () => {
    const limits = { maxBytes: 1000, maxDepth: 8 };
    expect(parseJsonBytes(Buffer.from('{"a":"tv 📺 ok"}'), limits)).toEqual({ a: 'tv 📺 ok' });
    expect(parseJsonBytes(Buffer.from('{"a":"\\uD83D\\uDCFA"}'), limits)).toEqual({ a: '📺' });
    const refused = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof DecodeError ? [e.code, e.path] : e;
      }
      return 'accepted';
    };
    expect(refused(() => parseJsonBytes(Buffer.from('{"a":["x","\\uDC00"]}'), limits))).toEqual([
      'INVALID_VALUE',
      'a[1]',
    ]);
    expect(refused(() => parseJsonBytes(Buffer.from('{"b":{"\\ud800":1}}'), limits))).toEqual([
      'INVALID_VALUE',
      'b["\\ud800"]',
    ]);
    // Text that did not come from UTF-8 bytes (a Debezium Json column) can hold a raw lone half.
    expect(refused(() => parseJsonText(`{"c":"x\ud800"}`, 8))).toEqual(['INVALID_VALUE', 'c']);
  });

  test('too deep names where, and keeps the message as its path', () => {
    try {
      parseJsonBytes(Buffer.from('{"a":{"b":[[1]]}}'), { maxBytes: 1000, maxDepth: 3 });
      throw new Error('accepted');
    } catch (e) {
      expect(e).toBeInstanceOf(DecodeError);
      expect((e as DecodeError).code).toBe('TOO_DEEP');
      expect((e as DecodeError).path).toBeNull();
      expect((e as DecodeError).message).toMatch(/deeper than 3 levels at a\.b\[0\]/);
    }
  });
});
