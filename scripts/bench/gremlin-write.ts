/**
 * Gremlin write throughput: the batched store (inject(rows).unfold().mergeV/mergeE, chunked,
 * on a few connections) against the naive one-request-per-element writer, in one run on the
 * same server and the same synthetic clickstream. Prints events/s and elements/s of both and
 * their ratio; the graph written is left on the server under a unique key prefix.
 *
 * Usage: npx tsx scripts/bench/gremlin-write.ts [--events 20000] [--naive-events 2000] [--batch 500] [--connections 4]
 *        [--server gremlin|janusgraph]
 * The server is the one `c360 infra up gremlin` (or `--with janusgraph`) starts, or C360_INFRA=external
 * with C360_GREMLIN_URL / C360_JANUSGRAPH_URL.
 */
import { Command } from 'commander';
import { BatchBuilder, ConfigError, type GraphBatch, type Mutation, makeVersion } from '../../graph-schema';
import { createGremlinStore, createNaiveGremlinWriter } from '../../services/graph/gremlin';
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

function batches(prefix: string, events: number, batchEvents: number): GraphBatch[] {
  const out: GraphBatch[] = [];
  let builder = new BatchBuilder();
  let inBatch = 0;
  for (const m of eventMutations(prefix, events)) {
    builder.add(m);
    if (m.op === 'upsertEdge' && m.label === 'PERFORMED' && ++inBatch === batchEvents) {
      out.push(builder.build());
      builder = new BatchBuilder();
      inBatch = 0;
    }
  }
  if (inBatch > 0) out.push(builder.build());
  return out;
}

interface Measured {
  readonly events: number;
  readonly elements: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly elementsPerSecond: number;
}

async function measure(
  events: number,
  list: readonly GraphBatch[],
  apply: (b: GraphBatch) => Promise<unknown>,
): Promise<Measured> {
  const elements = list.reduce((n, b) => n + b.vertices.length + b.edges.length, 0);
  const started = process.hrtime.bigint();
  for (const batch of list) await apply(batch);
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
  const options = new Command('gremlin-write')
    .option('--events <n>', 'events written by the batched store', '20000')
    .option('--naive-events <n>', 'events written by the naive writer (it is slow)', '2000')
    .option('--batch <n>', 'events per batch', '500')
    .option('--connections <n>', 'connections of the batched store', '4')
    .option(
      '--server <name>',
      'gremlin (Gremlin Server with TinkerGraph) or janusgraph (JanusGraph on Cassandra)',
      'gremlin',
    )
    .parse()
    .opts<{ events: string; naiveEvents: string; batch: string; connections: string; server: string }>();
  if (options.server !== 'gremlin' && options.server !== 'janusgraph') {
    throw new ConfigError('--server', `'${options.server}' is not one of gremlin, janusgraph`);
  }
  const events = Number(options.events);
  const naiveEvents = Number(options.naiveEvents);
  const batchEvents = Number(options.batch);
  const { url, traversalSource } = createInfraConfig().endpoints[options.server];
  const run = `b${Date.now().toString(36)}`;

  // Warm the server's JIT and traversal caches with both writers before measuring.
  const store = await createGremlinStore({ url, traversalSource, connections: Number(options.connections) });
  const naive = createNaiveGremlinWriter({ url, traversalSource });
  try {
    for (const b of batches(`${run}-warm`, 2_000, batchEvents)) await store.apply(b);
    for (const b of batches(`${run}-warmn`, 100, batchEvents)) await naive.apply(b);
    const batched = await measure(events, batches(`${run}-batched`, events, batchEvents), (b) => store.apply(b));
    const oneByOne = await measure(naiveEvents, batches(`${run}-naive`, naiveEvents, batchEvents), (b) =>
      naive.apply(b),
    );
    const report = {
      scenario: 'gremlin-write',
      server: options.server,
      url,
      batchEvents,
      connections: Number(options.connections),
      machine: describeMachine(),
      versions: describeVersions(process.cwd()),
      batched,
      naive: oneByOne,
      speedup: Math.round((batched.eventsPerSecond / oneByOne.eventsPerSecond) * 10) / 10,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await naive.close();
    await store.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
