/**
 * A quick throughput measurement of the embedded store (not a test: numbers vary by disk).
 * Writes 100k vertex and 200k edge mutations in batches of 1,000, then runs 10k random
 * neighbour queries, single and batched, and 2k timelines.
 *
 * Usage: npx tsx test/helpers/embedded-bench.ts [customers=20000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchBuilder, type Mutation, makeVersion, type NeighborQuery } from '../../graph-schema';
import { createEmbeddedStore } from '../../services/graph';

function* mutations(customers: number): Generator<Mutation> {
  // Per customer: 1 customer + 4 orders as vertices (5 vertex mutations), 4 PLACED + 6 PERFORMED edges.
  for (let c = 0; c < customers; c++) {
    const customer = { label: 'Customer' as const, key: `c${c}` };
    const version = makeVersion(1_700_000_000_000 + c, 'bench');
    yield { op: 'upsertVertex', ...customer, props: { name: `Customer ${c}`, email: `c${c}@example.com` }, version };
    for (let o = 0; o < 4; o++) {
      const order = { label: 'Order' as const, key: `c${c}-o${o}` };
      yield { op: 'upsertVertex', ...order, props: { ts: 1_700_000_000_000 + c * 10 + o, total: o }, version };
      yield { op: 'upsertEdge', label: 'PLACED', from: customer, to: order, props: {}, version };
    }
    for (let e = 0; e < 6; e++) {
      const event = { label: 'Event' as const, key: `c${c}-e${e}` };
      yield { op: 'upsertEdge', label: 'PERFORMED', from: customer, to: event, props: {}, version };
    }
  }
}

async function main(): Promise<void> {
  const customers = Number(process.argv[2] ?? 20_000);
  const dir = mkdtempSync(join(tmpdir(), 'c360-bench-'));
  const store = await createEmbeddedStore({ path: dir });
  try {
    let builder = new BatchBuilder();
    let vertexMutations = 0;
    let edgeMutations = 0;
    let elements = 0;
    let batches = 0;
    const started = process.hrtime.bigint();
    const cpuStarted = process.cpuUsage();
    for (const m of mutations(customers)) {
      if (m.op === 'upsertVertex') vertexMutations++;
      else edgeMutations++;
      builder.add(m);
      if (builder.size === 1000) {
        const result = await store.apply(builder.build());
        elements += result.vertices + result.edges;
        batches++;
        builder = new BatchBuilder();
      }
    }
    if (builder.size > 0) {
      const result = await store.apply(builder.build());
      elements += result.vertices + result.edges;
      batches++;
    }
    const writeSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuStarted);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    console.log(
      `write: ${vertexMutations} vertex + ${edgeMutations} edge mutations in ${batches} batches, ${elements} element writes, ` +
        `${writeSeconds.toFixed(1)} s → ${Math.round((vertexMutations + edgeMutations) / writeSeconds)} mutations/s, ` +
        `${Math.round(elements / writeSeconds)} elements/s; ${cpuSeconds.toFixed(1)} s CPU (all threads) → ` +
        `${Math.round(elements / cpuSeconds)} elements per CPU second`,
    );

    const queries: NeighborQuery[] = Array.from({ length: 10_000 }, () => ({
      id: `Customer:c${Math.floor(Math.random() * customers)}`,
      direction: 'out',
      first: 20,
    }));
    let t = process.hrtime.bigint();
    let readCpu = process.cpuUsage();
    let seen = 0;
    for (const q of queries) seen += (await store.neighbors([q]))[0].items.length;
    let seconds = Number(process.hrtime.bigint() - t) / 1e9;
    readCpu = process.cpuUsage(readCpu);
    console.log(
      `neighbors, one query per call: ${Math.round(queries.length / seconds)} queries/s, ` +
        `${Math.round(queries.length / ((readCpu.user + readCpu.system) / 1e6))} per CPU second (${seen} neighbours)`,
    );

    t = process.hrtime.bigint();
    for (let i = 0; i < queries.length; i += 100) await store.neighbors(queries.slice(i, i + 100));
    seconds = Number(process.hrtime.bigint() - t) / 1e9;
    console.log(`neighbors, 100 queries per call: ${Math.round(queries.length / seconds)} queries/s`);

    t = process.hrtime.bigint();
    for (let i = 0; i < 2000; i++) {
      await store.timeline({ ownerIds: [queries[i].id], first: 10 });
    }
    seconds = Number(process.hrtime.bigint() - t) / 1e9;
    console.log(`timeline (first 10 of 10 items): ${Math.round(2000 / seconds)} queries/s`);
    console.log(`heap used: ${Math.round(process.memoryUsage().heapUsed / 2 ** 20)} MiB`);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
