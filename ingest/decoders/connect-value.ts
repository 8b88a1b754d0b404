/**
 * Kafka Connect / Debezium logical types, decoded with the schema that the JSON
 * converter sends next to the payload (`value.converter.schemas.enable=true`).
 * Without a schema nothing here runs and values pass through as sent — run such
 * connectors with `decimal.handling.mode=string`, or decimals arrive as base64 bytes
 * that no consumer can read without the scale.
 *
 * Representation decisions (what mappings receive):
 * - Decimal / VariableScaleDecimal → a JSON number when the double holds it exactly in
 *   its shortest form (`1234.50` → 1234.5), otherwise the exact decimal string
 *   (`"12345678901234567.89"`): no digit is ever lost silently.
 * - Timestamp (ms), MicroTimestamp (µs), NanoTimestamp (ns), Connect Timestamp → ISO-8601
 *   UTC strings keeping the source precision (`2018-06-20T15:13:16.945104Z`), the same
 *   shape ZonedTimestamp already has; PostgreSQL ±infinity → `"infinity"` / `"-infinity"`.
 * - Date (days since epoch) → `YYYY-MM-DD`.
 * - Uuid → the string, checked; Json → the parsed document (same hardening as the message).
 * - int64 values beyond 2^53 → rejected: JSON.parse already rounded them, and a rounded
 *   key would silently merge two rows.
 */
import type { JsonObject, JsonValue } from '../../graph-schema';
import { DecodeError } from '../errors';
import { isJsonObject, typeName } from './field-reader';
import { joinPath, parseJsonText } from './safe-json';

/** The parts of a Connect schema (as the JSON converter writes it) that decoding needs. */
export interface ConnectSchema {
  readonly type?: string;
  readonly name?: string;
  readonly field?: string;
  readonly optional?: boolean;
  readonly parameters?: Readonly<Record<string, string>>;
  readonly fields?: readonly ConnectSchema[];
  readonly items?: ConnectSchema;
  readonly values?: ConnectSchema;
}

export interface ConnectDecodeContext {
  readonly maxDepth: number;
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** PostgreSQL ±infinity timestamps arrive as ±9223372036825200000 (µs) — beyond any Date. */
const INFINITY_THRESHOLD = 9.2e18;
const MAX_DATE_MS = 8.64e15;

export function asConnectSchema(value: JsonValue | undefined): ConnectSchema | null {
  return isJsonObject(value) ? (value as ConnectSchema) : null;
}

/** The sub-schema of a struct field, by field name. */
export function fieldSchema(schema: ConnectSchema | null, name: string): ConnectSchema | null {
  if (!schema || !Array.isArray(schema.fields)) return null;
  return schema.fields.find((f) => isJsonObject(f as JsonValue) && f.field === name) ?? null;
}

export function decodeConnectValue(
  value: JsonValue,
  schema: ConnectSchema | null,
  path: string,
  ctx: ConnectDecodeContext,
): JsonValue {
  if (value === null || schema === null) return value;
  switch (schema.name) {
    case 'org.apache.kafka.connect.data.Decimal':
      return decodeDecimalBytes(value, decimalScale(schema, path), path);
    case 'io.debezium.data.VariableScaleDecimal':
      return decodeVariableScaleDecimal(value, path);
    case 'io.debezium.time.Timestamp':
    case 'org.apache.kafka.connect.data.Timestamp':
      return epochToIso(value, 1_000_000n, 3, path);
    case 'io.debezium.time.MicroTimestamp':
      return epochToIso(value, 1_000n, 6, path);
    case 'io.debezium.time.NanoTimestamp':
      return epochToIso(value, 1n, 9, path);
    case 'io.debezium.time.Date':
    case 'org.apache.kafka.connect.data.Date':
      return daysToDate(value, path);
    case 'io.debezium.data.Uuid':
      if (typeof value !== 'string' || !UUID.test(value)) {
        throw new DecodeError('INVALID_VALUE', 'io.debezium.data.Uuid value is not a UUID', path);
      }
      return value.toLowerCase();
    case 'io.debezium.data.Json':
      if (typeof value !== 'string') throw wrongType('io.debezium.data.Json', 'a string', value, path);
      return parseJsonText(value, ctx.maxDepth, path);
  }
  switch (schema.type) {
    case 'struct':
      return decodeStruct(value, schema, path, ctx);
    case 'array':
      if (!Array.isArray(value)) throw wrongType('array', 'an array', value, path);
      return value.map((v, i) => decodeConnectValue(v, schema.items ?? null, joinPath(path, i), ctx));
    case 'map':
      if (!isJsonObject(value)) return value; // maps with non-string keys arrive as arrays of pairs: keep as sent
      return mapValues(value, (v, k) => decodeConnectValue(v, schema.values ?? null, joinPath(path, k), ctx));
    case 'int8':
    case 'int16':
    case 'int32':
    case 'int64':
      if (typeof value !== 'number' || !Number.isInteger(value))
        throw wrongType(schema.type, 'an integer', value, path);
      if (!Number.isSafeInteger(value)) {
        throw new DecodeError('INVALID_VALUE', `${schema.type} value beyond 2^53 lost precision in JSON`, path);
      }
      return value;
    default:
      return value;
  }
}

function decodeStruct(value: JsonValue, schema: ConnectSchema, path: string, ctx: ConnectDecodeContext): JsonObject {
  if (!isJsonObject(value)) throw wrongType('struct', 'an object', value, path);
  const byName = new Map<string, ConnectSchema>();
  for (const f of schema.fields ?? [])
    if (isJsonObject(f as JsonValue) && typeof f.field === 'string') byName.set(f.field, f);
  // Columns the schema does not describe pass through unchanged (schema drift is not fatal).
  return mapValues(value, (v, k) => decodeConnectValue(v, byName.get(k) ?? null, joinPath(path, k), ctx));
}

function mapValues(obj: JsonObject, fn: (v: JsonValue, k: string) => JsonValue): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(obj)) out[key] = fn(obj[key], key);
  return out;
}

function decimalScale(schema: ConnectSchema, path: string): number {
  const raw = schema.parameters?.scale;
  const scale = typeof raw === 'string' || typeof raw === 'number' ? Number(raw) : Number.NaN;
  if (!Number.isInteger(scale) || Math.abs(scale) > 1000) {
    throw new DecodeError('INVALID_VALUE', 'Decimal schema has no valid "scale" parameter', path);
  }
  return scale;
}

function decodeVariableScaleDecimal(value: JsonValue, path: string): JsonValue {
  if (!isJsonObject(value)) throw wrongType('io.debezium.data.VariableScaleDecimal', 'an object', value, path);
  const scale = value['scale'];
  if (typeof scale !== 'number' || !Number.isInteger(scale) || Math.abs(scale) > 1000) {
    throw new DecodeError('INVALID_VALUE', 'VariableScaleDecimal scale must be an integer', joinPath(path, 'scale'));
  }
  return decodeDecimalBytes(value['value'], scale, joinPath(path, 'value'));
}

/** Connect's Decimal: base64 of the big-endian two's-complement unscaled integer. */
export function decodeDecimalBytes(value: JsonValue | undefined, scale: number, path: string): number | string {
  if (typeof value !== 'string') throw wrongType('Decimal', 'a base64 string', value ?? null, path);
  if (value === '' || !BASE64.test(value)) throw new DecodeError('INVALID_VALUE', 'Decimal bytes are not base64', path);
  const bytes = Buffer.from(value, 'base64');
  let unscaled = BigInt(`0x${bytes.toString('hex')}`);
  if (bytes[0] & 0x80) unscaled -= 1n << BigInt(bytes.length * 8);
  return decimalToJson(unscaled, scale);
}

/** A number when its shortest double form spells exactly the same decimal, else the exact decimal string. */
export function decimalToJson(unscaled: bigint, scale: number): number | string {
  const text = decimalString(unscaled, scale);
  const n = Number(text);
  return String(n) === text ? n : text;
}

/** Canonical decimal text: no exponent, no trailing fractional zeros, no `-0`. */
export function decimalString(unscaled: bigint, scale: number): string {
  if (scale <= 0) return (unscaled * 10n ** BigInt(-scale)).toString();
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale).replace(/0+$/, '');
  const text = fraction ? `${whole}.${fraction}` : whole;
  return negative && text !== '0' ? `-${text}` : text;
}

function epochToIso(value: JsonValue, nanosPerUnit: bigint, digits: number, path: string): string {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw wrongType('timestamp', 'an integer', value, path);
  if (value >= INFINITY_THRESHOLD) return 'infinity';
  if (value <= -INFINITY_THRESHOLD) return '-infinity';
  if (!Number.isSafeInteger(value))
    throw new DecodeError('INVALID_VALUE', 'timestamp beyond 2^53 lost precision', path);
  const nanos = BigInt(value) * nanosPerUnit;
  let ms = nanos / 1_000_000n;
  let sub = nanos % 1_000_000n;
  if (sub < 0n) {
    ms -= 1n;
    sub += 1_000_000n;
  }
  if (ms > BigInt(MAX_DATE_MS) || ms < -BigInt(MAX_DATE_MS)) {
    throw new DecodeError('INVALID_VALUE', 'timestamp outside the representable range', path);
  }
  const iso = new Date(Number(ms)).toISOString(); // …ss.mmmZ
  if (digits === 3) return iso;
  const extra = sub
    .toString()
    .padStart(6, '0')
    .slice(0, digits - 3);
  return `${iso.slice(0, -1)}${extra}Z`;
}

function daysToDate(value: JsonValue, path: string): string {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw wrongType('date', 'an integer', value, path);
  const ms = value * 86_400_000;
  if (Math.abs(ms) > MAX_DATE_MS) throw new DecodeError('INVALID_VALUE', 'date outside the representable range', path);
  return new Date(ms).toISOString().slice(0, 10);
}

function wrongType(what: string, expected: string, got: JsonValue, path: string): DecodeError {
  return new DecodeError('WRONG_TYPE', `${what} value must be ${expected}, got ${typeName(got)}`, path);
}
