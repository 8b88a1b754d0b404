/**
 * Device telemetry JSON: one reading
 * `{deviceId, entityId?, timestamp, indicators: {name: number|string|boolean}, seq?, ...extra}`
 * or a batch `{readings: [reading, …]}` where each reading decodes (or fails) on its own.
 *
 * `timestamp` is required: without it a redelivered reading could not get the same id
 * or version. `indicators` must be a non-empty object of scalars; numbers must be finite
 * (JSON cannot spell NaN, and `1e999` overflowing to Infinity is rejected by the parser).
 *
 * Id `telemetry:<deviceId>:<seq or timestamp>:<hash of indicators>` — the indicator hash
 * keeps two different readings that share a timestamp apart, while a redelivery dedupes.
 */
import type { JsonObject, JsonValue } from '../../graph-schema';
import { makeVersion } from '../../graph-schema';
import { DecodeError } from '../errors';
import type { HubEvent, RawMessage, TelemetryEvent } from '../hub-event';
import { canonicalHash } from './canonical-json';
import type { DecodeOutcome, Decoder, DecoderLimits } from './decoder';
import { checkNotInFuture, parseEventTime } from './event-time';
import { FieldReader, requireObject, typeName } from './field-reader';
import { joinPath, parseJsonBytes } from './safe-json';

const CONSUMED: ReadonlySet<string> = new Set(['deviceId', 'entityId', 'timestamp', 'indicators', 'seq']);

export function createTelemetryDecoder(limits: DecoderLimits): Decoder {
  const jsonLimits = { maxBytes: limits.maxMessageBytes.telemetry, maxDepth: limits.maxDepth };

  return {
    source: 'telemetry',
    decode(raw: RawMessage): DecodeOutcome[] {
      let top: JsonObject;
      try {
        if (raw.value === null) throw new DecodeError('EMPTY', 'telemetry message has no body (null value)');
        top = requireObject(parseJsonBytes(raw.value, jsonLimits), null);
        if (!Object.hasOwn(top, 'readings')) return [{ ok: true, event: decodeReading(top, null, raw, undefined) }];
        const readings = top['readings'];
        if (!Array.isArray(readings)) {
          throw new DecodeError('WRONG_TYPE', `readings must be an array, got ${typeName(readings)}`, 'readings');
        }
        if (readings.length === 0) throw new DecodeError('EMPTY', 'readings holds no reading', 'readings');
        return readings.map((item, index) => decodeItem(item, index, raw));
      } catch (error) {
        return [failure(error)];
      }
    },
  };

  function decodeItem(item: JsonValue, index: number, raw: RawMessage): DecodeOutcome {
    const path = joinPath('readings', index);
    try {
      return { ok: true, event: decodeReading(requireObject(item, path, 'reading'), path, raw, index) };
    } catch (error) {
      return failure(error, index);
    }
  }

  function decodeReading(obj: JsonObject, base: string | null, raw: RawMessage, index: number | undefined): HubEvent {
    const f = new FieldReader(obj, base);
    const deviceId = f.requiredString('deviceId');
    const entityId = f.id('entityId');
    const timestampMs = parseEventTime(f.raw('timestamp'), f.path('timestamp'));
    if (timestampMs === null) throw new DecodeError('MISSING_FIELD', 'timestamp is required', f.path('timestamp'));
    checkNotInFuture(timestampMs, raw.receivedAtMs, limits.maxClockSkewMs, f.path('timestamp'));
    const seq = f.counter('seq');
    const indicators = readIndicators(f);
    const hash = canonicalHash(indicators, 16);

    const extra: JsonObject = {};
    for (const key of Object.keys(obj)) if (!CONSUMED.has(key)) extra[key] = obj[key];
    const body: TelemetryEvent = { source: 'telemetry', deviceId, entityId, indicators, timestampMs, seq, extra };
    return {
      id: `telemetry:${deviceId}:${seq ?? timestampMs}:${hash}`,
      version: makeVersion(timestampMs, `tel:${deviceId}:${seq ?? hash}`),
      body,
      position: index === undefined ? raw.position : { ...raw.position, index },
      receivedAtMs: raw.receivedAtMs,
      original: { value: raw.value, key: raw.key ?? null },
    };
  }
}

function readIndicators(f: FieldReader): Record<string, number | string | boolean> {
  const obj = f.object('indicators');
  if (obj === null) throw new DecodeError('MISSING_FIELD', 'indicators is required', f.path('indicators'));
  const names = Object.keys(obj);
  if (names.length === 0) throw new DecodeError('EMPTY', 'indicators holds no indicator', f.path('indicators'));
  const out: Record<string, number | string | boolean> = {};
  for (const name of names) {
    const at = joinPath(f.path('indicators'), name);
    if (name === '') throw new DecodeError('INVALID_VALUE', 'indicator name is empty', at);
    const v = obj[name];
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new DecodeError('INVALID_VALUE', 'indicator is not a finite number', at);
    } else if (typeof v !== 'string' && typeof v !== 'boolean') {
      throw new DecodeError('WRONG_TYPE', `indicator must be a number, string or boolean, got ${typeName(v)}`, at);
    }
    out[name] = v;
  }
  return out;
}

function failure(error: unknown, index?: number): DecodeOutcome {
  if (!(error instanceof DecodeError)) throw error;
  return index === undefined ? { ok: false, error } : { ok: false, error, index };
}
