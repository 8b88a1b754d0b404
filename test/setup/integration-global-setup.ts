/**
 * Jest globalSetup of the `integration` project: makes sure every server the
 * integration tests use is up — on a fresh machine that means downloading the
 * jars from Maven Central first (a few minutes, once per machine) — unless
 * C360_INFRA=external, where it only checks that the configured endpoints answer.
 *
 * There is deliberately no globalTeardown: the servers stay up between runs so
 * the next `jest` starts in seconds; `c360 infra down` stops them. CI stops
 * them itself after `npm test` (.ci/run).
 */
import { createInfraConfig, defaultServerNames, infraUp, type ServerName } from '../../scripts/infra';

/** The default servers plus JanusGraph (and so Cassandra), which the JanusGraph suites run on. */
const testServers: readonly ServerName[] = [...defaultServerNames, 'janusgraph'];

export default async function integrationGlobalSetup(): Promise<void> {
  const config = createInfraConfig(process.env);
  const started = Date.now();
  process.stderr.write(
    config.mode === 'external'
      ? '\n[c360 infra] C360_INFRA=external: checking the configured servers\n'
      : `\n[c360 infra] starting ${testServers.join(', ')} (cache: ${config.cacheDir})\n`,
  );
  await infraUp(testServers, { config });
  process.stderr.write(`[c360 infra] all servers ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
