/**
 * Where the connectors run and what they read: Kafka Connect's REST URL, the
 * source database as Connect reaches it, and the names a deployment chooses.
 * Same rule as app/config: explicit options over environment over
 * defaults (which are the local `c360 infra` servers); a bad value is a
 * `ConfigError` naming the setting.
 */
import { ConfigError } from '../../graph-schema';

export interface PostgresSource {
  /** Host and port as Kafka Connect reaches the database (may differ from this machine's view). */
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: string;
  /** Host and port as this process reaches the database (slot cleanup, tests). */
  readonly local: { readonly host: string; readonly port: number };
}

export interface ConnectConfig {
  readonly connectUrl: string;
  readonly postgres: PostgresSource;
  /** Debezium `topic.prefix`: topics are `<prefix>.<schema>.<table>` (app/config's cdcPrefix). */
  readonly cdcPrefix: string;
  /** The schema holding the CRM tables. */
  readonly crmSchema: string;
  /** Prefix of connector names; the replication slot and publication derive from the connector name. */
  readonly connectorPrefix: string;
}

export type ConnectConfigOptions = Partial<{
  connectUrl: string;
  postgresUrl: string;
  postgresHost: string;
  postgresPort: number;
  cdcPrefix: string;
  crmSchema: string;
  connectorPrefix: string;
}>;

type Env = Readonly<Record<string, string | undefined>>;

const DEFAULT_POSTGRES_URL = 'postgres://c360:c360@127.0.0.1:54329/crm';

/** A name Kafka Connect, Kafka topics and PostgreSQL identifiers all accept. */
const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,47}$/;
const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export function createConnectConfig(options: ConnectConfigOptions = {}, env: Env = {}): ConnectConfig {
  const connectUrl = options.connectUrl ?? env['C360_CONNECT_URL'] ?? 'http://127.0.0.1:8083';
  let url: URL;
  try {
    url = new URL(connectUrl);
  } catch {
    throw new ConfigError('C360_CONNECT_URL', `'${connectUrl}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('C360_CONNECT_URL', 'must be an http:// or https:// URL');
  }
  const rawPg = options.postgresUrl ?? env['C360_POSTGRES_URL'] ?? DEFAULT_POSTGRES_URL;
  let pg: URL;
  try {
    pg = new URL(rawPg);
  } catch {
    // Never echo the value: it holds the password.
    throw new ConfigError('C360_POSTGRES_URL', 'is not a postgres://user:password@host:port/database URL');
  }
  if (pg.protocol !== 'postgres:' && pg.protocol !== 'postgresql:') {
    throw new ConfigError('C360_POSTGRES_URL', 'must use postgres://user:password@host:port/database');
  }
  const database = decodeURIComponent(pg.pathname.replace(/^\//, ''));
  if (!database || !pg.username) {
    throw new ConfigError('C360_POSTGRES_URL', 'must name a user and a database');
  }
  const port = options.postgresPort ?? portOf(env['C360_CONNECT_POSTGRES_PORT'], pg.port || '5432');
  const cdcPrefix = options.cdcPrefix ?? env['C360_CDC_PREFIX'] ?? 'c360';
  if (!/^[A-Za-z0-9_-]+$/.test(cdcPrefix)) {
    throw new ConfigError('C360_CDC_PREFIX', `'${cdcPrefix}' may hold only letters, digits, '_' and '-'`);
  }
  const crmSchema = options.crmSchema ?? env['C360_CRM_SCHEMA'] ?? 'crm';
  if (!SQL_IDENTIFIER.test(crmSchema)) {
    throw new ConfigError('C360_CRM_SCHEMA', `'${crmSchema}' is not a lower-case SQL identifier`);
  }
  const connectorPrefix = options.connectorPrefix ?? env['C360_CONNECTOR_PREFIX'] ?? 'c360';
  if (!NAME.test(connectorPrefix)) {
    throw new ConfigError('C360_CONNECTOR_PREFIX', `'${connectorPrefix}' must match ${NAME}`);
  }
  return {
    connectUrl: connectUrl.replace(/\/+$/, ''),
    postgres: {
      host: options.postgresHost ?? env['C360_CONNECT_POSTGRES_HOST'] ?? pg.hostname,
      port,
      database,
      user: decodeURIComponent(pg.username),
      password: decodeURIComponent(pg.password),
      local: { host: pg.hostname, port: Number(pg.port || '5432') },
    },
    cdcPrefix,
    crmSchema,
    connectorPrefix,
  };

  function portOf(raw: string | undefined, fallback: string): number {
    const value = raw ?? fallback;
    const n = Number(value);
    if (!/^\d{1,5}$/.test(value) || n < 1 || n > 65535) {
      throw new ConfigError('C360_CONNECT_POSTGRES_PORT', `'${value}' is not a port`);
    }
    return n;
  }
}

/** For logs: the password is never printed. */
export function redactConnectConfig(config: ConnectConfig): Record<string, unknown> {
  return { ...config, postgres: { ...config.postgres, password: '***' } };
}
