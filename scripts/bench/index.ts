/**
 * `c360 bench`: measured speed, memory and freshness, written as a JSON result
 * file and a markdown table. `--quick` is the small run CI makes (it checks
 * the result file's shape, never speed thresholds).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { DEMO_FILES, writeDemoFiles } from '../demo';
import { analyticsBenchScenario } from './analytics-bench';
import { type BenchResult, benchResultSchema, type ScenarioResult } from './bench-result';
import { ingestScenario } from './ingest-scenario';
import { describeMachine, describeVersions } from './machine';
import { segmentPreviewScenario } from './segment-bench';
import { subscriptionLatencyScenario } from './subscription-bench';
import { viewScenarios } from './view-scenario';

export { type BenchResult, benchResultSchema, type ScenarioResult } from './bench-result';

export interface BenchOptions {
  readonly quick: boolean;
  readonly customers?: number;
  readonly outDir: string;
  readonly root: string;
  readonly progress: boolean;
  readonly command: string;
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

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const startedAt = new Date().toISOString();
  const customers = options.customers ?? (options.quick ? 100 : 10_000);
  const demoDir = join(options.outDir, `demo-${customers}-${DEMO_SEED}`);
  let demoEvents = 0;
  if (!existsSync(join(demoDir, DEMO_FILES.telemetry))) {
    const written = await writeDemoFiles(demoDir, { customers, seed: DEMO_SEED, startMs: DEMO_END_MS });
    demoEvents = written.counts.total;
  }

  const scenarios: ScenarioResult[] = [];
  const ingestBar = bar(options.progress, 'ingest  ', demoEvents || customers * 100);
  const ingest = await ingestScenario(options.root, demoDir, { customers, concurrency: 4 }, (n) => {
    if (ingestBar && n > ingestBar.getTotal()) ingestBar.setTotal(n);
    ingestBar?.update(n);
  });
  ingestBar?.stop();
  scenarios.push(ingest.result);
  try {
    scenarios.push(
      ...(await viewScenarios(options.root, ingest.dataDir, {
        customers,
        durationSeconds: options.quick ? 3 : 20,
        connections: 8,
        freshnessSamples: options.quick ? 10 : 200,
      })),
    );
  } finally {
    ingest.cleanup();
  }

  // In-process scenarios over generated graphs (they do not need the demo data).
  scenarios.push(
    await segmentPreviewScenario(options.quick ? { customers: 2_000, runs: 1 } : { customers: 100_000, runs: 3 }),
  );
  scenarios.push(await subscriptionLatencyScenario({ samples: options.quick ? 20 : 500 }));
  scenarios.push(
    ...analyticsBenchScenario(
      options.quick
        ? { sizes: [10_000], similarityQueries: 20, betweennessNodes: 0 }
        : { sizes: [100_000, 1_000_000], similarityQueries: 50 },
    ),
  );

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
    '| scenario | store | params | metric | value |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const s of result.scenarios) {
    const params = Object.entries(s.params)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    for (const [k, v] of Object.entries(s.metrics)) {
      lines.push(`| ${s.name} | ${s.store} | ${params} | ${k} | ${v} ${s.units[k] ?? ''} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function registerBenchCommand(program: Command, root: string): void {
  program
    .command('bench')
    .description('measure ingest speed, memory, disk and the 360° view; writes JSON + markdown results')
    .option('--quick', 'a small run (CI): checks the harness and the result file, not speed')
    .option('--customers <n>', 'demo customers to generate (default 10000; 100 with --quick)')
    .option('--out <dir>', 'where results and generated data go', 'bench-results')
    .action(async (flags: { quick?: boolean; customers?: string; out: string }) => {
      const outDir = resolve(flags.out);
      mkdirSync(outDir, { recursive: true });
      const customers = flags.customers === undefined ? undefined : Number(flags.customers);
      if (customers !== undefined && !(Number.isInteger(customers) && customers > 0)) {
        throw new Error(`--customers must be a positive integer, got ${flags.customers}`);
      }
      const result = await runBench({
        quick: flags.quick === true,
        customers,
        outDir,
        root,
        progress: process.stdout.isTTY === true,
        command: `c360 bench${flags.quick ? ' --quick' : ''}${flags.customers ? ` --customers ${flags.customers}` : ''}`,
      });
      const stamp = result.startedAt.replace(/[:.]/g, '-');
      writeFileSync(join(outDir, `bench-${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
      writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
      const md = renderMarkdown(result);
      writeFileSync(join(outDir, 'latest.md'), md);
      process.stdout.write(md);
    });
}
