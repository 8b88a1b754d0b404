/**
 * Child process of the SIGKILL durability test: opens an embedded store and applies
 * batches one after another, printing `ack <n>` only after `apply` of batch n resolved.
 * Whatever it acknowledged must survive a SIGKILL at any point.
 *
 * Usage: node --import tsx test/helpers/embedded-writer.ts <dir> <batchSize> <maxBatches>
 */
import { createEmbeddedStore } from '../../services/graph';
import { embeddedWriterBatch } from './embedded-writer-batch';

async function main(): Promise<void> {
  const [dir, size, max] = process.argv.slice(2);
  const store = await createEmbeddedStore({ path: dir });
  process.stdout.write('ready\n');
  for (let n = 0; n < Number(max); n++) {
    await store.apply(embeddedWriterBatch(n, Number(size)));
    process.stdout.write(`ack ${n}\n`);
  }
  await store.close();
  process.stdout.write('done\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`embedded-writer: ${String(error)}\n`);
  process.exit(1);
});
