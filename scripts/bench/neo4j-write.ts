/**
 * Neo4j write throughput: the batched store (`UNWIND $rows AS r MERGE …`, one statement per
 * label / edge shape, transactions of `batchSize` rows) at a few batch sizes, against one
 * write transaction per mutation running the same merge Cypher for a single row — in one run,
 * on the same server and the same synthetic clickstream. Prints events/s and elements/s of
 * each and the ratio. The graph written is deleted at the end (unless --keep): the integration
 * tests share this server, and `stats()` scans the whole graph.
 *
 * Usage: npx tsx scripts/bench/neo4j-write.ts [--events 20000] [--naive-events 1000] [--batch 500] [--batch-sizes 250,1000,4000]
 * The server is the one `c360 infra up neo4j` starts, or C360_INFRA=external with C360_NEO4J_URL.
 */
import { Command } from 'commander';
import neo4j from 'neo4j-driver';
import { BatchBuilder, coalesce, type GraphBatch, type Mutation, makeVersion } from '../../graph-schema';
import { createNeo4jStore, planWriteTransactions } from '../../services/graph/neo4j';
import { createInfraConfig } from '../infra/config';
import { describeMachine, describeVersions } from './machine';

/** One clickstream event: an Event vertex with properties, its Customer and Identity, two edges. */
function* eventMutations(prefix: string, events: number): Generator<Mutation> {
  const customers = Math.max(1, Math.floor(events / 10));
  for (let i = 0; i < events; i++) {
    const ts = 1_700_000_000_000 + i;
    const version = makeVersion(ts, `${prefix}-m${i}`);
    const customer = { label: 'Customer' as const, key: `${prefix}-c${i % customers}` };
    const identity = { label: 'Identity' as const, key: `${prefix}-email:c${i % customers}@example.com` };
    const event = { label: 'Event' as const, key: `${prefix}-e${i}` };
    yield { op: 'upsertVertex', ...customer, props: { name: `Customer ${i % customers}`, plan: 'gold' }, version };
    yield {
      op: 'upsertVertex',
      ...identity,
      props: { type: 'email', value: `c${i % customers}@example.com` },
      version,
    };
    yield { op: 'upsertVertex', ...event, props: { ts, type: 'track', name: 'Viewed', properties: { i } }, version };
    yield { op: 'upsertEdge', label: 'HAS_IDENTITY', from: customer, to: identity, props: { rule: 'event' }, version };
    yield { op: 'upsertEdge', label: 'PERFORMED', from: customer, to: event, props: {}, version };
  }
}

const MUTATIONS_PER_EVENT = 5;

/** Events cut into coalesced batches of `batchEvents` events, as the ingest pipeline would. */
function batches(prefix: string, events: number, batchEvents: number): GraphBatch[] {
  const out: GraphBatch[] = [];
  let builder = new BatchBuilder();
  for (const m of eventMutations(prefix, events)) {
    builder.add(m);
    if (builder.size === batchEvents * MUTATIONS_PER_EVENT) {
      out.push(builder.build());
      builder = new BatchBuilder();
    }
  }
  if (builder.size > 0) out.push(builder.build());
  return out;
}

interface Measured {
  readonly events: number;
  readonly elements: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly elementsPerSecond: number;
}

function measured(events: number, elements: number, started: bigint): Measured {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    events,
    elements,
    seconds: Math.round(seconds * 100) / 100,
    eventsPerSecond: Math.round(events / seconds),
    elementsPerSecond: Math.round(elements / seconds),
  };
}

async function main(): Promise<void> {
  const options = new Command('neo4j-write')
    .option('--events <n>', 'events written by the batched store, per batch size', '20000')
    .option('--naive-events <n>', 'events written one transaction per mutation (it is slow)', '1000')
    .option('--batch <n>', 'events per GraphBatch (what the pipeline hands the store)', '500')
    .option(
      '--batch-sizes <list>',
      'store batchSize values to compare (rows per statement and transaction)',
      '250,1000,4000',
    )
    .option('--keep', 'leave the written graph on the server')
    .parse()
    .opts<{ events: string; naiveEvents: string; batch: string; batchSizes: string; keep?: boolean }>();
  const events = Number(options.events);
  const naiveEvents = Number(options.naiveEvents);
  const batchEvents = Number(options.batch);
  const batchSizes = options.batchSizes.split(',').map(Number);
  const { url, user, password } = createInfraConfig().endpoints.neo4j;
  const database = 'neo4j';
  const run = `b${Date.now().toString(36)}`;

  const stores = await Promise.all(
    batchSizes.map((batchSize) => createNeo4jStore({ url, user, password, database, batchSize })),
  );
  // The baseline runs the store's own merge Cypher, one single-row transaction per mutation.
  const driver = neo4j.driver(url, neo4j.auth.basic(user, password));
  const session = driver.session({ database });
  const perMutation = async (m: Mutation) => {
    for (const statements of planWriteTransactions(coalesce([m]))) {
      await session.executeWrite(async (tx) => {
        for (const s of statements) await tx.run(s.text, s.params);
      });
    }
  };
  try {
    // Warm the server's query caches and JIT with both writers before measuring.
    for (const b of batches(`${run}-warm`, 2_000, batchEvents)) await stores[0].apply(b);
    for (const m of eventMutations(`${run}-warmn`, 100)) await perMutation(m);

    const batched: Record<string, Measured> = {};
    for (const [i, store] of stores.entries()) {
      const list = batches(`${run}-batched${batchSizes[i]}`, events, batchEvents);
      const elements = list.reduce((n, b) => n + b.vertices.length + b.edges.length, 0);
      const started = process.hrtime.bigint();
      for (const b of list) await store.apply(b);
      batched[`batchSize=${batchSizes[i]}`] = measured(events, elements, started);
    }

    // The same events coalesced are what the batched runs count as elements: the baseline writes
    // every mutation, so its elements/s counts one element write per mutation (vertex or edge).
    const started = process.hrtime.bigint();
    let writes = 0;
    for (const m of eventMutations(`${run}-naive`, naiveEvents)) {
      await perMutation(m);
      writes++;
    }
    const naive = measured(naiveEvents, writes, started);
    const best = Object.entries(batched).sort(([, a], [, b]) => b.eventsPerSecond - a.eventsPerSecond)[0];
    const report = {
      scenario: 'neo4j-write',
      url,
      batchEvents,
      machine: describeMachine(),
      versions: {
        ...describeVersions(process.cwd()),
        neo4j: (await driver.getServerInfo({ database })).agent ?? 'unknown',
      },
      batched,
      perMutation: naive,
      best: best[0],
      speedupEvents: Math.round((best[1].eventsPerSecond / naive.eventsPerSecond) * 10) / 10,
      speedupElements: Math.round((best[1].elementsPerSecond / naive.elementsPerSecond) * 10) / 10,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    if (!options.keep) {
      // Every key this run wrote starts with its prefix; CALL … IN TRANSACTIONS needs an auto-commit query.
      await session.run(
        'MATCH (n) WHERE n.c360key STARTS WITH $prefix CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS',
        { prefix: `${run}-` },
      );
    }
    await session.close();
    await driver.close();
    await Promise.all(stores.map((s) => s.close()));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
