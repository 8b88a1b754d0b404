/**
 * The console's HTTP side without a browser: pages, hashed assets (immutable,
 * gzipped for browsers that accept it), the Content-Security-Policy, docs.
 */
import { gunzipSync } from 'node:zlib';
import { type ApiHarness, startApi } from '../api/api-harness';

describe('console router', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api?.close());

  test('GET /console: the page, its CSP, and content-hashed assets cached for a year', async () => {
    const res = await fetch(`${api.url}/console`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe');
    const html = await res.text();
    const assets = [...html.matchAll(/(?:src|href)="(\/console\/assets\/[0-9a-f]{16}\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets.map((a) => a.slice(a.lastIndexOf('/') + 1)).sort()).toEqual(['console.css', 'console.js']);

    const js = assets.find((a) => a.endsWith('console.js')) as string;
    const plain = await fetch(`${api.url}${js}`, { headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(plain.headers.get('content-type')).toBe('application/javascript; charset=utf-8');
    const body = Buffer.from(await plain.arrayBuffer());
    // The bundle carries the graph library and the graphql-ws client: the console needs nothing else.
    expect(body.toString()).toContain('cytoscape');
    expect(body.toString()).toContain('graphql-transport-ws');

    // Node's fetch would decompress transparently; a raw request shows what travels.
    const { request } = await import('node:http');
    const gz = await new Promise<{ encoding: string | undefined; bytes: Buffer }>((resolve, reject) => {
      request(`${api.url}${js}`, { headers: { 'accept-encoding': 'gzip' } }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => resolve({ encoding: r.headers['content-encoding'], bytes: Buffer.concat(chunks) }));
      })
        .on('error', reject)
        .end();
    });
    expect(gz.encoding).toBe('gzip');
    expect(gz.bytes.length).toBeLessThan(body.length / 2);
    expect(gunzipSync(gz.bytes).equals(body)).toBe(true);

    const stale = await fetch(`${api.url}/console/assets/0000000000000000/console.js`);
    expect(stale.status).toBe(404);
  });

  test('GET / links every way in; docs are served as text, nothing outside docs/', async () => {
    const html = await (await fetch(`${api.url}/`)).text();
    for (const href of ['/console#/agent', '/graphql', '/metrics', '/docs/architecture.md']) {
      expect(html).toContain(`href="${href}"`);
    }
    const doc = await fetch(`${api.url}/docs/architecture.md`);
    expect(doc.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await doc.text()).toMatch(/^# Architecture/);
    for (const probe of ['/docs/..%2FREADME.md', '/docs/nope.md', '/docs/%2E%2E%2Fpackage.json']) {
      const res = await fetch(`${api.url}${probe}`);
      expect({ probe, status: res.status }).toEqual({ probe, status: 404 });
    }
  });
});
