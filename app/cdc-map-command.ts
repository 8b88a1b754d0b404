/**
 * `c360 cdc map`: reads a PostgreSQL schema's catalog and writes a mapping file
 * (docs/cdc.md) the user can edit — or run unedited with `--mappings`. The
 * environment is handed in by the CLI, the composition root.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Client } from 'pg';
import { ConfigError, proposeMapping } from '../graph-schema';
import { readCatalog } from '../services/connect';

type Env = Readonly<Record<string, string | undefined>>;

const SQL_IDENTIFIER = /^[a-z_][a-z0-9_$]{0,62}$/;

export interface CdcMapFlags {
  readonly databaseUrl?: string;
  readonly schema: string;
  readonly customerTable?: string;
  readonly out?: string;
}

/** The proposal as file text, plus notes for the user (skipped tables, replica identity). */
export async function runCdcMap(flags: CdcMapFlags, env: Env): Promise<{ text: string; notes: string[] }> {
  const url = flags.databaseUrl ?? env['C360_POSTGRES_URL'];
  if (!url)
    throw new ConfigError('--database-url', 'is required (or C360_POSTGRES_URL): postgres://user:pass@host:port/db');
  if (!/^postgres(ql)?:\/\//.test(url)) {
    // Never echo the value: it may hold a password.
    throw new ConfigError('--database-url', 'must be a postgres://user:password@host:port/database URL');
  }
  if (!SQL_IDENTIFIER.test(flags.schema)) throw new ConfigError('--schema', `'${flags.schema}' is not a schema name`);
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const catalog = await readCatalog(client, flags.schema);
    if (catalog.tables.length === 0) throw new ConfigError('--schema', `schema '${flags.schema}' has no tables`);
    if (flags.customerTable && !catalog.tables.some((t) => t.name === flags.customerTable)) {
      throw new ConfigError('--customer-table', `no table ${flags.schema}.${flags.customerTable}`);
    }
    const proposal = proposeMapping(catalog, flags.customerTable ? { customerTable: flags.customerTable } : {});
    const notes = proposal.skipped.map((s) => `skipped ${flags.schema}.${s.table}: ${s.reason}`);
    if (proposal.notFull.length > 0) {
      notes.push(
        `not REPLICA IDENTITY FULL (updates would keep moved edges): ${proposal.notFull.join(', ')} — c360 connectors apply --set-replica-identity fixes it`,
      );
    }
    return { text: `${formatJson(proposal.file)}\n`, notes };
  } finally {
    await client.end();
  }
}

/** JSON for people to edit: anything that fits on a line stays on one. */
export function formatJson(value: unknown, indent = ''): string {
  const flat = JSON.stringify(value);
  if (flat.length + indent.length <= 100 || value === null || typeof value !== 'object') {
    return flat;
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) return `[\n${value.map((v) => inner + formatJson(v, inner)).join(',\n')}\n${indent}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatJson(v, inner)}`).join(',\n')}\n${indent}}`;
}

export function registerCdcCommands(program: Command, env: Env): Command {
  const group = program.command('cdc').description('change data capture from your own PostgreSQL database');
  group
    .command('map')
    .description("propose a mapping file from a schema's catalog: tables → labels, foreign keys → edges, identifiers")
    .option('--database-url <url>', 'postgres://user:password@host:port/database (env C360_POSTGRES_URL)')
    .requiredOption('--schema <name>', 'the schema to map')
    .option('--customer-table <table>', 'the table of the people the graph is about (label Customer)')
    .option('--out <file>', 'write the mapping here (default: standard output)')
    .action(async (flags: CdcMapFlags) => {
      const { text, notes } = await runCdcMap(flags, env);
      if (flags.out) {
        writeFileSync(flags.out, text);
        process.stderr.write(`wrote ${flags.out}\n`);
      } else process.stdout.write(text);
      for (const n of notes) process.stderr.write(`note: ${n}\n`);
    });
  return group;
}
