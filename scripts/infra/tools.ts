/**
 * Locating the programs the servers need. Each miss is a MissingToolError that
 * says how to install the program, because "spawn java ENOENT" tells nobody
 * what to do.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { MissingToolError } from './errors';
import { versions } from './versions';

function onPath(program: string): string | null {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

export interface JavaTools {
  readonly java: string;
}

/** Java 17+: Kafka 3.9, Gremlin Server 3.8 and Neo4j 5.26 all run on 17 and 21. */
export function findJava(javaHome: string | null): JavaTools {
  const hint = 'apt-get install -y openjdk-17-jdk-headless (or set JAVA_HOME to a JDK 17 or 21)';
  const java = javaHome && existsSync(join(javaHome, 'bin', 'java')) ? join(javaHome, 'bin', 'java') : onPath('java');
  if (java === null) throw new MissingToolError('java', 'Kafka, Kafka Connect, Gremlin Server and Neo4j', hint);
  const match = /version "(\d+)(?:\.(\d+))?/.exec(outputOf(java, ['-version']));
  const major = match ? (match[1] === '1' ? Number(match[2]) : Number(match[1])) : null;
  if (major !== null && major < 17) {
    throw new MissingToolError(`java 17+ (found ${major})`, 'Neo4j 5.26 and Gremlin Server 3.8', hint);
  }
  return { java };
}

/** stdout and stderr together (`java -version` prints to stderr); '' when the program cannot run. */
function outputOf(program: string, args: string[]): string {
  const r = spawnSync(program, args, { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}

export function findMaven(): string {
  const mvn = onPath('mvn');
  if (mvn === null) {
    throw new MissingToolError('mvn', 'downloading the server jars from Maven Central', 'apt-get install -y maven');
  }
  return mvn;
}

export interface PostgresTools {
  readonly binDir: string;
  readonly major: number;
}

/**
 * Debian keeps the server programs in /usr/lib/postgresql/<major>/bin, off PATH;
 * prefer PATH (a custom build), then the newest Debian major.
 */
export function findPostgres(): PostgresTools {
  const hint = 'apt-get update && apt-get install -y postgresql';
  const fromPath = onPath('postgres');
  const candidates: string[] = [];
  if (fromPath !== null && onPath('initdb') !== null) candidates.push(join(fromPath, '..'));
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const majors = readdirSync(debian)
      .filter((d) => /^\d+$/.test(d))
      .sort((a, b) => Number(b) - Number(a));
    for (const m of majors) candidates.push(join(debian, m, 'bin'));
  }
  for (const dir of candidates) {
    const postgres = join(dir, 'postgres');
    if (!existsSync(postgres) || !existsSync(join(dir, 'initdb'))) continue;
    const match = /(\d+)(?:\.\d+)?/.exec(outputOf(postgres, ['--version']));
    const major = match ? Number(match[1]) : 0;
    if (major >= versions.postgresMinMajor) return { binDir: realBinDir(dir), major };
  }
  throw new MissingToolError(`postgres ${versions.postgresMinMajor}+ (server and initdb)`, 'the CRM database', hint);
}

function realBinDir(dir: string): string {
  try {
    return realpathSync(join(dir, 'postgres'), { encoding: 'utf8' }).replace(/\/postgres$/, '');
  } catch {
    return dir;
  }
}

/** PostgreSQL refuses to run as root; as root we run it as this user (created by Debian's package). */
export function postgresRunAs(): { uid: number; gid: number; user: string } | null {
  if (process.getuid?.() !== 0) return null;
  let passwd = '';
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    // no passwd file: reported as a missing user below
  }
  const entry = passwd
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === 'postgres');
  if (!entry) {
    throw new MissingToolError(
      'user postgres',
      'running PostgreSQL as root (PostgreSQL refuses root)',
      'apt-get install -y postgresql (it creates the postgres user), or run as a non-root user',
    );
  }
  return { uid: Number(entry[2]), gid: Number(entry[3]), user: 'postgres' };
}
