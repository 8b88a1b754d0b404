import { Analytics } from '@segment/analytics-node';
import { type ApiHarness, startApi, WRITE_KEY } from './api-harness';

/**
 * The official Segment Node SDK, pointed at c360 with nothing changed but `host`,
 * sends a customer's journey; the 360° view then shows it.
 */
describe('@segment/analytics-node against the collector', () => {
  let api: ApiHarness;

  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(async () => {
    await api.close();
  });

  test('identify, track and page arrive and build the 360° view in event-time order', async () => {
    const analytics = new Analytics({
      writeKey: WRITE_KEY,
      host: api.url,
      flushAt: 2,
      flushInterval: 50,
      maxRetries: 2,
    });
    const failures: unknown[] = [];
    analytics.on('error', (err) => failures.push(err));
    // Each call's callback runs once the collector answered for its batch (or delivery failed).
    const outcomes: unknown[] = [];
    const delivered = (err?: unknown) => outcomes.push(err ?? 'ok');
    const t0 = Date.now() - 60 * 60 * 1000;
    const at = (minutes: number) => new Date(t0 + minutes * 60_000);
    const context = { device: { id: 'sdk-phone-1', type: 'ios', manufacturer: 'Apple', model: 'iPhone15,2' } };

    analytics.track(
      {
        anonymousId: 'sdk-anon-1',
        event: 'Product Viewed',
        properties: { product_id: 'sku-42', name: 'Router X', price: 99 },
        timestamp: at(1),
        context,
      },
      delivered,
    );
    analytics.identify(
      {
        userId: 'sdk-user-1',
        anonymousId: 'sdk-anon-1',
        traits: { email: 'Sdk.User@Example.com', name: 'Sdk User', plan: 'pro' },
        timestamp: at(2),
        context,
      },
      delivered,
    );
    analytics.track(
      {
        userId: 'sdk-user-1',
        event: 'Order Completed',
        properties: {
          order_id: 'sdk-order-1',
          total: 198,
          currency: 'EUR',
          products: [{ product_id: 'sku-42', name: 'Router X', price: 99, quantity: 2 }],
        },
        timestamp: at(3),
        context,
      },
      delivered,
    );
    analytics.page(
      { userId: 'sdk-user-1', name: 'Checkout', properties: { path: '/checkout' }, timestamp: at(4) },
      delivered,
    );
    // closeAndFlush gives up after 1.25 × flushInterval unless told otherwise; wait for real delivery.
    await analytics.closeAndFlush({ timeout: 30_000 });
    expect(failures).toEqual([]);
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok']);

    const { body } = await api.gql<{ customer: Record<string, unknown> }>(
      /* GraphQL */ `
        query($email: String!) {
          customer(identifier: { type: "email", value: $email }) {
            id
            traits
            identities { type value evidence { rule } }
            devices { edges { node { id type model } } }
            orders { edges { node { id total currency products { quantity price product { id name } } } } }
            timeline(first: 20) {
              edges { node { __typename id ts ... on Event { type name } ... on Order { total } } }
            }
          }
        }
      `,
      { email: ' sdk.user@EXAMPLE.com' },
    );
    expect(body.errors).toBeUndefined();
    const c = body.data?.customer as Record<string, unknown>;
    expect(c.id).toBe('Customer:sdk-user-1');
    expect(c.traits).toMatchObject({ email: 'sdk.user@example.com', name: 'Sdk User', plan: 'pro' });
    expect(c.identities).toEqual(
      expect.arrayContaining([
        { type: 'anonymousId', value: 'sdk-anon-1', evidence: { rule: 'identify' } },
        { type: 'email', value: 'sdk.user@example.com', evidence: { rule: 'identify' } },
        { type: 'userId', value: 'sdk-user-1', evidence: { rule: 'identify' } },
      ]),
    );
    expect(c.devices).toEqual({ edges: [{ node: { id: 'Device:sdk-phone-1', type: 'ios', model: 'iPhone15,2' } }] });
    expect(c.orders).toEqual({
      edges: [
        {
          node: {
            id: 'Order:sdk-order-1',
            total: 198,
            currency: 'EUR',
            products: [{ quantity: 2, price: 99, product: { id: 'Product:sku-42', name: 'Router X' } }],
          },
        },
      ],
    });
    // The anonymous Product Viewed (before identify) is on the customer's timeline through its identity.
    const items = (
      c.timeline as { edges: { node: { __typename: string; ts: string; name?: string; id: string } }[] }
    ).edges.map((e) => e.node);
    const times = items.map((i) => Date.parse(i.ts));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(items.map((i) => (i.__typename === 'Order' ? i.id : `${i.__typename}:${i.name}`))).toEqual([
      'Event:Checkout',
      'Order:sdk-order-1',
      'Event:Order Completed',
      'Event:Product Viewed',
    ]);
    // Event time is the SDK's timestamp (corrected for clock skew, which is ~0 here).
    expect(Math.abs(times[3] - at(1).getTime())).toBeLessThan(60_000);
  });
});
