/**
 * Subscriptions fail in the playground (issue 19 item 5): a subscription sent as an
 * HTTP POST gets a clear 400 with a code, and the playground page loads graphql-ws
 * so GraphiQL runs subscriptions over the WebSocket on the same path.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createConfig } from '../../../app/config';
import { type Hub, startHub } from '../../../app/processes';

describe('subscriptions over HTTP and in the playground', () => {
  let hub: Hub;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'c360-sub-http-'));
    const config = createConfig({ dataDir: dir, port: 0, writeKeys: ['wk'], demo: true, logLevel: 'silent' }, {});
    hub = await startHub(config, { logger: pino({ level: 'silent' }), demo: async () => ({}) });
  });
  afterAll(async () => {
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a subscription sent as HTTP POST is a 400 SUBSCRIPTION_OVER_HTTP naming the WebSocket', async () => {
    const r = await fetch(`${hub.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'subscription { healthChanged { id to } }' }),
    });
    expect(r.status).toBe(400);
    const body = (await r.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors.map((e) => e.extensions.code)).toEqual(['SUBSCRIPTION_OVER_HTTP']);
    expect(body.errors[0].message).toContain('graphql-ws');
    expect(body.errors[0].message).not.toContain('payload');
  });

  it('the playground page loads the graphql-ws client from c360 itself', async () => {
    const page = await (await fetch(`${hub.url}/graphql`, { headers: { accept: 'text/html' } })).text();
    const src = /src="([^"]*graphql-ws\.min\.js)"/.exec(page)?.[1];
    expect(src).toBeDefined();
    const asset = await fetch(`${hub.url}${src}`);
    expect(asset.status).toBe(200);
    expect(await asset.text()).toContain('graphqlWs');
  });
});
