/**
 * The playground's first example returned null on the demo data (issue 19 item 9):
 * `c360 start --demo` now gives the examples a real demo customer's email and id.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { demoExamples } from '../../../app/cli';
import { createConfig } from '../../../app/config';
import { type Hub, startHub } from '../../../app/processes';
import { runDemo } from '../../../scripts/demo';

describe('playground examples on the demo data', () => {
  let hub: Hub;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'c360-pg-examples-'));
    const config = createConfig(
      { dataDir: dir, port: 0, writeKeys: ['wk'], demo: true, demoCustomers: 5, logLevel: 'silent' },
      {},
    );
    hub = await startHub(config, {
      logger: pino({ level: 'silent' }),
      demo: (o) => runDemo({ ...o, batchSize: 500, progress: false }),
      playgroundExamples: demoExamples(config),
    });
    await hub.seeded;
  }, 120_000);
  afterAll(async () => {
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the first example (customer by email) finds a real demo customer', async () => {
    const page = await (await fetch(`${hub.url}/graphql`, { headers: { accept: 'text/html' } })).text();
    const meta = /<meta name="c360-examples" content="([^"]*)"/.exec(page)?.[1] ?? '';
    const examples = JSON.parse(meta.replace(/&quot;/g, '"').replace(/&amp;/g, '&')) as {
      email: string;
      customerId: string;
    };
    expect(examples.email).toMatch(/@/);
    const r = await fetch(`${hub.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'query ($email: String!) { customer(identifier: { type: "email", value: $email }) { id } }',
        variables: { email: examples.email },
      }),
    });
    expect(await r.json()).toEqual({ data: { customer: { id: examples.customerId } } });
  });
});
