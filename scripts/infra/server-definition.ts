import type { InfraEndpoints } from './config';
import type { MavenModule } from './maven';
import type { ServerName } from './server-name';

/** Where a server keeps its files inside the cache. */
export interface ServerPaths {
  readonly dataDir: string;
  readonly confDir: string;
  readonly logFile: string;
  readonly pidFile: string;
}

export interface ServerContext {
  readonly cacheDir: string;
  readonly endpoints: InfraEndpoints;
  readonly paths: ServerPaths;
  /** Absolute path of `java` (only resolved for servers that have a Maven module). */
  readonly java: string;
  /** The server's Maven module directory with its jars/ and plugins/. */
  readonly lib: { readonly root: string; readonly jars: string; readonly plugins: string };
  readonly log: (message: string) => void;
}

export interface LaunchSpec {
  readonly command: string;
  readonly args: readonly string[];
  /** Appears in the process's command line; proves a pid is still ours. */
  readonly marker: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly uid?: number;
  readonly gid?: number;
}

/** How c360 provisions, starts, checks and stops one server. */
export interface ServerDefinition {
  readonly name: ServerName;
  readonly title: string;
  /** Servers that must be ready before this one starts. */
  readonly dependsOn: readonly ServerName[];
  /** Jars from Maven Central; absent for servers from the OS (PostgreSQL). */
  readonly module: MavenModule | null;
  /** host:port addresses the server binds; checked for squatters before starting. */
  readonly ports: (endpoints: InfraEndpoints) => readonly { host: string; port: number }[];
  readonly startTimeoutMs: number;
  /** The signal that makes the server shut down cleanly, and how long it may take before SIGKILL. */
  readonly stopSignal: NodeJS.Signals;
  readonly stopGraceMs: number;
  /** Appears in the server's command line (LaunchSpec.marker); finds the process when its pid file is lost. */
  readonly marker: (cacheDir: string) => string;
  /** Throws MissingToolError for programs the server needs besides java/mvn. */
  readonly checkTools?: () => void;
  /** Writes configuration and initialises data directories; idempotent. */
  readonly prepare: (ctx: ServerContext) => Promise<void>;
  readonly launch: (ctx: ServerContext) => LaunchSpec;
  /** What "started" means before afterReady ran (e.g. a superuser query before the app database exists); defaults to probe. */
  readonly startupProbe?: (endpoints: InfraEndpoints) => Promise<unknown>;
  /** Runs once the probe succeeds after a start (loading schemas, …). */
  readonly afterReady?: (ctx: ServerContext) => Promise<void>;
  /** One real client call; resolves with a short detail, rejects when the server is not usable. */
  readonly probe: (endpoints: InfraEndpoints) => Promise<string>;
}

/** JVM flags shared by the Java servers; heaps are sized so all five fit a 2-core / 24 GB machine with room for tests. */
export function jvmFlags(heap: string, marker: string): string[] {
  return [
    `-Xms${heap}`,
    `-Xmx${heap}`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=50',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    '-Dfile.encoding=UTF-8',
    marker,
  ];
}

export function markerFlag(name: ServerName, cacheDir: string): string {
  // The cache directory in the marker keeps two caches (two users, a test cache) from claiming each other's pids.
  return `-Dc360.infra=${name}@${cacheDir}`;
}
