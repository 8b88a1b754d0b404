/**
 * CDC end to end against the real servers: PostgreSQL (logical decoding) →
 * Kafka Connect + Debezium → Kafka → the c360 worker (child process) → the
 * embedded store. Each test has its own CRM schema, connector, replication
 * slot, topic prefix, consumer group and data directory, and removes them.
 * "Equal" is checked table by table, row by row (test/helpers/cdc-graph-checker).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from 'pg';
import { compareGraphWithDatabase } from '../helpers/cdc-graph-checker';
import { connectPostgres, createCdcTestSource } from '../helpers/cdc-postgres';
import { type CdcWorkerChild, cdcWorkerEnv, spawnCdcWorker } from '../helpers/cdc-worker';
import { type CdcWorkload, createCdcWorkload } from '../helpers/cdc-workload';
import { testKafka, waitForCaughtUp } from '../helpers/kafka-test-kit';
import { makeTempDir, secureRandom, uniqueName } from '../helpers/unique';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(900_000);

let pg: Client;
beforeAll(async () => {
  pg = await connectPostgres();
});
afterAll(async () => {
  await pg.end();
});

/** Waits until the graph the worker shows equals the database; on timeout the error lists the differences. */
async function settle(worker: CdcWorkerChild, schema: string, timeoutMs = 240_000): Promise<void> {
  let last = '';
  try {
    await waitFor(
      async () => {
        last = await compareGraphWithDatabase(pg, schema, await worker.dump());
        return last === '';
      },
      { timeoutMs, intervalMs: 1_000, description: 'graph equal to the database' },
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${last}\n--- worker output ---\n${worker.output().slice(-3_000)}`);
  }
}

async function seed(workload: CdcWorkload): Promise<void> {
  for (let i = 0; i < 4; i++) await workload.step('insertProduct');
  for (let i = 0; i < 6; i++) await workload.step('insertCustomer');
  await workload.run(30);
}

async function topicsOf(prefix: string): Promise<string[]> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    return (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
  } finally {
    await admin.disconnect();
  }
}

async function deleteTopics(prefix: string): Promise<void> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix) || t.endsWith(`.${prefix}`));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}

describe('CDC: PostgreSQL → Debezium → Kafka → customer graph', () => {
  it('converges through snapshot, a random workload with key changes, deletes, truncates and a new column, a SIGKILLed worker, a restarted connector and a full replay', async () => {
    const prefix = `cdc${secureRandom()}`;
    const source = await createCdcTestSource(prefix, pg);
    const dir = await makeTempDir('c360-cdc-');
    const workload = createCdcWorkload(pg, source.schema, 20_251_101);
    const workers: CdcWorkerChild[] = [];
    const start = (groupId: string) => {
      const w = spawnCdcWorker(cdcWorkerEnv(prefix, dir.path, groupId));
      workers.push(w);
      return w;
    };
    try {
      // Rows that exist before the connector reach the graph as snapshot reads (op r).
      await seed(workload);
      await source.start('crm');
      const groupId = uniqueName('cdc-group');
      let worker = start(groupId);
      await worker.ready;

      // Streamed changes right behind the snapshot, then every kind of change.
      await workload.run(60);
      await workload.step('truncateTickets');
      await workload.run(20);
      await workload.step('addColumn');
      await workload.run(40);
      await workload.step('truncateItems');
      await workload.run(20);
      await settle(worker, source.schema);
      expect(workload.counts['truncateTickets']).toBe(1);

      // Crash mid-workload: SIGKILL, more changes, restart the connector, more changes, a new worker.
      await workload.run(20);
      worker.kill('SIGKILL');
      await worker.exited;
      await workload.run(20);
      const connector = source.connector;
      if (!connector) throw new Error('connector not started');
      await source.service.restart(connector.name);
      await workload.run(10);
      await source.service.waitUntilRunning(connector.name, 120_000);
      worker = start(groupId);
      await worker.ready;
      await workload.run(30);
      await settle(worker, source.schema);

      // Replay the whole log into the existing graph with no dedupe and a new group: every snapshot
      // row, change and truncate arrives again, tables interleaved differently — nothing changes.
      worker.kill('SIGTERM');
      await worker.exited;
      await rm(join(dir.path, 'dedupe'), { recursive: true, force: true });
      const replayGroup = uniqueName('cdc-replay');
      worker = start(replayGroup);
      await worker.ready;
      const admin = testKafka().admin();
      await admin.connect();
      try {
        await waitForCaughtUp(admin, replayGroup, await topicsOf(prefix), 240_000);
      } finally {
        await admin.disconnect();
      }
      expect(await compareGraphWithDatabase(pg, source.schema, await worker.dump())).toBe('');
    } finally {
      for (const w of workers) w.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.exited));
      await source.cleanup();
      await deleteTopics(prefix);
      await dir.cleanup();
    }
  });

  it('without the schema wrapper: snapshot reads, NULLs, decimals, timestamps, a composite-key change and a truncate', async () => {
    const prefix = `cdc${secureRandom()}`;
    const source = await createCdcTestSource(prefix, pg);
    const dir = await makeTempDir('c360-cdc-');
    const workload = createCdcWorkload(pg, source.schema, 7);
    const worker = spawnCdcWorker(cdcWorkerEnv(prefix, dir.path));
    try {
      await seed(workload);
      await source.start('crm-schemaless');
      await worker.ready;
      for (const step of [
        'changeItemKey',
        'updateItem',
        'changeOrderKey',
        'updateCustomer',
        'truncateItems',
      ] as const) {
        await workload.step(step);
      }
      await workload.run(30);
      await settle(worker, source.schema);
      const dump = await worker.dump();
      // The checker compared every row; make sure the interesting shapes were really there.
      const vertexProps = Object.values(dump.vertices).map((v) => (v as { props: Record<string, unknown> }).props);
      expect(
        vertexProps.some((p) => typeof p['lifetimeValue'] === 'number' && !Number.isInteger(p['lifetimeValue'])),
      ).toBe(true);
      expect(vertexProps.some((p) => typeof p['createdAt'] === 'number')).toBe(true);
    } finally {
      worker.kill('SIGKILL');
      await worker.exited;
      await source.cleanup();
      await deleteTopics(prefix);
      await dir.cleanup();
    }
  });
});
