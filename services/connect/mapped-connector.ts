/**
 * A connector that captures exactly the tables a mapping file maps
 * (`c360 connectors apply --mappings FILE --name NAME`), or the user's own
 * Debezium connector JSON (`--connector-file FILE`). Before anything is sent to
 * Kafka Connect the tables are checked in PostgreSQL: a mapped table that does
 * not exist is an error (never silently skipped), and so is a table without
 * REPLICA IDENTITY FULL — its updates carry no old row, so a moved foreign key's
 * edge or a changed e-mail's identity would silently stay — unless the caller
 * asks to fix it (`--set-replica-identity`).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Client } from 'pg';
import { C360Error, ConfigError, type MappingFile } from '../../graph-schema';
import type { ConnectConfig } from './connect-config';
import { findDefinition, type ResolvedConnector, resolveConnector, slotNameFor } from './connector-definitions';

/** The source database does not fit the mapping; not retriable: the user must act. */
export class CaptureSourceError extends C360Error {
  override name = 'CaptureSourceError';
  readonly tables: readonly string[];
  constructor(message: string, options: { code: 'MISSING_TABLE' | 'REPLICA_IDENTITY'; tables: readonly string[] }) {
    super(message, { code: options.code, retriable: false });
    this.tables = options.tables;
  }
}

export interface MappedConnectorOptions {
  /** Full connector name; the slot and publication are named after it. */
  readonly name: string;
  /** `schema.table` names to capture (a mapping file's tables). */
  readonly tables: readonly string[];
  /** The base configuration: a shipped connector id (default `crm`) or the user's own connector config. */
  readonly base?: { readonly id: string } | { readonly custom: Readonly<Record<string, string>> };
  readonly extra?: Readonly<Record<string, string>>;
}

export function mappedTables(file: MappingFile): string[] {
  return Object.keys(file.tables);
}

/**
 * A user's connector JSON: either Connect's `{ "name", "config": {…} }` or the bare config.
 * Values must be strings (Connect's rule); `${…}` placeholders are filled like the shipped ones.
 */
export function readConnectorFile(path: string): { name: string | null; config: Record<string, string> } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError('--connector-file', `cannot read JSON from ${path}: ${(e as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError('--connector-file', `${path} must hold a JSON object`);
  }
  const obj = raw as Record<string, unknown>;
  const nested = obj['config'] !== null && typeof obj['config'] === 'object';
  const config = (nested ? obj['config'] : obj) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) {
    if (k === 'name') continue;
    if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    else if (typeof v === 'string') out[k] = v;
    else throw new ConfigError('--connector-file', `${basename(path)}: '${k}' must be a string`);
  }
  if (out['connector.class'] === undefined) {
    throw new ConfigError('--connector-file', `${basename(path)} has no connector.class`);
  }
  const name = nested && typeof obj['name'] === 'string' ? obj['name'] : null;
  return { name, config: out };
}

export function resolveMappedConnector(config: ConnectConfig, options: MappedConnectorOptions): ResolvedConnector {
  const schemas = [...new Set(options.tables.map((t) => t.split('.')[0]))];
  const base = options.base ?? { id: 'crm' };
  if ('id' in base) {
    return resolveConnector(findDefinition(base.id), config, {
      name: options.name,
      extra: {
        'schema.include.list': schemas.join(','),
        'table.include.list': options.tables.join(','),
        ...options.extra,
      },
    });
  }
  // The user's own connector: their settings win, placeholders are filled, slot and publication follow the name.
  const slotName = slotNameFor(options.name);
  const publicationName = `${slotName}_pub`.slice(0, 63);
  const values: Record<string, string> = {
    'postgres.host': config.postgres.host,
    'postgres.port': String(config.postgres.port),
    'postgres.database': config.postgres.database,
    'postgres.user': config.postgres.user,
    'postgres.password': config.postgres.password,
    'cdc.prefix': config.cdcPrefix,
    'slot.name': slotName,
    'publication.name': publicationName,
    'table.include.list': options.tables.join(','),
    'schema.include.list': schemas.join(','),
  };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(base.custom)) {
    out[k] = v.replace(/\$\{([a-z.]+)\}/g, (whole, p: string) => (Object.hasOwn(values, p) ? values[p] : whole));
  }
  Object.assign(out, options.extra ?? {});
  return {
    name: options.name,
    definition: { id: 'custom', file: '(connector file)', description: "the user's own connector" },
    config: out,
    slotName: out['slot.name'] ?? slotName,
    publicationName: out['publication.name'] ?? publicationName,
    topicPrefix: out['topic.prefix'] ?? config.cdcPrefix,
  };
}

export interface SourceCheck {
  /** Tables whose replica identity was set to FULL by this check. */
  readonly fixed: readonly string[];
}

/**
 * Every table must exist and have REPLICA IDENTITY FULL; with `setReplicaIdentity` the
 * missing FULL is set (ALTER TABLE … REPLICA IDENTITY FULL, which needs the table's owner).
 */
export async function checkCaptureSource(
  pg: Client,
  tables: readonly string[],
  { setReplicaIdentity = false }: { setReplicaIdentity?: boolean } = {},
): Promise<SourceCheck> {
  const { rows } = await pg.query<{ name: string; replident: string }>(
    `SELECT n.nspname || '.' || c.relname AS name, c.relreplident::text AS replident
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND (n.nspname || '.' || c.relname) = ANY($1::text[])`,
    [tables],
  );
  const found = new Map(rows.map((r) => [r.name, r.replident]));
  const missing = tables.filter((t) => !found.has(t));
  if (missing.length > 0) {
    throw new CaptureSourceError(`mapped tables do not exist: ${missing.join(', ')}`, {
      code: 'MISSING_TABLE',
      tables: missing,
    });
  }
  const notFull = tables.filter((t) => found.get(t) !== 'f');
  if (notFull.length === 0) return { fixed: [] };
  if (!setReplicaIdentity) {
    throw new CaptureSourceError(
      `tables without REPLICA IDENTITY FULL: ${notFull.join(', ')} — their updates carry no old row, so a moved foreign key would leave its old edge and a changed e-mail its old identity. Run ALTER TABLE … REPLICA IDENTITY FULL, or apply with --set-replica-identity`,
      { code: 'REPLICA_IDENTITY', tables: notFull },
    );
  }
  for (const t of notFull) {
    const [schema, table] = t.split('.');
    // Identifiers cannot be parameters; escapeIdentifier quotes them.
    await pg.query(`ALTER TABLE ${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(table)} REPLICA IDENTITY FULL`);
  }
  return { fixed: notFull };
}
