/**
 * The normalized event every decoder produces and every mapping consumes.
 * Field names follow the producers (Segment spec, Debezium) so that a reader
 * who knows those formats recognizes them.
 */
import type { JsonObject, JsonValue, Version } from '../graph-schema';

export type SourceKind = 'segment' | 'cdc' | 'telemetry';

/** Where the bytes came from, for dead letters and for logs. All fields optional: HTTP has no offset. */
export interface SourcePosition {
  readonly source: SourceKind;
  readonly transport: 'kafka' | 'http' | 'file' | 'test';
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: string;
  /** Index of the event inside a batch envelope (Segment `/v1/batch`). */
  readonly index?: number;
}

/** Raw input to the pipeline: the original bytes and where they came from. */
export interface RawMessage {
  readonly source: SourceKind;
  /** The original bytes (Kafka value, HTTP body of one event). `null` is a Kafka tombstone. */
  readonly value: Buffer | null;
  /** Kafka key bytes, when any (Debezium puts the primary key there). */
  readonly key?: Buffer | null;
  readonly position: SourcePosition;
  /** When the hub received it (epoch ms): Segment clock-skew correction uses it. */
  readonly receivedAtMs: number;
}

export type SegmentType = 'identify' | 'track' | 'page' | 'screen' | 'group' | 'alias';

export interface SegmentEvent {
  readonly source: 'segment';
  readonly type: SegmentType;
  readonly messageId: string;
  readonly userId: string | null;
  readonly anonymousId: string | null;
  /** alias */
  readonly previousId: string | null;
  /** group */
  readonly groupId: string | null;
  /** track: the event name; page/screen: the page name. */
  readonly name: string | null;
  readonly properties: JsonObject;
  readonly traits: JsonObject;
  readonly context: JsonObject;
  /** Event time after clock-skew correction: timestamp − (sentAt − receivedAt). Epoch ms. */
  readonly timestampMs: number;
  /** Fields outside the spec, kept as sent (schema drift is not fatal). */
  readonly extra: JsonObject;
}

export type CdcOp = 'c' | 'u' | 'd' | 'r' | 't';

export interface CdcEvent {
  readonly source: 'cdc';
  readonly op: CdcOp;
  /** `schema.table` as Debezium reports it in `source`. */
  readonly table: string;
  readonly schema: string;
  readonly db: string | null;
  readonly before: JsonObject | null;
  readonly after: JsonObject | null;
  /** Primary key columns from the Kafka key (when present). */
  readonly key: JsonObject | null;
  /** Source LSN as a decimal string (PostgreSQL); other connectors' positions go in `position`. */
  readonly lsn: string;
  readonly txId: string | null;
  /** Commit time in the source database (source.ts_ms). */
  readonly tsMs: number;
  /** True for a Kafka tombstone that follows a delete (value null): nothing to apply. */
  readonly tombstone: boolean;
  readonly snapshot: boolean;
}

export interface TelemetryEvent {
  readonly source: 'telemetry';
  readonly deviceId: string;
  /** The customer/account the device belongs to, when the device reports it. */
  readonly entityId: string | null;
  readonly indicators: Readonly<Record<string, number | string | boolean>>;
  readonly timestampMs: number;
  /** Optional producer sequence number; part of the dedupe id when present. */
  readonly seq: string | null;
  readonly extra: JsonObject;
}

export type HubEventBody = SegmentEvent | CdcEvent | TelemetryEvent;

export interface HubEvent {
  /** Dedupe id: stable across redeliveries of the same event. */
  readonly id: string;
  /** The version every mutation from this event carries. */
  readonly version: Version;
  /**
   * Hash of the event's content as a retry resends it (Segment events). The pipeline
   * dedupes on (id, digest): the same id with another digest is another event, kept apart
   * under `<id>~<digest>`, never dropped as a duplicate.
   */
  readonly digest?: string;
  readonly body: HubEventBody;
  readonly position: SourcePosition;
  readonly receivedAtMs: number;
  /**
   * The wire bytes the event was decoded from (the whole message: for one reading of a
   * telemetry batch, the batch, with `position.index` naming the reading), and the Kafka
   * key. Kept so that a feature that dead-letters an applied event (TOO_LATE) keeps what a
   * replay can decode; absent only for events built in memory.
   */
  readonly original?: { readonly value: Buffer | null; readonly key?: Buffer | null };
}

/** A property value as it may be stored, re-exported for decoders. */
export type { JsonValue };
