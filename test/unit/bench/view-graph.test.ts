/**
 * The synthetic 360° graph of the view benchmark, written into the real embedded store
 * and read back through the real HTTP API with the agent's key: the benchmark's query
 * must find a full view for every customer it asks for, and the store must hold exactly
 * what the writer says it wrote.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createViewGraphVocabulary,
  type ViewGraphWritten,
  viewGraphCustomerShape,
  writeViewGraph,
} from '../../../scripts/bench/view-graph';
import { AGENT_QUERY } from '../../../scripts/bench/view-scenario';
import { createEmbeddedStore } from '../../../services/graph/embedded';
import { API_KEYS, type ApiHarness, startApi } from '../api/api-harness';

const CUSTOMERS = 50;
const SEED = 7;

interface AgentView {
  customer: {
    id: string;
    traits: Record<string, unknown>;
    identities: { type: string; value: string }[];
    devices: { edges: { node: { id: string; type: string; lastSeen: number } }[] };
    orders: { edges: { node: { id: string; status: string; total: number; currency: string } }[] };
    interactions: { edges: { node: { id: string; status: string } }[] };
    timeline: { edges: { node: { __typename: string } }[]; pageInfo: { hasNextPage: boolean } };
    health: { status: string; reasons: string[] };
  } | null;
}

const sum = (counts: Readonly<Record<string, number | undefined>>) =>
  Object.values(counts).reduce<number>((a, b) => a + (b ?? 0), 0);

describe('writeViewGraph', () => {
  let api: ApiHarness;
  let written: ViewGraphWritten;
  const progress: number[] = [];

  beforeAll(async () => {
    api = await startApi();
    // 16 does not divide 50: the last batch is a partial one.
    written = await writeViewGraph(api.store, {
      customers: CUSTOMERS,
      seed: SEED,
      batchCustomers: 16,
      onProgress: (done, total) => {
        expect(total).toBe(CUSTOMERS);
        progress.push(done);
      },
    });
  }, 120_000);
  afterAll(async () => {
    await api.close();
  });

  it('writes what it reports, ≈ 11 vertices and ≈ 12.5 edges per customer, batch by batch', async () => {
    const stats = await api.store.stats();
    expect(stats.vertices.Customer).toBe(CUSTOMERS);
    expect(sum(stats.vertices)).toBe(written.vertices);
    expect(sum(stats.edges)).toBe(written.edges);
    expect(written.customers).toBe(CUSTOMERS);
    expect(written.edges / CUSTOMERS).toBeGreaterThanOrEqual(11);
    expect(written.edges / CUSTOMERS).toBeLessThanOrEqual(14);
    expect(progress).toEqual([16, 32, 48, 50]);
  });

  it.each([0, 17, CUSTOMERS - 1])('serves the agent query a full 360° view of customer index %i', async (index) => {
    const id = `Customer:C${String(index + 1).padStart(7, '0')}`;
    const shape = viewGraphCustomerShape(createViewGraphVocabulary(SEED), index);
    const { status, body } = await api.gqlAs<AgentView>(API_KEYS.agent, AGENT_QUERY, { id });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const c = body.data?.customer;
    expect(c?.id).toBe(id);
    expect(c?.identities.map((i) => i.type).sort()).toEqual(['crmId', 'email']);
    expect(c?.devices.edges).toHaveLength(shape.devices);
    expect(c?.devices.edges.map((e) => e.node.type)).toContain('router');
    expect(c?.orders.edges).toHaveLength(shape.orders);
    expect(c?.orders.edges.every((e) => e.node.total > 0 && e.node.currency.length === 3)).toBe(true);
    expect(c?.interactions.edges).toHaveLength(shape.interactions);
    // Orders, the support contact and the clickstream events, newest first.
    expect(c?.timeline.edges).toHaveLength(shape.orders + shape.interactions + shape.events);
    expect(c?.timeline.edges.map((e) => e.node.__typename).sort()).toEqual(
      [...Array(shape.events).fill('Event'), 'Interaction', ...Array(shape.orders).fill('Order')].sort(),
    );
    expect(c?.timeline.pageInfo.hasNextPage).toBe(false);
    expect(c?.health.status).toEqual(expect.any(String));
  });

  it('writes the same graph whatever the batch size, and re-writing it changes no count', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'c360-view-graph-'));
    const store = await createEmbeddedStore({ path: join(dir, 'graph') });
    try {
      await writeViewGraph(store, { customers: CUSTOMERS, seed: SEED, batchCustomers: 1 });
      const ids = ['Customer:C0000018', 'Order:35', 'Interaction:18', 'Product:PHN-1001'];
      const vertices = await api.store.getVertices(ids);
      expect(vertices.every((v) => v !== null)).toBe(true);
      expect(await store.getVertices(ids)).toEqual(vertices);
      const query = { id: 'Customer:C0000018', direction: 'both' as const, first: 100 };
      expect(await store.neighbors([query])).toEqual(await api.store.neighbors([query]));
      const again = await writeViewGraph(store, { customers: CUSTOMERS, seed: SEED, batchCustomers: 64 });
      expect(sum((await store.stats()).edges)).toBe(again.edges);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects sizes that are not positive integers', async () => {
    await expect(writeViewGraph(api.store, { customers: 0, seed: SEED })).rejects.toThrow(RangeError);
    await expect(writeViewGraph(api.store, { customers: 10, seed: SEED, batchCustomers: 1.5 })).rejects.toThrow(
      /batchCustomers/,
    );
  });
});
