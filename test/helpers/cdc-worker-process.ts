/**
 * A CDC worker process for the CDC tests: `node --import tsx test/helpers/cdc-worker-process.ts`
 * with C360_* settings in the environment (a composition root, so it reads them).
 * Same Kafka consumer group worker as `c360 worker`, with the CDC pipeline
 * (truncates, `_source` markers, kept columns) and every schema aliased to the
 * `crm.*` mappings (`C360_TEST_CDC_ALIAS=crm`), so a test's private copy of the
 * CRM maps like the real one — or, with `C360_MAPPINGS` and no alias, the user's own mapping
 * file, as every c360 process loads it. Serves `GET /graph-dump` (the whole visible graph)
 * so the test can compare it with PostgreSQL while the worker runs.
 * Prints `READY <url>` once consuming; SIGTERM drains and exits 0.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createConfig } from '../../app/config';
import { mappingsOf } from '../../app/mappings';
import { connectKafka, createIngestWorker, openGraphStore } from '../../app/wiring';
import { createCdcPipeline, createLmdbDedupe, createPipelineMetrics } from '../../ingest';
import { createDecoders } from '../../ingest/decoders';
import { dumpWholeGraph } from './graph-dump';

async function main(): Promise<void> {
  const config = createConfig({}, process.env);
  const aliasTo = process.env['C360_TEST_CDC_ALIAS'];
  const logger = pino({ level: config.logLevel }, pino.destination(2));
  const registry = new Registry();
  const connection = await connectKafka(config, registry, logger);
  const store = await openGraphStore(config, logger);
  const dedupe = createLmdbDedupe({ path: join(config.dataDir, 'dedupe') });
  const pipeline = createCdcPipeline({
    store,
    mappings: mappingsOf(config),
    decoders: createDecoders({ maxEventBytes: config.maxEventBytes }),
    dedupe,
    deadLetters: connection.deadLetters,
    logger,
    metrics: createPipelineMetrics(registry),
    batchMaxMutations: config.batchMaxMutations,
    batchMaxWaitMs: config.batchMaxWaitMs,
    ...(aliasTo ? { tableAlias: (_schema: string, table: string) => `${aliasTo}.${table}` } : {}),
  });
  const worker = createIngestWorker(config, connection, pipeline, registry, logger);
  await worker.start();

  const server = createServer((req, res) => {
    if (req.url !== '/graph-dump') {
      res.writeHead(404).end();
      return;
    }
    dumpWholeGraph(store).then(
      (dump) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(dump)),
      (e) => res.writeHead(500).end(String(e)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`READY http://127.0.0.1:${port}\n`);
  process.once('SIGTERM', () => {
    (async () => {
      server.close();
      await worker.stop();
      await pipeline.close();
      await connection.disconnect();
      await dedupe.close();
      await store.close();
    })().then(
      () => process.exit(0),
      (e) => {
        logger.error({ err: e }, 'close failed');
        process.exit(1);
      },
    );
  });
}

main().catch((e) => {
  process.stderr.write(`cdc worker failed to start: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
