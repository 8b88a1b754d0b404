/**
 * Does a marketer's preview move what agents and the collector feel? The real hub (its own
 * process, embedded store over the segment bench's graph) takes a steady mixed load — 200
 * collector events/s in batches of 10 and 10 agent 360° views/s — first alone, then while
 * previews of the trait + behaviour audience run back to back. Reported side by side in one
 * run: p50/p99 of collector and view requests in both phases and their ratio. (Before the
 * previews moved to worker threads, issue #22 measured collector p99 at 14 s under this mix.)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createEmbeddedStore } from '../../services/graph/embedded';
import type { ScenarioResult } from './bench-result';
import { percentile } from './latency';
import { SEGMENT_BENCH_DEFINITIONS, writeSegmentBenchGraph } from './segment-bench';
import { AGENT_QUERY, type RunningHub, withHub } from './view-scenario';

export interface PreviewInterferenceOptions {
  readonly root: string;
  /** Customers in the generated graph (default 100,000). */
  readonly customers?: number;
  /** Seconds of each phase (default 30). */
  readonly phaseSeconds?: number;
}

interface Phase {
  readonly collector: number[];
  readonly views: number[];
  readonly errors: number;
  readonly previews: number[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runPhase(hub: RunningHub, customers: number, seconds: number, withPreviews: boolean): Promise<Phase> {
  const phase: Phase = { collector: [], views: [], errors: 0, previews: [] };
  const until = performance.now() + seconds * 1000;
  const auth = `Basic ${Buffer.from(`${hub.writeKey}:`).toString('base64')}`;
  let seq = 0;
  const timed = async (into: number[], request: () => Promise<Response>) => {
    const t = performance.now();
    try {
      const r = await request();
      await r.arrayBuffer();
      if (r.status !== 200) (phase as { errors: number }).errors++;
    } catch {
      (phase as { errors: number }).errors++;
    }
    into.push(performance.now() - t);
  };
  // Open loops: a request starts on schedule whether or not the previous one answered.
  const paced = async (everyMs: number, send: () => Promise<void>) => {
    const inFlight: Promise<void>[] = [];
    for (let next = performance.now(); next < until; next += everyMs) {
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
      inFlight.push(send());
    }
    await Promise.all(inFlight);
  };
  const collector = paced(50, () =>
    timed(phase.collector, () => {
      const batch = Array.from({ length: 10 }, () => {
        const n = seq++;
        return {
          type: 'track',
          userId: `c${String(n % customers).padStart(7, '0')}`,
          event: 'Product Viewed',
          messageId: `interference-${withPreviews ? 'b' : 'a'}-${n}`,
        };
      });
      return fetch(`${hub.url}/v1/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: auth },
        body: JSON.stringify({ batch }),
      });
    }),
  );
  let v = 0;
  const views = paced(100, () =>
    timed(phase.views, () =>
      fetch(`${hub.url}/graphql`, {
        method: 'POST',
        headers: { ...hub.graphqlHeaders },
        body: JSON.stringify({
          query: AGENT_QUERY,
          variables: { id: `Customer:c${String((v++ * 7919) % customers).padStart(7, '0')}` },
        }),
      }),
    ),
  );
  const previews = (async () => {
    if (!withPreviews) return;
    while (performance.now() < until) {
      await timed(phase.previews, () =>
        fetch(`${hub.url}/graphql`, {
          method: 'POST',
          headers: { ...hub.graphqlHeaders },
          body: JSON.stringify({
            query: 'query P($d: JSON!) { previewSegment(definition: $d) { count } }',
            variables: { d: SEGMENT_BENCH_DEFINITIONS.traitAndBehaviour },
          }),
        }),
      );
    }
  })();
  await Promise.all([collector, views, previews]);
  return phase;
}

const round = (x: number) => Math.round(x * 10) / 10;

export async function previewInterferenceScenario(options: PreviewInterferenceOptions): Promise<ScenarioResult> {
  const customers = options.customers ?? 100_000;
  const seconds = options.phaseSeconds ?? 30;
  const dir = await mkdtemp(join(tmpdir(), 'c360-interference-'));
  try {
    const store = await createEmbeddedStore({ path: join(dir, 'data', 'graph') });
    await writeSegmentBenchGraph(store, { customers, viewsPerCustomer: 4, seed: 360 });
    await store.close();
    return await withHub(
      options.root,
      join(dir, 'data'),
      { env: { C360_GRAPHQL_TIMEOUT_MS: '120000' } },
      async (hub) => {
        // Warm both paths (JIT, the evaluation worker) before anything is measured.
        await runPhase(hub, customers, 3, true);
        const alone = await runPhase(hub, customers, seconds, false);
        const during = await runPhase(hub, customers, seconds, true);
        const p = (xs: number[], q: number) =>
          round(
            percentile(
              [...xs].sort((a, b) => a - b),
              q,
            ),
          );
        return {
          name: 'preview-interference',
          store: 'embedded',
          params: { customers, phaseSeconds: seconds, collectorEventsPerSecond: 200, viewsPerSecond: 10 },
          metrics: {
            collectorP50AloneMs: p(alone.collector, 50),
            collectorP99AloneMs: p(alone.collector, 99),
            collectorP50DuringPreviewsMs: p(during.collector, 50),
            collectorP99DuringPreviewsMs: p(during.collector, 99),
            collectorP99Ratio: round(p(during.collector, 99) / p(alone.collector, 99)),
            viewP50AloneMs: p(alone.views, 50),
            viewP99AloneMs: p(alone.views, 99),
            viewP50DuringPreviewsMs: p(during.views, 50),
            viewP99DuringPreviewsMs: p(during.views, 99),
            viewP99Ratio: round(p(during.views, 99) / p(alone.views, 99)),
            previewsCompleted: during.previews.length,
            previewMedianMs: p(during.previews, 50),
            errors: alone.errors + during.errors,
          },
          units: {
            collectorP50AloneMs: 'ms',
            collectorP99AloneMs: 'ms',
            collectorP50DuringPreviewsMs: 'ms',
            collectorP99DuringPreviewsMs: 'ms',
            collectorP99Ratio: 'x',
            viewP50AloneMs: 'ms',
            viewP99AloneMs: 'ms',
            viewP50DuringPreviewsMs: 'ms',
            viewP99DuringPreviewsMs: 'ms',
            viewP99Ratio: 'x',
            previewsCompleted: 'count',
            previewMedianMs: 'ms',
            errors: 'count',
          },
          notes: [
            'one hub process; the same open-loop load in both phases; previews back to back in the second (one marketer)',
            'ratio = p99 during previews / p99 alone, measured in the same run',
          ],
        };
      },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
