/**
 * CDC freshness: a committed change in PostgreSQL → visible through GraphQL.
 * Everything on the path is real: PostgreSQL logical decoding (pgoutput),
 * Kafka Connect + Debezium, Kafka, the Kafka ingest worker and the CDC
 * pipeline over the embedded store, and the GraphQL API over HTTP.
 * `cdcFreshnessScenario` measures it (p50/p99), on an idle path or under a
 * paced background load of row changes committed through a second connection;
 * it needs the local servers (`c360 infra up postgres kafka connect`) and
 * cleans up what it creates.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createHttpApp, startHttpServer } from '../../api';
import { defaultMappings } from '../../graph-schema';
import { createCdcPipeline, createFileDeadLetterSink, createLmdbDedupe } from '../../ingest';
import { createDecoders } from '../../ingest/decoders';
import {
  createConnectConfig,
  createConnectorService,
  createKafkaConnectClient,
  withPostgres,
} from '../../services/connect';
import { createEmbeddedStore } from '../../services/graph';
import { cdcTopicPattern, createKafkaIngestWorker } from '../../services/kafka';
import type { ScenarioResult } from './bench-result';
import { LATENCY_UNITS, summarizeLatency } from './latency';
import { type LoadReport, type PacedLoad, spreadIndex, startPacedLoad } from './load-generator';

export interface CdcFreshnessOptions {
  /** Changes to measure, one after the other. */
  readonly samples: number;
  /** Unmeasured changes first (JIT, connections, the worker joining its group). */
  readonly warmup?: number;
  readonly connector?: 'crm' | 'crm-schemaless';
  /** How often the GraphQL client asks; the resolution of the measurement. */
  readonly pollMs?: number;
  readonly sampleTimeoutMs?: number;
  /**
   * Background row changes per second committed while the samples run: UPDATEs of
   * other rows of the same table, through a second connection; absent or 0: idle.
   */
  readonly loadRowsPerSecond?: number;
  /** Rows the background load cycles over (default 1000; inserted before the snapshot). */
  readonly loadRows?: number;
  /** Load before the first measured sample, so samples meet a steady rate (default 1000 ms). */
  readonly loadSettleMs?: number;
  /**
   * Throughput instead of freshness: no samples; the load runs this long, and the result
   * compares what Debezium delivered (a no-op consumer on the table's topic) with what the
   * worker applied (its group's committed offsets) over that time.
   */
  readonly throughputSeconds?: number;
  /** Servers; defaults are the local `c360 infra` ones. */
  readonly kafkaBrokers?: readonly string[];
  readonly connectUrl?: string;
  readonly postgresUrl?: string;
}

async function deleteTopics(kafka: Kafka, prefix: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix) || t.endsWith(`.${prefix}`));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Below this share of the target rate the note says PostgreSQL (or the bench) did not keep up. */
const KEEP_UP_SHARE = 0.9;

/** Row changes per second at each layer of the CDC path, in one window of one run. */
export interface CdcRates {
  /** Offered by the load. */
  readonly target: number;
  /** Committed in PostgreSQL. */
  readonly committed: number;
  /** Delivered to Kafka by Debezium (seen by a consumer that does nothing). */
  readonly debezium: number;
  /** Applied by the worker (its committed offsets). */
  readonly worker: number;
}

/**
 * Which layer held the end-to-end rate: the last one, going downstream, that passed on
 * less than it was given. Debezium lagging PostgreSQL does not make it the limit when the
 * worker applies even less than Debezium delivered: the worker's rate is what comes out.
 */
export function cdcLimit(r: CdcRates): 'worker' | 'debezium' | 'postgres' | 'none' {
  if (r.worker < KEEP_UP_SHARE * r.debezium) return 'worker';
  if (r.debezium < KEEP_UP_SHARE * r.committed) return 'debezium';
  if (r.committed < KEEP_UP_SHARE * r.target) return 'postgres';
  return 'none';
}
/**
 * Rows per background UPDATE at most: one tick's statement, one transaction. One connection
 * runs one statement at a time, so what falls due while one runs goes in the next: at 200 a
 * statement slower than 40 ms (this machine in a busy hour) capped the load near 4,000 rows/s
 * and the bench measured its own generator; 1,000 (the token bucket's 0.2 s burst at 5,000/s)
 * keeps the offered rate while a statement takes up to 200 ms.
 */
const MAX_LOAD_ROWS_PER_STATEMENT = 1000;

/** Background rows are `L0000001`…, apart from the measured `C1`. */
const loadRowId = (index: number) => `L${String(index + 1).padStart(7, '0')}`;

/**
 * Each sample updates one customer's `plan` to a fresh value in an autocommit
 * statement; the clock starts before the statement and stops when a GraphQL
 * `customer(id)` query answers with that value. Samples run one after the other.
 * With `loadRowsPerSecond`, a token bucket paces UPDATEs of the other rows
 * (each tick one statement, so one transaction, of the rows that fell due)
 * from the end of the warm-up to the last sample.
 */
export async function cdcFreshnessScenario(options: CdcFreshnessOptions): Promise<ScenarioResult> {
  const suffix = randomBytes(5).toString('hex');
  const schema = `crm_bench_${suffix}`;
  const prefix = `cdcbench${suffix}`;
  const connectorId = options.connector ?? 'crm';
  const pollMs = options.pollMs ?? 5;
  const sampleTimeoutMs = options.sampleTimeoutMs ?? 120_000;
  const loadRate = options.loadRowsPerSecond ?? 0;
  const loadRows = options.loadRows ?? 1000;
  if (loadRate > 0 && !(Number.isInteger(loadRows) && loadRows > 0)) {
    throw new RangeError(`cdcFreshnessScenario: loadRows must be a positive integer, got ${loadRows}`);
  }
  const config = createConnectConfig({
    ...(options.connectUrl ? { connectUrl: options.connectUrl } : {}),
    ...(options.postgresUrl ? { postgresUrl: options.postgresUrl } : {}),
    cdcPrefix: prefix,
    crmSchema: schema,
    connectorPrefix: 'c360bench',
  });
  const service = createConnectorService(config, createKafkaConnectClient({ url: config.connectUrl }));
  const connectorName = `c360bench-${suffix}`;
  const dir = mkdtempSync(join(tmpdir(), 'c360-cdc-bench-'));
  const logger = pino({ level: 'silent' });
  const connectPg = async (): Promise<Client> => {
    const client = new Client({
      host: config.postgres.local.host,
      port: config.postgres.local.port,
      database: config.postgres.database,
      user: config.postgres.user,
      password: config.postgres.password,
    });
    await client.connect();
    // The local cluster runs synchronous_commit=off; production databases commit synchronously, and
    // an asynchronously committed change reaches logical decoding only once the WAL writer flushed it.
    await client.query('SET synchronous_commit = on');
    return client;
  };
  const pg = await connectPg();
  // The load has its own connection: on the samples' connection its statements would queue ahead of them.
  const loadPg = loadRate > 0 ? await connectPg() : null;
  const ddl = readFileSync(join(__dirname, '..', 'infra', 'postgres', 'crm-schema.sql'), 'utf8')
    .replace(/\bcrm\./g, `${schema}.`)
    .replace(/CREATE SCHEMA IF NOT EXISTS crm;/, `CREATE SCHEMA ${schema};`);
  await pg.query(ddl);
  await pg.query(`INSERT INTO ${schema}.customers (id, first_name, plan) VALUES ('C1', 'Ada', 'start')`);
  if (loadPg) {
    await pg.query(
      `INSERT INTO ${schema}.customers (id, first_name, plan)
       SELECT 'L' || lpad(g::text, 7, '0'), 'Load', 'start' FROM generate_series(1, $1::int) AS g`,
      [loadRows],
    );
  }

  const store = await createEmbeddedStore({ path: join(dir, 'graph') });
  const dedupe = createLmdbDedupe({ path: join(dir, 'dedupe') });
  const deadLetters = createFileDeadLetterSink(join(dir, 'dead-letters.ndjson'));
  const pipeline = createCdcPipeline({
    store,
    mappings: defaultMappings,
    decoders: createDecoders({}),
    dedupe,
    deadLetters,
    logger,
    batchMaxWaitMs: 1,
    tableAlias: (_schema, table) => `crm.${table}`,
  });
  const kafka = new Kafka({
    clientId: `c360-bench-${suffix}`,
    brokers: [...(options.kafkaBrokers ?? ['127.0.0.1:9092'])],
    logLevel: logLevel.NOTHING,
  });
  const worker = createKafkaIngestWorker({
    kafka,
    groupId: `c360-bench-${suffix}`,
    topics: {
      clickstream: `${prefix}-clickstream`,
      telemetry: `${prefix}-telemetry`,
      cdcPattern: cdcTopicPattern(prefix),
    },
    pipeline,
    logger,
    registry: new Registry(),
    sessionTimeoutMs: 6_000,
    lagSampleIntervalMs: 0,
    topicRefreshMs: 500,
  });
  const http = createHttpApp({
    store,
    pipeline,
    registry: new Registry(),
    logger,
    config: {
      writeKeys: [],
      maxEventBytes: 32 * 1024,
      maxBatchBytes: 500 * 1024,
      playground: false,
      graphqlPath: '/graphql',
      // The poll is the instrument (every 5 ms: up to 12,000 queries a minute), not a client
      // to limit: under the default 1,200 a minute the limiter answered 429 for ~40 s in a
      // run, and the sample read that as "not visible yet".
      limits: { rateLimitPerMinute: 0 },
    },
    readiness: () => ({ ready: true, reasons: [] }),
  });
  const server = await startHttpServer(http, { port: 0, host: '127.0.0.1' });

  const planOverGraphQL = async (): Promise<string | null> => {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ customer(id: "Customer:C1") { traits } }' }),
    });
    // Anything but an answer stops the scenario: a refused poll must never count as latency.
    if (!res.ok) throw new Error(`cdcFreshnessScenario: GraphQL answered ${res.status}: ${await res.text()}`);
    const body = (await res.json()) as {
      data?: { customer: { traits: { plan?: string } } | null };
      errors?: readonly { message: string }[];
    };
    if (body.errors?.length) throw new Error(`cdcFreshnessScenario: GraphQL errors: ${JSON.stringify(body.errors)}`);
    return body.data?.customer?.traits.plan ?? null;
  };

  const admin = kafka.admin();
  const latencies: number[] = [];
  let noop: Consumer | null = null;
  const noopCount = { messages: 0, lastAtMs: 0 };
  let window: { seconds: number; debeziumRows: number; workerRows: number } | null = null;
  let load: PacedLoad | null = null;
  let report: LoadReport | null = null;
  try {
    await service.apply(connectorId, { name: connectorName });
    await service.waitUntilRunning(connectorName, 120_000);
    await admin.connect();
    // The worker also subscribes to the hub's own topics; `c360 worker` creates them at start.
    await admin.createTopics({
      waitForLeaders: true,
      topics: [`${prefix}-clickstream`, `${prefix}-telemetry`].map((topic) => ({ topic, numPartitions: 1 })),
    });
    // The snapshot creates the customers topic; the worker subscribes once it exists.
    const topic = `${prefix}.${schema}.customers`;
    for (let deadline = Date.now() + 120_000; !(await admin.listTopics()).includes(topic); await sleep(200)) {
      if (Date.now() > deadline) throw new Error(`cdcFreshnessScenario: topic ${topic} never appeared`);
    }
    await worker.start();
    // The layer underneath, measured beside the worker: a consumer that does nothing but count.
    noop = kafka.consumer({ groupId: `c360-bench-noop-${suffix}`, maxWaitTimeInMs: 100 });
    await noop.connect();
    await noop.subscribe({ topics: [topic], fromBeginning: false });
    const counter = noopCount;
    await noop.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        counter.messages += batch.messages.length;
        counter.lastAtMs = performance.now();
      },
    });
    const committed = async (): Promise<number> => {
      const offsets = await admin.fetchOffsets({ groupId: `c360-bench-${suffix}`, topics: [topic] });
      return offsets[0].partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    };
    const measure = async (n: number): Promise<number> => {
      const plan = `plan-${n}`;
      const started = performance.now();
      await pg.query(`UPDATE ${schema}.customers SET plan = $1 WHERE id = 'C1'`, [plan]);
      const deadline = Date.now() + sampleTimeoutMs;
      while ((await planOverGraphQL()) !== plan) {
        if (Date.now() > deadline)
          throw new Error(`cdcFreshnessScenario: change ${n} not visible in ${sampleTimeoutMs} ms`);
        await sleep(pollMs);
      }
      return performance.now() - started;
    };
    // The first change also waits for the consumer group to form: generous timeout, not measured.
    const warmup = options.warmup ?? 5;
    for (let i = 0; i < warmup; i++) await measure(-1 - i);
    if (loadPg) {
      const client = loadPg;
      load = startPacedLoad({
        ratePerSecond: loadRate,
        maxUnitsPerSend: Math.min(MAX_LOAD_ROWS_PER_STATEMENT, loadRows),
        // One connection runs one statement at a time; a second in flight would only queue in the client.
        maxInFlight: 1,
        send: async (firstSeq, units) => {
          const ids = Array.from({ length: units }, (_, i) => loadRowId(spreadIndex(firstSeq + i, loadRows)));
          const r = await client.query(
            `UPDATE ${schema}.customers SET plan = $1, updated_at = now() WHERE id = ANY($2::text[])`,
            [`load-${firstSeq}`, ids],
          );
          return r.rowCount ?? 0;
        },
      });
      await sleep(options.loadSettleMs ?? 1000);
    }
    if (options.throughputSeconds !== undefined && load) {
      // Both counted over the same window, after the settle time: rates, not totals.
      const startMs = performance.now();
      const noopStart = noopCount.messages;
      const workerStart = await committed();
      await sleep(options.throughputSeconds * 1000);
      const seconds = (performance.now() - startMs) / 1000;
      window = {
        seconds,
        debeziumRows: noopCount.messages - noopStart,
        workerRows: (await committed()) - workerStart,
      };
    } else {
      for (let i = 0; i < options.samples; i++) latencies.push(await measure(i));
      window = null;
    }
  } finally {
    // First, so no UPDATE runs into the schema being dropped (stop never rejects: send errors are counted).
    if (load) report = await load.stop();
    // Each step on its own: a failed one must not leave a replication slot pinning WAL.
    const steps: (() => Promise<unknown>)[] = [
      async () => loadPg?.end(),
      async () => noop?.disconnect(),
      () => admin.disconnect(),
      () => worker.stop(),
      () => server.close(),
      () => pipeline.close(),
      () => service.remove(connectorName, { dropSlot: true }),
      () => withPostgres(config.postgres, (c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)),
      () => pg.end(),
      () => deleteTopics(kafka, prefix),
      () => deadLetters.close(),
      () => dedupe.close(),
      () => store.close(),
    ];
    for (const step of steps) await step().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  const latency = summarizeLatency(latencies);
  const latencyUnits = LATENCY_UNITS;
  const notes = [
    'PostgreSQL commit → Debezium (pgoutput) → Kafka → Kafka ingest worker → embedded store → GraphQL HTTP query',
    `GraphQL polled every ${pollMs} ms: a sample can read up to one poll interval late`,
  ];
  const params = { samples: options.samples, connector: connectorId, pollMs };
  if (!report) {
    return {
      name: 'cdc-freshness',
      store: 'embedded',
      params: { ...params, load: 'idle' },
      metrics: latency,
      units: latencyUnits,
      notes,
    };
  }
  notes.push(
    `background load: UPDATEs of ${loadRows} other rows of the same table through a second connection, ` +
      `token bucket paced every 20 ms, one statement (≤ ${MAX_LOAD_ROWS_PER_STATEMENT} rows, one transaction) per tick`,
  );
  if (report.achievedPerSecond < KEEP_UP_SHARE * report.targetPerSecond) {
    notes.push(
      `the load did not keep up: ${Math.round(report.achievedPerSecond)} of ${report.targetPerSecond} ` +
        `row changes/s committed (${report.dropped} due changes dropped while a statement was running)`,
    );
  }
  if (report.firstError) notes.push(`${report.failed} load rows failed; first error: ${report.firstError}`);
  if (window) {
    const committedPerSecond = report.achievedPerSecond;
    const debezium = window.debeziumRows / window.seconds;
    const worker = window.workerRows / window.seconds;
    const limit = cdcLimit({ target: report.targetPerSecond, committed: committedPerSecond, debezium, worker });
    notes.push(
      `throughput over ${window.seconds.toFixed(1)} s after a ${options.loadSettleMs ?? 1000} ms settle: row changes committed in PostgreSQL, ` +
        'delivered to Kafka by Debezium (a no-op kafkajs consumer on the table topic, same run), and applied by the worker (its committed offsets)',
      `limit: ${limit}`,
    );
    return {
      name: 'cdc-throughput',
      store: 'embedded',
      params: {
        ...params,
        targetRowChangesPerSecond: report.targetPerSecond,
        loadRows,
        seconds: options.throughputSeconds ?? 0,
      },
      metrics: {
        committedRowsPerSecond: Math.round(committedPerSecond),
        debeziumRowsPerSecond: Math.round(debezium),
        workerRowsPerSecond: Math.round(worker),
        workerFractionOfDebezium: Math.round((worker / Math.max(1, debezium)) * 1000) / 1000,
        limitIsWorker: limit === 'worker' ? 1 : 0,
        limitIsDebezium: limit === 'debezium' ? 1 : 0,
        loadFailedRows: report.failed,
      },
      units: {
        committedRowsPerSecond: 'rows/s',
        debeziumRowsPerSecond: 'rows/s',
        workerRowsPerSecond: 'rows/s',
        workerFractionOfDebezium: 'ratio',
        limitIsWorker: 'bool',
        limitIsDebezium: 'bool',
        loadFailedRows: 'count',
      },
      notes,
    };
  }
  return {
    name: 'cdc-freshness',
    store: 'embedded',
    params: { ...params, load: 'background', targetRowChangesPerSecond: report.targetPerSecond, loadRows },
    metrics: {
      achievedRowChangesPerSecond: Math.round(report.achievedPerSecond),
      ...latency,
      loadFailedRows: report.failed,
    },
    units: { achievedRowChangesPerSecond: 'rows/s', ...latencyUnits, loadFailedRows: 'count' },
    notes,
  };
}
