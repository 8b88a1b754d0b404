/**
 * The one place scripts/infra reads the environment. Everything else receives
 * an `InfraConfig`. Local mode (the default) starts the servers on fixed
 * loopback ports; `C360_INFRA=external` starts nothing and points every client
 * at the endpoints given by the C360_* variables below.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from '../../graph-schema/errors';

export type InfraMode = 'local' | 'external';

export interface PostgresEndpoint {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: string;
  /** `postgres://user:password@host:port/database` */
  readonly connectionString: string;
  /** Where Kafka Connect (Debezium) reaches the same database; differs from host/port when Connect runs in a container. */
  readonly fromConnect: { readonly host: string; readonly port: number };
}

export interface InfraEndpoints {
  readonly kafka: { readonly brokers: readonly string[] };
  /** The traversal source bound by the server's init script is always `g`. */
  readonly gremlin: { readonly url: string; readonly traversalSource: string };
  readonly neo4j: { readonly url: string; readonly user: string; readonly password: string };
  readonly postgres: PostgresEndpoint;
  readonly connect: { readonly url: string };
  /** JanusGraph Server (Gremlin over WebSocket); its traversal source is `g` too. */
  readonly janusgraph: { readonly url: string; readonly traversalSource: string };
  /** Cassandra's CQL native transport, JanusGraph's storage backend. */
  readonly cassandra: { readonly host: string; readonly port: number };
}

export interface InfraConfig {
  readonly mode: InfraMode;
  /** Jars, data, logs and pid files; shared by every clone on the machine. */
  readonly cacheDir: string;
  /** JAVA_HOME when set; otherwise `java` is looked up on PATH. */
  readonly javaHome: string | null;
  readonly endpoints: InfraEndpoints;
}

/** Ports and credentials of the servers c360 starts itself. The Neo4j password is only for clients: auth is off. */
export const localEndpoints: InfraEndpoints = {
  kafka: { brokers: ['127.0.0.1:9092'] },
  gremlin: { url: 'ws://127.0.0.1:8182/gremlin', traversalSource: 'g' },
  neo4j: { url: 'bolt://127.0.0.1:7687', user: 'neo4j', password: 'c360-local' },
  postgres: postgresEndpoint('postgres://c360:c360@127.0.0.1:54329/crm', 'C360_POSTGRES_URL', null, null),
  connect: { url: 'http://127.0.0.1:8083' },
  // Next to Gremlin Server's 8182, so that both Gremlin backends can run (and be compared) at once.
  janusgraph: { url: 'ws://127.0.0.1:8183/gremlin', traversalSource: 'g' },
  cassandra: { host: '127.0.0.1', port: 9042 },
};

/** Internal ports that only the local servers use (Kafka's controller listener, Cassandra's gossip/storage port). */
export const localInternalPorts = { kafkaController: 9093, cassandraStorage: 7000 } as const;

type Env = Readonly<Record<string, string | undefined>>;

function text(env: Env, name: string): string | null {
  const raw = env[name]?.trim();
  return raw ? raw : null;
}

function url(env: Env, name: string, protocols: readonly string[], fallback: string): string {
  const raw = text(env, name);
  if (raw === null) return fallback;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `'${raw}' is not a URL`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `'${raw}' must use ${protocols.join(' or ')}`);
  }
  return raw;
}

function port(raw: string, name: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 65535) throw new ConfigError(name, `'${raw}' is not a port (1-65535)`);
  return n;
}

function postgresEndpoint(raw: string, setting: string, connectHost: string | null, connectPort: string | null) {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(setting, `'${raw}' is not a postgres:// URL`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConfigError(setting, `'${raw}' must use postgres://user:password@host:port/database`);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!parsed.hostname || !parsed.username || !database) {
    throw new ConfigError(setting, `'${raw}' must name a host, a user and a database`);
  }
  const p = parsed.port ? port(parsed.port, setting) : 5432;
  return {
    host: parsed.hostname,
    port: p,
    database,
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    connectionString: raw,
    fromConnect: {
      host: connectHost ?? parsed.hostname,
      port: connectPort === null ? p : port(connectPort, 'C360_CONNECT_POSTGRES_PORT'),
    },
  } satisfies PostgresEndpoint;
}

function cassandraEndpoint(env: Env): InfraEndpoints['cassandra'] {
  const raw = text(env, 'C360_CASSANDRA');
  if (raw === null) return localEndpoints.cassandra;
  const match = /^([^\s:]+):(\d+)$/.exec(raw);
  if (!match) throw new ConfigError('C360_CASSANDRA', `'${raw}' is not host:port`);
  return { host: match[1]!, port: port(match[2]!, 'C360_CASSANDRA') };
}

function externalEndpoints(env: Env): InfraEndpoints {
  const brokersRaw = text(env, 'C360_KAFKA_BROKERS');
  const brokers = brokersRaw === null ? localEndpoints.kafka.brokers : brokersRaw.split(',').map((b) => b.trim());
  for (const b of brokers) {
    if (!/^[^\s:]+:\d+$/.test(b)) throw new ConfigError('C360_KAFKA_BROKERS', `'${b}' is not host:port`);
  }
  const pgUrl = text(env, 'C360_POSTGRES_URL');
  return {
    kafka: { brokers },
    gremlin: {
      url: url(env, 'C360_GREMLIN_URL', ['ws:', 'wss:'], localEndpoints.gremlin.url),
      traversalSource: 'g',
    },
    neo4j: {
      url: url(env, 'C360_NEO4J_URL', ['bolt:', 'neo4j:', 'bolt+s:', 'neo4j+s:'], localEndpoints.neo4j.url),
      user: text(env, 'C360_NEO4J_USER') ?? localEndpoints.neo4j.user,
      password: text(env, 'C360_NEO4J_PASSWORD') ?? localEndpoints.neo4j.password,
    },
    postgres: postgresEndpoint(
      pgUrl ?? localEndpoints.postgres.connectionString,
      'C360_POSTGRES_URL',
      text(env, 'C360_CONNECT_POSTGRES_HOST'),
      text(env, 'C360_CONNECT_POSTGRES_PORT'),
    ),
    connect: { url: url(env, 'C360_CONNECT_URL', ['http:', 'https:'], localEndpoints.connect.url) },
    janusgraph: {
      url: url(env, 'C360_JANUSGRAPH_URL', ['ws:', 'wss:'], localEndpoints.janusgraph.url),
      traversalSource: 'g',
    },
    cassandra: cassandraEndpoint(env),
  };
}

export function createInfraConfig(env: Env = process.env): InfraConfig {
  const modeRaw = text(env, 'C360_INFRA') ?? 'local';
  if (modeRaw !== 'local' && modeRaw !== 'external') {
    throw new ConfigError('C360_INFRA', `'${modeRaw}' is not one of local, external`);
  }
  const cacheHome = text(env, 'XDG_CACHE_HOME') ?? join(homedir(), '.cache');
  const cacheDir = resolve(text(env, 'C360_INFRA_CACHE') ?? join(cacheHome, 'c360', 'infra'));
  return {
    mode: modeRaw,
    cacheDir,
    javaHome: text(env, 'JAVA_HOME'),
    endpoints: modeRaw === 'external' ? externalEndpoints(env) : localEndpoints,
  };
}
