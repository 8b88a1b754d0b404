/**
 * Who read which customer and who changed what: one entry per sensitive read
 * (a 360° view) and per admin mutation, including refused attempts. Entries
 * carry ids (customer, segment, audit ids) and counts — never the personal
 * values themselves, so the log holds nothing that forgetCustomer must erase.
 */

import { randomUUID } from 'node:crypto';
import type { JsonObject } from '../../graph-schema';
import { createAppendLog, readAppendLog } from '../../ingest/append-log';
import type { Principal } from './roles';

export type AuditOutcome = 'ok' | 'denied' | 'error';

export interface SecurityAuditEntry {
  readonly id: string;
  /** ISO-8601 time the operation finished. */
  readonly at: string;
  /** `read` for sensitive reads, `mutation` for admin changes. */
  readonly kind: 'read' | 'mutation';
  /** The schema coordinate, e.g. `Query.customer`, `Mutation.forgetCustomer`. */
  readonly action: string;
  readonly principal: { readonly id: string; readonly kind: Principal['kind'] };
  readonly outcome: AuditOutcome;
  /** What it was about (a customer or segment id); null when unknown or not found. */
  readonly subject: string | null;
  /** The client-visible error code when outcome is not ok. */
  readonly code?: string;
  readonly details?: JsonObject;
}

export interface SecurityAuditLog {
  /** Resolves when the entry is written (mutations are fsynced). */
  append(entry: Omit<SecurityAuditEntry, 'id' | 'at'>): Promise<void>;
  list(): Promise<SecurityAuditEntry[]>;
  close(): Promise<void>;
}

/** Embedded mode: NDJSON in the data dir, appends serialized so lines never interleave; mutations fsynced. */
export function createFileSecurityAuditLog(path: string): SecurityAuditLog {
  const log = createAppendLog(path);
  return {
    append(partial) {
      const entry: SecurityAuditEntry = { id: randomUUID(), at: new Date().toISOString(), ...partial };
      return log.append([entry], { sync: entry.kind === 'mutation' });
    },
    async list() {
      await log.close();
      return readAppendLog<SecurityAuditEntry>(path);
    },
    close: () => log.close(),
  };
}

export function createMemorySecurityAuditLog(): SecurityAuditLog {
  const entries: SecurityAuditEntry[] = [];
  return {
    async append(partial) {
      entries.push({ id: randomUUID(), at: new Date().toISOString(), ...partial });
    },
    async list() {
      return [...entries];
    },
    async close() {},
  };
}
