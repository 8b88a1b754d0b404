import { senderOf } from '../../../api/collector/collector-router';
import { C360Error, type GraphStore } from '../../../graph-schema';
import { readDeadLetterFile } from '../../../ingest';
import { type ApiHarness, startApi, WRITE_KEY } from './api-harness';

const basic = (user: string) => `Basic ${Buffer.from(`${user}:`).toString('base64')}`;

let seq = 0;
function track(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  seq++;
  return {
    type: 'track',
    messageId: `collector-${seq}-${Math.random().toString(36).slice(2)}`,
    userId: 'collector-user',
    event: 'Product Viewed',
    properties: { product_id: 'sku-1' },
    timestamp: '2026-01-10T09:00:00.000Z',
    ...overrides,
  };
}

async function post(
  api: ApiHarness,
  path: string,
  body: string | Buffer | Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const res = await fetch(`${api.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic(WRITE_KEY), ...headers },
    body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

describe('Segment-compatible collector', () => {
  let api: ApiHarness;

  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(async () => {
    await api.close();
  });

  /** After every bad request the server must still accept a good one, and apply it. */
  async function expectStillServing(): Promise<void> {
    const event = track({ userId: `alive-${seq}` });
    const res = await post(api, '/v1/batch', { batch: [event] });
    expect(res).toMatchObject({ status: 200, json: { success: true, rejected: [] } });
    const [customer] = await api.store.getVertices([`Customer:${event.userId}`]);
    expect(customer?.id).toBe(`Customer:${event.userId}`);
  }

  test('a batch is split per event: envelope context and sentAt apply to each, bad events are rejected alone', async () => {
    const good = track({ userId: 'envelope-user', context: { ip: '10.0.0.1' } });
    const bad = { type: 'track', messageId: 'no-user-no-anon', event: 'Oops' };
    const res = await post(api, '/v1/batch', {
      batch: [good, bad, 'not an object'],
      context: { device: { id: 'envelope-device', type: 'ios' } },
      sentAt: '2026-01-10T09:00:01.000Z',
    });
    expect(res.status).toBe(200);
    expect(res.json.success).toBe(true);
    expect((res.json.rejected as { index: number }[]).map((r) => r.index)).toEqual([1, 2]);
    // The envelope's context.device reached the event: the device is in the graph, tied to the customer.
    const [device] = await api.store.getVertices(['Device:envelope-device']);
    expect(device?.props.type).toBe('ios');
    const letters = await readDeadLetterFile(api.test.deadLetterPath);
    const letter = letters.find((l) => l.position.transport === 'http' && l.position.index === 1);
    const original = JSON.parse(Buffer.from(letter?.originalBase64 ?? '', 'base64').toString('utf8'));
    expect(original).toEqual({
      ...bad,
      context: { device: { id: 'envelope-device', type: 'ios' } },
      sentAt: '2026-01-10T09:00:01.000Z',
      // The collector's stamp of who sent it (a hash of the write key, never the key).
      c360SenderId: senderOf(WRITE_KEY),
    });
  });

  test('single-event endpoints and analytics.js one-letter paths take the type from the path', async () => {
    const identify = { userId: 'path-user', messageId: `path-identify-${seq}`, traits: { email: 'Path@Example.com' } };
    expect(await post(api, '/v1/identify', { ...identify, type: 'track' })).toMatchObject({ status: 200 });
    const [email] = await api.store.getVertices(['Identity:email:path@example.com']);
    expect(email?.props).toEqual({ type: 'email', value: 'path@example.com' });
    // analytics.js posts text/plain (no CORS preflight) with the write key in the body.
    const event = track({ userId: 'browser-user', writeKey: WRITE_KEY });
    const res = await post(api, '/v1/t', JSON.stringify(event), { 'content-type': 'text/plain', authorization: '' });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    // The key in the body authenticates it too: the event's id is scoped by that sender.
    const [performed] = await api.store.getVertices([`Event:${event.messageId}~${senderOf(WRITE_KEY)}`]);
    expect(performed?.props.name).toBe('Product Viewed');
    const preflight = await fetch(`${api.url}/v1/batch`, { method: 'OPTIONS' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Authorization');
  });

  test('the write key is never stored with the event', async () => {
    const bad = { type: 'track', messageId: `leaky-${seq}`, event: 'Oops', writeKey: WRITE_KEY };
    const res = await post(api, '/v1/batch', { batch: [bad], writeKey: WRITE_KEY }, { authorization: '' });
    expect(res.status).toBe(200);
    const letters = await readDeadLetterFile(api.test.deadLetterPath);
    const letter = letters.find((l) =>
      Buffer.from(l.originalBase64 ?? '', 'base64')
        .toString()
        .includes(bad.messageId),
    );
    expect(letter).toBeDefined();
    expect(Buffer.from(letter?.originalBase64 ?? '', 'base64').toString()).not.toContain(WRITE_KEY);
  });

  test('invalid JSON is a 400 and the server keeps serving', async () => {
    const res = await post(api, '/v1/batch', '{"batch": [');
    expect(res).toMatchObject({ status: 400, json: { success: false, code: 'INVALID_JSON' } });
    expect(await post(api, '/v1/track', '')).toMatchObject({ status: 400, json: { code: 'INVALID_JSON' } });
    expect(await post(api, '/v1/track', '[1,2]')).toMatchObject({ status: 400, json: { code: 'INVALID_BODY' } });
    expect(await post(api, '/v1/batch', { batch: { not: 'an array' } })).toMatchObject({
      status: 400,
      json: { code: 'INVALID_BODY' },
    });
    await expectStillServing();
  });

  test('an event over 32 KiB is a 400 EVENT_TOO_LARGE, whether alone or inside a batch', async () => {
    const big = track({ properties: { blob: 'x'.repeat(33 * 1024) } });
    expect(await post(api, '/v1/track', big)).toMatchObject({
      status: 400,
      json: { success: false, code: 'EVENT_TOO_LARGE', limitBytes: 32 * 1024 },
    });
    expect(await post(api, '/v1/batch', { batch: [track(), big] })).toMatchObject({
      status: 400,
      json: { code: 'EVENT_TOO_LARGE', index: 1, limitBytes: 32 * 1024 },
    });
    await expectStillServing();
  });

  test('a batch over 500 KiB is a 400 BATCH_TOO_LARGE', async () => {
    const batch = Array.from({ length: 20 }, () => track({ properties: { blob: 'y'.repeat(30 * 1024) } }));
    expect(await post(api, '/v1/batch', { batch })).toMatchObject({
      status: 400,
      json: { success: false, code: 'BATCH_TOO_LARGE', limitBytes: 500 * 1024 },
    });
    await expectStillServing();
  });

  test('a missing or wrong write key is a 401', async () => {
    expect(await post(api, '/v1/batch', { batch: [track()] }, { authorization: '' })).toMatchObject({
      status: 401,
      json: { success: false, code: 'UNAUTHORIZED' },
    });
    expect(await post(api, '/v1/batch', { batch: [track()] }, { authorization: basic('wrong') })).toMatchObject({
      status: 401,
      json: { code: 'UNAUTHORIZED' },
    });
    expect(await post(api, '/v1/batch', { batch: [track()], writeKey: 'wrong' }, { authorization: '' })).toMatchObject({
      status: 401,
    });
    await expectStillServing();
  });

  test('unsupported content and unknown endpoints are refused with JSON errors', async () => {
    expect(
      await post(api, '/v1/track', 'userId=a&event=b', { 'content-type': 'application/x-www-form-urlencoded' }),
    ).toMatchObject({ status: 415, json: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
    expect(await post(api, '/v1/bogus', { batch: [] })).toMatchObject({ status: 404, json: { code: 'NOT_FOUND' } });
    expect(await post(api, '/v1/track', track(), { 'content-encoding': 'br-nope' })).toMatchObject({
      status: 415,
      json: { code: 'UNSUPPORTED_MEDIA_TYPE' },
    });
    await expectStillServing();
  });

  test('collector metrics count events by endpoint and refusals by code', async () => {
    const text = await (await fetch(`${api.url}/metrics`)).text();
    expect(text).toMatch(/c360_collector_events_received_total\{endpoint="batch"\} \d+/);
    expect(text).toMatch(/c360_collector_events_received_total\{endpoint="track"\} \d+/);
    expect(text).toMatch(/c360_collector_requests_rejected_total\{endpoint="batch",code="UNAUTHORIZED"\} \d+/);
  });
});

describe('collector while the store is down', () => {
  let api: ApiHarness;
  let down = true;

  beforeAll(async () => {
    api = await startApi({
      pipelineOverrides: { storeMaxAttempts: 1 },
      wrapPipelineStore: (store: GraphStore) =>
        new Proxy(store, {
          get(target, prop, receiver) {
            const value = Reflect.get(target, prop, receiver);
            if (prop === 'apply' && typeof value === 'function') {
              return (...args: unknown[]) =>
                down
                  ? Promise.reject(new C360Error('store unreachable', { code: 'STORE_UNAVAILABLE', retriable: true }))
                  : value.apply(target, args);
            }
            return typeof value === 'function' ? value.bind(target) : value;
          },
        }),
    });
  });
  afterAll(async () => {
    await api.close();
  });

  test('answers 503 with Retry-After so SDKs retry, and accepts the same events once the store is back', async () => {
    const event = track({ userId: 'retry-user' });
    const failed = await post(api, '/v1/batch', { batch: [event] });
    expect(failed).toMatchObject({ status: 503, json: { success: false, code: 'SERVICE_UNAVAILABLE' } });
    expect(failed.headers.get('retry-after')).toBe('5');
    expect(JSON.stringify(failed.json)).not.toContain('store unreachable');
    down = false;
    expect(await post(api, '/v1/batch', { batch: [event] })).toMatchObject({ status: 200, json: { success: true } });
    const [customer] = await api.store.getVertices(['Customer:retry-user']);
    expect(customer?.id).toBe('Customer:retry-user');
  });
});
