/**
 * A private copy of the CRM per test: the schema of scripts/infra/postgres/crm-schema.sql
 * created as `crm_<random>` so concurrent tests never touch each other's rows, plus
 * a Debezium connector, slot and topic prefix named for the test — all removed again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  type ConnectConfig,
  type ConnectorService,
  createConnectConfig,
  createConnectorService,
  createKafkaConnectClient,
  type ResolvedConnector,
  withPostgres,
} from '../../services/connect';
import { testEndpoints } from './infra';
import { secureRandom } from './unique';

export function uniqueCrmSchema(): string {
  return `crm_${secureRandom()}`;
}

export function crmSchemaDdl(schema: string): string {
  const ddl = readFileSync(join(__dirname, '..', '..', 'scripts', 'infra', 'postgres', 'crm-schema.sql'), 'utf8');
  return ddl.replace(/\bcrm\./g, `${schema}.`).replace(/CREATE SCHEMA IF NOT EXISTS crm;/, `CREATE SCHEMA ${schema};`);
}

export async function connectPostgres(): Promise<Client> {
  const client = new Client({ connectionString: testEndpoints().postgres.connectionString });
  await client.connect();
  // The local cluster commits asynchronously; logical decoding then sees a commit only after the WAL writer's flush.
  await client.query('SET synchronous_commit = on');
  return client;
}

export function testConnectConfig(cdcPrefix: string, crmSchema: string): ConnectConfig {
  const e = testEndpoints();
  return createConnectConfig({
    connectUrl: e.connect.url,
    postgresUrl: e.postgres.connectionString,
    postgresHost: e.postgres.fromConnect.host,
    postgresPort: e.postgres.fromConnect.port,
    cdcPrefix,
    crmSchema,
    connectorPrefix: 'c360test',
  });
}

export interface CdcTestSource {
  readonly schema: string;
  readonly config: ConnectConfig;
  readonly service: ConnectorService;
  connector: ResolvedConnector | null;
  /** Registers the connector (unique name) and waits until its task runs. */
  start(id: 'crm' | 'crm-schemaless', extra?: Record<string, string>): Promise<ResolvedConnector>;
  /** Deletes the connector, drops its slot and publication, the schema. */
  cleanup(): Promise<void>;
}

export async function createCdcTestSource(cdcPrefix: string, pg: Client): Promise<CdcTestSource> {
  const schema = uniqueCrmSchema();
  await pg.query(crmSchemaDdl(schema));
  const config = testConnectConfig(cdcPrefix, schema);
  const service = createConnectorService(config, createKafkaConnectClient({ url: config.connectUrl }));
  const source: CdcTestSource = {
    schema,
    config,
    service,
    connector: null,
    async start(id, extra = {}) {
      const { connector } = await service.apply(id, { name: `c360test-${schema.replace(/_/g, '-')}`, extra });
      source.connector = connector;
      await service.waitUntilRunning(connector.name, 120_000);
      return connector;
    },
    async cleanup() {
      if (source.connector) await service.remove(source.connector.name, { dropSlot: true });
      await withPostgres(config.postgres, (c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
    },
  };
  return source;
}
