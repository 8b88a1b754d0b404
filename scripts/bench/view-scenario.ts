/**
 * The agent's 360° view and freshness, measured against the real HTTP server
 * running in its own process (so load generator and server do not share an
 * event loop), over the graph the ingest scenario built.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { ScenarioResult } from './bench-result';
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

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export async function viewScenarios(
  root: string,
  dataDir: string,
  params: { customers: number; durationSeconds: number; connections: number; freshnessSamples: number },
): Promise<ScenarioResult[]> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const apiKey = `bench-${randomBytes(24).toString('hex')}`;
  const child = spawn(
    process.execPath,
    [
      '-r',
      'tsx/cjs',
      join(root, 'scripts/cli.ts'),
      'start',
      '--data-dir',
      dataDir,
      '--port',
      String(port),
      '--write-keys',
      'bench',
      '--log-level',
      'warn',
    ],
    {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      // A real, authenticated hub (not demo mode): an agent key, no rate limit so the load is not throttled.
      env: {
        ...process.env,
        C360_API_KEYS: JSON.stringify([{ name: 'bench', roles: ['agent'], key: apiKey }]),
        C360_GRAPHQL_RATE_LIMIT_PER_MINUTE: '0',
        C360_COLLECTOR_RATE_LIMIT_PER_MINUTE: '0',
      },
    },
  );
  const graphqlHeaders = { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` };
  try {
    await waitReady(url, child, 60_000);
    const { default: autocannon } = await import('autocannon');
    let n = 0;
    const result = await autocannon({
      url: `${url}/graphql`,
      connections: params.connections,
      duration: params.durationSeconds,
      requests: [
        {
          method: 'POST',
          headers: graphqlHeaders,
          setupRequest: (req) => {
            // Deterministic spread over all customers, so caches do not flatter the numbers.
            const id = customerIdOf((n++ * 7919) % params.customers);
            return { ...req, body: JSON.stringify({ query: AGENT_QUERY, variables: { id } }) };
          },
        },
      ],
    });
    const view: ScenarioResult = {
      name: 'view-360',
      store: 'embedded',
      params: { customers: params.customers, connections: params.connections, durationSeconds: params.durationSeconds },
      metrics: {
        requestsPerSecond: Math.round(result.requests.average),
        latencyP50Ms: result.latency.p50,
        latencyP99Ms: result.latency.p99,
        non2xx: result.non2xx,
        errors: result.errors,
        serverPeakRssMiB: peakRssMiB(child.pid ?? -1) ?? 0,
      },
      units: {
        requestsPerSecond: 'req/s',
        latencyP50Ms: 'ms',
        latencyP99Ms: 'ms',
        non2xx: 'count',
        errors: 'count',
        serverPeakRssMiB: 'MiB',
      },
      notes: ['autocannon in the bench process against the hub in a child process; one GraphQL 360° query per request'],
    };

    // Freshness: an event sent to the collector → visible on the customer's timeline through GraphQL.
    const auth = `Basic ${Buffer.from('bench:').toString('base64')}`;
    const samples: number[] = [];
    for (let i = 0; i < params.freshnessSamples; i++) {
      const customer = customerIdOf((i * 104729) % params.customers);
      const messageId = `bench-fresh-${Date.now()}-${i}`;
      const started = performance.now();
      const sent = fetch(`${url}/v1/track`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: auth },
        body: JSON.stringify({
          userId: customer.slice('Customer:'.length),
          event: 'Freshness Probe',
          messageId,
          timestamp: new Date().toISOString(),
        }),
      });
      for (;;) {
        const r = await fetch(`${url}/graphql`, {
          method: 'POST',
          headers: graphqlHeaders,
          body: JSON.stringify({
            query:
              'query($id: ID!){ customer(id: $id) { timeline(first: 1) { edges { node { ... on Event { id } } } } } }',
            variables: { id: customer },
          }),
        });
        const body = (await r.json()) as {
          data?: { customer?: { timeline?: { edges: { node: { id?: string } }[] } } };
        };
        if (body.data?.customer?.timeline?.edges[0]?.node.id === `Event:${messageId}`) break;
      }
      samples.push(performance.now() - started);
      await sent;
    }
    samples.sort((a, b) => a - b);
    const freshness: ScenarioResult = {
      name: 'freshness',
      store: 'embedded',
      params: { transport: 'http-collector', samples: samples.length, load: 'idle' },
      metrics: {
        p50Ms: Math.round(percentile(samples, 50) * 10) / 10,
        p99Ms: Math.round(percentile(samples, 99) * 10) / 10,
      },
      units: { p50Ms: 'ms', p99Ms: 'ms' },
      notes: ['POST /v1/track → event visible on the timeline via GraphQL (polled back to back)'],
    };
    return [view, freshness];
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}
