import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { BatchBuilder, makeVersion } from '../../../graph-schema';
import { type ApiHarness, startApi } from './api-harness';

/** Debian's chromium (apt-get install chromium): never a downloaded browser build. */
const CHROMIUM = '/usr/bin/chromium';

// Starting a browser and loading a 3.5 MB bundle takes seconds on a 2-core machine.
jest.setTimeout(60_000);

describe('GraphiQL playground in a real browser, offline', () => {
  let api: ApiHarness;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: run apt-get update && apt-get install -y chromium`);
    }
    api = await startApi();
    const b = new BatchBuilder();
    b.add({
      op: 'upsertVertex',
      label: 'Customer',
      key: 'pw-ann',
      props: { name: 'Playwright Ann', email: 'pw-ann@example.com' },
      version: makeVersion(Date.UTC(2026, 0, 1), 'playground-test'),
    });
    await api.store.apply(b.build());
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  test('GET /graphql from a browser serves GraphiQL from c360 itself; a query runs with the execute button', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const requested: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });

    const response = await page.goto(api.graphqlUrl);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'self'");

    // The preloaded example operations are there as tabs, for agents to start from.
    await page.waitForSelector('.graphiql-tab');
    const tabs = await page.locator('.graphiql-tab').allInnerTexts();
    expect(tabs.map((t) => t.trim())).toEqual(['CustomerByEmail', 'Customer360', 'TimelinePage', 'SearchCustomers']);

    // Type a query of our own into a new tab and run it with GraphiQL's execute button.
    await page.locator('.graphiql-tab-add').click();
    const editor = page.locator('.graphiql-query-editor .CodeMirror').first();
    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    const typed = '{ customers(search: "playwright") { edges { node { id traits } } } }';
    await page.keyboard.type(typed);
    // GraphiQL takes an edit in 100 ms after the last keystroke (debounced): only then does the tab's
    // operation name follow the text. Run earlier and it sends the new query with the operation name
    // it last parsed ("CustomerByEmail", from the first tab): "Unknown operation named". A loaded
    // machine delays that timer past the click. The handler also stores the query: wait for that.
    // (page.evaluate, not waitForFunction: the page's CSP refuses the eval that waitForFunction uses.)
    for (let i = 0; (await page.evaluate("localStorage.getItem('graphiql:query')")) !== typed; i++) {
      if (i > 200) throw new Error('GraphiQL never took in the typed query');
      await page.waitForTimeout(25);
    }
    await page.locator('.graphiql-execute-button').click();
    const result = page.locator('.graphiql-response .CodeMirror-code');
    await result.filter({ hasText: 'Customer:pw-ann' }).waitFor();
    const text = (await result.textContent()) ?? '';
    expect(text).toContain('"id": "Customer:pw-ann"');
    expect(text).toContain('"name": "Playwright Ann"');

    // Everything the page loaded came from c360 itself.
    expect(requested.length).toBeGreaterThan(5);
    const offsite = requested.filter((u) => {
      const { protocol, hostname } = new URL(u);
      if (protocol === 'data:') return false;
      return hostname !== '127.0.0.1' && hostname !== 'localhost';
    });
    expect(offsite).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });

  test('playground assets are served with long-lived cache headers', async () => {
    const html = await (await fetch(api.graphqlUrl, { headers: { accept: 'text/html' } })).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/playground\/assets\/[^"]+)"/g)].map((m) => m[1]);
    // GraphiQL, React, graphql-ws (subscriptions), the page script and two stylesheets.
    expect(assets).toHaveLength(7);
    for (const asset of assets) {
      const res = await fetch(`${api.url}${asset}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      await res.arrayBuffer();
    }
    const stale = await fetch(`${api.url}/playground/assets/0000000000000000/graphiql.min.js`);
    expect(stale.status).toBe(404);
    // A program asking for JSON still reaches GraphQL, not the page.
    const json = await fetch(`${api.graphqlUrl}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
    });
    expect(await json.json()).toEqual({ data: { __typename: 'Query' } });
  });
});
