/** Loads the recorded wire fixtures and wraps them as the pipeline would hand them to a decoder. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { DecodeOutcome } from '../../../ingest/decoders';
import type { HubEvent, RawMessage, SourceKind } from '../../../ingest/hub-event';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures');

export function fixtureBytes(kind: 'segment' | 'debezium' | 'telemetry', name: string): Buffer {
  return readFileSync(path.join(FIXTURES, kind, name));
}

export function raw(source: SourceKind, value: Buffer | string | null, receivedAtMs: number): RawMessage {
  return {
    source,
    value: typeof value === 'string' ? Buffer.from(value, 'utf8') : value,
    position: { source, transport: 'test' },
    receivedAtMs,
  };
}

/** A recorded Kafka record: key and value exactly as the Debezium JSON converter wrote them. */
export interface KafkaRecordFixture {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: unknown;
  readonly value: unknown;
}

export function debeziumRecords(name: string): KafkaRecordFixture[] {
  return JSON.parse(fixtureBytes('debezium', name).toString('utf8')).records;
}

export function kafkaRaw(record: KafkaRecordFixture, receivedAtMs: number): RawMessage {
  return {
    source: 'cdc',
    key: record.key === null ? null : Buffer.from(JSON.stringify(record.key)),
    value: record.value === null ? null : Buffer.from(JSON.stringify(record.value)),
    position: {
      source: 'cdc',
      transport: 'kafka',
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
    },
    receivedAtMs,
  };
}

export function okEvents(outcomes: DecodeOutcome[]): HubEvent[] {
  return outcomes.map((o) => {
    if (!o.ok) throw new Error(`expected a decoded event, got ${o.error.reason}: ${o.error.message}`);
    return o.event;
  });
}

export function onlyEvent(outcomes: DecodeOutcome[]): HubEvent {
  expect(outcomes).toHaveLength(1);
  return okEvents(outcomes)[0];
}

/** The failure as the tests compare it: stable code, path, and batch index. */
export function failureOf(outcome: DecodeOutcome): { reason: string; path: string | null; index?: number } {
  if (outcome.ok) throw new Error(`expected a failure, got event ${outcome.event.id}`);
  const f: { reason: string; path: string | null; index?: number } = {
    reason: outcome.error.reason,
    path: outcome.error.path,
  };
  if (outcome.index !== undefined) f.index = outcome.index;
  return f;
}
