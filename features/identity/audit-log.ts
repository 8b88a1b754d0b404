/**
 * Where privacy operations are recorded. An entry says who asked, when, and
 * what kinds of data and how many were erased — never the erased values or
 * keys, so the log itself holds nothing that should have been forgotten.
 */
import { createAppendLog, readAppendLog } from '../../ingest';
import { IdentityError } from './identity-error';

export interface AuditEntry {
  readonly id: string;
  /** ISO-8601 time the operation finished. */
  readonly at: string;
  readonly action: 'forgetCustomer';
  readonly requestedBy: string;
  readonly reason: string | null;
  /** Counts of erased vertices by label, edges by label, identifiers by type. */
  readonly erased: {
    readonly vertices: Readonly<Record<string, number>>;
    readonly edges: Readonly<Record<string, number>>;
    readonly identifierTypes: Readonly<Record<string, number>>;
  };
  /** The tombstone version written (the same for every erased element). */
  readonly version: string;
}

export interface AuditLog {
  /** Resolves when the entry is durable. */
  append(entry: AuditEntry): Promise<void>;
  list(): Promise<AuditEntry[]>;
}

/** Embedded mode: one JSON line per entry, fsynced before `append` resolves. */
export function createFileAuditLog(path: string): AuditLog {
  const log = createAppendLog(path);
  return {
    async append(entry) {
      try {
        await log.append([entry]);
      } catch (e) {
        throw new IdentityError('AUDIT_WRITE_FAILED', `AuditLog.append: cannot write ${path}`, { cause: e });
      }
    },
    list: () => readAppendLog<AuditEntry>(path),
  };
}

/** In memory: for tests and for processes that ship entries elsewhere. */
export function createMemoryAuditLog(): AuditLog {
  const entries: AuditEntry[] = [];
  return {
    async append(entry) {
      entries.push(entry);
    },
    async list() {
      return [...entries];
    },
  };
}
