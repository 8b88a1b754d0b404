import fc from 'fast-check';
import type { JsonObject, JsonValue } from '../../../graph-schema';
import { makeCdcVersion, makeVersion } from '../../../graph-schema';
import { createDecoders, type DecodeOutcome } from '../../../ingest/decoders';
import { DecodeError } from '../../../ingest/errors';
import type { CdcEvent, SegmentEvent, SourceKind, TelemetryEvent } from '../../../ingest/hub-event';
import { onlyEvent, raw } from './decoder-fixtures';

const decoders = createDecoders();
const SOURCES: SourceKind[] = ['segment', 'cdc', 'telemetry'];
const RECEIVED = Date.parse('2024-05-14T10:00:00Z');
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

function hasForbiddenKey(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(hasForbiddenKey);
  if (v !== null && typeof v === 'object') {
    return Object.keys(v).some((k) => FORBIDDEN.has(k) || hasForbiddenKey((v as Record<string, unknown>)[k]));
  }
  return false;
}
/** JSON.stringify escapes lone surrogates as \udXXX; such values are rejected on purpose. */
const wellFormed = (v: unknown) => !/\\ud[89a-f]/i.test(JSON.stringify(v));
const wire = <T>(v: T): T => JSON.parse(JSON.stringify(v));
/** fast-check's JSON type admits `undefined` members; what it generates is plain JSON. */
const jsonArb = (maxDepth: number) => fc.jsonValue({ maxDepth }).map((v) => v as unknown as JsonValue);

/** Every outcome is a decoded event or a DecodeError, and there is at least one. */
function expectWellFormed(outcomes: DecodeOutcome[]): void {
  expect(outcomes.length).toBeGreaterThan(0);
  for (const o of outcomes) {
    if (o.ok) expect(typeof o.event.id).toBe('string');
    else expect(o.error).toBeInstanceOf(DecodeError);
  }
}

describe('decode never throws', () => {
  test('for arbitrary bytes, as value and as Kafka key', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SOURCES),
        fc.uint8Array({ maxLength: 512 }),
        fc.option(fc.uint8Array({ maxLength: 64 })),
        (source, value, key) => {
          expectWellFormed(
            decoders[source].decode({
              ...raw(source, Buffer.from(value), RECEIVED),
              key: key ? Buffer.from(key) : null,
            }),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  test('for arbitrary JSON, including lone surrogates and hostile keys', () => {
    const hostileKey = fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'batch',
      'readings',
      'payload',
      'schema',
    );
    const json = jsonArb(6);
    const obj = fc.dictionary(fc.oneof(hostileKey, fc.string({ unit: 'binary', maxLength: 8 })), json, { maxKeys: 6 });
    fc.assert(
      fc.property(fc.constantFrom(...SOURCES), fc.oneof(json, obj), (source, value) => {
        expectWellFormed(decoders[source].decode(raw(source, JSON.stringify(value) ?? 'null', RECEIVED)));
      }),
      { numRuns: 500 },
    );
  });

  test('for valid events with one known field replaced by arbitrary JSON', () => {
    const templates: Record<SourceKind, JsonObject> = {
      segment: {
        type: 'track',
        userId: 'u',
        anonymousId: 'a',
        event: 'e',
        messageId: 'm',
        groupId: 'g',
        previousId: 'p',
        properties: {},
        context: {},
        timestamp: '2024-05-14T09:00:00Z',
        sentAt: '2024-05-14T09:00:01Z',
      },
      cdc: {
        op: 'c',
        before: null,
        after: { id: 'C1' },
        source: { ts_ms: 1, db: 'd', schema: 's', table: 't', lsn: 1, txId: 1, snapshot: 'false' },
      },
      telemetry: { deviceId: 'd', entityId: 'c', timestamp: 1, seq: 1, indicators: { t: 1 } },
    };
    const nestedFields = ['op', 'source', 'ts_ms', 'lsn', 'table', 'snapshot', 'sequence'];
    fc.assert(
      fc.property(
        fc.constantFrom(...SOURCES),
        fc.constantFrom(
          ...Object.keys(templates.segment),
          ...Object.keys(templates.telemetry),
          ...nestedFields,
          'batch',
          'readings',
        ),
        jsonArb(4),
        fc.boolean(),
        (source, field, value, wrapped) => {
          const event: JsonObject = structuredClone(templates[source]);
          const src = event['source'];
          if (source === 'cdc' && typeof src === 'object' && src !== null && !Array.isArray(src) && field in src) {
            src[field] = value;
          } else event[field] = value;
          const message = source === 'cdc' && wrapped ? { schema: null, payload: event } : event;
          expectWellFormed(decoders[source].decode(raw(source, JSON.stringify(message), RECEIVED)));
        },
      ),
      { numRuns: 500 },
    );
  });
});

const text = (maxLength = 24) => fc.string({ unit: 'grapheme', minLength: 1, maxLength });
const name = text(16).filter((k) => !FORBIDDEN.has(k));
const jsonProps = fc.dictionary(name, jsonArb(4), { maxKeys: 5 }).filter((p) => !hasForbiddenKey(p) && wellFormed(p));

describe('decode(encode(e)) round-trips generated valid events', () => {
  test('Segment: every type, with and without sentAt, inside or outside a batch', () => {
    const arb = fc.record({
      type: fc.constantFrom('identify', 'track', 'page', 'screen', 'group', 'alias'),
      messageId: text().filter(wellFormed),
      userId: text().filter(wellFormed),
      anonymousId: fc.option(text().filter(wellFormed), { nil: null }),
      previousId: text().filter(wellFormed),
      groupId: text().filter(wellFormed),
      name: text().filter(wellFormed),
      properties: jsonProps,
      traits: jsonProps,
      context: jsonProps,
      timestampMs: fc.integer({ min: 0, max: RECEIVED }),
      sendDelayMs: fc.option(fc.integer({ min: 0, max: 10 ** 9 }), { nil: null }),
      skewMs: fc.integer({ min: -(10 ** 9), max: 10 ** 9 }),
      inBatch: fc.boolean(),
    });
    fc.assert(
      fc.property(arb, (e) => {
        const clientTime = e.timestampMs + e.skewMs;
        fc.pre(clientTime >= 0);
        const wireEvent: JsonObject = {
          type: e.type,
          messageId: e.messageId,
          userId: e.userId,
          anonymousId: e.anonymousId,
          properties: e.properties,
          traits: e.traits,
          context: e.context,
          timestamp: new Date(clientTime).toISOString(),
        };
        if (e.type === 'track') wireEvent['event'] = e.name;
        if (e.type === 'page' || e.type === 'screen') wireEvent['name'] = e.name;
        if (e.type === 'group') wireEvent['groupId'] = e.groupId;
        if (e.type === 'alias') wireEvent['previousId'] = e.previousId;
        // With sentAt the hub recovers the true time from its own clock; without, it trusts the client.
        if (e.sendDelayMs !== null) wireEvent['sentAt'] = new Date(clientTime + e.sendDelayMs).toISOString();
        const receivedAt = e.sendDelayMs === null ? RECEIVED : e.timestampMs + e.sendDelayMs;
        const expectedTime = e.sendDelayMs === null ? clientTime : e.timestampMs;
        fc.pre(expectedTime <= receivedAt + 86_400_000);
        const message = e.inBatch ? { batch: [wireEvent] } : wireEvent;
        const event = onlyEvent(decoders.segment.decode(raw('segment', JSON.stringify(message), receivedAt)));
        const expected: SegmentEvent = {
          source: 'segment',
          type: e.type,
          messageId: e.messageId,
          userId: e.userId,
          anonymousId: e.anonymousId,
          previousId: e.type === 'alias' ? e.previousId : null,
          groupId: e.type === 'group' ? e.groupId : null,
          name: ['track', 'page', 'screen'].includes(e.type) ? e.name : null,
          properties: wire(e.properties),
          traits: wire(e.traits),
          context: wire(e.context),
          timestampMs: expectedTime,
          extra: {},
        };
        expect(event.body).toEqual(expected);
        expect(event.id).toBe(`segment:${e.messageId}`);
        expect(event.version).toBe(makeVersion(expectedTime, `seg:${e.messageId}`));
        expect(event.position.index).toBe(e.inBatch ? 0 : undefined);
      }),
      { numRuns: 300 },
    );
  });

  test('telemetry readings', () => {
    const indicator = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      text().filter(wellFormed),
      fc.boolean(),
    );
    const arb = fc.record({
      deviceId: text().filter(wellFormed),
      entityId: fc.option(text().filter(wellFormed), { nil: null }),
      timestampMs: fc.integer({ min: 0, max: RECEIVED }),
      seq: fc.option(fc.nat(), { nil: null }),
      indicators: fc.dictionary(name.filter(wellFormed), indicator, { minKeys: 1, maxKeys: 6 }),
    });
    fc.assert(
      fc.property(arb, (r) => {
        const reading = { ...r, timestamp: r.timestampMs, timestampMs: undefined };
        const event = onlyEvent(decoders.telemetry.decode(raw('telemetry', JSON.stringify(reading), RECEIVED)));
        const expected: TelemetryEvent = {
          source: 'telemetry',
          deviceId: r.deviceId,
          entityId: r.entityId,
          indicators: wire(r.indicators),
          timestampMs: r.timestampMs,
          seq: r.seq === null ? null : String(r.seq),
          extra: {},
        };
        expect(event.body).toEqual(expected);
        expect(event.id.startsWith(`telemetry:${r.deviceId}:${r.seq ?? r.timestampMs}:`)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test('Debezium rows with Decimal and MicroTimestamp columns through the schema wrapper', () => {
    const arb = fc.record({
      id: text().filter(wellFormed),
      unscaled: fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
      scale: fc.integer({ min: 0, max: 12 }),
      micros: fc.integer({ min: -(10 ** 15), max: 10 ** 15 }),
      lsn: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      tsMs: fc.integer({ min: 0, max: RECEIVED }),
      op: fc.constantFrom('c', 'u', 'r'),
    });
    fc.assert(
      fc.property(arb, (r) => {
        const schema = {
          type: 'struct',
          fields: [
            {
              type: 'struct',
              field: 'after',
              optional: true,
              fields: [
                { type: 'string', field: 'id' },
                {
                  type: 'bytes',
                  field: 'amount',
                  name: 'org.apache.kafka.connect.data.Decimal',
                  parameters: { scale: String(r.scale) },
                },
                { type: 'int64', field: 'at', name: 'io.debezium.time.MicroTimestamp' },
              ],
            },
          ],
        };
        const payload = {
          op: r.op,
          before: null,
          after: { id: r.id, amount: encodeDecimal(r.unscaled), at: r.micros },
          source: { ts_ms: r.tsMs, db: 'db', schema: 'crm', table: 't', lsn: r.lsn, snapshot: 'false' },
        };
        const outcome = decoders.cdc.decode({
          ...raw('cdc', JSON.stringify({ schema, payload }), RECEIVED),
          key: Buffer.from(JSON.stringify({ id: r.id })),
        });
        const event = onlyEvent(outcome);
        const after = (event.body as CdcEvent).after ?? {};
        const at = after['at'] as string;
        expect(after['id']).toBe(r.id);
        expectExactDecimal(after['amount'], r.unscaled, r.scale);
        expect(Date.parse(at)).toBe(Math.floor(r.micros / 1000));
        expect(at.slice(23, 26)).toBe(String(((r.micros % 1000) + 1000) % 1000).padStart(3, '0'));
        expect(event.id).toBe(`cdc:db.crm.t:${r.lsn}:${JSON.stringify({ id: r.id })}`);
        expect(event.version).toBe(makeCdcVersion(r.tsMs, r.lsn));
      }),
      { numRuns: 300 },
    );
  });
});

/** Minimal two's-complement big-endian encoding, written independently of the decoder. */
function encodeDecimal(unscaled: bigint): string {
  const bytes: number[] = [];
  let v = unscaled;
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (!((v === 0n && (bytes[0] & 0x80) === 0) || (v === -1n && (bytes[0] & 0x80) !== 0)));
  return Buffer.from(bytes).toString('base64');
}

/** The decoded amount spells exactly unscaled × 10^-scale, whether it came out as a number or a string. */
function expectExactDecimal(value: JsonValue | undefined, unscaled: bigint, scale: number): void {
  const s = typeof value === 'number' ? String(value) : (value as string);
  expect(s).toMatch(/^-?\d+(\.\d+)?$/);
  const [whole, fraction = ''] = s.replace('-', '').split('.');
  const digits = BigInt(whole + fraction) * (s.startsWith('-') ? -1n : 1n);
  expect(digits * 10n ** BigInt(scale - fraction.length)).toBe(unscaled);
}
