/**
 * What `c360 cdc map` and `c360 connectors apply --mappings` need to know about a
 * PostgreSQL schema, read from the catalog (pg_class, pg_attribute, pg_constraint):
 * tables, columns and types, primary and foreign keys, replica identity. Plain data,
 * so the mapping proposal (graph-schema/mapping-proposal.ts) stays pure.
 */
import type { Client } from 'pg';
import type { CatalogTable, DatabaseCatalog, ReplicaIdentity } from '../../graph-schema';

const REPLICA: Record<string, ReplicaIdentity> = { d: 'default', f: 'full', n: 'nothing', i: 'index' };

export async function readCatalog(client: Client, schema: string): Promise<DatabaseCatalog> {
  const tables = await client.query<{ table: string; replident: string }>(
    `SELECT c.relname AS table, c.relreplident::text AS replident
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      ORDER BY c.relname`,
    [schema],
  );
  const columns = await client.query<{ table: string; column: string; type: string; not_null: boolean }>(
    `SELECT c.relname AS table, a.attname::text AS column, format_type(a.atttypid, a.atttypmod) AS type,
            a.attnotnull AS not_null
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY c.relname, a.attnum`,
    [schema],
  );
  const constraints = await client.query<{
    name: string;
    table: string;
    type: 'p' | 'f';
    columns: string[];
    ref_schema: string | null;
    ref_table: string | null;
    ref_columns: string[] | null;
  }>(
    `SELECT con.conname::text AS name, c.relname AS table, con.contype::text AS type,
            ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns,
            rn.nspname::text AS ref_schema, rc.relname::text AS ref_table,
            CASE WHEN con.contype = 'f' THEN
              ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord)
            END AS ref_columns
       FROM pg_constraint con
       JOIN pg_class c ON c.oid = con.conrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_class rc ON rc.oid = con.confrelid
       LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
      WHERE n.nspname = $1 AND con.contype IN ('p', 'f')
      ORDER BY c.relname, con.conname`,
    [schema],
  );
  const out: CatalogTable[] = tables.rows.map((t) => ({
    name: t.table,
    replicaIdentity: REPLICA[t.replident] ?? 'default',
    columns: columns.rows
      .filter((c) => c.table === t.table)
      .map((c) => ({ name: c.column, type: c.type, notNull: c.not_null })),
    primaryKey: constraints.rows.find((k) => k.table === t.table && k.type === 'p')?.columns ?? [],
    foreignKeys: constraints.rows
      .filter((k) => k.table === t.table && k.type === 'f')
      .map((k) => ({
        name: k.name,
        columns: k.columns,
        refSchema: k.ref_schema ?? schema,
        refTable: k.ref_table ?? '',
        refColumns: k.ref_columns ?? [],
      })),
  }));
  return { schema, tables: out };
}
