/**
 * Page weight and first render of the console's agent view, in Debian's
 * headless Chromium (playwright-core; never a downloaded browser) against an
 * in-process hub holding the demo customers, signed in with an agent API key.
 *
 * - bytes: everything the browser received for one view (headers included,
 *   as Chromium's network layer counts `encodedDataLength`), with an empty
 *   cache ("cold") and on reload with the hashed assets cached ("warm");
 * - first render: navigation start → the card, the neighbourhood graph and
 *   the first timeline page all drawn (the console's `c360:agent-view`
 *   performance mark), and first contentful paint.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createConfig } from '../../app/config';
import { startHub } from '../../app/processes';
import { runDemo } from '../demo';
import type { ScenarioResult } from './bench-result';

const CHROMIUM = '/usr/bin/chromium';
const KEY = 'c360-bench-console-agent-key-0123456789';

export interface ConsoleBenchOptions {
  /** Demo customers in the hub. */
  readonly customers: number;
  /** Views measured (each a different customer, each cold then warm). */
  readonly runs: number;
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor((s.length - 1) / 2)];
};

export interface AgentViewTarget {
  readonly url: string;
  /** An API key with the agent role (the console holds it in sessionStorage, as after signing in). */
  readonly apiKey: string;
  /** Customers whose views are opened, one per run. */
  readonly customerIds: readonly string[];
}

/** Opens each customer's agent view cold (new browser context) and again on reload (assets cached). */
export async function measureAgentViews(target: AgentViewTarget): Promise<Pick<ScenarioResult, 'metrics' | 'units'>> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`c360 bench console: ${CHROMIUM} is missing (apt-get install -y chromium)`);
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    // The first page request bundles the console (esbuild, in memory): measured apart from the views.
    const buildStart = performance.now();
    await (await fetch(`${target.url}/console`)).text();
    const bundleMs = performance.now() - buildStart;

    const cold: { bytes: number; renderMs: number; fcpMs: number; requests: number }[] = [];
    const warm: { bytes: number; renderMs: number }[] = [];
    for (const id of target.customerIds) {
      const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
      await context.addInitScript(`sessionStorage.setItem('c360.apiKey', ${JSON.stringify(target.apiKey)})`);
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      let bytes = 0;
      let requests = 0;
      cdp.on('Network.loadingFinished', (e: { encodedDataLength: number }) => {
        bytes += e.encodedDataLength;
        requests++;
      });
      const view = async () => {
        // Polled with evaluate (waitForFunction's string form needs eval, which the page's CSP refuses);
        // the time is the mark's own, so the polling interval does not enter the measurement.
        const deadline = Date.now() + 30_000;
        while (!(await page.evaluate("performance.getEntriesByName('c360:agent-view').length > 0"))) {
          if (Date.now() > deadline)
            throw new Error(`c360 bench console: the agent view of ${id} did not render in 30 s`);
          await new Promise((r) => setTimeout(r, 20));
        }
        return (await page.evaluate(
          `[performance.getEntriesByName('c360:agent-view')[0].startTime,
            (performance.getEntriesByName('first-contentful-paint')[0] || { startTime: 0 }).startTime]`,
        )) as [number, number];
      };
      await page.goto(`${target.url}/console#/agent/${encodeURIComponent(id)}`);
      const [renderMs, fcpMs] = await view();
      cold.push({ bytes, renderMs, fcpMs, requests });
      bytes = 0;
      await page.reload();
      const [warmMs] = await view();
      warm.push({ bytes, renderMs: warmMs });
      await context.close();
    }
    return {
      metrics: {
        coldBytes: median(cold.map((r) => r.bytes)),
        coldRequests: median(cold.map((r) => r.requests)),
        coldFirstRenderMsP50: Math.round(median(cold.map((r) => r.renderMs))),
        coldFirstRenderMsMax: Math.round(Math.max(...cold.map((r) => r.renderMs))),
        firstContentfulPaintMsP50: Math.round(median(cold.map((r) => r.fcpMs))),
        warmBytes: median(warm.map((r) => r.bytes)),
        warmFirstRenderMsP50: Math.round(median(warm.map((r) => r.renderMs))),
        bundleBuildMs: Math.round(bundleMs),
      },
      units: {
        coldBytes: 'bytes received for one agent view, empty cache (median)',
        coldRequests: 'requests for one agent view, empty cache (median)',
        coldFirstRenderMsP50: 'ms from navigation start to card + graph + timeline drawn, empty cache (median)',
        coldFirstRenderMsMax: 'ms, slowest cold view',
        firstContentfulPaintMsP50: 'ms to first contentful paint, empty cache (median)',
        warmBytes: 'bytes received on reload with cached assets (median)',
        warmFirstRenderMsP50: 'ms to the full agent view on reload with cached assets (median)',
        bundleBuildMs: 'ms for the first GET /console (esbuild bundles the console once per process)',
      },
    };
  } finally {
    await browser.close();
  }
}

/** `runs` customers spread over `customers` ids Customer:C0000001…, as the demo and the synthetic graph name them. */
export function spreadCustomerIds(customers: number, runs: number): string[] {
  return Array.from({ length: runs }, (_, i) => `Customer:C${String(((i * 7919) % customers) + 1).padStart(7, '0')}`);
}

/** The agent view over an in-process hub with the demo customers (what --quick runs everywhere). */
export async function consoleFirstRenderScenario(options: ConsoleBenchOptions): Promise<ScenarioResult> {
  const dir = mkdtempSync(join(tmpdir(), 'c360-bench-console-'));
  const config = createConfig({
    dataDir: join(dir, 'data'),
    port: 0,
    demo: true,
    demoCustomers: options.customers,
    apiKeys: [{ name: 'bench-agent', roles: ['agent'], key: KEY }],
    graphqlRateLimitPerMinute: 0,
    logLevel: 'silent',
  });
  const hub = await startHub(config, {
    logger: pino({ level: 'silent' }),
    demo: (o) => runDemo({ ...o, batchSize: 500, progress: false }),
  });
  try {
    await hub.seeded;
    const measured = await measureAgentViews({
      url: hub.url,
      apiKey: KEY,
      customerIds: spreadCustomerIds(options.customers, options.runs),
    });
    return {
      name: 'console-agent-view',
      store: 'embedded',
      params: { customers: options.customers, runs: options.runs, graph: 'demo', browser: 'Debian chromium, headless' },
      ...measured,
      notes: [
        `one in-process hub on the embedded store with ${options.customers} demo customers; agent API key; 1440×1000 viewport`,
      ],
    };
  } finally {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
