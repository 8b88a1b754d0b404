import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { collectorCapacityScenario, freshnessScenario, withHub } from '../../../scripts/bench/view-scenario';

const root = resolve(__dirname, '../../..');

describe('freshnessScenario on a spawned hub', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'c360-fresh-test-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('measures probes idle and under a paced background load that reaches the graph', async () => {
    const [idle, loaded, loadTimeline] = await withHub(root, dataDir, {}, async (hub) => {
      const idle = await freshnessScenario(hub, { customers: 20, samples: 3 });
      const loaded = await freshnessScenario(hub, {
        customers: 20,
        samples: 3,
        loadEventsPerSecond: 100,
        loadSettleMs: 500,
      });
      // Probes use customers 0, 9 and 18; the load goes to the others.
      const res = await fetch(`${hub.url}/graphql`, {
        method: 'POST',
        headers: hub.graphqlHeaders,
        body: JSON.stringify({
          query:
            '{ customer(id: "Customer:C0000002") { timeline(first: 100) { edges { node { ... on Event { id } } } } } }',
        }),
      });
      const body = (await res.json()) as { data: { customer: { timeline: { edges: { node: { id: string } }[] } } } };
      return [idle, loaded, body.data.customer.timeline.edges.map((e) => e.node.id)] as const;
    });

    expect(idle).toMatchObject({ name: 'freshness', store: 'embedded', params: { load: 'idle' } });
    expect(idle.metrics.samples).toBe(3);
    expect(idle.metrics.p50Ms).toBeGreaterThan(0);

    expect(loaded).toMatchObject({
      name: 'freshness',
      store: 'embedded',
      params: { load: 'background', targetEventsPerSecond: 100 },
      metrics: { samples: 3, loadFailedEvents: 0 },
    });
    expect(loaded.metrics.maxMs).toBeGreaterThanOrEqual(loaded.metrics.p99Ms);
    // A hundred events a second is far below what the hub takes: anything under the 90 % note is a bug.
    expect(loaded.metrics.achievedEventsPerSecond).toBeGreaterThan(60);
    expect(loaded.notes.some((n) => n.includes('did not keep up'))).toBe(false);
    expect(loadTimeline.length).toBeGreaterThan(0);
    expect(loadTimeline.every((id) => id.startsWith('Event:bench-load-'))).toBe(true);
  }, 120_000);

  it("finds the collector path's maximum by halving the interval, judging each step by accepted and applied events", async () => {
    const capacity = await withHub(root, dataDir, {}, (hub) =>
      collectorCapacityScenario(hub, { customers: 20, upperPerSecond: 400, stepSeconds: 1, steps: 2 }),
    );
    expect(capacity).toMatchObject({
      name: 'collector-capacity',
      store: 'embedded',
      params: { upperPerSecond: 400, stepSeconds: 1, steps: 2 },
    });
    // Steps at 200/s, then 300/s (or 100/s): a hub that cannot take 200 events a second is a bug.
    expect([200, 300]).toContain(capacity.metrics.eventsPerSecond);
    expect(capacity.metrics.resolutionEventsPerSecond).toBe(100);
    const steps = capacity.notes.find((n) => n.startsWith('steps: '));
    expect(steps).toMatch(/^steps: 200\/s kept up; 300\/s /);
  }, 120_000);
});
