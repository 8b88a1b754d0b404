import type { Readiness } from '../../../api';
import type { GraphStore } from '../../../graph-schema';
import { type ApiHarness, startApi, WRITE_KEY } from './api-harness';

describe('operations endpoints', () => {
  let api: ApiHarness;
  let readiness: Readiness = { ready: false, reasons: ['store opening'] };

  beforeAll(async () => {
    api = await startApi({ readiness: () => readiness });
  });
  afterAll(async () => {
    await api.close();
  });

  test('/healthz answers while the process is up, ready or not', async () => {
    const res = await fetch(`${api.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  test('/readyz follows the readiness callback and says why not', async () => {
    const notReady = await fetch(`${api.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ status: 'not ready', reasons: ['store opening'] });
    readiness = { ready: true, reasons: [] };
    const ready = await fetch(`${api.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', reasons: [] });
  });

  test('/metrics serves the shared registry: API and pipeline metrics side by side', async () => {
    await fetch(`${api.url}/healthz`);
    const res = await fetch(`${api.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('# TYPE c360_http_request_duration_seconds histogram');
    expect(text).toMatch(/c360_http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} \d+/);
    expect(text).toContain('# TYPE c360_graphql_request_duration_seconds histogram');
    expect(text).toContain('# TYPE c360_collector_events_received_total counter');
    // Registered by the pipeline (ingest/pipeline-metrics.ts) in the same registry.
    expect(text.match(/^# TYPE c360_(?!http_|graphql_|collector_)\w+/m)).not.toBeNull();
  });

  test('unknown paths are a JSON 404', async () => {
    const res = await fetch(`${api.url}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ code: 'NOT_FOUND', message: 'No such endpoint' });
  });
});

describe('graceful close', () => {
  test('lets an in-flight collector request finish with 200 before the server stops', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let applyStarted: () => void = () => undefined;
    const started = new Promise<void>((resolve) => {
      applyStarted = resolve;
    });
    const api = await startApi({
      wrapPipelineStore: (store: GraphStore) =>
        new Proxy(store, {
          get(target, prop, receiver) {
            const value = Reflect.get(target, prop, receiver);
            if (prop === 'apply' && typeof value === 'function') {
              return async (...args: unknown[]) => {
                applyStarted();
                await gate;
                return value.apply(target, args);
              };
            }
            return typeof value === 'function' ? value.bind(target) : value;
          },
        }),
    });
    try {
      const inFlight = fetch(`${api.url}/v1/track`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ writeKey: WRITE_KEY, userId: 'drain-user', event: 'Drained', messageId: 'drain-1' }),
      });
      await started;
      let closed = false;
      const closing = api.server.close().then(() => {
        closed = true;
      });
      // New connections are refused as soon as close() starts; the in-flight request is not cut.
      await expect(fetch(`${api.url}/healthz`)).rejects.toThrow();
      expect(closed).toBe(false);
      release();
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ success: true, rejected: [] });
      await closing;
      expect(closed).toBe(true);
    } finally {
      release();
      await api.close();
    }
  });
});
