import { createAnalyticsService } from '../../../features/analytics';
import { createAnalyticsModule } from '../../../features/analytics/graphql';
import { coalesce, type GraphStore } from '../../../graph-schema';
import { analyticsFixture } from '../../conformance/analytics-suite';
import { type ApiHarness, startApi } from '../api/api-harness';

/** The harness creates its store inside; the service reads it through this forwarder once it exists. */
function forwardingStore(): { store: GraphStore; set(s: GraphStore): GraphStore } {
  let target: GraphStore | null = null;
  const store = new Proxy({} as GraphStore, {
    get(_t, prop) {
      const value = Reflect.get(target as GraphStore, prop);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    store,
    set: (s) => {
      target = s;
      return s;
    },
  };
}

describe('GraphQL analytics module', () => {
  const f = analyticsFixture('gql');
  let api: ApiHarness;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const forward = forwardingStore();
    const service = createAnalyticsService({ store: forward.store });
    api = await startApi({ modules: [createAnalyticsModule(service)], wrapApiStore: forward.set });
    await api.store.apply(coalesce(f.mutations));
    close = async () => {
      await service.close();
      await api.close();
    };
  });
  afterAll(() => close());

  test('one failing analytics field is null with its own error; the others still answer', async () => {
    const { status, body } = await api.gql<{
      analytics: { centrality: unknown; communities: { count: number } | null };
    }>(
      `{
        analytics {
          centrality(kind: DEGREE, first: 0) { run { status } }
          communities(kind: COMPONENTS, first: 5, label: "Customer") { count }
        }
      }`,
    );
    expect(status).toBe(200);
    expect(body.data?.analytics.centrality).toBeNull();
    expect(body.data?.analytics.communities?.count).toBeGreaterThan(0);
    expect(body.errors?.map((e) => (e as { path?: unknown }).path)).toEqual([['analytics', 'centrality']]);
  });

  test('centrality, communities, paths, similarity and runs in one query', async () => {
    const { status, body } = await api.gql<{
      analytics: {
        centrality: {
          run: { status: string; kind: string };
          entries: { node: { id: string; label: string }; rank: number }[];
        };
        communities: { count: number; communities: { id: string; size: number }[] };
        shortestPath: { length: number; nodes: { id: string }[]; edges: { label: string }[] };
        similarCustomers: { customer: { id: string; traits: { name: string } }; score: number; shared: number }[];
        productsBoughtTogether: { product: { id: string }; orders: number }[];
      };
    }>(
      `query($c1: ID!, $c2: ID!, $p1: ID!) {
        analytics {
          centrality(kind: DEGREE, first: 2) { run { status kind } entries { node { id label } rank } }
          communities(kind: COMPONENTS, first: 5, label: "Customer") { count communities { id size } }
          shortestPath(from: $c1, to: $c2, maxDepth: 3) { length nodes { id } edges { label } }
          similarCustomers(id: $c1, first: 3) { customer { id traits } score shared }
          productsBoughtTogether(productId: $p1, first: 1) { product { id } orders }
        }
      }`,
      { c1: f.id('c1'), c2: f.id('c2'), p1: f.id('p1') },
    );
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const a = body.data?.analytics;
    // c1 (dA, i1, o1), c2 (dA, o2) and c4 (dB, aB) … c1 has the most neighbours.
    expect(a?.centrality.run).toEqual({ status: 'SUCCEEDED', kind: 'DEGREE' });
    expect(a?.centrality.entries[0]).toEqual({ node: { id: f.id('c1'), label: 'Customer' }, rank: 1 });
    // Customers c1..c5 are one component, c6 another; each is named by its smallest customer.
    expect(a?.communities).toEqual({
      count: 2,
      communities: [
        { id: f.id('c1'), size: 5 },
        { id: f.id('c6'), size: 1 },
      ],
    });
    expect(a?.shortestPath).toEqual({
      length: 2,
      nodes: [{ id: f.id('c1') }, { id: f.id('dA') }, { id: f.id('c2') }],
      edges: [{ label: 'USES_DEVICE' }, { label: 'USES_DEVICE' }],
    });
    expect(a?.similarCustomers).toEqual([
      { customer: { id: f.id('c2'), traits: expect.objectContaining({ name: 'c2' }) }, score: 0.6, shared: 3 },
    ]);
    expect(a?.productsBoughtTogether).toEqual([{ product: { id: f.id('p2') }, orders: 2 }]);
    // Sibling fields resolve concurrently, so the runs they started are read in a second request.
    const runs = await api.gql<{
      analytics: { runs: { kind: string; status: string; progress: number; finishedAt: string }[] };
    }>('{ analytics { runs { kind status progress finishedAt } } }');
    const list = runs.body.data?.analytics.runs ?? [];
    expect(list.map((r) => [r.kind, r.status, r.progress]).sort()).toEqual([
      ['COMPONENTS', 'SUCCEEDED', 1],
      ['DEGREE', 'SUCCEEDED', 1],
    ]);
    expect(Date.parse(list[0].finishedAt)).toBeGreaterThan(0);
  });

  test('Customer.similar and Customer.neighborhood, with traits written back by the run', async () => {
    await api.gql('{ analytics { centrality(kind: PAGERANK, first: 1) { entries { rank } } } }');
    const { body } = await api.gql<{
      customer: {
        traits: Record<string, unknown>;
        similar: { id: string }[];
        neighborhood: {
          nodes: { id: string }[];
          edges: { label: string; from: string; to: string }[];
          truncated: boolean;
        };
      };
    }>(
      `query($id: ID!) { customer(id: $id) {
        traits similar(first: 5) { id }
        neighborhood(depth: 1) { nodes { id } edges { label from to } truncated }
      } }`,
      { id: f.id('c1') },
    );
    expect(body.errors).toBeUndefined();
    const c = body.data?.customer;
    expect(c?.traits).toMatchObject({ pagerank: expect.any(Number), influenceRank: expect.any(Number), degree: 3 });
    expect(c?.similar).toEqual([{ id: f.id('c2') }]);
    expect(c?.neighborhood.nodes.map((n) => n.id).sort()).toEqual(
      [f.id('c1'), f.id('dA'), f.id('i1'), f.id('o1')].sort(),
    );
    expect(c?.neighborhood.edges).toHaveLength(3);
    expect(c?.neighborhood.truncated).toBe(false);
    const capped = await api.gql<{ customer: { neighborhood: { nodes: unknown[]; truncated: boolean } } }>(
      `query($id: ID!) { customer(id: $id) { neighborhood(depth: 3, maxNodes: 4) { nodes { id } truncated } } }`,
      { id: f.id('c1') },
    );
    expect(capped.body.data?.customer.neighborhood).toMatchObject({ truncated: true });
    expect(capped.body.data?.customer.neighborhood.nodes).toHaveLength(4);
  });

  test('Query.neighborhood draws around any vertex (what the console expands); an unknown id is BAD_USER_INPUT', async () => {
    const { body } = await api.gql<{
      neighborhood: { nodes: { id: string; label: string }[]; edges: { label: string }[]; truncated: boolean };
    }>(`query($id: ID!) { neighborhood(id: $id) { nodes { id label } edges { label } truncated } }`, {
      id: f.id('dA'),
    });
    expect(body.errors).toBeUndefined();
    // Device dA is used by c1 and c2: expanding it reaches the other customer.
    expect(body.data?.neighborhood.nodes[0]).toEqual({ id: f.id('dA'), label: 'Device' });
    expect(body.data?.neighborhood.nodes.map((n) => n.id).sort()).toEqual([f.id('c1'), f.id('c2'), f.id('dA')].sort());
    expect(body.data?.neighborhood.edges.map((e) => e.label)).toEqual(['USES_DEVICE', 'USES_DEVICE']);
    expect(body.data?.neighborhood.truncated).toBe(false);

    const unknown = await api.gql(`{ neighborhood(id: "Device:nope") { nodes { id } } }`);
    expect(unknown.body.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([
      ['BAD_USER_INPUT', 'neighborhood: no vertex Device:nope'],
    ]);
    const deep = await api.gql(`query($id: ID!) { neighborhood(id: $id, depth: 4) { nodes { id } } }`, {
      id: f.id('dA'),
    });
    expect(deep.body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });

  test('bad arguments are BAD_USER_INPUT naming the argument, never internals', async () => {
    const unknown = await api.gql('{ analytics { similarCustomers(id: "Customer:nobody") { score } } }');
    expect(unknown.body.errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', argumentName: 'id' });
    const deep = await api.gql(
      `query($c1: ID!) { analytics { shortestPath(from: $c1, to: $c1, maxDepth: 11) { length } } }`,
      { c1: f.id('c1') },
    );
    expect(deep.body.errors?.[0].extensions).toEqual({ code: 'BAD_USER_INPUT', argumentName: 'maxDepth' });
  });
});
