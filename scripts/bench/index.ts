/**
 * `c360 bench`: measured speed, memory and freshness, written as a JSON result
 * file and a markdown table. `--quick` is the small run CI makes (it checks
 * the result file's shape, never speed thresholds).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { Kafka, logLevel } from 'kafkajs';
import { createConfig } from '../../app/config';
import { ConfigError } from '../../graph-schema';
import { DEMO_FILES, writeDemoFiles } from '../demo';
import { createInfraConfig, type InfraConfig, infraStatus, infraUp } from '../infra';
import { analyticsBenchScenario } from './analytics-bench';
import { type BenchResult, benchResultSchema, type ScenarioResult } from './bench-result';
import { cdcFreshnessScenario } from './cdc-freshness';

/** Row changes per second of one table that CDC must sustain at commit→visible p99 ≤ 1 s (issue #24). */
const CDC_TARGET_ROWS_PER_SECOND = 5_000;

import { consoleFirstRenderScenario } from './console-bench';
import { diskUsageBytes } from './disk-usage';
import { ingestScenario } from './ingest-scenario';
import {
  type BenchStore,
  clearRemoteGraph,
  type KafkaIngestRun,
  kafkaIngestScenario,
  noopConsumeScenario,
  produceDemoToKafka,
  type RemoteBenchStore,
} from './kafka-ingest';
import { currentRssMiB, describeMachine, describeVersions } from './machine';
import { previewInterferenceScenario } from './preview-interference';
import { segmentPreviewScenario } from './segment-bench';
import { subscriptionLatencyScenario } from './subscription-bench';
import { viewGraphScenario } from './view-graph';
import {
  collectorCapacityScenario,
  freshnessScenario,
  type GraphTarget,
  view360Scenario,
  viewScenarios,
  withHub,
} from './view-scenario';

export { type BenchResult, benchResultSchema, type ScenarioResult } from './bench-result';

/** Parts of the run; `--only` picks some. */
export const BENCH_PARTS = [
  'ingest',
  'cdc',
  'view-graph',
  'segments',
  'subscriptions',
  'analytics',
  'console',
] as const;
export type BenchPart = (typeof BENCH_PARTS)[number];

export interface BenchOptions {
  readonly quick: boolean;
  readonly customers?: number;
  readonly outDir: string;
  readonly root: string;
  readonly progress: boolean;
  readonly command: string;
  /** Stores ingested into (through Kafka) and served; embedded only without Kafka. */
  readonly stores: readonly BenchStore[];
  /** Ingest from Kafka (needs the servers; started with `c360 infra up` when local). */
  readonly kafka: boolean;
  /** Time box of a remote store's batched ingest (it may not take the whole demo). */
  readonly remoteMaxSeconds: number;
  /** Time box of each naive baseline run. */
  readonly naiveSeconds: number;
  /** Customers of the synthetic 360° graph (view-graph part). */
  readonly viewCustomers: number;
  readonly only: ReadonlySet<BenchPart>;
  /** Where the servers are (scripts/infra config), for the Kafka and CDC parts. */
  readonly infra: InfraConfig;
}

/** Event time of the generated data is fixed so that every run replays the same bytes. */
const DEMO_END_MS = Date.UTC(2026, 10, 1);
const DEMO_SEED = 360;

function bar(enabled: boolean, label: string, total: number): SingleBar | null {
  if (!enabled) return null;
  const b = new SingleBar({ format: `${label} [{bar}] {percentage}% | {value}/{total}`, hideCursor: true });
  b.start(total, 0);
  return b;
}

/** A progress callback for a bar whose total may grow (the estimate was low). */
function follow(b: SingleBar | null): (n: number) => void {
  return (n) => {
    if (b && n > b.getTotal()) b.setTotal(n);
    b?.update(n);
  };
}

async function ensureDemo(outDir: string, customers: number): Promise<{ dir: string; events: number }> {
  const dir = join(outDir, `demo-${customers}-${DEMO_SEED}`);
  if (existsSync(join(dir, DEMO_FILES.telemetry))) return { dir, events: 0 };
  const written = await writeDemoFiles(dir, { customers, seed: DEMO_SEED, startMs: DEMO_END_MS });
  return { dir, events: written.counts.total };
}

function ratioResult(
  store: BenchStore,
  batched: KafkaIngestRun,
  naive: KafkaIngestRun,
  noopRecordsPerSecond: number,
): ScenarioResult {
  const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 10) / 10 : 0);
  const fraction =
    noopRecordsPerSecond > 0 ? Math.round((batched.eventsPerSecond / noopRecordsPerSecond) * 1000) / 1000 : 0;
  return {
    name: 'ingest-kafka-ratio',
    store,
    params: { baseline: 'one store call per element', batched: 'pipeline batches' },
    metrics: {
      batchedEventsPerSecond: batched.eventsPerSecond,
      naiveEventsPerSecond: naive.eventsPerSecond,
      speedup: ratio(batched.eventsPerSecond, naive.eventsPerSecond),
      batchedElementsPerSecond: batched.elementsPerSecond,
      naiveElementsPerSecond: naive.elementsPerSecond,
      speedupElements: ratio(batched.elementsPerSecond, naive.elementsPerSecond),
      noopConsumerRecordsPerSecond: noopRecordsPerSecond,
      fractionOfNoopConsumer: fraction,
    },
    units: {
      batchedEventsPerSecond: 'events/s',
      naiveEventsPerSecond: 'events/s',
      speedup: 'x',
      batchedElementsPerSecond: 'elements/s',
      naiveElementsPerSecond: 'elements/s',
      speedupElements: 'x',
      noopConsumerRecordsPerSecond: 'records/s',
      fractionOfNoopConsumer: 'ratio',
    },
    notes: [
      'fractionOfNoopConsumer = batched events/s ÷ a no-op kafkajs consumer of the same topics in the same run (consume-kafka-noop)',
      'both from the same Kafka topics into an empty graph, in the same run',
      'speedupElements compares coalesced vertex/edge writes finished per second; it stays meaningful when the time-boxed baseline ends before its first poll commits (then events/s and speedup are 0)',
    ],
  };
}

/** A graph server's memory after the ingest (and Neo4j's store on disk): the worker's RSS is only half the cost. */
async function withServerFootprint(
  infra: InfraConfig,
  store: RemoteBenchStore,
  result: ScenarioResult,
): Promise<ScenarioResult> {
  const statuses = await infraStatus({ config: infra, include: store === 'janusgraph' ? ['cassandra'] : [] });
  const rssOf = (name: string) => {
    const pid = statuses.find((x) => x.name === name)?.pid;
    return pid ? currentRssMiB(pid) : null;
  };
  const rss = rssOf(store);
  const metrics: Record<string, number> = { ...result.metrics };
  const units: Record<string, string> = { ...result.units };
  if (rss !== null) {
    metrics.serverRssMiB = rss;
    units.serverRssMiB = 'MiB';
  }
  const diskMiB = (server: string) =>
    Math.round((diskUsageBytes(join(infra.cacheDir, 'data', server)) / 2 ** 20) * 10) / 10;
  if (store === 'neo4j') {
    metrics.serverDiskMiB = diskMiB('neo4j');
    units.serverDiskMiB = 'MiB';
  }
  if (store === 'janusgraph') {
    const cassandraRss = rssOf('cassandra');
    if (cassandraRss !== null) {
      metrics.cassandraRssMiB = cassandraRss;
      units.cassandraRssMiB = 'MiB';
    }
    metrics.cassandraDiskMiB = diskMiB('cassandra');
    units.cassandraDiskMiB = 'MiB';
  }
  const footprintNote: Record<RemoteBenchStore, string> = {
    gremlin: 'serverRssMiB: the Gremlin Server JVM (in-memory TinkerGraph, 4 GiB heap) after the run',
    janusgraph:
      'serverRssMiB: the JanusGraph Server JVM (2 GiB heap); cassandraRssMiB / cassandraDiskMiB: the Cassandra JVM (1 GiB heap) and its data dir (sstables, commit log) after the run',
    neo4j:
      'serverRssMiB: the Neo4j JVM after the run; serverDiskMiB: its whole data dir (store files and transaction logs)',
  };
  return {
    ...result,
    metrics,
    units,
    notes: [...result.notes, footprintNote[store]],
  };
}

/**
 * The 360° view over the graph a store's ingest built; on the embedded store also
 * freshness (collector → Kafka → worker → store → GraphQL) under a background load
 * of half the rate that store just ingested at.
 */
async function serveScenarios(
  options: BenchOptions,
  store: BenchStore,
  batched: KafkaIngestRun,
  customers: number,
  run: string,
): Promise<ScenarioResult[]> {
  const { endpoints } = options.infra;
  const graph: GraphTarget | undefined =
    store === 'gremlin'
      ? { kind: 'gremlin', url: endpoints.gremlin.url }
      : store === 'janusgraph'
        ? { kind: 'gremlin', store: 'janusgraph', url: endpoints.janusgraph.url }
        : store === 'neo4j'
          ? { kind: 'neo4j', url: endpoints.neo4j.url, user: endpoints.neo4j.user, password: endpoints.neo4j.password }
          : undefined;
  // Its own topics: the hub's worker must not re-consume what the ingest runs read.
  const hubPrefix = `hub${run}`;
  const env: Record<string, string> | undefined =
    store === 'embedded'
      ? {
          C360_KAFKA_BROKERS: endpoints.kafka.brokers.join(','),
          C360_TOPIC_CLICKSTREAM: `${hubPrefix}.clickstream`,
          C360_TOPIC_TELEMETRY: `${hubPrefix}.telemetry`,
          C360_TOPIC_DLQ: `${hubPrefix}.dlq`,
          C360_TOPIC_ACTIONS: `${hubPrefix}.actions`,
          C360_CDC_PREFIX: hubPrefix,
          C360_KAFKA_GROUP_ID: `${hubPrefix}-hub`,
        }
      : undefined;
  return withHub(options.root, batched.dataDir, { graph, env }, async (hub) => {
    const results = [
      await view360Scenario(hub, { customers, durationSeconds: options.quick ? 3 : 20, connections: 8 }),
    ];
    if (store === 'embedded') {
      // "½ max load" is half of what the path under test takes: the hub runs the collector and
      // the worker on one event loop, so its maximum is measured here, not borrowed from the
      // worker's Kafka rate (half of which kept the hub's loop ~96 % busy: that is not half load).
      const capacity = await collectorCapacityScenario(hub, {
        customers,
        upperPerSecond: Math.max(2, Math.round(batched.eventsPerSecond)),
        ...(options.quick ? { stepSeconds: 2, steps: 2 } : {}),
      });
      results.push({ ...capacity, params: { ...capacity.params, transport: 'http-collector → kafka' } });
      const halves = [
        {
          name: 'freshness',
          rate: Number(capacity.metrics.eventsPerSecond) / 2,
          reference: 'half the hub’s collector capacity',
        },
        // The reference of the earlier runs, kept so they stay comparable.
        {
          name: 'freshness-worker-rate',
          rate: batched.eventsPerSecond / 2,
          reference: 'half the worker’s Kafka ingest rate',
        },
      ];
      for (const half of halves) {
        const fresh = await freshnessScenario(hub, {
          customers,
          samples: options.quick ? 10 : 200,
          loadEventsPerSecond: Math.max(1, Math.round(half.rate)),
        });
        results.push({
          ...fresh,
          name: half.name,
          params: { ...fresh.params, transport: 'http-collector → kafka', loadReference: half.reference },
        });
      }
    }
    return results;
  });
}

/** Kafka ingest into every store (batched, then the baseline), each graph then served by the 360° view. */
async function kafkaPart(
  options: BenchOptions,
  customers: number,
  demoDir: string,
  record: (...results: ScenarioResult[]) => void,
): Promise<void> {
  const { endpoints } = options.infra;
  const remote = options.stores.filter((s): s is RemoteBenchStore => s !== 'embedded');
  if (remote.length > 0 && options.infra.mode !== 'local') {
    // The runs empty the graph first; never do that to a server this command did not start.
    throw new ConfigError(
      '--stores',
      `the ${remote.join(' and ')} runs empty the graph first, so they only run on the local servers (C360_INFRA=local)`,
    );
  }
  await infraUp(['kafka', ...remote], { config: options.infra });
  const run = Date.now().toString(36);
  const kafka = new Kafka({
    brokers: [...endpoints.kafka.brokers],
    clientId: `c360-bench-${run}`,
    logLevel: logLevel.NOTHING,
  });
  const produceBar = bar(options.progress, 'produce ', customers * 140);
  const produced = await produceDemoToKafka(kafka, demoDir, run, { partitions: 6, onProgress: follow(produceBar) });
  produceBar?.stop();
  record({
    name: 'produce-kafka',
    store: 'embedded',
    params: { customers, partitions: 6, acks: 'all' },
    metrics: {
      records: produced.records,
      recordsPerSecond: Math.round(produced.records / produced.seconds),
      seconds: Math.round(produced.seconds * 10) / 10,
    },
    units: { records: 'count', recordsPerSecond: 'records/s', seconds: 's' },
    notes: ['the demo mix produced once; every store below consumes these topics with its own group'],
  });
  // The raw speed of the layer underneath, with the worker's own fetch settings.
  const workerDefaults = createConfig({}).kafka;
  const noop = await noopConsumeScenario(kafka, produced, {
    run,
    maxSeconds: 600,
    partitionsConsumedConcurrently: workerDefaults.partitionsConsumedConcurrently,
    maxBytesPerPartition: workerDefaults.maxBytesPerPartition,
  });
  record(noop.result);
  const urlOf = (store: BenchStore) => (store === 'embedded' ? null : endpoints[store].url);
  const ingest = async (store: BenchStore, naive: boolean): Promise<KafkaIngestRun> => {
    if (store !== 'embedded') await clearRemoteGraph(store, endpoints);
    const b = bar(options.progress, `${store}${naive ? ' naive' : ''}`.padEnd(15), produced.records);
    try {
      return await kafkaIngestScenario(
        options.root,
        {
          store,
          graphUrl: urlOf(store),
          brokers: endpoints.kafka.brokers,
          produced,
          customers,
          naive,
          // The embedded batched run always takes the whole mix: its rate sets the freshness load.
          maxSeconds: naive ? options.naiveSeconds : store === 'embedded' ? 3600 : options.remoteMaxSeconds,
          run,
        },
        follow(b),
      );
    } finally {
      b?.stop();
    }
  };
  try {
    for (const store of options.stores) {
      const naive = await ingest(store, true);
      naive.cleanup();
      const batched = await ingest(store, false);
      record(
        store === 'embedded' ? batched.result : await withServerFootprint(options.infra, store, batched.result),
        naive.result,
        ratioResult(store, batched, naive, noop.recordsPerSecond),
      );
      try {
        record(...(await serveScenarios(options, store, batched, customers, run)));
      } finally {
        batched.cleanup();
      }
    }
  } finally {
    // Leave the local test servers as lean as the bench found them.
    for (const store of remote) await clearRemoteGraph(store, endpoints);
  }
}

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const startedAt = new Date().toISOString();
  const customers = options.customers ?? (options.quick ? 100 : 7_000);
  const scenarios: ScenarioResult[] = [];
  const wants = (part: BenchPart) => options.only.has(part);
  const partial = join(options.outDir, 'partial.json');
  // A long run that fails late keeps what it measured: partial.json is rewritten after every result.
  const record = (...results: ScenarioResult[]) => {
    scenarios.push(...results);
    writeFileSync(partial, `${JSON.stringify({ startedAt, command: options.command, scenarios }, null, 2)}\n`);
  };

  if (wants('ingest')) {
    const demo = await ensureDemo(options.outDir, customers);
    if (options.kafka) {
      await kafkaPart(options, customers, demo.dir, record);
    } else {
      // No servers: the demo files straight into the embedded store's pipeline (what CI's --quick run does).
      const ingestBar = bar(options.progress, 'ingest  ', demo.events || customers * 140);
      const ingest = await ingestScenario(options.root, demo.dir, { customers, concurrency: 4 }, follow(ingestBar));
      ingestBar?.stop();
      record(ingest.result);
      try {
        record(
          ...(await viewScenarios(options.root, ingest.dataDir, {
            customers,
            durationSeconds: options.quick ? 3 : 20,
            connections: 8,
            freshnessSamples: options.quick ? 10 : 200,
            loadEventsPerSecond: Math.max(1, Math.round(Number(ingest.result.metrics.eventsPerSecond) / 2)),
          })),
        );
      } finally {
        ingest.cleanup();
      }
    }
  }
  if (wants('cdc') && options.kafka) {
    await infraUp(['postgres', 'kafka', 'connect'], { config: options.infra });
    const servers = {
      kafkaBrokers: options.infra.endpoints.kafka.brokers,
      connectUrl: options.infra.endpoints.connect.url,
      postgresUrl: options.infra.endpoints.postgres.connectionString,
    };
    record(await cdcFreshnessScenario({ samples: options.quick ? 5 : 100, warmup: 5, ...servers }));
    const underLoad = async (rowsPerSecond: number): Promise<ScenarioResult> => {
      try {
        return await cdcFreshnessScenario({
          samples: options.quick ? 5 : 200,
          warmup: 5,
          loadRowsPerSecond: rowsPerSecond,
          loadRows: options.quick ? 200 : 5_000,
          sampleTimeoutMs: 60_000,
          ...servers,
        });
      } catch (error) {
        // A path that cannot keep up is a result, not a crash: its lag grows until a change times out.
        return {
          name: 'cdc-freshness',
          store: 'embedded',
          params: { load: 'background', targetRowChangesPerSecond: rowsPerSecond },
          metrics: { keptUp: 0, sampleTimeoutSeconds: 60 },
          units: { keptUp: 'bool', sampleTimeoutSeconds: 's' },
          notes: [`did not keep up: ${error instanceof Error ? error.message : String(error)}`],
        };
      }
    };
    // The rate a busy CRM table asks for (issue #24's target): freshness while it runs.
    const target = options.quick ? 200 : CDC_TARGET_ROWS_PER_SECOND;
    const loaded = await underLoad(target);
    record(loaded);
    if (loaded.metrics.keptUp === 0 && target > 500) record(await underLoad(500));
    // Then more than the path can take, to name what limits it: PostgreSQL's commits, Debezium's
    // delivery (a no-op consumer on the table topic, same run) and the worker's applied rows.
    record(
      await cdcFreshnessScenario({
        samples: 0,
        warmup: 3,
        loadRowsPerSecond: options.quick ? 500 : 2 * CDC_TARGET_ROWS_PER_SECOND,
        loadRows: options.quick ? 200 : 5_000,
        loadSettleMs: 3_000,
        throughputSeconds: options.quick ? 3 : 30,
        ...servers,
      }),
    );
  }

  if (wants('view-graph')) {
    // The 360° view on a graph far larger than the demo: written straight to the embedded store, then served.
    const loadBar = bar(options.progress, 'graph   ', options.viewCustomers);
    record(
      ...(await viewGraphScenario(options.root, {
        customers: options.viewCustomers,
        durationSeconds: options.quick ? 3 : 20,
        connections: 8,
        onProgress: follow(loadBar),
      })),
    );
    loadBar?.stop();
  }

  // In-process scenarios over generated graphs (they do not need the demo data).
  if (wants('segments')) {
    record(
      await segmentPreviewScenario(options.quick ? { customers: 2_000, runs: 1 } : { customers: 100_000, runs: 3 }),
    );
    record(
      await previewInterferenceScenario(
        options.quick
          ? { root: options.root, customers: 2_000, phaseSeconds: 3 }
          : { root: options.root, customers: 100_000, phaseSeconds: 30 },
      ),
    );
  }
  if (wants('subscriptions')) record(await subscriptionLatencyScenario({ samples: options.quick ? 20 : 500 }));
  if (wants('analytics')) {
    record(
      ...analyticsBenchScenario(
        options.quick
          ? { sizes: [10_000], similarityQueries: 20, betweennessNodes: 0 }
          : { sizes: [100_000, 1_000_000], similarityQueries: 50 },
      ),
    );
  }
  if (wants('console')) {
    record(await consoleFirstRenderScenario(options.quick ? { customers: 40, runs: 3 } : { customers: 200, runs: 10 }));
  }
  if (scenarios.length === 0) throw new Error('c360 bench: nothing to run (check --only and --kafka)');

  const result: BenchResult = {
    schemaVersion: 1,
    startedAt,
    finishedAt: new Date().toISOString(),
    command: options.command,
    quick: options.quick,
    machine: describeMachine(),
    versions: describeVersions(options.root),
    scenarios,
  };
  return benchResultSchema.parse(result);
}

export function renderMarkdown(result: BenchResult): string {
  const lines = [
    `Run ${result.startedAt} — \`${result.command}\``,
    '',
    `Machine: ${result.machine.cpus} × ${result.machine.cpuModel}, ${result.machine.memoryGiB} GiB, ${result.machine.platform}, Node ${result.machine.node}.`,
    `Versions: ${Object.entries(result.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
    '',
    '| scenario | store | params | results |',
    '| --- | --- | --- | --- |',
  ];
  // One row per scenario: a table of a row per metric repeats the params dozens of times.
  const cell = (pairs: string[]) => pairs.join('<br>').replaceAll('|', '\\|');
  for (const s of result.scenarios) {
    const params = cell(Object.entries(s.params).map(([k, v]) => `${k}=${v}`));
    const metrics = cell(Object.entries(s.metrics).map(([k, v]) => `${k} **${v}** ${s.units[k] ?? ''}`.trim()));
    lines.push(`| ${s.name} | ${s.store} | ${params} | ${metrics} |`);
  }
  const notes = result.scenarios.flatMap((s) => s.notes.map((n) => `- ${s.name} (${s.store}): ${n}`));
  if (notes.length > 0) lines.push('', 'Notes:', '', ...[...new Set(notes)]);
  return `${lines.join('\n')}\n`;
}

function list<T extends string>(flag: string, raw: string, allowed: readonly T[]): T[] {
  const items = raw
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const bad = items.filter((x) => !(allowed as readonly string[]).includes(x));
  if (items.length === 0 || bad.length > 0) {
    throw new ConfigError(flag, `expected a comma-separated list of ${allowed.join(', ')}; got ${JSON.stringify(raw)}`);
  }
  return items as T[];
}

function positive(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!(Number.isInteger(n) && n > 0)) throw new ConfigError(flag, `must be a positive integer, got ${raw}`);
  return n;
}

/** The command line as typed, minus where results went (it does not change them). */
function reproducibleCommand(argv: readonly string[]): string {
  const args = argv.slice(argv.indexOf('bench'));
  const kept = args.filter((a, i) => a !== '--out' && args[i - 1] !== '--out' && !a.startsWith('--out='));
  return `c360 ${kept.join(' ')}`;
}

interface BenchFlags {
  quick?: boolean;
  customers?: string;
  out: string;
  stores?: string;
  kafka?: boolean;
  remoteMaxSeconds?: string;
  naiveSeconds?: string;
  viewCustomers?: string;
  only?: string;
}

/** `env` is the process environment, given by the CLI's composition root: it locates the servers. */
export function registerBenchCommand(
  program: Command,
  root: string,
  env: Readonly<Record<string, string | undefined>>,
): void {
  program
    .command('bench')
    .description(
      'measure ingest speed per store, freshness, the 360° view, segments and analytics; writes JSON + markdown',
    )
    .option('--quick', 'a small run (CI): checks the harness and the result file, not speed')
    .option('--customers <n>', 'demo customers to generate (default 7000 ≈ 1M events; 100 with --quick)')
    .option('--out <dir>', 'where results and generated data go', 'bench-results')
    .option(
      '--stores <list>',
      'stores to ingest into and serve (default embedded,gremlin,janusgraph,neo4j; embedded with --quick)',
    )
    .option('--kafka', 'ingest through Kafka (default, except with --quick); starts the local servers it needs')
    .option('--no-kafka', 'replay the demo files straight into the embedded pipeline (no servers)')
    .option('--remote-max-seconds <n>', 'time box of the Gremlin and Neo4j ingest (default 300)')
    .option('--naive-seconds <n>', 'time box of each one-call-per-element baseline (default 60; 10 with --quick)')
    .option('--view-customers <n>', 'customers in the synthetic 360° graph (default 1000000; 2000 with --quick)')
    .option('--only <parts>', `run only these parts: ${BENCH_PARTS.join(', ')}`)
    .action(async (flags: BenchFlags) => {
      const quick = flags.quick === true;
      const outDir = resolve(flags.out);
      mkdirSync(outDir, { recursive: true });
      const kafka = flags.kafka ?? !quick;
      const stores = list<BenchStore>(
        '--stores',
        flags.stores ?? (quick || !kafka ? 'embedded' : 'embedded,gremlin,janusgraph,neo4j'),
        ['embedded', 'gremlin', 'janusgraph', 'neo4j'],
      );
      if (!kafka && stores.some((s) => s !== 'embedded')) {
        throw new ConfigError('--stores', 'Gremlin, JanusGraph and Neo4j are measured through Kafka; drop --no-kafka');
      }
      const result = await runBench({
        quick,
        customers: positive('--customers', flags.customers),
        outDir,
        root,
        progress: process.stdout.isTTY === true,
        command: reproducibleCommand(process.argv),
        stores,
        kafka,
        remoteMaxSeconds: positive('--remote-max-seconds', flags.remoteMaxSeconds) ?? 300,
        naiveSeconds: positive('--naive-seconds', flags.naiveSeconds) ?? (quick ? 10 : 60),
        viewCustomers: positive('--view-customers', flags.viewCustomers) ?? (quick ? 2_000 : 1_000_000),
        only: new Set(flags.only ? list('--only', flags.only, BENCH_PARTS) : BENCH_PARTS),
        infra: createInfraConfig(env),
      });
      const stamp = result.startedAt.replace(/[:.]/g, '-');
      writeFileSync(join(outDir, `bench-${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
      writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
      const md = renderMarkdown(result);
      writeFileSync(join(outDir, 'latest.md'), md);
      process.stdout.write(md);
    });
}
