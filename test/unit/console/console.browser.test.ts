/**
 * The console in real headless Chromium (Debian's /usr/bin/chromium through
 * playwright-core; never a downloaded browser) against a real demo hub: every
 * call it makes goes through the public GraphQL API. With C360_SCREENSHOTS=<dir>
 * the tests also save one screenshot per view (docs/images in the README).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { API_KEYS, type ConsoleHub, startConsoleHub } from './console-hub';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = process.env.C360_SCREENSHOTS ?? null;
const MIN = 60_000;

// Seeding 40 demo customers, starting a browser and bundling the console take seconds on a 2-core machine.
jest.setTimeout(120_000);

interface Pick {
  id: string;
  name: string;
  email: string;
  identities: number;
  orderId: string;
  graphNodes: number;
}

async function shot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, name), fullPage: true });
}

describe('the console in a real browser, against a real demo hub', () => {
  let h: ConsoleHub;
  let browser: Browser;
  let ann: Pick;
  const problems: string[] = [];
  const offsite: string[] = [];

  const newPage = async (context: BrowserContext): Promise<Page> => {
    const page = await context.newPage();
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.protocol !== 'data:' && u.hostname !== '127.0.0.1' && u.hostname !== 'localhost') offsite.push(r.url());
    });
    return page;
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: run apt-get update && apt-get install -y chromium`);
    }
    // Screenshots want the demo's richer picture (larger communities); the tests need only a few customers.
    h = await startConsoleHub({ customers: SHOTS ? 200 : 40 });
    // A named, healthy customer with orders: the one an agent looks up.
    const list = await h.gql<{
      customers: {
        edges: {
          node: {
            id: string;
            traits: Record<string, unknown>;
            health: { status: string };
            identities: unknown[];
            orders: { edges: { node: { id: string } }[] };
            neighborhood: { nodes: unknown[] };
          };
        }[];
      };
    }>(
      API_KEYS.agent,
      `{ customers(first: 40) { edges { node { id traits health { status } identities { id }
          orders(first: 1) { edges { node { id } } } neighborhood(depth: 1, maxNodes: 80) { nodes { id } } } } } }`,
    );
    const node = list.customers.edges
      .map((e) => e.node)
      .find(
        (c) =>
          typeof c.traits.name === 'string' &&
          typeof c.traits.email === 'string' &&
          // The demo's junk e-mails (test@test.com) are shared by strangers: not the customer to show.
          c.traits.email !== 'test@test.com' &&
          c.health.status === 'GREEN' &&
          c.orders.edges.length > 0,
      );
    if (!node) throw new Error('the demo data has no healthy customer with a name, an e-mail and an order');
    ann = {
      id: node.id,
      name: node.traits.name as string,
      email: node.traits.email as string,
      identities: node.identities.length,
      orderId: node.orders.edges[0].node.id,
      graphNodes: node.neighborhood.nodes.length,
    };
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  afterEach(() => {
    // Nothing the console loaded came from elsewhere, and nothing went wrong in the page.
    expect(offsite).toEqual([]);
    expect(problems).toEqual([]);
  });

  test('GET / links the console, the playground, metrics and the docs', async () => {
    const context = await browser.newContext();
    const page = await newPage(context);
    const res = await page.goto(h.url);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(await page.getAttribute('[data-testid=link-console]', 'href')).toBe('/console#/agent');
    expect(await page.getAttribute('[data-testid=link-playground]', 'href')).toBe('/graphql');
    expect(await page.getAttribute('[data-testid=link-metrics]', 'href')).toBe('/metrics');
    const docs = await page.locator('[data-testid=docs] a').allInnerTexts();
    expect(docs).toEqual(expect.arrayContaining(['Architecture', 'Segments', 'Security']));
    const doc = await fetch(`${h.url}/docs/segments.md`);
    expect(doc.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await doc.text()).toContain('# Segments');
    expect((await fetch(`${h.url}/docs/..%2Fpackage.json`)).status).toBe(404);
    await shot(page, 'console-landing.png');
    await context.close();
  });

  test('agent: find a customer by name, the 360° card, the graph, expand a node, and a device turning RED live', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    const page = await newPage(context);
    await page.goto(`${h.url}/console`);
    await page.waitForSelector('[data-testid=session-mode]:has-text("demo mode")');

    // Results as you type: the start of the name is enough.
    await page.locator('[data-testid=search]').pressSequentially(ann.name.slice(0, 6), { delay: 30 });
    const result = page.locator(`[data-testid=search-results] button[data-id="${ann.id}"]`);
    await result.waitFor();
    await result.click();

    // The card: who, how to reach them, every identifier, health.
    await page.locator('[data-testid=card-name]', { hasText: ann.name }).waitFor();
    expect(await page.locator('[data-trait=email] td').textContent()).toBe(ann.email);
    expect(await page.locator('[data-testid=identities] li').count()).toBe(ann.identities);
    expect(await page.locator('[data-testid=health-badge]').textContent()).toBe('GREEN');
    expect(await page.locator('[data-testid=orders] li').count()).toBeGreaterThan(0);

    // The neighbourhood as cytoscape drew it: the API's ego graph, node for node.
    const graph = page.locator('[data-testid=graph]');
    await page.locator(`[data-testid=graph][data-nodes="${ann.graphNodes}"]`).waitFor();
    expect(await page.locator('[data-testid=graph-stats]').textContent()).toMatch(
      new RegExp(`^${ann.graphNodes} nodes`),
    );
    await page.locator('[data-testid=explain-text]', { hasText: 'One customer' }).waitFor();
    await page.locator('[data-testid=timeline] li.tl').first().waitFor();

    // Expand an order with a real click on its node: its products join the picture.
    const expected = await h.gql<{ neighborhood: { nodes: { id: string }[] } }>(
      API_KEYS.agent,
      'query($id: ID!) { neighborhood(id: $id, depth: 1, maxNodes: 40) { nodes { id } } }',
      { id: ann.orderId },
    );
    const drawnBefore = Number(await graph.getAttribute('data-nodes'));
    const before = await h.gql<{ customer: { neighborhood: { nodes: { id: string }[] } } }>(
      API_KEYS.agent,
      'query($id: ID!) { customer(id: $id) { neighborhood(depth: 1, maxNodes: 80) { nodes { id } } } }',
      { id: ann.id },
    );
    const known = new Set(before.customer.neighborhood.nodes.map((n) => n.id));
    const fresh = expected.neighborhood.nodes.filter((n) => !known.has(n.id)).length;
    expect(fresh).toBeGreaterThan(0);
    // A real mouse click where cytoscape drew the order. Live card updates can shift the page between
    // reading the position and clicking, so a click that hit nothing is aimed again (at most 3 times).
    const expanded = page.locator('.graph-info', { hasText: `Expanded Order ${ann.orderId.slice('Order:'.length)}:` });
    for (let attempt = 1; ; attempt++) {
      await graph.scrollIntoViewIfNeeded();
      // Browser-side code as a string: this file is type-checked against Node, not the DOM.
      const at = (await page.evaluate(
        `document.querySelector('[data-testid=graph]').c360NodePosition(${JSON.stringify(ann.orderId)})`,
      )) as { x: number; y: number } | null;
      const box = await page.locator('[data-testid=graph] .graph-canvas').boundingBox();
      if (!at || !box) throw new Error('the order node is not drawn');
      await page.mouse.click(box.x + at.x, box.y + at.y);
      try {
        await expanded.waitFor({ timeout: 3_000 });
        break;
      } catch (e) {
        if (attempt === 3) throw e;
      }
    }
    await page.locator(`[data-testid=graph][data-nodes="${drawnBefore + fresh}"]`).waitFor();

    // Live: telemetry turns a new router RED; the card changes without a reload.
    await page.evaluate('window.notReloaded = true');
    await page.locator('[data-testid=live][data-state=connected]').waitFor();
    const key = ann.id.slice('Customer:'.length);
    const now = Date.now();
    let seq = 0;
    // Readings go to the hub's HTTP telemetry endpoint (the demo write key), as a device gateway would send them.
    const send = async (minutesAgo: number, packetErrors: number) => {
      seq++;
      const res = await fetch(`${h.url}/v1/telemetry`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from('demo:').toString('base64')}`,
        },
        body: JSON.stringify({
          deviceId: 'rtr-console-live',
          entityId: key,
          timestamp: new Date(now - minutesAgo * MIN).toISOString(),
          seq,
          indicators: { packetErrors, signalDbm: -50, uptimeSec: 500_000 - minutesAgo * 60 },
        }),
      });
      expect(res.status).toBe(200);
    };
    // The socket is connected, but the server registers a subscription a moment after it arrives, and
    // changes before that are (rightly) not replayed. Healthy readings until the card shows the new
    // router prove the live path is up before the reading that matters.
    const router = page.locator('[data-device="Device:rtr-console-live"]');
    for (let minutesAgo = 40; ; minutesAgo--) {
      await send(minutesAgo, 2);
      try {
        await router.waitFor({ timeout: 2_000 });
        break;
      } catch (e) {
        if (minutesAgo === 31) throw e;
      }
    }
    await send(20, 400);
    await send(5, 450);
    await page.locator('[data-testid=health-badge][data-status=RED]').waitFor({ timeout: 20_000 });
    await page.locator('[data-testid="device-health-Device:rtr-console-live"][data-status=RED]').waitFor();
    await page.locator('[data-testid=health-change]').first().waitFor();
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    await page.mouse.move(0, 0);
    await page.evaluate('window.scrollTo(0, 0)');
    await shot(page, 'console-agent.png');
    // Health transitions on the timeline: the history is read back from the graph, not only heard live.
    await page.reload();
    await page.locator('[data-testid=health-change]', { hasText: 'Device:rtr-console-live' }).first().waitFor();
    await page.locator('[data-testid=timeline-HEALTH]').waitFor();
    await page.locator('.tl-HealthTransition', { hasText: 'GREEN → RED' }).first().waitFor();
    await context.close();
  });

  test('marketer: build a segment with the form, preview it, save it and see its size', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    const page = await newPage(context);
    await page.goto(`${h.url}/console#/marketer`);
    const definition = {
      and: [
        { trait: { name: 'lifetimeValue', op: 'gt', value: 1500 } },
        { event: { name: 'Product Viewed', within: '30d', atLeast: 1 } },
      ],
    };
    const { previewSegment } = await h.gql<{ previewSegment: { count: number } }>(
      API_KEYS.marketer,
      'query($d: JSON!) { previewSegment(definition: $d) { count } }',
      { d: definition },
    );
    expect(previewSegment.count).toBeGreaterThan(0);

    const row = page.locator('[data-testid=conditions] .cond[data-kind=trait]');
    await row.locator('[data-role=value]').fill('1500');
    // A behaviour condition: its defaults are "Product Viewed at least once within 30d".
    await page.locator('[data-testid=add-event]').click();
    await page.locator(`[data-testid=preview-count][data-count="${previewSegment.count}"]`).waitFor();
    expect(await page.locator('[data-testid=preview-members] li').count()).toBe(Math.min(10, previewSegment.count));

    // A bad definition gets the API's own message, pointing at the bad part.
    await page.locator('[data-testid=tab-json]').click();
    await page.locator('[data-testid=definition-json]').fill('{ "trait": { "name": "plan", "op": "bigger" } }');
    await page.locator('[data-testid=definition-errors]', { hasText: 'trait.op' }).waitFor();
    await page.locator('[data-testid=tab-form]').click();
    await page.locator(`[data-testid=preview-count][data-count="${previewSegment.count}"]`).waitFor();

    await page.locator('[data-testid=segment-name]').fill('High value');
    await page.locator('[data-testid=segment-save]').click();
    const saved = page.locator('[data-testid=segments] tr', { hasText: 'High value' });
    await saved.waitFor();
    expect(await saved.locator('[data-testid=segment-size]').textContent()).toBe(String(previewSegment.count));
    await shot(page, 'console-marketer.png');

    // Device health as a condition: the form's row is the API's { health: { status } }.
    const red = await h.gql<{ previewSegment: { count: number } }>(
      API_KEYS.marketer,
      'query { previewSegment(definition: { health: { status: RED } }) { count } }',
    );
    const removers = page.locator('[data-testid=conditions] .cond button');
    while ((await removers.count()) > 0) await removers.first().click();
    await page.locator('[data-testid=add-health]').click();
    await page.locator(`[data-testid=preview-count][data-count="${red.previewSegment.count}"]`).waitFor();
    expect(await page.locator('[data-testid=definition-json]').inputValue()).toContain('"health"');
    await context.close();
  });

  test('a marketer key, held for the tab only, sees masked PII', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    const page = await newPage(context);
    await page.goto(`${h.url}/console#/marketer`);
    await page.locator('button', { hasText: 'Use an API key' }).click();
    await page.locator('[data-testid=api-key]').fill(API_KEYS.marketer);
    await page.locator('[data-testid=api-key-submit]').click();
    await page.locator('[data-testid=session-mode]', { hasText: 'key c360-t' }).waitFor();
    expect(await page.evaluate("sessionStorage.getItem('c360.apiKey')")).toBe(API_KEYS.marketer);
    expect(await page.evaluate('localStorage.length')).toBe(0);

    // Preview members come masked from the API.
    await page.locator('[data-testid=preview-members] li').first().waitFor();
    const member = (await page.locator('[data-testid=preview-members] li .row-sub').first().textContent()) ?? '';
    expect(member).toMatch(/^.\*\*\*@/);

    // The 360° card of the same customer: masked traits and identifiers; searching people is an agent's job.
    await page.goto(`${h.url}/console#/agent/${encodeURIComponent(ann.id)}`);
    await page.locator('[data-trait=email] td').waitFor();
    const email = await page.locator('[data-trait=email] td').textContent();
    expect(email).toBe(`${ann.email[0]}***${ann.email.slice(ann.email.lastIndexOf('@'))}`);
    await page.locator('[data-testid=search]').fill('an');
    await page.locator('[data-testid=search-results] .error[data-code=FORBIDDEN]').waitFor();
    // Following a customer live is an agent's job too: the card says so instead of updating.
    await page.locator('[data-testid=live][data-state=refused]').waitFor();
    const text = (await page.locator('body').textContent()) ?? '';
    expect(text).not.toContain(ann.email);
    expect(text).not.toContain(ann.name);
    await page.locator('[data-testid=graph]:not([data-nodes="0"])').waitFor();
    await shot(page, 'console-agent-marketer-key.png');
    await context.close();
  });

  test('analyst: ranking, communities and a shortest path, drawn', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    const page = await newPage(context);
    await page.goto(`${h.url}/console#/analyst`);
    await page.locator('[data-testid=ranking] tr').nth(9).waitFor();
    await page.locator('[data-testid=communities-graph]:not([data-nodes="0"])').waitFor();
    await page.locator('[data-testid=path-info]', { hasText: 'step' }).waitFor();
    const steps = Number(/^(\d+) step/.exec((await page.locator('[data-testid=path-info]').textContent()) ?? '')?.[1]);
    await page.locator(`[data-testid=path-graph][data-nodes="${steps + 1}"]`).waitFor();
    await shot(page, 'console-analyst.png');
    await context.close();
  });
});
