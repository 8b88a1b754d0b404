import { makeVersion } from '../../../graph-schema';
import { createDecoders } from '../../../ingest/decoders';
import type { SegmentEvent } from '../../../ingest/hub-event';
import { failureOf, fixtureBytes, okEvents, onlyEvent, raw } from './decoder-fixtures';

const { segment } = createDecoders();
const at = (iso: string) => Date.parse(iso);

function decodeFixture(name: string, receivedAt: string) {
  return segment.decode(raw('segment', fixtureBytes('segment', name), at(receivedAt)));
}

function body(e: { body: unknown }): SegmentEvent {
  return e.body as SegmentEvent;
}

describe('segment decoder: recorded analytics.js events', () => {
  test('Product Viewed decodes to the full normalized event, clock skew corrected', () => {
    const event = onlyEvent(decodeFixture('track-product-viewed.json', '2024-05-14T09:41:07.640Z'));
    expect(event.id).toBe('segment:ajs-next-5d41402abc4b2a76b9719d911017c592');
    // received 07.640 − (sent 07.517 − client 07.512) = 07.635
    expect(event.version).toBe('001715679667635~seg:ajs-next-5d41402abc4b2a76b9719d911017c592');
    expect(event.receivedAtMs).toBe(at('2024-05-14T09:41:07.640Z'));
    expect(event.position).toEqual({ source: 'segment', transport: 'test' });
    expect(event.body).toEqual({
      source: 'segment',
      type: 'track',
      messageId: 'ajs-next-5d41402abc4b2a76b9719d911017c592',
      userId: null,
      anonymousId: '5e4f6a1b-2c3d-4e5f-8a9b-0c1d2e3f4a5b',
      previousId: null,
      groupId: null,
      name: 'Product Viewed',
      properties: {
        product_id: 'P-100',
        sku: 'SKU-100',
        category: 'Shoes',
        name: 'Trail Runner',
        brand: 'Northpeak',
        variant: 'Blue / 42',
        price: 59.99,
        quantity: 1,
        currency: 'EUR',
        position: 3,
        url: 'https://shop.example.com/p/sku-100',
        image_url: 'https://cdn.example.com/img/sku-100.jpg',
      },
      traits: {},
      context: {
        page: {
          path: '/p/sku-100',
          referrer: 'https://shop.example.com/c/shoes',
          search: '?utm_source=newsletter',
          title: 'Trail Runner | Example Shop',
          url: 'https://shop.example.com/p/sku-100?utm_source=newsletter',
        },
        userAgent:
          'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
        userAgentData: {
          brands: [
            { brand: 'Chromium', version: '124' },
            { brand: 'Google Chrome', version: '124' },
            { brand: 'Not-A.Brand', version: '99' },
          ],
          mobile: false,
          platform: 'macOS',
        },
        locale: 'de-DE',
        library: { name: 'analytics.js', version: 'next-1.70.0' },
        timezone: 'Europe/Berlin',
        campaign: { source: 'newsletter' },
      },
      timestampMs: at('2024-05-14T09:41:07.635Z'),
      // writeKey is a credential and the timestamps are consumed; the rest of the spec is kept.
      extra: { integrations: {}, _metadata: { bundled: ['Segment.io'], unbundled: [], bundledIds: [] } },
    });
  });

  test('Order Completed keeps products[] and both identities', () => {
    const event = onlyEvent(decodeFixture('track-order-completed.json', '2024-05-14T09:47:31.100Z'));
    const b = body(event);
    expect(event.id).toBe('segment:ajs-next-7215ee9c7d9dc229d2921a40e899ec5f');
    expect(b.type).toBe('track');
    expect(b.name).toBe('Order Completed');
    expect(b.userId).toBe('u-1001');
    expect(b.anonymousId).toBe('5e4f6a1b-2c3d-4e5f-8a9b-0c1d2e3f4a5b');
    expect(b.timestampMs).toBe(at('2024-05-14T09:47:31.094Z'));
    expect(b.properties['order_id']).toBe('50314');
    expect(b.properties['total']).toBe(89.97);
    expect(b.properties['coupon']).toBeNull();
    expect(b.properties['products']).toEqual([
      {
        product_id: 'P-100',
        sku: 'SKU-100',
        name: 'Trail Runner',
        price: 59.99,
        quantity: 1,
        category: 'Shoes',
        url: 'https://shop.example.com/p/sku-100',
        image_url: 'https://cdn.example.com/img/sku-100.jpg',
      },
      { product_id: 'P-205', sku: 'SKU-205', name: 'Running Socks', price: 7.49, quantity: 2, category: 'Accessories' },
    ]);
  });

  test('identify carries traits', () => {
    const b = body(onlyEvent(decodeFixture('identify.json', '2024-05-14T09:45:02.400Z')));
    expect(b.type).toBe('identify');
    expect(b.userId).toBe('u-1001');
    expect(b.anonymousId).toBe('5e4f6a1b-2c3d-4e5f-8a9b-0c1d2e3f4a5b');
    expect(b.traits).toEqual({
      email: 'ada@example.com',
      firstName: 'Ada',
      lastName: 'Lovelace',
      phone: '+44 20 7946 0958',
      plan: 'pro',
      address: { city: 'London', country: 'GB', postalCode: 'NW1 2DB' },
      createdAt: '2023-11-02T09:12:44.000Z',
    });
    expect(b.properties).toEqual({});
    expect(b.timestampMs).toBe(at('2024-05-14T09:45:02.389Z'));
  });

  test('page keeps its name, and its category in extra', () => {
    const b = body(onlyEvent(decodeFixture('page.json', '2024-05-14T09:40:58.100Z')));
    expect(b.type).toBe('page');
    expect(b.name).toBe('Pricing');
    expect(b.userId).toBeNull();
    expect(b.anonymousId).toBe('9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d');
    expect(b.properties['url']).toBe('https://www.example.com/pricing');
    expect(b.extra['category']).toBe('Docs');
    expect(b.timestampMs).toBe(at('2024-05-14T09:40:58.093Z'));
  });

  test('screen from analytics-swift, channel kept in extra', () => {
    const b = body(onlyEvent(decodeFixture('screen.json', '2024-05-14T13:05:50.000Z')));
    expect(b.type).toBe('screen');
    expect(b.name).toBe('Home');
    expect(b.userId).toBe('u-1001');
    expect(b.context['device']).toEqual({
      id: '7E3F0B1A-9C2D-4E8F-A1B2-C3D4E5F6A7B8',
      manufacturer: 'Apple',
      model: 'iPhone14,2',
      name: 'iPhone',
      type: 'ios',
    });
    expect(b.extra).toEqual({ channel: 'mobile', integrations: {} });
    // 50.000 − (49.870 − 44.123): the phone's 5.7 s of batching delay is not clock skew
    expect(b.timestampMs).toBe(at('2024-05-14T13:05:44.253Z'));
  });

  test('group requires and keeps groupId', () => {
    const event = onlyEvent(decodeFixture('group.json', '2024-05-14T09:45:03.200Z'));
    const b = body(event);
    expect(b.type).toBe('group');
    expect(b.groupId).toBe('acct-42');
    expect(b.traits).toEqual({
      name: 'Initech',
      industry: 'Technology',
      employees: 329,
      plan: 'enterprise',
      website: 'https://initech.example.com',
    });
    expect(b.timestampMs).toBe(at('2024-05-14T09:45:03.192Z'));
  });

  test('alias links previousId to userId', () => {
    const b = body(onlyEvent(decodeFixture('alias.json', '2024-05-14T09:45:02.400Z')));
    expect(b.type).toBe('alias');
    expect(b.userId).toBe('u-1001');
    expect(b.previousId).toBe('5e4f6a1b-2c3d-4e5f-8a9b-0c1d2e3f4a5b');
    expect(b.timestampMs).toBe(at('2024-05-14T09:45:02.392Z'));
  });
});

describe('segment decoder: batch envelopes', () => {
  test('the recorded analytics-node batch yields six events with their batch index', () => {
    const events = okEvents(decodeFixture('analytics-node-batch.json', '2026-11-22T03:21:25.000Z'));
    expect(events.map((e) => [body(e).type, e.position.index])).toEqual([
      ['identify', 0],
      ['track', 1],
      ['page', 2],
      ['screen', 3],
      ['group', 4],
      ['alias', 5],
    ]);
    expect(events[1].id).toBe('segment:node-next-1795317684848-6b1f668f-8f05-4d0f-9c7b-af4d82c6663d');
    // envelope sentAt 24.856; item timestamp 24.848; received 25.000 → 24.992
    expect(body(events[1]).timestampMs).toBe(at('2026-11-22T03:21:24.992Z'));
    expect(body(events[1]).context).toEqual({ library: { name: '@segment/analytics-node', version: '2.3.0' } });
    expect(body(events[5]).previousId).toBe('3c1b5d0e-7a2f-4c1e-9d3b-2f6a8e4b7c10');
    expect(body(events[0]).extra).toEqual({
      integrations: {},
      _metadata: { nodeVersion: 'v20.20.2', jsRuntime: 'node' },
    });
  });

  test('envelope context, integrations and sentAt apply to each item unless the item overrides them', () => {
    const events = okEvents(decodeFixture('http-api-batch.json', '2024-05-14T10:00:06.250Z'));
    expect(events).toHaveLength(3);
    const [identify, trackOwn, trackPlain] = events.map(body);
    expect(identify.context).toEqual({
      device: { type: 'phone', name: 'Apple iPhone 6' },
      library: { name: 'c360-test-client', version: '1.0.0' },
    });
    expect(identify.extra).toEqual({ integrations: { All: true, Amplitude: false } });
    // envelope sentAt 06.000 applies: 06.250 − (06.000 − 00.000)
    expect(identify.timestampMs).toBe(at('2024-05-14T10:00:00.250Z'));

    expect(trackOwn.context).toEqual({
      device: { type: 'phone', name: "Jake's iPhone" },
      library: { name: 'c360-test-client', version: '1.0.0' },
      ip: '203.0.113.7',
    });
    expect(trackOwn.extra).toEqual({ integrations: { All: true, Amplitude: false, Mixpanel: false } });
    // the item's own sentAt 05.500 wins: 06.250 − (05.500 − 04.708)
    expect(trackOwn.timestampMs).toBe(at('2024-05-14T10:00:05.458Z'));
    expect(trackPlain.timestampMs).toBe(at('2024-05-14T10:00:05.250Z'));
  });

  test('one bad event among good ones fails alone, with its index and path', () => {
    const batch = {
      batch: [
        { type: 'track', userId: 'u1', event: 'A', messageId: 'm1', timestamp: '2024-05-14T10:00:00Z' },
        { type: 'track', userId: 'u1', event: 42, messageId: 'm2', timestamp: '2024-05-14T10:00:00Z' },
        { type: 'identify', messageId: 'm3', timestamp: '2024-05-14T10:00:00Z' },
        'not an event',
        { type: 'track', userId: 'u1', event: 'B', messageId: 'm5', timestamp: '2024-05-14T10:00:00Z' },
      ],
      sentAt: '2024-05-14T10:00:01Z',
    };
    const outcomes = segment.decode(raw('segment', JSON.stringify(batch), at('2024-05-14T10:00:01Z')));
    expect(outcomes).toHaveLength(5);
    expect(outcomes[0].ok && outcomes[0].event.id).toBe('segment:m1');
    expect(failureOf(outcomes[1])).toEqual({ reason: 'WRONG_TYPE', path: 'batch[1].event', index: 1 });
    expect(failureOf(outcomes[2])).toEqual({ reason: 'MISSING_FIELD', path: 'batch[2].userId', index: 2 });
    expect(failureOf(outcomes[3])).toEqual({ reason: 'NOT_AN_OBJECT', path: 'batch[3]', index: 3 });
    expect(outcomes[4].ok && outcomes[4].event.id).toBe('segment:m5');
  });
});

describe('segment decoder: clock-skew correction', () => {
  const decodeOne = (event: object, receivedAt: string) =>
    segment.decode(raw('segment', JSON.stringify(event), at(receivedAt)));
  const timeOf = (event: object, receivedAt: string) => body(onlyEvent(decodeOne(event, receivedAt))).timestampMs;
  const base = { type: 'track', userId: 'u1', event: 'Clicked', messageId: 'skew' };

  test('a device clock three hours fast is corrected by receivedAt − (sentAt − timestamp)', () => {
    const event = { ...base, timestamp: '2024-05-14T12:00:00.000Z', sentAt: '2024-05-14T12:00:05.000Z' };
    expect(timeOf(event, '2024-05-14T09:00:05.200Z')).toBe(at('2024-05-14T09:00:00.200Z'));
  });

  test('without sentAt the sent timestamp is used as is; without any time, receipt time', () => {
    expect(timeOf({ ...base, timestamp: '2024-05-14T08:59:00Z' }, '2024-05-14T09:00:00Z')).toBe(
      at('2024-05-14T08:59:00Z'),
    );
    expect(timeOf(base, '2024-05-14T09:00:00.123Z')).toBe(at('2024-05-14T09:00:00.123Z'));
  });

  test('an explicit originalTimestamp is the device time; epoch milliseconds and UTC offsets are accepted', () => {
    const event = {
      ...base,
      originalTimestamp: at('2024-05-14T08:00:00Z'),
      timestamp: '2024-05-14T08:59:59Z',
      sentAt: '2024-05-14T10:00:10+02:00',
    };
    // sentAt is 08:00:10Z; received 09:00:10Z → skew 1 h → 09:00:00Z
    expect(timeOf(event, '2024-05-14T09:00:10Z')).toBe(at('2024-05-14T09:00:00Z'));
  });

  test('historical imports keep their time: a server-set timestamp with sentAt ≈ receivedAt', () => {
    const event = { ...base, timestamp: '2019-01-01T00:00:00Z', sentAt: '2024-05-14T09:00:00Z' };
    expect(timeOf(event, '2024-05-14T09:00:00.050Z')).toBe(at('2019-01-01T00:00:00.050Z'));
  });

  test('a time beyond the allowed skew into the future, or before 1970, is INVALID_VALUE', () => {
    const future = decodeOne({ ...base, timestamp: '2024-05-16T09:00:00Z' }, '2024-05-14T09:00:00Z');
    expect(failureOf(future[0])).toEqual({ reason: 'INVALID_VALUE', path: 'timestamp' });
    const ancient = decodeOne({ ...base, timestamp: '1969-12-31T23:59:59Z' }, '2024-05-14T09:00:00Z');
    expect(failureOf(ancient[0])).toEqual({ reason: 'INVALID_VALUE', path: 'timestamp' });
    const skewedBefore1970 = decodeOne(
      { ...base, timestamp: '1971-01-01T00:00:00Z', sentAt: '2024-05-14T09:00:00Z' },
      '2020-01-01T00:00:00Z',
    );
    expect(failureOf(skewedBefore1970[0])).toEqual({ reason: 'INVALID_VALUE', path: 'timestamp' });
  });

  test('the allowed skew is an option', () => {
    const strict = createDecoders({ maxClockSkewMs: 1000 }).segment;
    const event = { ...base, timestamp: '2024-05-14T09:00:02Z' };
    const outcome = strict.decode(raw('segment', JSON.stringify(event), at('2024-05-14T09:00:00Z')))[0];
    expect(failureOf(outcome)).toEqual({ reason: 'INVALID_VALUE', path: 'timestamp' });
    expect(timeOf(event, '2024-05-14T09:00:00Z')).toBe(at('2024-05-14T09:00:02Z'));
  });
});

describe('segment decoder: ids and schema drift', () => {
  const decodeOne = (event: object) =>
    segment.decode(raw('segment', JSON.stringify(event), at('2024-05-14T09:00:00Z')));
  const event = {
    type: 'track',
    userId: 'u1',
    event: 'Clicked',
    properties: { a: 1, b: 'x' },
    timestamp: '2024-05-14T08:59:59Z',
    sentAt: '2024-05-14T09:00:00Z',
    writeKey: 'k1',
  };

  test('a missing messageId becomes a hash of the canonical event, the same across SDK retries', () => {
    const first = onlyEvent(decodeOne(event));
    expect(first.id).toMatch(/^segment:gen-[0-9a-f]{32}$/);
    const retried = onlyEvent(
      decodeOne({
        sentAt: '2024-05-14T09:00:07Z',
        writeKey: 'k2',
        properties: { b: 'x', a: 1 },
        timestamp: event.timestamp,
        event: 'Clicked',
        userId: 'u1',
        type: 'track',
      }),
    );
    expect(retried.id).toBe(first.id);
    const different = onlyEvent(decodeOne({ ...event, properties: { a: 2, b: 'x' } }));
    expect(different.id).not.toBe(first.id);
    expect(first.version).toBe(makeVersion(body(first).timestampMs, `seg:${body(first).messageId}`));
  });

  test('numeric ids become strings and unknown fields land in extra', () => {
    const b = body(
      onlyEvent(decodeOne({ ...event, messageId: 'm', userId: 1001, newField: { x: [1] }, channel: 'server' })),
    );
    expect(b.userId).toBe('1001');
    expect(b.extra).toEqual({ newField: { x: [1] }, channel: 'server' });
  });
});
