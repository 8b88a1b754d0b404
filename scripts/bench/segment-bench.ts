/**
 * Segment previews on the embedded store: a trait + behaviour audience ("lifetime
 * value over 500 and viewed a tv in the last 7 days") over N customers, answered by
 * the embedded reference evaluator through the GraphStore read API.
 *
 * The graph is written directly with BatchBuilder (no decoding or mapping), so the
 * setup takes seconds and the number measured is the preview alone.
 *
 *   npx tsx scripts/bench/segment-bench.ts [customers]   (default 100000)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createEmbeddedSegmentEvaluator,
  createWorkerSegmentEvaluator,
  parseSegmentDefinition,
  type SegmentEvaluator,
} from '../../features/segments';
import { BatchBuilder, type GraphStore, makeVersion } from '../../graph-schema';
import { createEmbeddedStore } from '../../services/graph/embedded';
import { createPrng } from '../demo/prng';
import type { ScenarioResult } from './bench-result';

export interface SegmentPreviewOptions {
  /** Customers in the generated graph (default 100,000). */
  readonly customers?: number;
  /** Product views per customer on average, spread over the last 28 days (default 4). */
  readonly viewsPerCustomer?: number;
  /** Timed preview runs after one warm-up (default 3); the median is reported. */
  readonly runs?: number;
  /**
   * Evaluation worker threads of the second measurement, the hub's way (default 2, as
   * C360_PREVIEWS_RUNNING): the preview cut into that many slices of the customers.
   */
  readonly threads?: number;
  /** The workers' young generation (default: the evaluator's); set to compare with V8's default (48). */
  readonly youngGenerationMb?: number;
  readonly seed?: number;
  /** Where the store lives (default: a fresh temp dir, removed afterwards). */
  readonly dir?: string;
  readonly onProgress?: (written: number, total: number) => void;
}

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 1);
const CATEGORIES = ['tv', 'laptop', 'phone', 'audio', 'camera', 'appliance', 'gaming', 'wearable'];

export const SEGMENT_BENCH_DEFINITIONS = {
  trait: { trait: { name: 'lifetimeValue', op: 'gt', value: 500 } },
  traitAndBehaviour: {
    and: [
      { trait: { name: 'lifetimeValue', op: 'gt', value: 500 } },
      { event: { name: 'Product Viewed', product: { category: 'tv' }, within: '7d', atLeast: 1 } },
    ],
  },
} as const;

/** Writes the synthetic graph: customers with a lifetime value, product views about categorized products. */
export async function writeSegmentBenchGraph(
  store: GraphStore,
  options: {
    customers: number;
    viewsPerCustomer: number;
    seed: number;
    onProgress?: (n: number, total: number) => void;
  },
): Promise<{ customers: number; events: number }> {
  const prng = createPrng(options.seed);
  const v = makeVersion(NOW - 30 * DAY, 'bench');
  const products = new BatchBuilder();
  for (let p = 0; p < 200; p++) {
    products.add({
      op: 'upsertVertex',
      label: 'Product',
      key: `p${p}`,
      props: { category: CATEGORIES[p % CATEGORIES.length], name: `Product ${p}` },
      version: v,
    });
  }
  await store.apply(products.build());
  let events = 0;
  const chunk = 2000;
  for (let start = 0; start < options.customers; start += chunk) {
    const b = new BatchBuilder();
    for (let i = start; i < Math.min(options.customers, start + chunk); i++) {
      const key = `c${String(i).padStart(7, '0')}`;
      b.add({
        op: 'upsertVertex',
        label: 'Customer',
        key,
        props: { lifetimeValue: prng.int(1000), country: prng.pick(['DE', 'FR', 'US', 'SE']) },
        version: v,
      });
      const views = prng.poisson(options.viewsPerCustomer);
      for (let k = 0; k < views; k++) {
        const ts = NOW - prng.int(28 * DAY);
        const ev = `${key}-e${k}`;
        const ver = makeVersion(ts, ev);
        b.add({
          op: 'upsertVertex',
          label: 'Event',
          key: ev,
          props: { type: 'track', name: 'Product Viewed', ts },
          version: ver,
        });
        b.add({
          op: 'upsertEdge',
          label: 'PERFORMED',
          from: { label: 'Customer', key },
          to: { label: 'Event', key: ev },
          props: {},
          version: ver,
        });
        b.add({
          op: 'upsertEdge',
          label: 'ABOUT',
          from: { label: 'Event', key: ev },
          to: { label: 'Product', key: `p${prng.int(200)}` },
          props: {},
          version: ver,
        });
        events++;
      }
    }
    await store.apply(b.build());
    options.onProgress?.(Math.min(options.customers, start + chunk), options.customers);
  }
  return { customers: options.customers, events };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function segmentPreviewScenario(options: SegmentPreviewOptions = {}): Promise<ScenarioResult> {
  const customers = options.customers ?? 100_000;
  const viewsPerCustomer = options.viewsPerCustomer ?? 4;
  const runs = options.runs ?? 3;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'c360-segment-bench-')));
  const store = await createEmbeddedStore({ path: join(dir, 'graph') });
  try {
    const setupStart = performance.now();
    const written = await writeSegmentBenchGraph(store, {
      customers,
      viewsPerCustomer,
      seed: options.seed ?? 360,
      onProgress: options.onProgress,
    });
    const setupMs = performance.now() - setupStart;
    const inProcess = createEmbeddedSegmentEvaluator({ store });
    const threads = options.threads ?? 2;
    const measure = async (raw: unknown, evaluator: SegmentEvaluator = inProcess) => {
      const definition = parseSegmentDefinition(raw);
      let count = 0;
      const times: number[] = [];
      for (let r = 0; r <= runs; r++) {
        const t = performance.now();
        const preview = await evaluator.preview(definition, { now: NOW, first: 20 });
        if (r > 0) times.push(performance.now() - t);
        count = preview.count;
      }
      return { ms: median(times), count };
    };
    const trait = await measure(SEGMENT_BENCH_DEFINITIONS.trait);
    const both = await measure(SEGMENT_BENCH_DEFINITIONS.traitAndBehaviour);
    // What a marketer's preview gets from the hub: the same evaluator on its worker threads
    // (each opens the store itself), the customers cut into one slice per thread.
    const workers = createWorkerSegmentEvaluator({
      entry: join(__dirname, '../../app/processes/segment-evaluation-worker.ts'),
      config: { path: join(dir, 'graph') },
      threads,
      backend: 'embedded',
      ...(options.youngGenerationMb === undefined ? {} : { youngGenerationMb: options.youngGenerationMb }),
    });
    let onWorkers: { trait: { ms: number; count: number }; both: { ms: number; count: number } };
    try {
      onWorkers = {
        trait: await measure(SEGMENT_BENCH_DEFINITIONS.trait, workers),
        both: await measure(SEGMENT_BENCH_DEFINITIONS.traitAndBehaviour, workers),
      };
    } finally {
      await workers.close();
    }
    if (onWorkers.trait.count !== trait.count || onWorkers.both.count !== both.count) {
      throw new Error(
        `segment bench: the worker threads counted ${onWorkers.trait.count} / ${onWorkers.both.count}, in process ${trait.count} / ${both.count}`,
      );
    }
    return {
      name: 'segment-preview',
      store: 'embedded',
      params: {
        customers,
        events: written.events,
        runs,
        evaluator: 'embedded',
        threads,
        ...(options.youngGenerationMb === undefined ? {} : { youngGenerationMb: options.youngGenerationMb }),
      },
      metrics: {
        setupMs: Math.round(setupMs),
        traitPreviewMs: Math.round(trait.ms),
        traitMembers: trait.count,
        traitAndBehaviourPreviewMs: Math.round(both.ms),
        traitAndBehaviourMembers: both.count,
        customersPerSecond: Math.round(customers / (both.ms / 1000)),
        workersTraitPreviewMs: Math.round(onWorkers.trait.ms),
        workersTraitAndBehaviourPreviewMs: Math.round(onWorkers.both.ms),
      },
      units: {
        setupMs: 'ms',
        traitPreviewMs: 'ms',
        traitMembers: 'customers',
        traitAndBehaviourPreviewMs: 'ms',
        traitAndBehaviourMembers: 'customers',
        customersPerSecond: 'customers/s',
        workersTraitPreviewMs: 'ms',
        workersTraitAndBehaviourPreviewMs: 'ms',
      },
      notes: [
        'preview = count + first page of 20, median of the timed runs after one warm-up',
        'trait+behaviour: lifetimeValue > 500 and viewed a tv in the last 7 days',
        'traitPreviewMs, traitAndBehaviourPreviewMs: the evaluator on the bench thread, one scan',
        `workers…PreviewMs: as the hub runs previews, on ${threads} evaluation worker threads (C360_PREVIEWS_RUNNING), the customers cut into one slice per thread; same counts checked`,
      ],
    };
  } finally {
    await store.close();
    if (options.dir === undefined) await rm(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  // argv: [customers] [the workers' young generation in MB, to compare]
  const customers = Number(process.argv[2] ?? 100_000);
  const young = process.argv[3] === undefined ? {} : { youngGenerationMb: Number(process.argv[3]) };
  segmentPreviewScenario({ customers, ...young })
    .then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`))
    .catch((e) => {
      process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
      process.exitCode = 1;
    });
}
