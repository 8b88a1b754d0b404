/**
 * Neo4j 5.26 LTS Community. Neo4j publishes no server distribution to Maven
 * Central, so a small launcher (neo4j/Neo4jLauncher.java, run in Java's
 * single-file source mode) starts the embedded DBMS with the Bolt connector
 * on — the same kernel and Bolt server the distribution runs.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import neo4j from 'neo4j-driver';
import type { InfraEndpoints } from '../config';
import { StartError } from '../errors';
import { jvmFlags, markerFlag, type ServerContext, type ServerDefinition } from '../server-definition';
import { versions } from '../versions';

const launcherSource = join(__dirname, '..', 'neo4j', 'Neo4jLauncher.java');

function address(endpoints: InfraEndpoints): { host: string; port: number } {
  const url = new URL(endpoints.neo4j.url);
  return { host: url.hostname, port: Number(url.port || 7687) };
}

function launcherClassesDir(ctx: ServerContext): string {
  const hash = createHash('sha256').update(readFileSync(launcherSource)).digest('hex').slice(0, 12);
  return join(ctx.lib.root, `launcher-${hash}`);
}

/**
 * Compiles the launcher once per source version: single-file source mode would
 * compile it against 200 jars on every start, which costs 10-20 s on two busy cores.
 */
function compileLauncher(ctx: ServerContext): void {
  const out = launcherClassesDir(ctx);
  if (existsSync(join(out, 'Neo4jLauncher.class'))) return;
  const javac = join(dirname(ctx.java), 'javac');
  if (!existsSync(javac)) return; // a JRE without javac: launch() falls back to source mode
  const result = spawnSync(javac, ['-cp', join(ctx.lib.jars, '*'), '-d', `${out}.tmp`, launcherSource], {
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new StartError(
      'neo4j',
      `javac Neo4jLauncher.java failed:\n${result.stdout}${result.stderr}`,
      ctx.paths.logFile,
    );
  }
  rmSync(out, { recursive: true, force: true });
  renameSync(`${out}.tmp`, out);
}

/** `-cp <classpath> <main>`: the compiled launcher when there is one, else Java's single-file source mode. */
function launcherClasspath(ctx: ServerContext): string[] {
  const out = launcherClassesDir(ctx);
  if (existsSync(join(out, 'Neo4jLauncher.class'))) {
    return [`${out}${delimiter}${join(ctx.lib.jars, '*')}`, 'Neo4jLauncher'];
  }
  return [join(ctx.lib.jars, '*'), launcherSource];
}

export const neo4jServer: ServerDefinition = {
  name: 'neo4j',
  title: `Neo4j ${versions.neo4j} Community (Bolt, auth disabled)`,
  marker: (cacheDir) => markerFlag('neo4j', cacheDir),
  dependsOn: [],
  module: {
    id: `neo4j-${versions.neo4j}`,
    dependencies: [{ groupId: 'org.neo4j', artifactId: 'neo4j', version: versions.neo4j }],
  },
  ports: (endpoints) => [address(endpoints)],
  startTimeoutMs: 120_000,
  stopSignal: 'SIGTERM',
  stopGraceMs: 30_000,
  async prepare(ctx) {
    mkdirSync(ctx.paths.dataDir, { recursive: true });
    compileLauncher(ctx);
  },
  launch(ctx) {
    const marker = markerFlag('neo4j', ctx.cacheDir);
    const { host, port } = address(ctx.endpoints);
    return {
      command: ctx.java,
      args: [
        ...jvmFlags('2g', marker),
        // Neo4j's own recommendations for its JVM (from the distribution's neo4j.conf).
        '-XX:+UnlockExperimentalVMOptions',
        '-XX:+TrustFinalNonStaticFields',
        '-XX:-OmitStackTraceInFastThrow',
        '-XX:+DisableExplicitGC',
        '-Djdk.nio.maxCachedBufferSize=1024',
        '-Dio.netty.tryReflectionSetAccessible=true',
        '--add-opens=java.base/java.nio=ALL-UNNAMED',
        '--add-opens=java.base/java.io=ALL-UNNAMED',
        '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
        '--add-opens=java.base/java.lang=ALL-UNNAMED',
        '-cp',
        ...launcherClasspath(ctx),
        ctx.paths.dataDir,
        host,
        String(port),
        '1024',
      ],
      marker,
    };
  },
  async probe(endpoints) {
    const driver = neo4j.driver(endpoints.neo4j.url, neo4j.auth.basic(endpoints.neo4j.user, endpoints.neo4j.password), {
      connectionTimeout: 3000,
      maxConnectionPoolSize: 1,
      connectionAcquisitionTimeout: 5000,
    });
    try {
      const result = await driver.executeQuery('RETURN 1 AS one');
      const one = result.records[0]?.get('one');
      if (Number(one) !== 1) throw new Error(`RETURN 1 returned ${String(one)}`);
      const info = await driver.getServerInfo();
      return `${info.agent ?? 'neo4j'} RETURN 1 = 1`;
    } finally {
      await driver.close();
    }
  },
};
