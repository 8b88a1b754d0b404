/**
 * A worker-only process for crash tests: `tsx test/helpers/kafka-worker-process.ts`
 * with C360_* settings in the environment (this is a composition root, so it
 * reads them). Prints `READY <url>` once consuming; SIGTERM drains and exits 0.
 * Tests kill it with SIGKILL to prove nothing is lost or applied twice.
 */
import pino from 'pino';
import { createConfig } from '../../app/config';
import { startWorker } from '../../app/processes/worker';

async function main(): Promise<void> {
  const config = createConfig({}, process.env);
  const logger = pino({ level: config.logLevel }, pino.destination(2));
  const worker = await startWorker(config, { logger });
  process.stdout.write(`READY ${worker.url}\n`);
  process.once('SIGTERM', () => {
    worker.close().then(
      () => process.exit(0),
      (e) => {
        logger.error({ err: e }, 'close failed');
        process.exit(1);
      },
    );
  });
}

main().catch((e) => {
  process.stderr.write(`worker failed to start: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
