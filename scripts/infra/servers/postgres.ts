/**
 * PostgreSQL from the operating system's packages (Debian's postgresql), a
 * private cluster on its own port with wal_level=logical so Debezium can
 * stream it, the sample CRM schema loaded into database `crm`, and a
 * replication-capable login for Debezium.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Client, type ClientConfig } from 'pg';
import type { InfraEndpoints } from '../config';
import { StartError } from '../errors';
import type { ServerContext, ServerDefinition } from '../server-definition';
import { findPostgres, postgresRunAs } from '../tools';

const sqlDir = join(__dirname, '..', 'postgres');
/** The cluster's superuser password; local only, loopback only. */
const superuserPassword = 'c360-postgres';

/**
 * As root the cluster runs as the `postgres` user, which cannot enter root's
 * home (mode 700), so its data lives under /var/tmp, keyed by the cache path.
 */
export function postgresDataDir(cacheDir: string): string {
  if (postgresRunAs() === null) return join(cacheDir, 'postgres', 'data');
  const key = createHash('sha256').update(cacheDir).digest('hex').slice(0, 8);
  return join('/var/tmp', `c360-infra-${key}`, 'postgres');
}

function superuserConnection(endpoints: InfraEndpoints) {
  return {
    host: endpoints.postgres.host,
    port: endpoints.postgres.port,
    user: 'postgres',
    password: superuserPassword,
    database: 'postgres',
  };
}

async function withClient<T>(config: ClientConfig | string, fn: (c: Client) => Promise<T>): Promise<T> {
  const options = typeof config === 'string' ? { connectionString: config } : config;
  const client = new Client({ connectionTimeoutMillis: 3000, ...options });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function initCluster(ctx: ServerContext, dataDir: string): void {
  const { binDir } = findPostgres();
  const runAs = postgresRunAs();
  // The parent must stay enterable by the postgres user; the data directory itself must be 0700 (initdb insists).
  mkdirSync(dirname(dataDir), { recursive: true, mode: 0o755 });
  mkdirSync(dataDir, { mode: 0o700 });
  const pwFile = join(dirname(dataDir), '.pwfile');
  writeFileSync(pwFile, `${superuserPassword}\n`, { mode: 0o600 });
  if (runAs) {
    chownSync(dataDir, runAs.uid, runAs.gid);
    chownSync(pwFile, runAs.uid, runAs.gid);
  }
  ctx.log(`initdb ${dataDir}`);
  const result = spawnSync(
    join(binDir, 'initdb'),
    [
      '-D',
      dataDir,
      '-U',
      'postgres',
      `--pwfile=${pwFile}`,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C',
      '--no-instructions',
    ],
    { encoding: 'utf8', cwd: dirname(dataDir), uid: runAs?.uid, gid: runAs?.gid },
  );
  rmSync(pwFile, { force: true });
  if (result.status !== 0) {
    rmSync(dataDir, { recursive: true, force: true });
    throw new StartError(
      'postgres',
      `initdb failed (exit ${result.status}):\n${result.stdout}${result.stderr}`,
      ctx.paths.logFile,
    );
  }
}

export const postgresServer: ServerDefinition = {
  name: 'postgres',
  title: 'PostgreSQL (wal_level=logical, database crm)',
  marker: (cacheDir) => `-D ${postgresDataDir(cacheDir)} `,
  dependsOn: [],
  module: null,
  ports: (endpoints) => [{ host: endpoints.postgres.host, port: endpoints.postgres.port }],
  startTimeoutMs: 60_000,
  // SIGINT is PostgreSQL's "fast" shutdown: roll back sessions, checkpoint, exit.
  stopSignal: 'SIGINT',
  stopGraceMs: 30_000,
  checkTools() {
    findPostgres();
    postgresRunAs();
  },
  async prepare(ctx) {
    const dataDir = postgresDataDir(ctx.cacheDir);
    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      rmSync(dataDir, { recursive: true, force: true });
      initCluster(ctx, dataDir);
    }
  },
  launch(ctx) {
    const { binDir } = findPostgres();
    const runAs = postgresRunAs();
    const dataDir = postgresDataDir(ctx.cacheDir);
    const { host, port } = ctx.endpoints.postgres;
    const settings = {
      listen_addresses: host,
      port: String(port),
      // Unix sockets would need a directory both users can write; clients use TCP.
      unix_socket_directories: '',
      wal_level: 'logical',
      max_wal_senders: '10',
      max_replication_slots: '10',
      max_connections: '200',
      // A disposable development cluster: durability across power loss buys nothing and costs test time.
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      log_min_messages: 'warning',
    };
    return {
      command: join(binDir, 'postgres'),
      args: ['-D', dataDir, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])],
      marker: `-D ${dataDir} `,
      cwd: dirname(dataDir),
      uid: runAs?.uid,
      gid: runAs?.gid,
    };
  },
  async startupProbe(endpoints) {
    await withClient(superuserConnection(endpoints), (c) => c.query('SELECT 1'));
  },
  async afterReady(ctx) {
    const pg = ctx.endpoints.postgres;
    await withClient(superuserConnection(ctx.endpoints), async (c) => {
      const role = await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [pg.user]);
      // Identifiers cannot be bound parameters; these come from c360's own constants, not from input.
      const password = pg.password.replace(/'/g, "''");
      if (role.rowCount === 0) {
        await c.query(`CREATE ROLE "${pg.user}" LOGIN REPLICATION PASSWORD '${password}'`);
      } else {
        await c.query(`ALTER ROLE "${pg.user}" LOGIN REPLICATION PASSWORD '${password}'`);
      }
      const db = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [pg.database]);
      if (db.rowCount === 0) await c.query(`CREATE DATABASE "${pg.database}" OWNER "${pg.user}"`);
    });
    // As the owner, so Debezium (same user) can create its publication for the CRM tables.
    await withClient(pg.connectionString, async (c) => {
      await c.query(readFileSync(join(sqlDir, 'crm-schema.sql'), 'utf8'));
      await c.query(readFileSync(join(sqlDir, 'seed.sql'), 'utf8'));
    });
  },
  async probe(endpoints) {
    return withClient(endpoints.postgres.connectionString, async (c) => {
      const r = await c.query<{ wal_level: string; version: string }>(
        "SELECT current_setting('wal_level') AS wal_level, current_setting('server_version') AS version",
      );
      const row = r.rows[0]!;
      return `PostgreSQL ${row.version}, wal_level=${row.wal_level}`;
    });
  },
};
