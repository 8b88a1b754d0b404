/**
 * The agent's 360° view and freshness, measured against the real HTTP server
 * running in its own process (so load generator and server do not share an
 * event loop), over the graph the ingest scenario built. `withHub` starts that
 * process once; `view360Scenario` and `freshnessScenario` each measure on it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { V8_FLAGS } from '../../app/v8-flags';
import type { ScenarioResult } from './bench-result';
import { LATENCY_UNITS, summarizeLatency } from './latency';
import { type LoadReport, segmentBatchSender, startPacedLoad } from './load-generator';
import { peakRssMiB } from './machine';

export const AGENT_QUERY = /* GraphQL */ `
  query Agent360($id: ID!) {
    customer(id: $id) {
      id
      traits
      identities { type value }
      devices(first: 5) { edges { node { id type lastSeen } } }
      orders(first: 5) { edges { node { id status total currency } } }
      interactions(first: 5) { edges { node { id status } } }
      timeline(first: 20) { edges { cursor node { __typename } } pageInfo { hasNextPage endCursor } }
      health { status reasons }
    }
  }
`;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server at ${url} not ready after ${timeoutMs} ms`);
}

function customerIdOf(index: number): string {
  return `Customer:C${String(index + 1).padStart(7, '0')}`;
}

/** A graph server the hub uses instead of its embedded store (C360_GRAPH / C360_GRAPH_URL). */
export interface GraphTarget {
  readonly kind: 'gremlin' | 'neo4j';
  /** What results are reported under when it differs from `kind` (JanusGraph is a Gremlin server). */
  readonly store?: 'janusgraph';
  readonly url: string;
  readonly user?: string;
  readonly password?: string;
}

export interface HubOptions {
  /** Default: the embedded store in `dataDir`. */
  readonly graph?: GraphTarget;
  /** More environment for the hub process (wins over the bench's own). */
  readonly env?: Readonly<Record<string, string>>;
  readonly readyTimeoutMs?: number;
}

export interface RunningHub {
  readonly url: string;
  readonly store: ScenarioResult['store'];
  /** JSON content type and the agent API key's bearer token. */
  readonly graphqlHeaders: Readonly<Record<string, string>>;
  /** Collector write key (the Basic auth username). */
  readonly writeKey: string;
  readonly pid: number;
}

const WRITE_KEY = 'bench';

/** Graph settings of the child: explicit, so a C360_GRAPH* in the bench's own environment cannot leak in. */
function graphEnv(graph: GraphTarget | undefined): Record<string, string | undefined> {
  if (!graph) {
    return {
      C360_GRAPH: 'embedded',
      C360_GRAPH_URL: undefined,
      C360_GRAPH_USER: undefined,
      C360_GRAPH_PASSWORD: undefined,
    };
  }
  return {
    C360_GRAPH: graph.kind,
    C360_GRAPH_URL: graph.url,
    C360_GRAPH_USER: graph.user,
    C360_GRAPH_PASSWORD: graph.password,
  };
}

/**
 * Starts `c360 start` on a free port over `dataDir` (and the graph server, if
 * given), runs `fn` against it, and stops it whatever `fn` did.
 */
export async function withHub<T>(
  root: string,
  dataDir: string,
  options: HubOptions,
  fn: (hub: RunningHub) => Promise<T>,
): Promise<T> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const apiKey = `bench-${randomBytes(24).toString('hex')}`;
  const env: Record<string, string | undefined> = {
    ...process.env,
    // A real, authenticated hub (not demo mode): an agent key (also a marketer's, for previews),
    // no rate limit so the load is not throttled.
    C360_API_KEYS: JSON.stringify([{ name: 'bench', roles: ['agent', 'marketer'], key: apiKey }]),
    C360_GRAPHQL_RATE_LIMIT_PER_MINUTE: '0',
    C360_COLLECTOR_RATE_LIMIT_PER_MINUTE: '0',
    ...graphEnv(options.graph),
    ...options.env,
  };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const child = spawn(
    process.execPath,
    [
      ...V8_FLAGS,
      '-r',
      'tsx/cjs',
      join(root, 'app/cli.ts'),
      'start',
      '--data-dir',
      dataDir,
      '--port',
      String(port),
      '--write-keys',
      WRITE_KEY,
      '--log-level',
      'warn',
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env },
  );
  const exited = new Promise((r) => child.once('exit', r));
  try {
    await waitReady(url, child, options.readyTimeoutMs ?? 60_000);
    return await fn({
      url,
      store: options.graph?.store ?? options.graph?.kind ?? 'embedded',
      graphqlHeaders: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      writeKey: WRITE_KEY,
      pid: child.pid ?? -1,
    });
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  }
}

export interface View360Params {
  readonly customers: number;
  readonly durationSeconds: number;
  readonly connections: number;
  /** Sequential, unmeasured requests first (default 50): JIT, query plans and connection pools warm. */
  readonly warmupRequests?: number;
}

/**
 * The warm-up also checks the answers: autocannon sees only HTTP statuses, and a
 * GraphQL error or a missing customer would make a fast but meaningless number.
 */
async function warmUp(hub: RunningHub, params: View360Params): Promise<{ missing: number; asked: number }> {
  const asked = params.warmupRequests ?? 50;
  let missing = 0;
  for (let i = 0; i < asked; i++) {
    const id = customerIdOf((i * 104_729) % params.customers);
    const r = await fetch(`${hub.url}/graphql`, {
      method: 'POST',
      headers: { ...hub.graphqlHeaders },
      body: JSON.stringify({ query: AGENT_QUERY, variables: { id } }),
    });
    const body = (await r.json()) as { data?: { customer?: unknown }; errors?: { message: string }[] };
    if (r.status !== 200 || body.errors?.length) {
      throw new Error(`view-360 warm-up: ${id} answered ${r.status}: ${JSON.stringify(body.errors ?? body)}`);
    }
    if (!body.data?.customer) missing++;
  }
  return { missing, asked };
}

/**
 * autocannon in the bench process, one GraphQL 360° query per request, customers spread over
 * the population; then `{ __typename }` through the same server, connections and duration —
 * the raw speed of the stack underneath (HTTP, auth, Apollo), measured side by side.
 */
export async function view360Scenario(hub: RunningHub, params: View360Params): Promise<ScenarioResult> {
  const warm = await warmUp(hub, params);
  const { default: autocannon } = await import('autocannon');
  const load = (body: () => string) =>
    autocannon({
      url: `${hub.url}/graphql`,
      connections: params.connections,
      duration: params.durationSeconds,
      requests: [
        { method: 'POST', headers: { ...hub.graphqlHeaders }, setupRequest: (req) => ({ ...req, body: body() }) },
      ],
    });
  let n = 0;
  // Deterministic spread over all customers, so caches do not flatter the numbers.
  const result = await load(() =>
    JSON.stringify({ query: AGENT_QUERY, variables: { id: customerIdOf((n++ * 7919) % params.customers) } }),
  );
  const typename = await load(() => TYPENAME_BODY);
  const viewRate = result.requests.average;
  const typenameRate = typename.requests.average;
  return {
    name: 'view-360',
    store: hub.store,
    params: { customers: params.customers, connections: params.connections, durationSeconds: params.durationSeconds },
    metrics: {
      requestsPerSecond: Math.round(viewRate),
      latencyP50Ms: result.latency.p50,
      latencyP99Ms: result.latency.p99,
      non2xx: result.non2xx + typename.non2xx,
      errors: result.errors + typename.errors,
      typenameRequestsPerSecond: Math.round(typenameRate),
      typenameLatencyP99Ms: typename.latency.p99,
      fractionOfTypename: typenameRate > 0 ? Math.round((viewRate / typenameRate) * 1000) / 1000 : 0,
      serverPeakRssMiB: peakRssMiB(hub.pid) ?? 0,
      warmupMissingCustomers: warm.missing,
    },
    units: {
      warmupMissingCustomers: 'count',
      requestsPerSecond: 'req/s',
      latencyP50Ms: 'ms',
      latencyP99Ms: 'ms',
      non2xx: 'count',
      errors: 'count',
      typenameRequestsPerSecond: 'req/s',
      typenameLatencyP99Ms: 'ms',
      fractionOfTypename: 'ratio',
      serverPeakRssMiB: 'MiB',
    },
    notes: [
      'autocannon in the bench process against the hub in a child process; one GraphQL 360° query per request',
      'then `{ __typename }` through the same server, connections and duration: fractionOfTypename = view req/s ÷ __typename req/s',
      `after ${warm.asked} sequential warm-up requests, checked for GraphQL errors; warmupMissingCustomers of them found no customer`,
    ],
  };
}

const TYPENAME_BODY = JSON.stringify({ query: '{ __typename }' });

export interface FreshnessParams {
  readonly customers: number;
  /** Probes, one after the other. */
  readonly samples: number;
  /**
   * Background Segment events per second posted to `/v1/batch` while the probes
   * run (the bench passes half the ingest scenario's events/s); absent or 0: idle hub.
   */
  readonly loadEventsPerSecond?: number;
  /** Load before the first probe, so probes meet a steady rate (default 1000 ms). */
  readonly loadSettleMs?: number;
  /** A probe not visible after this fails the scenario (default 120 s). */
  readonly sampleTimeoutMs?: number;
}

/** Below this share of the target rate the note says the hub did not keep up. */
const KEEP_UP_SHARE = 0.9;
/** The probe looks for its event among the newest few, so a concurrent event cannot hide it. */
const PROBE_QUERY =
  'query($id: ID!){ customer(id: $id) { timeline(first: 5) { edges { node { ... on Event { id } } } } } }';

/**
 * Freshness: `POST /v1/track` → the event visible on the customer's timeline
 * through GraphQL (polled back to back), one probe after the other; with
 * `loadEventsPerSecond`, under a paced background load of `/v1/batch` events
 * to the customers the probes do not use.
 */
export async function freshnessScenario(hub: RunningHub, params: FreshnessParams): Promise<ScenarioResult> {
  const auth = `Basic ${Buffer.from(`${hub.writeKey}:`).toString('base64')}`;
  const runId = randomBytes(4).toString('hex');
  const sampleTimeoutMs = params.sampleTimeoutMs ?? 120_000;
  const probeIndex = (i: number) => (i * 104729) % params.customers;
  const probed = new Set(Array.from({ length: params.samples }, (_, i) => probeIndex(i)));
  const loadRate = params.loadEventsPerSecond ?? 0;
  let load: ReturnType<typeof startPacedLoad> | null = null;
  let loadCustomers = 0;
  if (loadRate > 0) {
    const others = Array.from({ length: params.customers }, (_, i) => i).filter((i) => !probed.has(i));
    // With fewer customers than probes the load shares theirs; the probe query's first 5 still find the probe.
    const userIds = (others.length > 0 ? others : [...probed]).map((i) => customerIdOf(i).slice('Customer:'.length));
    loadCustomers = userIds.length;
    load = startPacedLoad({
      ratePerSecond: loadRate,
      maxUnitsPerSend: 500,
      send: segmentBatchSender({ url: hub.url, writeKey: hub.writeKey, userIds, runId }),
    });
  }

  const samples: number[] = [];
  let report: LoadReport | null = null;
  try {
    if (load) await new Promise((r) => setTimeout(r, params.loadSettleMs ?? 1000));
    for (let i = 0; i < params.samples; i++) {
      const customer = customerIdOf(probeIndex(i));
      const messageId = `bench-fresh-${runId}-${i}`;
      let sendError: string | null = null;
      const started = performance.now();
      const sent = fetch(`${hub.url}/v1/track`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: auth },
        body: JSON.stringify({
          userId: customer.slice('Customer:'.length),
          event: 'Freshness Probe',
          messageId,
          timestamp: new Date().toISOString(),
        }),
      }).then(
        (r) => {
          if (r.status !== 200) sendError = `POST /v1/track answered ${r.status}`;
        },
        (e: unknown) => {
          sendError = e instanceof Error ? e.message : String(e);
        },
      );
      const deadline = Date.now() + sampleTimeoutMs;
      for (;;) {
        const r = await fetch(`${hub.url}/graphql`, {
          method: 'POST',
          headers: hub.graphqlHeaders,
          body: JSON.stringify({ query: PROBE_QUERY, variables: { id: customer } }),
        });
        const body = (await r.json()) as {
          data?: { customer?: { timeline?: { edges: { node: { id?: string } }[] } } };
        };
        // Collector events are scoped by sender: `Event:<messageId>~<sender>`.
        const probe = `Event:${messageId}`;
        if (body.data?.customer?.timeline?.edges.some((e) => e.node.id === probe || e.node.id?.startsWith(`${probe}~`)))
          break;
        if (sendError) throw new Error(`freshnessScenario: probe ${i} was not accepted: ${sendError}`);
        if (Date.now() > deadline)
          throw new Error(`freshnessScenario: probe ${i} not visible in ${sampleTimeoutMs} ms`);
      }
      samples.push(performance.now() - started);
      await sent;
    }
  } finally {
    report = load ? await load.stop() : null;
  }
  const latency = summarizeLatency(samples);
  const latencyUnits = LATENCY_UNITS;
  const probeNote = 'POST /v1/track → event visible on the timeline via GraphQL (polled back to back)';
  if (!report) {
    return {
      name: 'freshness',
      store: hub.store,
      params: { transport: 'http-collector', samples: params.samples, load: 'idle' },
      metrics: latency,
      units: latencyUnits,
      notes: [probeNote],
    };
  }
  const notes = [
    probeNote,
    `background load: Segment track events in /v1/batch requests (≤ 500 events, ≤ 4 in flight), token bucket ` +
      `paced every 20 ms, over ${loadCustomers} customers${loadCustomers < params.customers ? ' the probes do not use' : ''}`,
  ];
  if (report.achievedPerSecond < KEEP_UP_SHARE * report.targetPerSecond) {
    notes.push(
      `the hub did not keep up: ${Math.round(report.achievedPerSecond)} of ${report.targetPerSecond} events/s ` +
        `accepted (${report.dropped} due events dropped while every request was in flight)`,
    );
  }
  if (report.firstError) notes.push(`${report.failed} load events failed; first error: ${report.firstError}`);
  return {
    name: 'freshness',
    store: hub.store,
    params: {
      transport: 'http-collector',
      samples: params.samples,
      load: 'background',
      targetEventsPerSecond: report.targetPerSecond,
    },
    metrics: {
      achievedEventsPerSecond: Math.round(report.achievedPerSecond),
      ...latency,
      loadFailedEvents: report.failed,
    },
    units: { achievedEventsPerSecond: 'events/s', ...latencyUnits, loadFailedEvents: 'count' },
    notes,
  };
}

/** Events applied so far (every source), from the hub's Prometheus counter. */
async function appliedEvents(hub: RunningHub): Promise<number> {
  const text = await (await fetch(`${hub.url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('c360_events_applied_total')) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** Requests in flight while the collector's maximum is searched. */
const CAPACITY_SENDERS = 16;

export interface CollectorCapacityParams {
  readonly customers: number;
  /** The search's upper bound in events/s: a rate the hub cannot exceed (the bench passes the worker's Kafka ingest rate). */
  readonly upperPerSecond: number;
  /** Load per step (default 10 s). */
  readonly stepSeconds?: number;
  /** Halvings of the interval (default 4: the answer is within upper/16). */
  readonly steps?: number;
  /** After a step's load stops, the accepted events must be applied within this (default 2,000 ms). */
  readonly drainMs?: number;
}

/**
 * The collector path's own maximum: the highest paced rate of `/v1/batch` events the hub
 * accepts in full *and* applies as fast (everything accepted in a step is in the graph within
 * `drainMs` of the step's end), found by halving the interval between 0 and `upperPerSecond`.
 * The hub runs the collector and the Kafka worker on one event loop, so its maximum is below
 * the worker's alone; "½ max load" for freshness is half of this.
 */
export async function collectorCapacityScenario(
  hub: RunningHub,
  params: CollectorCapacityParams,
): Promise<ScenarioResult> {
  const stepSeconds = params.stepSeconds ?? 10;
  const drainMs = params.drainMs ?? 2_000;
  const runId = randomBytes(4).toString('hex');
  const userIds = Array.from({ length: params.customers }, (_, i) => customerIdOf(i).slice('Customer:'.length));
  let low = 0;
  let high = params.upperPerSecond;
  const tried: string[] = [];
  let lastFirstError: string | null = null;
  for (let step = 0; step < (params.steps ?? 4); step++) {
    const rate = Math.max(1, Math.round((low + high) / 2));
    const before = await appliedEvents(hub);
    const load = startPacedLoad({
      ratePerSecond: rate,
      maxUnitsPerSend: 500,
      // Enough senders that the hub, not the sender's own concurrency, decides what is accepted:
      // with 4 requests in flight the acknowledged round trip (Kafka acks=all) capped the sender.
      maxInFlight: CAPACITY_SENDERS,
      send: segmentBatchSender({ url: hub.url, writeKey: hub.writeKey, userIds, runId: `${runId}-${step}` }),
    });
    await new Promise((r) => setTimeout(r, stepSeconds * 1000));
    const report = await load.stop();
    lastFirstError = report.firstError ?? lastFirstError;
    const deadline = performance.now() + drainMs;
    let applied = (await appliedEvents(hub)) - before;
    while (applied < report.accepted && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      applied = (await appliedEvents(hub)) - before;
    }
    const kept = report.failed === 0 && report.achievedPerSecond >= 0.95 * rate && applied >= report.accepted;
    tried.push(
      `${rate}/s ${kept ? 'kept up' : `did not (${Math.round(report.achievedPerSecond)}/s accepted, ${report.accepted - applied} not applied ${drainMs} ms after)`}`,
    );
    if (kept) low = rate;
    else high = rate;
    // Whatever a failed step left in the log is applied before the next one is judged.
    const settle = performance.now() + 120_000;
    while ((await appliedEvents(hub)) - before < report.accepted && performance.now() < settle) {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const notes = [
    `highest paced rate of /v1/batch events (≤ 500 per request, ≤ ${CAPACITY_SENDERS} in flight, over ${params.customers} customers) ` +
      `accepted in full and applied within ${drainMs} ms of a ${stepSeconds} s step's end; interval halved from 0–${params.upperPerSecond}/s`,
    `steps: ${tried.join('; ')}`,
  ];
  if (lastFirstError) notes.push(`a step's load failed; first error: ${lastFirstError}`);
  return {
    name: 'collector-capacity',
    store: hub.store,
    params: {
      transport: 'http-collector',
      upperPerSecond: params.upperPerSecond,
      stepSeconds,
      steps: params.steps ?? 4,
    },
    metrics: { eventsPerSecond: low, resolutionEventsPerSecond: high - low },
    units: { eventsPerSecond: 'events/s', resolutionEventsPerSecond: 'events/s' },
    notes,
  };
}

export interface ViewScenariosParams {
  readonly customers: number;
  readonly durationSeconds: number;
  readonly connections: number;
  readonly freshnessSamples: number;
  /** See `FreshnessParams.loadEventsPerSecond`. */
  readonly loadEventsPerSecond?: number;
  readonly graph?: GraphTarget;
}

/** view-360, then freshness, on one hub process. */
export async function viewScenarios(
  root: string,
  dataDir: string,
  params: ViewScenariosParams,
): Promise<ScenarioResult[]> {
  return withHub(root, dataDir, { graph: params.graph }, async (hub) => {
    const view = await view360Scenario(hub, params);
    const freshness = await freshnessScenario(hub, {
      customers: params.customers,
      samples: params.freshnessSamples,
      loadEventsPerSecond: params.loadEventsPerSecond,
    });
    return [view, freshness];
  });
}
