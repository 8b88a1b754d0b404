/**
 * Debezium PostgreSQL change events (Debezium 2.x/3.x), with the JSON converter's
 * schema wrapper (`{schema, payload}`) or without it (bare payload), ops c/u/d/r/t.
 *
 * Identity — `cdc:<db>.<schema>.<table>:<position>:<key>`:
 * the LSN alone is not unique (every row of an initial snapshot carries the snapshot's
 * LSN; a primary-key change emits a delete and a create at one LSN), but LSN plus the
 * row key is. The key is the Kafka key's payload in canonical JSON; without a Kafka key
 * it is a hash of the row images. Incremental-snapshot rows carry no LSN at all
 * (Debezium leaves it out of `source`), so their position is `ts<source.ts_ms>`.
 *
 * Order — `makeCdcVersion(source.ts_ms, lsn)`: commit time first, LSN second.
 * - Two transactions that write the same row are serialized by its row lock, so the later
 *   one commits later: its ts_ms is ≥ and, on a tie within the millisecond, its LSN is higher.
 * - Initial-snapshot rows (op `r`): Debezium sets their `source.ts_ms` from CURRENT_TIMESTAMP
 *   inside the snapshot transaction — the snapshot's START — and their LSN to the position
 *   read when the snapshot began. Any change the snapshot did not see committed after that
 *   start (ts_ms ≥) at a higher LSN, so its version is strictly newer: a snapshot row never
 *   overwrites a newer streamed change, whichever arrives first.
 * - Incremental-snapshot rows have no LSN: LSN 0, so a streamed change in the same
 *   millisecond wins (the streamed change is the one known to be a real write).
 *
 * Kafka tombstones (null value after a delete) decode to a CdcEvent with
 * `tombstone: true` — nothing to apply, not an error. They carry no `source`, so their
 * table comes from the topic name (`<prefix>.<schema>.<table>`) and their id from the
 * topic, partition, offset and key.
 */
import type { JsonObject, JsonValue } from '../../graph-schema';
import { makeCdcVersion, makeVersion } from '../../graph-schema';
import { DecodeError } from '../errors';
import type { CdcEvent, CdcOp, HubEvent, RawMessage } from '../hub-event';
import { canonicalHash, canonicalJson } from './canonical-json';
import { asConnectSchema, type ConnectSchema, decodeConnectValue, fieldSchema } from './connect-value';
import type { DecodeOutcome, Decoder, DecoderLimits } from './decoder';
import { checkNotInFuture } from './event-time';
import { FieldReader, isJsonObject, requireObject } from './field-reader';
import { joinPath, parseJsonBytes } from './safe-json';

const OPS: ReadonlySet<string> = new Set<CdcOp>(['c', 'u', 'd', 'r', 't']);

/** Values of `source.snapshot` (io.debezium.data.Enum since 2.0; a boolean before). */
const SNAPSHOT_VALUES: Readonly<Record<string, boolean>> = {
  true: true,
  first: true,
  first_in_data_collection: true,
  last_in_data_collection: true,
  last: true,
  incremental: true,
  false: false,
};

/** How the JSON converter starts an envelope with schemas, and what separates its two parts. */
const ENVELOPE_HEAD = Buffer.from('{"schema":');
const PAYLOAD_SEPARATOR = Buffer.from(',"payload":');
const CLOSE_BRACE = 0x7d;
/** Distinct envelope schemas kept parsed: one per table (and key) version, a few per connector. */
const SCHEMA_CACHE_SIZE = 64;

interface Unwrapped {
  readonly payload: JsonValue;
  readonly schema: ConnectSchema | null;
  /** Path prefix of the payload in the message, for error paths: `payload` or none. */
  readonly base: string | null;
}

export function createDebeziumDecoder(limits: DecoderLimits): Decoder {
  const ctx = { maxDepth: limits.maxDepth };
  const jsonLimits = { maxBytes: limits.maxMessageBytes.cdc, maxDepth: limits.maxDepth };
  // The two parts of an envelope sit one level down: the same depth limit as the whole message.
  const partLimits = { maxBytes: limits.maxMessageBytes.cdc, maxDepth: limits.maxDepth - 1 };
  /**
   * Envelope schemas by their exact bytes, found by memcmp (hashing a fresh 3 KB string per
   * row cost more than the compare); oldest first, for eviction.
   */
  const schemas: { readonly bytes: Buffer; readonly schema: ConnectSchema | null }[] = [];
  /**
   * A known schema that this envelope starts with, and where its payload starts: each entry
   * is tried at its own length (a memcmp, and the separator right after it), so a row of a
   * known table is split without searching for the separator.
   */
  function knownEnvelope(bytes: Buffer): { schema: ConnectSchema | null; at: number } | undefined {
    const start = ENVELOPE_HEAD.length;
    for (const entry of schemas) {
      const at = start + entry.bytes.length;
      if (
        at + PAYLOAD_SEPARATOR.length < bytes.length &&
        bytes.compare(PAYLOAD_SEPARATOR, 0, PAYLOAD_SEPARATOR.length, at, at + PAYLOAD_SEPARATOR.length) === 0 &&
        bytes.compare(entry.bytes, 0, entry.bytes.length, start, at) === 0
      )
        return { schema: entry.schema, at };
    }
    return undefined;
  }

  return {
    source: 'cdc',
    decode(raw: RawMessage): DecodeOutcome[] {
      try {
        return [{ ok: true, event: decodeRecord(raw) }];
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
        return [{ ok: false, error }];
      }
    },
  };

  function decodeRecord(raw: RawMessage): HubEvent {
    const key = decodeKey(raw.key ?? null);
    if (raw.value === null) return tombstone(raw, key);
    const value =
      unwrapEnvelope(raw.value, null) ?? unwrap(requireObject(parseJsonBytes(raw.value, jsonLimits), null), null);
    // The JSON converter writes a null Connect value as `{schema: null, payload: null}`.
    if (value.payload === null) return tombstone(raw, key);
    const payload = requireObject(value.payload, value.base, 'payload');
    const f = new FieldReader(payload, value.base);

    const op = f.requiredString('op');
    if (!OPS.has(op))
      throw new DecodeError('UNKNOWN_TYPE', `unsupported Debezium op ${JSON.stringify(op)}`, f.path('op'));
    const source = f.object('source');
    if (source === null) throw new DecodeError('MISSING_FIELD', 'source is required', f.path('source'));
    const s = new FieldReader(source, f.path('source'));
    const table = s.requiredString('table');
    const schemaName = s.requiredString('schema');
    const db = s.string('db');
    const tsMs = Number(s.counter('ts_ms') ?? missing(s, 'ts_ms'));
    checkNotInFuture(tsMs, raw.receivedAtMs, limits.maxClockSkewMs, s.path('ts_ms'));
    const snapshot = snapshotFlag(s);
    const lsn = readLsn(s);
    const txIdValue = s.counter('txId');

    let before: JsonObject | null = null;
    let after: JsonObject | null = null;
    if (op !== 't') {
      before = rowImage(f, 'before', value.schema);
      after = rowImage(f, 'after', value.schema);
      if ((op === 'c' || op === 'r' || op === 'u') && after === null) {
        throw new DecodeError('MISSING_FIELD', `op ${op} requires an after image`, f.path('after'));
      }
      if (op === 'd' && before === null && key === null) {
        throw new DecodeError('MISSING_FIELD', 'delete carries neither a before image nor a key', f.path('before'));
      }
    }

    const rowKey = key !== null ? canonicalJson(key) : op === 't' ? 'null' : `row:${canonicalHash({ before, after })}`;
    const position = lsn ?? `ts${tsMs}`;
    const body: CdcEvent = {
      source: 'cdc',
      op: op as CdcOp,
      table,
      schema: schemaName,
      db,
      before,
      after,
      key,
      lsn: lsn ?? '0',
      txId: txIdValue,
      tsMs,
      tombstone: false,
      snapshot,
    };
    return {
      id: `cdc:${db ?? ''}.${schemaName}.${table}:${position}:${rowKey}`,
      version: makeCdcVersion(tsMs, lsn ?? '0'),
      body,
      position: raw.position,
      receivedAtMs: raw.receivedAtMs,
      original: { value: raw.value, key: raw.key ?? null },
    };
  }

  function rowImage(f: FieldReader, name: 'before' | 'after', envelope: ConnectSchema | null): JsonObject | null {
    const row = f.object(name);
    if (row === null) return null;
    const decoded = decodeConnectValue(row, fieldSchema(envelope, name), f.path(name), ctx);
    return decoded as JsonObject;
  }

  function decodeKey(bytes: Buffer | null): JsonObject | null {
    if (bytes === null || bytes.length === 0) return null;
    const key =
      unwrapEnvelope(bytes, 'key') ??
      unwrap(requireObject(parseJsonBytes(bytes, jsonLimits, 'key'), 'key', 'key'), 'key');
    if (key.payload === null) return null;
    const obj = requireObject(key.payload, key.base, 'key payload');
    return decodeConnectValue(obj, key.schema, key.base ?? 'key', ctx) as JsonObject;
  }

  /**
   * The fast path for what the JSON converter writes, `{"schema":S,"payload":P}` with no
   * whitespace: S is the same bytes for every row of a table version, and most of them (a
   * 4.3 KB customers row has a 0.9 KB payload), so it is parsed once and looked up after;
   * only P is parsed per row, with the same checks (parseJsonBytes). Null — and the caller
   * parses the whole message as before, errors and their paths included — for any other
   * shape, or when either part does not parse on its own. Splitting at the first
   * `,"payload":` is exact when both parts parse: S is then a complete JSON object, and no
   * complete object is a proper prefix of another, so S is the envelope's whole schema.
   */
  function unwrapEnvelope(bytes: Buffer, base: string | null): Unwrapped | null {
    if (bytes.length > jsonLimits.maxBytes || bytes.length < ENVELOPE_HEAD.length + PAYLOAD_SEPARATOR.length + 1)
      return null;
    const head = ENVELOPE_HEAD.length;
    if (bytes[bytes.length - 1] !== CLOSE_BRACE || bytes.compare(ENVELOPE_HEAD, 0, head, 0, head) !== 0) return null;
    const known = knownEnvelope(bytes);
    const at = known?.at ?? bytes.indexOf(PAYLOAD_SEPARATOR, ENVELOPE_HEAD.length);
    if (at < 0) return null;
    let schema: ConnectSchema | null = known?.schema ?? null;
    try {
      if (known === undefined) {
        const text = bytes.subarray(ENVELOPE_HEAD.length, at);
        const parsed = parseJsonBytes(text, partLimits);
        if (parsed !== null && !isJsonObject(parsed)) return null;
        schema = asConnectSchema(parsed);
        if (schemas.length >= SCHEMA_CACHE_SIZE) schemas.shift();
        schemas.push({ bytes: Buffer.from(text), schema });
      }
      const payload = parseJsonBytes(bytes.subarray(at + PAYLOAD_SEPARATOR.length, bytes.length - 1), partLimits);
      return { payload, schema, base: joinPath(base, 'payload') };
    } catch (error) {
      if (error instanceof DecodeError) return null;
      throw error;
    }
  }

  /** `{schema, payload}` when the converter has schemas enabled; otherwise the object is the payload. */
  function unwrap(obj: JsonObject, base: string | null): Unwrapped {
    if (!(Object.hasOwn(obj, 'payload') && Object.hasOwn(obj, 'schema'))) return { payload: obj, schema: null, base };
    const schema = obj['schema'];
    if (schema !== null && !isJsonObject(schema)) {
      throw new DecodeError('WRONG_TYPE', 'schema must be an object or null', joinPath(base, 'schema'));
    }
    return { payload: obj['payload'], schema: asConnectSchema(schema), base: joinPath(base, 'payload') };
  }

  function tombstone(raw: RawMessage, key: JsonObject | null): HubEvent {
    const topic = raw.position.topic ?? '';
    const parts = topic.split('.');
    const table = parts.length >= 3 ? parts[parts.length - 1] : topic;
    const schemaName = parts.length >= 3 ? parts[parts.length - 2] : '';
    const body: CdcEvent = {
      source: 'cdc',
      op: 'd',
      table,
      schema: schemaName,
      db: null,
      before: null,
      after: null,
      key,
      lsn: '0',
      txId: null,
      tsMs: 0,
      tombstone: true,
      snapshot: false,
    };
    const at = `${raw.position.partition ?? ''}:${raw.position.offset ?? ''}`;
    return {
      id: `cdc:tombstone:${topic}:${at}:${key === null ? 'null' : canonicalJson(key)}`,
      // The oldest possible version: were it ever applied, it could not hide anything.
      version: makeVersion(0, 'cdc:tombstone'),
      body,
      position: raw.position,
      receivedAtMs: raw.receivedAtMs,
      original: { value: raw.value, key: raw.key ?? null },
    };
  }
}

function missing(f: FieldReader, key: string): never {
  throw new DecodeError('MISSING_FIELD', `${key} is required`, f.path(key));
}

function snapshotFlag(s: FieldReader): boolean {
  const v = s.raw('snapshot');
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && Object.hasOwn(SNAPSHOT_VALUES, v)) return SNAPSHOT_VALUES[v];
  if (typeof v === 'string') {
    throw new DecodeError('INVALID_VALUE', `unknown snapshot marker ${JSON.stringify(v)}`, s.path('snapshot'));
  }
  throw s.wrongType('snapshot', 'a string or a boolean', v);
}

/**
 * `source.lsn` is an int64; past 2^53 JSON.parse has already rounded it, so fall back to
 * `source.sequence` (`["<last committed lsn>","<current lsn>"]`, exact decimal strings).
 */
function readLsn(s: FieldReader): string | null {
  const v = s.raw('lsn');
  if (typeof v === 'number' && !Number.isSafeInteger(v) && Number.isInteger(v) && v > 0) {
    const exact = lsnFromSequence(s.raw('sequence'));
    if (exact !== null) return exact;
    throw new DecodeError('INVALID_VALUE', 'lsn beyond 2^53 and no exact source.sequence', s.path('lsn'));
  }
  return s.counter('lsn');
}

function lsnFromSequence(sequence: JsonValue | undefined): string | null {
  if (typeof sequence !== 'string') return null;
  const m = /^\[(?:null|"\d{1,20}"),"(\d{1,20})"\]$/.exec(sequence);
  return m ? m[1] : null;
}
