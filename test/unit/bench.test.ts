import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { benchResultSchema } from '../../scripts/bench';

const run = promisify(execFile);
const root = resolve(__dirname, '../..');

describe('c360 bench --quick', () => {
  it('runs every scenario and writes a well-formed result file and markdown table', async () => {
    const out = mkdtempSync(join(tmpdir(), 'c360-bench-'));
    try {
      await run(process.execPath, ['-r', 'tsx/cjs', join(root, 'app/cli.ts'), 'bench', '--quick', '--out', out], {
        cwd: root,
        maxBuffer: 16 * 1024 * 1024,
      });
      const result = benchResultSchema.parse(JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')));
      expect(result.quick).toBe(true);
      expect(result.command).toBe('c360 bench --quick');
      expect(result.scenarios.map((s) => s.name).sort()).toEqual(
        [
          'analytics',
          'console-agent-view',
          'console-agent-view',
          'freshness',
          'ingest',
          'preview-interference',
          'segment-preview',
          'subscription-latency',
          'view-360',
          'view-360',
          'view-graph-load',
        ].sort(),
      );
      const ingest = result.scenarios.find((s) => s.name === 'ingest');
      // Shape and sanity, not speed: everything generated was applied and nothing dead-lettered.
      expect(ingest?.metrics.deadLettered).toBe(0);
      expect(ingest?.metrics.applied).toBeGreaterThan(1000);
      // One view over the ingested demo graph, one over the synthetic graph written straight to the store.
      const views = result.scenarios.filter((s) => s.name === 'view-360');
      expect(views.map((v) => v.params.graph ?? 'demo').sort()).toEqual(['demo', 'synthetic']);
      for (const view of views) {
        expect(view.metrics).toMatchObject({ non2xx: 0, errors: 0, warmupMissingCustomers: 0 });
      }
      // Collector and views under load, alone and beside previews: every request answered, previews ran.
      const interference = result.scenarios.find((s) => s.name === 'preview-interference');
      expect(interference?.metrics.errors).toBe(0);
      expect(interference?.metrics.previewsCompleted).toBeGreaterThan(0);
      const load = result.scenarios.find((s) => s.name === 'view-graph-load');
      expect(load?.metrics.customers).toBe(2_000);
      for (const s of result.scenarios) {
        for (const key of Object.keys(s.metrics)) expect(s.units[key]).toEqual(expect.any(String));
      }
      // The console's page weight and first render: a real browser drew a real agent view.
      // Over the demo hub and over the synthetic graph of view-graph-load.
      const pages = result.scenarios.filter((s) => s.name === 'console-agent-view');
      expect(pages.map((p) => p.params.graph).sort()).toEqual(['demo', 'synthetic']);
      for (const page of pages) {
        expect(page.metrics.coldBytes).toBeGreaterThan(page.metrics.warmBytes);
        expect(page.metrics.coldFirstRenderMsP50).toBeGreaterThan(0);
      }
      const md = readFileSync(join(out, 'latest.md'), 'utf8');
      expect(md).toContain('| ingest | embedded |');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 600_000);
});
