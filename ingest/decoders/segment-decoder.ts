/**
 * Segment spec events (identify, track, page, screen, group, alias) and `/v1/batch`
 * envelopes, as analytics.js, analytics-node and the mobile SDKs send them.
 *
 * Field decisions:
 * - `type` is required on every event. Segment's single-event endpoints (`/v1/track`, …)
 *   imply it from the path; the HTTP collector must write it into the body before the
 *   bytes reach the log, so that a replay of the topic decodes the same way.
 * - identify/track/page/screen/group need `userId` or `anonymousId`; alias needs
 *   `previousId` and `userId`; track needs a non-empty `event`; group needs `groupId`.
 *   Identifiers may be strings or safe integers (kept as decimal strings).
 * - Envelope `context` and `integrations` are merged under each item's own (the item
 *   wins key by key, one level deep); the envelope `sentAt` applies unless the item has one.
 * - Timestamps: the client's `timestamp` is Segment's `originalTimestamp` (an explicit
 *   `originalTimestamp` wins). With `sentAt`, the event time is corrected for device clock
 *   skew exactly as Segment does: `receivedAt − (sentAt − originalTimestamp)`, receivedAt
 *   being when the hub received the bytes (`RawMessage.receivedAtMs`; a `receivedAt` in
 *   the body is the client's claim and is ignored). Without `sentAt` the sent time is used
 *   as is; with no time at all, receipt time.
 * - `extra` keeps every top-level field that SegmentEvent does not model: the spec's
 *   `integrations`, `channel`, `version`, page `category`, analytics.js `_metadata`, and
 *   any unknown field (schema drift is kept, never fatal). Timestamps are consumed into
 *   `timestampMs`, and `writeKey` is dropped: it is a credential, not data.
 */
import type { JsonObject, JsonValue } from '../../graph-schema';
import { makeVersion } from '../../graph-schema';
import { DecodeError } from '../errors';
import type { HubEvent, RawMessage, SegmentEvent, SegmentType } from '../hub-event';
import { canonicalHash } from './canonical-json';
import type { DecodeOutcome, Decoder, DecoderLimits } from './decoder';
import { checkNotInFuture, parseEventTime } from './event-time';
import { FieldReader, isJsonObject, MAX_ID_BYTES, requireObject } from './field-reader';
import { joinPath, parseJsonBytes } from './safe-json';

/**
 * Who sent the event, written into each event by the HTTP collector from the write key
 * that authenticated it (whatever the client put there is replaced), so that it travels
 * with the bytes through Kafka, replays and dead letters. Event identity is scoped by it:
 * another sender's messageId is another event. Producers that write to Kafka directly
 * are trusted and may set it or leave it out (unscoped ids, as before).
 */
export const SENDER_FIELD = 'c360SenderId';

const TYPES: ReadonlySet<string> = new Set<SegmentType>(['identify', 'track', 'page', 'screen', 'group', 'alias']);

/** Fields SegmentEvent models (or consumes); everything else at the top level goes to `extra`. */
const CONSUMED: ReadonlySet<string> = new Set([
  'type',
  'messageId',
  'userId',
  'anonymousId',
  'previousId',
  'groupId',
  'event',
  'name',
  'properties',
  'traits',
  'context',
  'timestamp',
  'originalTimestamp',
  'sentAt',
  'receivedAt',
  'writeKey',
  SENDER_FIELD,
]);

/**
 * Fields excluded from the content digest and the generated messageId: they change when an
 * SDK retries the same event (or, for the sender, are not the event's content).
 */
const RETRY_VARIANT: ReadonlySet<string> = new Set(['sentAt', 'receivedAt', 'writeKey', SENDER_FIELD]);
const SENDER_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

interface Envelope {
  readonly context: JsonObject | null;
  readonly integrations: JsonObject | null;
  readonly sentAt: number | null;
}

const NO_ENVELOPE: Envelope = { context: null, integrations: null, sentAt: null };

export function createSegmentDecoder(limits: DecoderLimits): Decoder {
  return {
    source: 'segment',
    decode(raw: RawMessage): DecodeOutcome[] {
      let top: JsonObject;
      try {
        if (raw.value === null) throw new DecodeError('EMPTY', 'Segment message has no body (null value)');
        const parsed = parseJsonBytes(raw.value, {
          maxBytes: limits.maxMessageBytes.segment,
          maxDepth: limits.maxDepth,
        });
        top = requireObject(parsed, null);
        if (!Object.hasOwn(top, 'batch')) {
          if (raw.value.length > limits.maxEventBytes) {
            throw new DecodeError(
              'TOO_LARGE',
              `event is ${raw.value.length} bytes, the limit is ${limits.maxEventBytes}`,
            );
          }
          return [{ ok: true, event: decodeEvent(top, null, NO_ENVELOPE, raw, undefined) }];
        }
      } catch (error) {
        return [failure(error)];
      }
      return decodeBatch(top, raw);
    },
  };

  function decodeBatch(top: JsonObject, raw: RawMessage): DecodeOutcome[] {
    let envelope: Envelope;
    let items: JsonValue[];
    try {
      const f = new FieldReader(top, null);
      const batch = f.raw('batch');
      if (!Array.isArray(batch)) throw f.wrongType('batch', 'an array of events', batch);
      if (batch.length === 0) throw new DecodeError('EMPTY', 'batch holds no events', 'batch');
      items = batch;
      envelope = {
        context: f.object('context'),
        integrations: f.object('integrations'),
        sentAt: parseEventTime(f.raw('sentAt'), 'sentAt'),
      };
    } catch (error) {
      return [failure(error)];
    }
    return items.map((item, index): DecodeOutcome => {
      const path = joinPath('batch', index);
      try {
        const obj = requireObject(item, path, 'batch item');
        const bytes = Buffer.byteLength(JSON.stringify(obj), 'utf8');
        if (bytes > limits.maxEventBytes) {
          throw new DecodeError('TOO_LARGE', `event is ${bytes} bytes, the limit is ${limits.maxEventBytes}`, path);
        }
        return { ok: true, event: decodeEvent(obj, path, envelope, raw, index) };
      } catch (error) {
        return failure(error, index);
      }
    });
  }

  function decodeEvent(
    obj: JsonObject,
    base: string | null,
    envelope: Envelope,
    raw: RawMessage,
    index: number | undefined,
  ): HubEvent {
    const f = new FieldReader(obj, base);
    const type = f.requiredString('type');
    if (!TYPES.has(type)) {
      throw new DecodeError('UNKNOWN_TYPE', `unknown Segment event type ${JSON.stringify(type)}`, f.path('type'));
    }
    const userId = f.id('userId');
    const anonymousId = f.id('anonymousId');
    let previousId: string | null = null;
    let groupId: string | null = null;
    let name: string | null = null;
    switch (type as SegmentType) {
      case 'alias':
        previousId = f.requiredId('previousId');
        if (userId === null) throw new DecodeError('MISSING_FIELD', 'alias requires userId', f.path('userId'));
        break;
      case 'track':
        name = f.requiredString('event');
        break;
      case 'page':
      case 'screen':
        name = f.string('name');
        break;
      case 'group':
        groupId = f.requiredId('groupId');
        break;
      case 'identify':
        break;
    }
    if (type !== 'alias' && userId === null && anonymousId === null) {
      throw new DecodeError('MISSING_FIELD', `${type} requires userId or anonymousId`, f.path('userId'));
    }
    const properties = f.object('properties') ?? {};
    const traits = f.object('traits') ?? {};
    const context = mergeShallow(envelope.context, f.object('context'));
    const integrations = mergeShallow(envelope.integrations, f.object('integrations'));

    const timestampMs = eventTime(f, envelope, raw);
    // The content, as a retry resends it: a messageId reused for other content is another event.
    const digest = contentDigest(obj);
    // Stable across SDK retries, so a redelivered event without an id still dedupes.
    const messageId = nonEmptyMessageId(f) ?? `gen-${digest.slice(0, 32)}`;
    const sender = f.string(SENDER_FIELD);
    if (sender !== null && !SENDER_ID.test(sender)) {
      throw new DecodeError('INVALID_VALUE', `${SENDER_FIELD} must match ${SENDER_ID}`, f.path(SENDER_FIELD));
    }
    // The event's identity: its messageId within its sender's namespace.
    const eventKey = sender === null ? messageId : `${messageId}~${sender}`;

    const extra: JsonObject = {};
    for (const key of Object.keys(obj)) if (!CONSUMED.has(key)) extra[key] = obj[key];
    if (Object.keys(integrations).length > 0 || Object.hasOwn(obj, 'integrations'))
      extra['integrations'] = integrations;

    const body: SegmentEvent = {
      source: 'segment',
      type: type as SegmentType,
      messageId,
      userId,
      anonymousId,
      previousId,
      groupId,
      name,
      properties,
      traits,
      context,
      timestampMs,
      extra,
    };
    return {
      id: `segment:${eventKey}`,
      version: makeVersion(timestampMs, `seg:${eventKey}`),
      digest,
      body,
      position: index === undefined ? raw.position : { ...raw.position, index },
      receivedAtMs: raw.receivedAtMs,
      original: { value: raw.value, key: raw.key ?? null },
    };
  }

  function eventTime(f: FieldReader, envelope: Envelope, raw: RawMessage): number {
    const originalKey = f.has('originalTimestamp') ? 'originalTimestamp' : 'timestamp';
    // Validate both even when one wins: a garbage timestamp is a broken producer worth seeing.
    const explicitOriginal = parseEventTime(f.raw('originalTimestamp'), f.path('originalTimestamp'));
    const clientTimestamp = parseEventTime(f.raw('timestamp'), f.path('timestamp'));
    const original = explicitOriginal ?? clientTimestamp;
    const sentAt = parseEventTime(f.raw('sentAt'), f.path('sentAt')) ?? envelope.sentAt;
    let ms: number;
    if (original === null) ms = raw.receivedAtMs;
    else if (sentAt === null) ms = original;
    else ms = raw.receivedAtMs - (sentAt - original);
    if (ms < 0) {
      throw new DecodeError('INVALID_VALUE', 'clock-skew corrected time falls before 1970', f.path(originalKey));
    }
    return checkNotInFuture(ms, raw.receivedAtMs, limits.maxClockSkewMs, f.path(originalKey));
  }
}

function nonEmptyMessageId(f: FieldReader): string | null {
  const v = f.string('messageId');
  if (v !== null && Buffer.byteLength(v, 'utf8') > MAX_ID_BYTES) {
    throw new DecodeError('INVALID_VALUE', `messageId is longer than ${MAX_ID_BYTES} bytes`, f.path('messageId'));
  }
  return v === null || v === '' ? null : v;
}

/**
 * The hash of an event's canonical bytes minus the fields a retry changes (`sentAt`,
 * `writeKey`, the collector's sender stamp). A redelivery of the same event has the same
 * digest; a different event under a reused messageId does not (the pipeline keeps it
 * apart). It is also the id of an event sent without `messageId` (its first 32 hex
 * digits, as before), so two genuinely separate events identical in every field,
 * timestamp included, collapse into one — indistinguishable anyway.
 */
function contentDigest(obj: JsonObject): string {
  const stable: JsonObject = {};
  for (const key of Object.keys(obj)) if (!RETRY_VARIANT.has(key)) stable[key] = obj[key];
  return canonicalHash(stable, 64);
}

function mergeShallow(outer: JsonObject | null, inner: JsonObject | null): JsonObject {
  if (outer === null) return inner ?? {};
  if (inner === null) return { ...outer };
  const merged: JsonObject = { ...outer };
  for (const key of Object.keys(inner)) {
    const o = merged[key];
    const i = inner[key];
    merged[key] = isJsonObject(o) && isJsonObject(i) ? { ...o, ...i } : i;
  }
  return merged;
}

function failure(error: unknown, index?: number): DecodeOutcome {
  if (!(error instanceof DecodeError)) throw error;
  return index === undefined ? { ok: false, error } : { ok: false, error, index };
}
