/**
 * Provision, start, check and stop the local servers. Every operation is
 * idempotent: `up` on a healthy server only probes it, `down` on a stopped one
 * does nothing, and a stale pid file (crash, reboot) is recognised and replaced.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createInfraConfig, type InfraConfig, type InfraEndpoints } from './config';
import { InfraError, PortInUseError, StartError } from './errors';
import { tailOf } from './log-files';
import { moduleDirs, provisionModules } from './maven';
import type { PidRecord } from './process-tree';
import {
  c360ServerOnPort,
  findByMarker,
  isRunning,
  processTree,
  readPidFile,
  removePidFile,
  spawnDetached,
  stopTree,
  writePidFile,
} from './process-tree';
import type { ServerContext, ServerDefinition, ServerPaths } from './server-definition';
import { defaultServerNames, type ServerName, serverNames } from './server-name';
import { cassandraServer } from './servers/cassandra';
import { connectServer } from './servers/connect';
import { gremlinServer } from './servers/gremlin';
import { janusGraphServer } from './servers/janusgraph';
import { kafkaServer } from './servers/kafka';
import { neo4jServer } from './servers/neo4j';
import { postgresDataDir, postgresServer } from './servers/postgres';
import { findJava } from './tools';

export const servers: Readonly<Record<ServerName, ServerDefinition>> = {
  kafka: kafkaServer,
  gremlin: gremlinServer,
  neo4j: neo4jServer,
  postgres: postgresServer,
  connect: connectServer,
  cassandra: cassandraServer,
  janusgraph: janusGraphServer,
};

export interface InfraOptions {
  /** Defaults to createInfraConfig(process.env). */
  readonly config?: InfraConfig;
  /** Progress lines; defaults to stderr. */
  readonly log?: (message: string) => void;
}

export type ServerState = 'running' | 'stopped' | 'external';

export interface ServerStatus {
  readonly name: ServerName;
  readonly title: string;
  readonly state: ServerState;
  /** True when the server answered its real client call (kafkajs, gremlin, neo4j-driver, pg, HTTP). */
  readonly healthy: boolean;
  readonly pid: number | null;
  readonly endpoint: string;
  /** What the probe returned, or why it failed. */
  readonly detail: string;
  readonly logFile: string | null;
}

const defaultLog = (message: string) => process.stderr.write(`[c360 infra] ${message}\n`);

export function infraEndpoints(config: InfraConfig = createInfraConfig()): InfraEndpoints {
  return config.endpoints;
}

export function endpointOf(name: ServerName, endpoints: InfraEndpoints): string {
  switch (name) {
    case 'kafka':
      return endpoints.kafka.brokers.join(',');
    case 'gremlin':
      return endpoints.gremlin.url;
    case 'neo4j':
      return endpoints.neo4j.url;
    case 'postgres': {
      const pg = endpoints.postgres;
      return `postgres://${pg.user}@${pg.host}:${pg.port}/${pg.database}`;
    }
    case 'connect':
      return endpoints.connect.url;
    case 'cassandra':
      return `${endpoints.cassandra.host}:${endpoints.cassandra.port}`;
    case 'janusgraph':
      return endpoints.janusgraph.url;
    default: {
      const never: never = name;
      throw new InfraError(`unknown server ${String(never)}`, { code: 'INFRA_UNKNOWN_SERVER' });
    }
  }
}

export function serverPaths(cacheDir: string, name: ServerName): ServerPaths {
  return {
    dataDir: name === 'postgres' ? postgresDataDir(cacheDir) : join(cacheDir, 'data', name),
    confDir: join(cacheDir, 'conf', name),
    logFile: join(cacheDir, 'logs', `${name}.log`),
    pidFile: join(cacheDir, 'run', `${name}.pid`),
  };
}

/** The requested servers plus what they depend on, in start order. */
function withDependencies(names: readonly ServerName[]): ServerName[] {
  const wanted = new Set<ServerName>();
  const add = (n: ServerName) => {
    if (wanted.has(n)) return;
    wanted.add(n);
    for (const d of servers[n].dependsOn) add(d);
  };
  for (const n of names) add(n);
  return serverNames.filter((n) => wanted.has(n));
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function probe(def: ServerDefinition, endpoints: InfraEndpoints): Promise<{ ok: boolean; detail: string }> {
  try {
    return { ok: true, detail: await withTimeout(def.probe(endpoints), 15_000, `${def.name} probe`) };
  } catch (e) {
    return { ok: false, detail: (e as Error).message || String(e) };
  }
}

function portTaken(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(1000);
    const done = (taken: boolean) => {
      socket.destroy();
      resolve(taken);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

function lockOwner(lockDir: string): number {
  try {
    return Number(readFileSync(join(lockDir, 'owner'), 'utf8')) || 0;
  } catch {
    return 0;
  }
}

function lockAgeMs(lockDir: string): number {
  try {
    return statSync(lockDir).mtimeMs;
  } catch {
    return 0;
  }
}

/** One `up`/`down` at a time per cache: jest's globalSetup and a manual `c360 infra up` must not race. */
async function withLock<T>(cacheDir: string, log: (m: string) => void, fn: () => Promise<T>): Promise<T> {
  const lockDir = join(cacheDir, 'run', 'infra.lock');
  mkdirSync(join(cacheDir, 'run'), { recursive: true });
  const deadline = Date.now() + 15 * 60_000;
  let told = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'owner'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = lockOwner(lockDir);
      // An empty owner file on a fresh lock means its holder is between mkdir and write.
      const fresh = owner === 0 && Date.now() - lockAgeMs(lockDir) < 10_000;
      if (!fresh && (owner === 0 || !existsSync(`/proc/${owner}`))) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new InfraError(`another c360 infra command (pid ${owner}) holds ${lockDir}`, {
          code: 'INFRA_LOCKED',
          retriable: true,
        });
      }
      if (!told) log(`waiting for another c360 infra command (pid ${owner}) to finish`);
      told = true;
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

async function startServer(
  def: ServerDefinition,
  config: InfraConfig,
  java: string,
  log: (m: string) => void,
): Promise<ServerStatus> {
  const paths = serverPaths(config.cacheDir, def.name);
  const lib = def.module ? moduleDirs(config.cacheDir, def.module) : { root: '', jars: '', plugins: '' };
  const ctx: ServerContext = {
    cacheDir: config.cacheDir,
    endpoints: config.endpoints,
    paths,
    java,
    lib,
    log: (m) => log(`${def.name}: ${m}`),
  };
  const spec = def.launch(ctx);
  let existing = readPidFile(paths.pidFile);
  if (!isRunning(existing)) {
    const adopted = findByMarker(spec.marker);
    if (adopted !== null) {
      existing = { pid: adopted, marker: spec.marker, startedAt: new Date().toISOString() };
      writePidFile(paths.pidFile, existing);
      log(`${def.name}: found pid ${adopted} running from this cache without a pid file; adopting it`);
    }
  }
  if (isRunning(existing)) {
    const check = await probe(def, config.endpoints);
    if (check.ok) {
      log(`${def.name}: already running (pid ${existing.pid})`);
      return status(def, config, 'running', existing.pid, check);
    }
    // Ours but unhealthy (still starting, or wedged): restart it rather than report a half-working server.
    log(`${def.name}: pid ${existing.pid} is not healthy (${check.detail}); restarting`);
    await stopTree(existing, def.stopSignal, def.stopGraceMs);
  }
  removePidFile(paths.pidFile);
  for (const { host, port } of def.ports(config.endpoints)) {
    if (await portTaken(host, port)) {
      const holder = c360ServerOnPort(port);
      throw new PortInUseError(
        def.name,
        `${host}:${port}`,
        holder === null ? null : `pid ${holder.pid}, ${holder.marker}`,
      );
    }
  }
  await def.prepare(ctx);
  const started = Date.now();
  log(`${def.name}: starting ${def.title} (log: ${paths.logFile})`);
  const child = spawnDetached(spec.command, spec.args, {
    logFile: paths.logFile,
    pidFile: paths.pidFile,
    marker: spec.marker,
    cwd: spec.cwd,
    env: spec.env,
    uid: spec.uid,
    gid: spec.gid,
  });
  let exitCode: number | null | undefined;
  void child.exited.then((code) => {
    exitCode = code;
  });
  const startupProbe = def.startupProbe ?? def.probe;
  let lastError = '';
  for (;;) {
    if (exitCode !== undefined || !isRunning(child.record)) {
      removePidFile(paths.pidFile);
      throw new StartError(
        def.name,
        `${def.name} exited during startup (code ${exitCode ?? 'unknown'}). End of ${paths.logFile}:\n${tailOf(paths.logFile, 40)}`,
        paths.logFile,
      );
    }
    try {
      await withTimeout(startupProbe(config.endpoints), 10_000, `${def.name} startup probe`);
      break;
    } catch (e) {
      lastError = (e as Error).message;
    }
    if (Date.now() - started > def.startTimeoutMs) {
      await stopTree(child.record, 'SIGKILL', 0);
      removePidFile(paths.pidFile);
      throw new StartError(
        def.name,
        `${def.name} was not ready after ${def.startTimeoutMs} ms (last probe: ${lastError}). End of ${paths.logFile}:\n${tailOf(paths.logFile, 40)}`,
        paths.logFile,
      );
    }
    await sleep(500);
  }
  if (def.afterReady) await def.afterReady(ctx);
  const check = await probe(def, config.endpoints);
  if (!check.ok) {
    throw new StartError(def.name, `${def.name} started but its probe failed: ${check.detail}`, paths.logFile);
  }
  log(`${def.name}: ready in ${((Date.now() - started) / 1000).toFixed(1)} s — ${check.detail}`);
  return status(def, config, 'running', child.record.pid, check);
}

function status(
  def: ServerDefinition,
  config: InfraConfig,
  state: ServerState,
  pid: number | null,
  check: { ok: boolean; detail: string },
): ServerStatus {
  return {
    name: def.name,
    title: def.title,
    state,
    healthy: check.ok,
    pid,
    endpoint: endpointOf(def.name, config.endpoints),
    detail: check.detail,
    logFile: state === 'external' ? null : serverPaths(config.cacheDir, def.name).logFile,
  };
}

/**
 * Provisions (first run: downloads from Maven Central) and starts the named
 * servers — the default five unless named (Cassandra and JanusGraph are opt-in) — and their dependencies, and resolves when
 * every one answers its client probe. With C360_INFRA=external it starts
 * nothing and only checks that the configured endpoints answer.
 */
export async function infraUp(
  names: readonly ServerName[] = defaultServerNames,
  options: InfraOptions = {},
): Promise<ServerStatus[]> {
  const config = options.config ?? createInfraConfig();
  const log = options.log ?? defaultLog;
  const wanted = withDependencies(names);
  if (config.mode === 'external') {
    const statuses = await Promise.all(wanted.map((n) => externalStatus(servers[n], config)));
    const down = statuses.filter((s) => !s.healthy);
    if (down.length > 0) {
      throw new InfraError(
        `C360_INFRA=external but ${down.map((s) => `${s.name} (${s.endpoint}: ${s.detail})`).join('; ')} did not answer`,
        { code: 'INFRA_EXTERNAL_UNAVAILABLE', retriable: true },
      );
    }
    return statuses;
  }
  return withLock(config.cacheDir, log, async () => {
    const defs = wanted.map((n) => servers[n]);
    for (const def of defs) def.checkTools?.();
    const modules = defs.flatMap((d) => (d.module ? [d.module] : []));
    const java = modules.length > 0 ? findJava(config.javaHome).java : '';
    const provisionStarted = Date.now();
    await provisionModules(config.cacheDir, modules, log);
    const provisionMs = Date.now() - provisionStarted;
    if (provisionMs > 1000) log(`artifacts ready in ${(provisionMs / 1000).toFixed(1)} s`);
    // Each server starts as soon as its dependencies are ready; independent ones start together.
    const started = new Map<ServerName, Promise<ServerStatus>>();
    for (const def of defs) {
      const deps = def.dependsOn.filter((d) => started.has(d)).map((d) => started.get(d)!);
      started.set(
        def.name,
        Promise.all(deps).then(() => startServer(def, config, java, log)),
      );
    }
    const results = await Promise.allSettled(defs.map((d) => started.get(d.name)!));
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) {
      throw new InfraError(failures.map((f) => (f as Error).message).join('\n\n'), {
        code: 'INFRA_START_FAILED',
        cause: failures[0],
      });
    }
    return results.map((r) => (r as PromiseFulfilledResult<ServerStatus>).value);
  });
}

/** Stops the named servers (all by default) and every process they started. Servers c360 did not start are left alone. */
export async function infraDown(
  names: readonly ServerName[] = serverNames,
  options: InfraOptions = {},
): Promise<ServerName[]> {
  const config = options.config ?? createInfraConfig();
  const log = options.log ?? defaultLog;
  if (config.mode === 'external') {
    log('C360_INFRA=external: nothing to stop');
    return [];
  }
  return withLock(config.cacheDir, log, async () => {
    const stopped: ServerName[] = [];
    // Reverse start order: Connect leaves its group and commits offsets while Kafka is still up.
    const order = [...serverNames].reverse().filter((n) => names.includes(n));
    for (const name of order) {
      const def = servers[name];
      const paths = serverPaths(config.cacheDir, name);
      const record = runningRecord(def, config);
      if (isRunning(record)) {
        log(`${name}: stopping pid ${record.pid} and ${processTree(record.pid).length - 1} child processes`);
        await stopTree(record, def.stopSignal, def.stopGraceMs);
        stopped.push(name);
      }
      removePidFile(paths.pidFile);
    }
    return stopped;
  });
}

/** The pid file's record, or — when the pid file was lost — the process carrying the server's marker. */
function runningRecord(def: ServerDefinition, config: InfraConfig): PidRecord | null {
  const record = readPidFile(serverPaths(config.cacheDir, def.name).pidFile);
  if (isRunning(record)) return record;
  const marker = def.marker(config.cacheDir);
  const pid = findByMarker(marker);
  return pid === null ? null : { pid, marker, startedAt: '' };
}

async function externalStatus(def: ServerDefinition, config: InfraConfig): Promise<ServerStatus> {
  return status(def, config, 'external', null, await probe(def, config.endpoints));
}

/**
 * The state of the default servers, plus the opt-in ones (Cassandra, JanusGraph) when they run or
 * are named in `include`, and the answer to each one's client probe.
 */
export async function infraStatus(
  options: InfraOptions & { include?: readonly ServerName[] } = {},
): Promise<ServerStatus[]> {
  const config = options.config ?? createInfraConfig();
  const shown = serverNames.filter(
    (name) =>
      (defaultServerNames as readonly ServerName[]).includes(name) ||
      options.include?.includes(name) ||
      (config.mode === 'local' && isRunning(runningRecord(servers[name], config))),
  );
  return Promise.all(
    shown.map(async (name) => {
      const def = servers[name];
      if (config.mode === 'external') return externalStatus(def, config);
      const record = runningRecord(def, config);
      if (!isRunning(record)) return status(def, config, 'stopped', null, { ok: false, detail: 'not running' });
      return status(def, config, 'running', record.pid, await probe(def, config.endpoints));
    }),
  );
}

export interface ServerLog {
  readonly file: string;
  /** The last lines of the log ('' when the server never ran). */
  readonly text: string;
}

export function infraLogs(name: ServerName, options: InfraOptions & { lines?: number } = {}): ServerLog {
  const config = options.config ?? createInfraConfig();
  const file = serverPaths(config.cacheDir, name).logFile;
  return { file, text: tailOf(file, options.lines ?? 100) };
}
