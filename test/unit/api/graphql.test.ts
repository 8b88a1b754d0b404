import {
  BatchBuilder,
  C360Error,
  type EdgeLabel,
  type GraphStore,
  type JsonObject,
  makeVersion,
  type VertexLabel,
} from '../../../graph-schema';
import { type ApiHarness, countingStore, type GqlError, startApi } from './api-harness';

const T0 = Date.UTC(2026, 0, 10, 9, 0, 0);
const version = (offset: number) => makeVersion(T0 + offset, 'graphql-test');

function seed(b: BatchBuilder, prefix: string, sizes: { devices: number; orders: number; events: number }): void {
  const v = (label: VertexLabel, key: string, props: JsonObject = {}, at = 0) =>
    b.add({ op: 'upsertVertex', label, key, props, version: version(at) });
  const e = (label: EdgeLabel, from: [VertexLabel, string], to: [VertexLabel, string], props: JsonObject = {}) =>
    b.add({
      op: 'upsertEdge',
      label,
      from: { label: from[0], key: from[1] },
      to: { label: to[0], key: to[1] },
      props,
      version: version(0),
    });
  const customer: [VertexLabel, string] = ['Customer', `${prefix}-cust`];
  const email: [VertexLabel, string] = ['Identity', `email:${prefix}@example.com`];
  const anon: [VertexLabel, string] = ['Identity', `anonymousId:${prefix}-anon`];
  v('Customer', customer[1], { name: `${prefix} Lee`, email: `${prefix}@example.com`, plan: 'gold' });
  v('Identity', email[1], { type: 'email', value: `${prefix}@example.com` });
  v('Identity', anon[1], { type: 'anonymousId', value: `${prefix}-anon` });
  e('HAS_IDENTITY', customer, email, { rule: 'identify', sourceId: `${prefix}-m1`, at: T0 });
  e('HAS_IDENTITY', customer, anon, { rule: 'identify', sourceId: `${prefix}-m1`, at: T0 });
  // Devices hang off the customer and off the anonymous identity, overlapping in the middle.
  const fromCustomer = Math.ceil((sizes.devices * 2) / 3);
  const fromAnon = sizes.devices - fromCustomer + Math.min(3, fromCustomer);
  for (let i = 0; i < sizes.devices; i++) {
    const key = `${prefix}-dev-${String(i).padStart(3, '0')}`;
    const health = i === 1 ? 'RED' : i === 2 ? 'AMBER' : 'GREEN';
    v('Device', key, { type: 'router', model: 'R1', health, lastSeen: T0 + i });
    if (i < fromCustomer) e('USES_DEVICE', customer, ['Device', key]);
    if (i >= sizes.devices - fromAnon) e('USES_DEVICE', anon, ['Device', key]);
  }
  v('Address', `${prefix}-addr`, { line1: `1 ${prefix} Street`, city: 'Oslo', postalCode: '0150', country: 'NO' });
  e('HAS_ADDRESS', customer, ['Address', `${prefix}-addr`], { kind: 'billing' });
  v('Account', `${prefix}-acct`, { name: `${prefix} household`, plan: 'family', status: 'active' });
  e('OWNS', customer, ['Account', `${prefix}-acct`]);
  for (let i = 0; i < sizes.orders; i++) {
    const key = `${prefix}-ord-${String(i).padStart(3, '0')}`;
    v('Order', key, { ts: T0 + 10_000 * i, status: 'completed', total: 10 + i, currency: 'EUR' });
    e('PLACED', customer, ['Order', key]);
    for (let p = 0; p < 3; p++) {
      v('Product', `${prefix}-sku-${p}`, { name: `Product ${p}`, category: 'gadgets', price: p + 1 });
      e('CONTAINS', ['Order', key], ['Product', `${prefix}-sku-${p}`], { quantity: p + 1, price: p + 1 });
    }
  }
  for (let i = 0; i < sizes.events; i++) {
    const key = `${prefix}-msg-${String(i).padStart(3, '0')}`;
    v('Event', key, { ts: T0 + 10_000 * i + 5_000, type: 'track', name: 'Product Viewed', properties: { i } });
    e('PERFORMED', anon, ['Event', key]);
  }
  v('Interaction', `${prefix}-tkt`, { ts: T0 + 1, channel: 'chat', subject: 'Wi-Fi drops', status: 'open' });
  e('CONTACTED', customer, ['Interaction', `${prefix}-tkt`]);
}

function seedAnonymousVisitor(b: BatchBuilder): void {
  b.add({
    op: 'upsertVertex',
    label: 'Identity',
    key: 'anonymousId:lonely-visitor',
    props: { type: 'anonymousId', value: 'lonely-visitor' },
    version: version(0),
  });
  for (let i = 0; i < 3; i++) {
    b.add({
      op: 'upsertVertex',
      label: 'Event',
      key: `lonely-${i}`,
      props: { ts: T0 + i, type: 'page', name: 'Home' },
      version: version(0),
    });
    b.add({
      op: 'upsertEdge',
      label: 'PERFORMED',
      from: { label: 'Identity', key: 'anonymousId:lonely-visitor' },
      to: { label: 'Event', key: `lonely-${i}` },
      props: {},
      version: version(0),
    });
  }
}

const VIEW_360 = /* GraphQL */ `
  query Customer360($identifier: IdentifierInput!) {
    customer(identifier: $identifier) {
      id
      anonymous
      traits
      identities { id type value evidence { rule sourceId at } }
      health { status reasons }
      devices(first: 100) { edges { node { id model properties } } pageInfo { hasNextPage } }
      accounts(first: 10) { edges { node { id name plan } } }
      orders(first: 100) {
        edges { node { id ts total currency products { quantity price product { id name } } } }
        pageInfo { hasNextPage }
      }
      interactions(first: 10) { edges { node { id channel subject ts } } }
      timeline(first: 50) {
        edges { node { __typename id ts ... on Event { name properties } ... on Order { total } } }
        pageInfo { hasNextPage endCursor }
      }
      segments { id }
      similar { id }
    }
  }
`;

type Edges<T> = { edges: { cursor: string; node: T }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };

describe('GraphQL 360° API over the embedded store', () => {
  let api: ApiHarness;
  const counter: { current: ReturnType<typeof countingStore> | null } = { current: null };
  let failure: Error | null = null;

  beforeAll(async () => {
    api = await startApi({
      wrapApiStore: (store) => {
        // Real store, counted; `failure` lets a test make timeline reads fail like a broken driver.
        const failing: GraphStore = new Proxy(store, {
          get(target, prop, receiver) {
            const value = Reflect.get(target, prop, receiver);
            if (prop === 'timeline' && typeof value === 'function') {
              return (...args: unknown[]) => (failure ? Promise.reject(failure) : value.apply(target, args));
            }
            return typeof value === 'function' ? value.bind(target) : value;
          },
        });
        counter.current = countingStore(failing);
        return counter.current.store;
      },
    });
    const b = new BatchBuilder();
    seed(b, 'big', { devices: 30, orders: 25, events: 12 });
    seed(b, 'small', { devices: 1, orders: 1, events: 1 });
    seedAnonymousVisitor(b);
    await api.store.apply(b.build());
  });

  afterAll(async () => {
    await api.close();
  });

  afterEach(() => {
    failure = null;
  });

  test('serves the addresses the CDC mapping links to the customer (HAS_ADDRESS)', async () => {
    const { body } = await api.gql(
      /* GraphQL */ `query($id: ID!) { customer(id: $id) { addresses(first: 5) { edges { node { id line1 city postalCode country } } } } }`,
      { id: 'Customer:big-cust' },
    );
    expect(body.errors).toBeUndefined();
    const c = (body.data as { customer: { addresses: Edges<unknown> } }).customer;
    expect(c.addresses.edges.map((e) => e.node)).toEqual([
      { id: 'Address:big-addr', line1: '1 big Street', city: 'Oslo', postalCode: '0150', country: 'NO' },
    ]);
  });

  test('looks a customer up by a normalized email identifier and serves the whole 360° view', async () => {
    const { status, body } = await api.gql(VIEW_360, { identifier: { type: 'email', value: '  BIG@Example.COM ' } });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const c = (body.data as { customer: Record<string, unknown> }).customer;
    expect(c.id).toBe('Customer:big-cust');
    expect(c.anonymous).toBe(false);
    expect(c.traits).toEqual({ name: 'big Lee', email: 'big@example.com', plan: 'gold' });
    expect(c.identities).toEqual([
      {
        id: 'Identity:anonymousId:big-anon',
        type: 'anonymousId',
        value: 'big-anon',
        evidence: { rule: 'identify', sourceId: 'big-m1', at: new Date(T0).toISOString() },
      },
      {
        id: 'Identity:email:big@example.com',
        type: 'email',
        value: 'big@example.com',
        evidence: { rule: 'identify', sourceId: 'big-m1', at: new Date(T0).toISOString() },
      },
    ]);
    expect(c.health).toEqual({
      status: 'RED',
      reasons: ['Device:big-dev-001 reports RED', 'Device:big-dev-002 reports AMBER'],
    });

    // Devices reached from the customer and from its identity appear once, in id order.
    const devices = c.devices as Edges<{ id: string }>;
    const deviceIds = devices.edges.map((e) => e.node.id);
    expect(deviceIds).toEqual(Array.from({ length: 30 }, (_, i) => `Device:big-dev-${String(i).padStart(3, '0')}`));
    expect(devices.pageInfo.hasNextPage).toBe(false);

    const orders = c.orders as Edges<{
      id: string;
      currency: string;
      products: { quantity: number; product: { id: string } }[];
    }>;
    expect(orders.edges).toHaveLength(25);
    expect(orders.edges[0].node.products).toEqual([
      { quantity: 1, price: 1, product: { id: 'Product:big-sku-0', name: 'Product 0' } },
      { quantity: 2, price: 2, product: { id: 'Product:big-sku-1', name: 'Product 1' } },
      { quantity: 3, price: 3, product: { id: 'Product:big-sku-2', name: 'Product 2' } },
    ]);
    expect((c.accounts as Edges<unknown>).edges.map((e) => e.node)).toEqual([
      { id: 'Account:big-acct', name: 'big household', plan: 'family' },
    ]);
    expect((c.interactions as Edges<unknown>).edges.map((e) => e.node)).toEqual([
      { id: 'Interaction:big-tkt', channel: 'chat', subject: 'Wi-Fi drops', ts: new Date(T0 + 1).toISOString() },
    ]);

    // The timeline merges the customer's orders with the events of its anonymous identity, newest first.
    const timeline = c.timeline as Edges<{ __typename: string; ts: string }>;
    expect(timeline.edges).toHaveLength(25 + 12 + 1);
    const times = timeline.edges.map((e) => Date.parse(e.node.ts));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(timeline.edges[0].node).toMatchObject({ __typename: 'Order', id: 'Order:big-ord-024' });
    expect(new Set(timeline.edges.map((e) => e.node.__typename))).toEqual(new Set(['Order', 'Event', 'Interaction']));
    expect(c.segments).toEqual([]);
    expect(c.similar).toEqual([]);
  });

  test('a 360° view costs a bounded number of store calls, independent of how many devices and orders', async () => {
    const counting = counter.current as ReturnType<typeof countingStore>;
    const callsFor = async (prefix: string) => {
      counting.calls.clear();
      const { body } = await api.gql(VIEW_360, { identifier: { type: 'email', value: `${prefix}@example.com` } });
      expect(body.errors).toBeUndefined();
      return { total: counting.total(), byMethod: Object.fromEntries(counting.calls) };
    };
    const small = await callsFor('small');
    const big = await callsFor('big');
    // identity lookup (1 getVertices + 1 neighbors), identities (1), all connections (1), order lines (≤ 2), timeline (1).
    expect(big.byMethod.getVertices).toBe(1);
    expect(big.byMethod.timeline).toBe(1);
    expect(big.byMethod.neighbors).toBeLessThanOrEqual(5);
    expect(big.total).toBeLessThanOrEqual(7);
    expect(big.total).toBeLessThanOrEqual(small.total + 1);
  });

  test('devices page forward with cursors and never repeat an item', async () => {
    const query = /* GraphQL */ `
      query Devices($id: ID!, $after: String) {
        customer(id: $id) { devices(first: 7, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }
      }
    `;
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const { body } = await api.gql<{ customer: { devices: Edges<{ id: string }> } }>(query, {
        id: 'big-cust',
        after,
      });
      expect(body.errors).toBeUndefined();
      const devices = body.data?.customer.devices as Edges<{ id: string }>;
      seen.push(...devices.edges.map((e) => e.node.id));
      expect(devices.pageInfo.endCursor).toBe(devices.edges.at(-1)?.cursor ?? null);
      if (!devices.pageInfo.hasNextPage) break;
      after = devices.pageInfo.endCursor;
    }
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => `Device:big-dev-${String(i).padStart(3, '0')}`));
  });

  test('the timeline pages newest first and filters by type', async () => {
    const query = /* GraphQL */ `
      query Timeline($id: ID!, $after: String) {
        customer(id: $id) {
          timeline(first: 4, after: $after, types: [ORDER]) {
            edges { node { __typename id ts } }
            pageInfo { hasNextPage endCursor }
          }
        }
      }
    `;
    const ids: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const { body } = await api.gql<{ customer: { timeline: Edges<{ __typename: string; id: string }> } }>(query, {
        id: 'Customer:big-cust',
        after,
      });
      expect(body.errors).toBeUndefined();
      const timeline = body.data?.customer.timeline as Edges<{ __typename: string; id: string }>;
      expect(timeline.edges.every((e) => e.node.__typename === 'Order')).toBe(true);
      ids.push(...timeline.edges.map((e) => e.node.id));
      after = timeline.pageInfo.hasNextPage ? timeline.pageInfo.endCursor : null;
      pages++;
    } while (after !== null && pages < 20);
    expect(pages).toBe(7);
    expect(ids).toEqual(Array.from({ length: 25 }, (_, i) => `Order:big-ord-${String(24 - i).padStart(3, '0')}`));
  });

  test('customers are searched by name or email prefix and paged', async () => {
    const query = /* GraphQL */ `
      query Search($search: String, $after: String) {
        customers(search: $search, first: 1, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } }
      }
    `;
    const { body: found } = await api.gql<{ customers: Edges<{ id: string }> }>(query, { search: 'SMALL' });
    expect(found.data?.customers.edges.map((e) => e.node.id)).toEqual(['Customer:small-cust']);
    expect(found.data?.customers.pageInfo.hasNextPage).toBe(false);

    const all: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 5; i++) {
      const { body } = await api.gql<{ customers: Edges<{ id: string }> }>(query, { search: '', after });
      const page = body.data?.customers as Edges<{ id: string }>;
      all.push(...page.edges.map((e) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(all).toEqual(['Customer:big-cust', 'Customer:small-cust']);
  });

  test('an identifier no customer claims yet returns an anonymous view rooted at the identity', async () => {
    const query = /* GraphQL */ `
      query Anon($identifier: IdentifierInput, $id: ID) {
        customer(identifier: $identifier, id: $id) {
          id anonymous traits identities { id evidence { rule } } timeline(first: 10) { edges { node { id } } }
        }
      }
    `;
    const { body } = await api.gql<{ customer: Record<string, unknown> }>(query, {
      identifier: { type: 'anonymousId', value: 'lonely-visitor' },
    });
    expect(body.errors).toBeUndefined();
    expect(body.data?.customer).toEqual({
      id: 'Identity:anonymousId:lonely-visitor',
      anonymous: true,
      traits: {},
      identities: [{ id: 'Identity:anonymousId:lonely-visitor', evidence: null }],
      timeline: {
        edges: [
          { node: { id: 'Event:lonely-2' } },
          { node: { id: 'Event:lonely-1' } },
          { node: { id: 'Event:lonely-0' } },
        ],
      },
    });
    // The anonymous view's id round-trips through customer(id:).
    const again = await api.gql<{ customer: { id: string } }>(query, { id: 'Identity:anonymousId:lonely-visitor' });
    expect(again.body.data?.customer.id).toBe('Identity:anonymousId:lonely-visitor');
    const missing = await api.gql<{ customer: null }>(query, {
      identifier: { type: 'email', value: 'nobody@example.com' },
    });
    expect(missing.body).toEqual({ data: { customer: null } });
  });

  test('client mistakes carry a public error code', async () => {
    const cases: { query: string; variables?: Record<string, unknown>; code: string }[] = [
      { query: '{ customers(first: 101) { edges { cursor } } }', code: 'PAGE_TOO_LARGE' },
      { query: '{ customers(first: 0) { edges { cursor } } }', code: 'BAD_USER_INPUT' },
      { query: '{ customers(after: "not-a-cursor") { edges { cursor } } }', code: 'INVALID_CURSOR' },
      { query: '{ customer { id } }', code: 'BAD_USER_INPUT' },
      { query: '{ customer(id: "x", identifier: { type: "email", value: "a@b.c" }) { id } }', code: 'BAD_USER_INPUT' },
      { query: '{ customer(identifier: { type: "email", value: "not an email" }) { id } }', code: 'BAD_USER_INPUT' },
      { query: '{ customer(id: "Device:big-dev-001") { id } }', code: 'BAD_USER_INPUT' },
      { query: '{ customer(id: "big-cust") { devices(first: 1000) { edges { cursor } } } }', code: 'PAGE_TOO_LARGE' },
    ];
    for (const c of cases) {
      const { status, body } = await api.gql(c.query, c.variables);
      expect({ query: c.query, status, code: body.errors?.[0]?.extensions?.code }).toEqual({
        query: c.query,
        status: 200,
        code: c.code,
      });
      expect(body.errors?.[0]?.extensions?.stacktrace).toBeUndefined();
    }
    // A cursor of one list is refused by another.
    const devices = await api.gql<{ customer: { devices: Edges<unknown> } }>(
      '{ customer(id: "big-cust") { devices(first: 1) { pageInfo { endCursor } } } }',
    );
    const cursor = devices.body.data?.customer.devices.pageInfo.endCursor;
    const wrong = await api.gql('query($c: String) { customers(after: $c) { edges { cursor } } }', { c: cursor });
    expect(wrong.body.errors?.[0]?.extensions?.code).toBe('INVALID_CURSOR');
  });

  test('malformed requests are answered 400 with GraphQL codes', async () => {
    const parse = await api.gql('{ customers(first: ');
    expect(parse.status).toBe(400);
    expect(parse.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    const validation = await api.gql('{ customers { nope } }');
    expect(validation.status).toBe(400);
    expect(validation.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const variables = await api.gql('query($f: Int) { customers(first: $f) { edges { cursor } } }', { f: 'ten' });
    expect(variables.status).toBe(400);
    expect(variables.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const json = await fetch(api.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":',
    });
    expect(json.status).toBe(400);
    expect(((await json.json()) as { errors: GqlError[] }).errors[0].extensions?.code).toBe('BAD_REQUEST');
    // Apollo's CSRF prevention: a simple (form-like) request cannot execute operations.
    const csrf = await fetch(`${api.graphqlUrl}?query=${encodeURIComponent('{ customers { edges { cursor } } }')}`);
    expect(csrf.status).toBe(400);
  });

  test('driver failures never leak their message or stack; retriable ones say so', async () => {
    const query = '{ customer(id: "big-cust") { id timeline { edges { cursor } } } }';
    failure = new Error('connect ECONNREFUSED neo4j://secret-host:7687 user=admin');
    const internal = await api.gql<{ customer: { id: string; timeline: null } }>(query);
    expect(internal.status).toBe(200);
    expect(internal.body.data?.customer).toEqual({ id: 'Customer:big-cust', timeline: null });
    expect(internal.body.errors).toEqual([
      {
        message: 'Internal server error.',
        locations: [{ line: 1, column: 33 }],
        path: ['customer', 'timeline'],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      },
    ]);
    expect(JSON.stringify(internal.body)).not.toContain('secret-host');

    failure = new C360Error('GremlinStore.timeline: pool exhausted at secret-host', {
      code: 'STORE_UNAVAILABLE',
      retriable: true,
    });
    const retriable = await api.gql(query);
    expect(retriable.body.errors?.[0]?.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE' });
    expect(JSON.stringify(retriable.body)).not.toContain('secret-host');
  });

  test('the GraphQL latency histogram and error counter are exported per operation', async () => {
    await api.gql('query MetricsProbe { customers(first: 1) { edges { cursor } } }');
    const text = await (await fetch(`${api.url}/metrics`)).text();
    expect(text).toMatch(/c360_graphql_request_duration_seconds_count\{operation="MetricsProbe",outcome="ok"\} 1/);
    expect(text).toMatch(/c360_graphql_errors_total\{code="PAGE_TOO_LARGE"\} \d+/);
    expect(text).toMatch(
      /c360_http_request_duration_seconds_count\{method="POST",route="\/graphql",status="200"\} \d+/,
    );
  });
});
