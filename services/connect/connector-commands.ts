/**
 * `c360 connectors apply|status|delete [name]`. `name` is a connector id from
 * services/connect/connectors (`crm`, `crm-schemaless`) or a full connector
 * name. The environment is handed in by the CLI (the composition root).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError, MappingFileError, parseMappingFile } from '../../graph-schema';
import { type ConnectConfig, createConnectConfig } from './connect-config';
import { CONNECTOR_DEFINITIONS, DEFAULT_CONNECTOR_ID, redactConnectorConfig } from './connector-definitions';
import { type ConnectorReport, createConnectorService } from './connector-service';
import { createKafkaConnectClient } from './kafka-connect-client';
import { mappedTables, readConnectorFile } from './mapped-connector';

type Env = Readonly<Record<string, string | undefined>>;

interface CommonFlags {
  connectUrl?: string;
  cdcPrefix?: string;
  crmSchema?: string;
  databaseUrl?: string;
}

interface ApplyFlags extends CommonFlags {
  wait: boolean;
  print?: boolean;
  mappings?: string;
  connectorFile?: string;
  name?: string;
  setReplicaIdentity?: boolean;
}

function configOf(flags: CommonFlags, env: Env): ConnectConfig {
  return createConnectConfig(
    {
      ...(flags.connectUrl ? { connectUrl: flags.connectUrl } : {}),
      ...(flags.databaseUrl ? { postgresUrl: flags.databaseUrl } : {}),
      ...(flags.cdcPrefix ? { cdcPrefix: flags.cdcPrefix } : {}),
      ...(flags.crmSchema ? { crmSchema: flags.crmSchema } : {}),
    },
    env,
  );
}

function common(cmd: Command): Command {
  return cmd
    .option('--connect-url <url>', 'Kafka Connect REST URL (env C360_CONNECT_URL, default http://127.0.0.1:8083)')
    .option('--cdc-prefix <prefix>', 'Debezium topic.prefix (env C360_CDC_PREFIX, default c360)')
    .option('--crm-schema <schema>', 'PostgreSQL schema of the CRM tables (env C360_CRM_SCHEMA, default crm)')
    .option(
      '--database-url <url>',
      'the captured PostgreSQL, postgres://user:password@host:port/db (env C360_POSTGRES_URL)',
    );
}

function readMappings(path: string) {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError('--mappings', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    return parseMappingFile(text, path);
  } catch (e) {
    if (e instanceof MappingFileError) throw new ConfigError('--mappings', e.message);
    throw e;
  }
}

/** `apply --mappings FILE [--connector-file FILE]`: exactly the mapped tables, checked first. */
async function applyMapped(config: ConnectConfig, flags: ApplyFlags): Promise<void> {
  const service = serviceFor(config);
  const custom = flags.connectorFile ? readConnectorFile(flags.connectorFile) : null;
  const name = flags.name ?? custom?.name ?? `${config.connectorPrefix}-cdc`;
  // Without a mapping, the user's connector captures what its own table.include.list says.
  const tables = flags.mappings
    ? mappedTables(readMappings(flags.mappings))
    : (custom?.config['table.include.list'] ?? '')
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);
  if (tables.length === 0) {
    throw new ConfigError('--connector-file', 'names no tables: give --mappings or a table.include.list');
  }
  const { connector, created, fixed } = await service.applyMapped({
    name,
    tables,
    ...(custom ? { base: { custom: custom.config } } : {}),
    setReplicaIdentity: flags.setReplicaIdentity === true,
  });
  for (const t of fixed) process.stdout.write(`set REPLICA IDENTITY FULL on ${t}\n`);
  if (flags.print) process.stdout.write(`${JSON.stringify(redactConnectorConfig(connector.config), null, 2)}\n`);
  process.stdout.write(
    `${created ? 'created' : 'updated'} ${connector.name}: slot ${connector.slotName}, publication ${connector.publicationName}, tables ${tables.join(', ')}\n`,
  );
  if (flags.wait) printReport(await service.waitUntilRunning(connector.name));
}

function serviceFor(config: ConnectConfig) {
  return createConnectorService(config, createKafkaConnectClient({ url: config.connectUrl }));
}

/** A connector id becomes `<prefix>-<id>`; anything else is taken as a full name. */
function nameOf(config: ConnectConfig, name: string): string {
  return CONNECTOR_DEFINITIONS.some((d) => d.id === name) ? `${config.connectorPrefix}-${name}` : name;
}

function printReport(r: ConnectorReport): void {
  const tasks = r.tasks.map((t) => `task ${t.id} ${t.state}`).join(', ');
  process.stdout.write(`${r.name}: ${r.state}${tasks ? ` (${tasks})` : ''}${r.error ? ` — ${r.error}` : ''}\n`);
}

export function registerConnectorCommands(program: Command, env: Env): Command {
  const group = program
    .command('connectors')
    .description('register the Debezium CDC connectors with Kafka Connect, show their state, remove them');

  common(group.command('apply'))
    .description(
      `create or update a connector (idempotent PUT /connectors/<name>/config); default '${DEFAULT_CONNECTOR_ID}'. Known: ${CONNECTOR_DEFINITIONS.map((d) => `${d.id} — ${d.description}`).join('; ')}`,
    )
    .argument('[id]', 'connector id', DEFAULT_CONNECTOR_ID)
    .option('--no-wait', 'do not wait for the connector and its task to run')
    .option('--print', 'print the resolved config (password redacted)')
    .option('--mappings <file>', 'capture exactly the tables of this mapping file (c360 cdc map writes one)')
    .option('--connector-file <file>', 'your own Debezium connector JSON ({name, config} or the bare config)')
    .option('--name <name>', 'connector name with --mappings / --connector-file; slot and publication follow it')
    .option('--set-replica-identity', 'set REPLICA IDENTITY FULL on mapped tables that lack it, instead of refusing')
    .action(async (id: string, flags: ApplyFlags) => {
      const config = configOf(flags, env);
      if (flags.mappings || flags.connectorFile) {
        await applyMapped(config, flags);
        return;
      }
      const service = serviceFor(config);
      const { connector, created } = await service.apply(id);
      if (flags.print) process.stdout.write(`${JSON.stringify(redactConnectorConfig(connector.config), null, 2)}\n`);
      process.stdout.write(
        `${created ? 'created' : 'updated'} ${connector.name}: slot ${connector.slotName}, topics ${connector.topicPrefix}.${config.crmSchema}.<table>\n`,
      );
      if (flags.wait) printReport(await service.waitUntilRunning(connector.name));
    });

  common(group.command('status'))
    .description("state of a connector and its tasks; without a name every connector named '<prefix>-…'")
    .argument('[name]', 'connector id or full name')
    .action(async (name: string | undefined, flags: CommonFlags) => {
      const config = configOf(flags, env);
      const service = serviceFor(config);
      const reports = name ? [await service.status(nameOf(config, name))] : await service.statusAll();
      if (reports.length === 0) process.stdout.write('no c360 connectors\n');
      for (const r of reports) printReport(r);
      if (reports.some((r) => r.state !== 'RUNNING' || r.tasks.some((t) => t.state !== 'RUNNING'))) {
        process.exitCode = 1;
      }
    });

  common(group.command('delete'))
    .description('delete a connector; --drop-slot also drops its replication slot and publication')
    .argument('[name]', 'connector id or full name', DEFAULT_CONNECTOR_ID)
    .option('--drop-slot', 'drop the replication slot (a re-created connector then snapshots again)')
    .action(async (name: string, flags: CommonFlags & { dropSlot?: boolean }) => {
      const config = configOf(flags, env);
      const full = nameOf(config, name);
      const r = await serviceFor(config).remove(full, { dropSlot: flags.dropSlot === true });
      process.stdout.write(
        `${r.deleted ? 'deleted' : 'no connector'} ${full}${flags.dropSlot ? (r.slotDropped ? ', slot dropped' : ', no slot') : ''}\n`,
      );
    });

  return group;
}
