/**
 * Renders CRM row changes as the Debezium PostgreSQL connector would publish
 * them with `value.converter.schemas.enable=false`: the bare envelope
 * `{before, after, source, op, ts_ms, transaction}`, the Kafka key as the JSON
 * primary key, and a tombstone (null value) after each delete.
 *
 * Positions behave like a real server's: snapshot records share the snapshot's
 * LSN and txId; streamed rows get rising LSNs, rows of one transaction share
 * its txId and commit time; `source.ts_ms` and `ts_ms` never go backwards.
 */
import { type CrmRow, type CrmTable, primaryKeyOf } from './crm-rows';
import type { Prng } from './prng';

/** Debezium 2.5 is the last line without ts_us/ts_ns, which a JS number cannot hold exactly. */
export const DEBEZIUM_VERSION = '2.5.4.Final';
export const SERVER_NAME = 'c360';
export const CRM_DATABASE = 'crm';
export const CRM_SCHEMA = 'crm';

export type CdcChangeOp = 'c' | 'u' | 'd' | 'r';

export interface CdcChange {
  readonly table: CrmTable;
  readonly op: CdcChangeOp;
  readonly before: CrmRow | null;
  readonly after: CrmRow | null;
}

export interface EncodedRecord {
  readonly topic: string;
  readonly key: Buffer;
  readonly value: Buffer | null;
  readonly receivedAtMs: number;
  /** For counting: `customers.c`, `orders.u`, `addresses.tombstone`. */
  readonly kind: string;
}

export type SnapshotMarker = 'first' | 'true' | 'last';

export interface DebeziumWriter {
  snapshotRecord(change: CdcChange, marker: SnapshotMarker, receivedAtMs: number): EncodedRecord;
  /** One committed transaction; `arrivalMs` is when the connector publishes it. */
  transaction(changes: readonly CdcChange[], commitMs: number, arrivalMs: number): EncodedRecord[];
}

export function topicFor(table: CrmTable): string {
  return `${SERVER_NAME}.${CRM_SCHEMA}.${table}`;
}

export function createDebeziumWriter(options: { prng: Prng; snapshotMs: number }): DebeziumWriter {
  const { prng, snapshotMs } = options;
  let lsn = 0x2f00_0000 + prng.int(0x0100_0000);
  let txId = 700 + prng.int(5000);
  const snapshotLsn = lsn;
  const snapshotTxId = txId;
  let lastCommitLsn: number | null = null;
  let lastSourceTsMs = snapshotMs;
  let lastTsMs = snapshotMs;

  const encode = (
    change: CdcChange,
    source: Record<string, string | number | null>,
    tsMs: number,
    receivedAtMs: number,
  ): EncodedRecord => {
    const row = (change.after ?? change.before)!;
    const envelope = {
      before: change.before,
      after: change.after,
      source,
      op: change.op,
      ts_ms: tsMs,
      transaction: null,
    };
    return {
      topic: topicFor(change.table),
      key: Buffer.from(JSON.stringify(primaryKeyOf(change.table, row))),
      value: Buffer.from(JSON.stringify(envelope)),
      receivedAtMs,
      kind: `${change.table}.${change.op}`,
    };
  };

  const sourceBlock = (
    table: CrmTable,
    tsMs: number,
    snapshot: SnapshotMarker | 'false',
    tx: number,
    position: number,
    sequence: string,
  ) => ({
    version: DEBEZIUM_VERSION,
    connector: 'postgresql',
    name: SERVER_NAME,
    ts_ms: tsMs,
    snapshot,
    db: CRM_DATABASE,
    sequence,
    schema: CRM_SCHEMA,
    table,
    txId: tx,
    lsn: position,
    xmin: null,
  });

  return {
    snapshotRecord(change, marker, receivedAtMs) {
      lastTsMs = Math.max(lastTsMs, receivedAtMs);
      const source = sourceBlock(
        change.table,
        snapshotMs,
        marker,
        snapshotTxId,
        snapshotLsn,
        `[null,"${snapshotLsn}"]`,
      );
      return encode(change, source, lastTsMs, lastTsMs);
    },
    transaction(changes, commitMs, arrivalMs) {
      txId += prng.between(1, 4);
      lastSourceTsMs = Math.max(lastSourceTsMs, commitMs);
      lastTsMs = Math.max(lastTsMs, arrivalMs, lastSourceTsMs);
      const out: EncodedRecord[] = [];
      for (const change of changes) {
        lsn += prng.between(56, 640);
        const sequence = `[${lastCommitLsn === null ? 'null' : `"${lastCommitLsn}"`},"${lsn}"]`;
        const source = sourceBlock(change.table, lastSourceTsMs, 'false', txId, lsn, sequence);
        const record = encode(change, source, lastTsMs, lastTsMs);
        out.push(record);
        if (change.op === 'd') {
          out.push({
            topic: record.topic,
            key: record.key,
            value: null,
            receivedAtMs: lastTsMs,
            kind: `${change.table}.tombstone`,
          });
        }
      }
      lsn += prng.between(24, 120);
      lastCommitLsn = lsn;
      return out;
    },
  };
}
