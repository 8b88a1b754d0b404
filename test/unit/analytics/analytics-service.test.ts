import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  CUSTOMER_GRAPH,
  createAnalyticsService,
  loadProjection,
  runAlgorithm,
  toCsr,
} from '../../../features/analytics';
import {
  coalesce,
  compareByteOrder,
  type GraphStore,
  type Mutation,
  makeVersion,
  type VertexLabel,
} from '../../../graph-schema';
import { createEmbeddedStore } from '../../../services/graph';
import { analyticsFixture, defineAnalyticsSuite } from '../../conformance/analytics-suite';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), `c360-analytics-${Math.random().toString(36).slice(2, 8)}-`));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

defineAnalyticsSuite('embedded', async () => ({ store: await createEmbeddedStore({ path: tempDir() }) }));

async function seededStore(
  prefix: string,
): Promise<{ store: GraphStore; fixture: ReturnType<typeof analyticsFixture> }> {
  const store = await createEmbeddedStore({ path: tempDir() });
  const fixture = analyticsFixture(prefix);
  await store.apply(coalesce(fixture.mutations));
  return { store, fixture };
}

describe('analytics service on the embedded store', () => {
  test('every algorithm gives identical results on the store projection and on the graph built directly', async () => {
    const { store, fixture } = await seededStore('same');
    try {
      const fromStore = toCsr(await loadProjection(store, CUSTOMER_GRAPH));
      const direct = toCsr(fixture.graph);
      expect(fromStore.ids).toEqual(direct.ids);
      expect([...fromStore.offsets]).toEqual([...direct.offsets]);
      expect([...fromStore.targets]).toEqual([...direct.targets]);
      for (const kind of ['DEGREE', 'PAGERANK', 'BETWEENNESS', 'LOUVAIN', 'COMPONENTS'] as const) {
        expect(runAlgorithm(fromStore, { kind })).toEqual(runAlgorithm(direct, { kind }));
      }
    } finally {
      await store.close();
    }
  });

  test('a time window on the order ts leaves older orders and their edges out', async () => {
    const { store, fixture } = await seededStore('window');
    try {
      // Orders o1..o4 are dated Jan 1..4; keep Jan 3 onwards.
      const graph = await loadProjection(store, {
        ...CUSTOMER_GRAPH,
        name: 'recent',
        timeWindow: { on: 'vertex', fromMs: Date.UTC(2026, 0, 3) },
      });
      expect(graph.hasNode(fixture.id('o1'))).toBe(false);
      expect(graph.hasNode(fixture.id('o2'))).toBe(false);
      expect(graph.hasNode(fixture.id('o3'))).toBe(true);
      expect(graph.neighbors(fixture.id('p1'))).toEqual([]);
      expect(graph.hasEdge(fixture.id('c3'), fixture.id('o3'))).toBe(true);
    } finally {
      await store.close();
    }
  });

  test('a run on a worker thread reports progress, completes, and matches the same run in-process', async () => {
    const { store, fixture } = await seededStore('worker');
    const seen: { status: string; progress: number }[] = [];
    const onThread = createAnalyticsService({
      store,
      onRunUpdate: (r) => seen.push({ status: r.status, progress: r.progress }),
      inlineMaxNodes: 0,
      exactBetweennessMaxNodes: 5,
      betweennessSamples: 8,
    });
    const inline = createAnalyticsService({
      store,
      writeTraits: false,
      exactBetweennessMaxNodes: 5,
      betweennessSamples: 8,
    });
    try {
      const run = await onThread.run('BETWEENNESS', { seed: 4 });
      expect(run).toMatchObject({ status: 'SUCCEEDED', progress: 1, projectionVersion: 1, traitsWritten: 6 });
      // 18 vertices above the exact threshold of 5: Brandes from 8 sampled sources.
      expect(run.details).toEqual({ exact: false, sources: 8 });
      expect(run.finishedAt).toBeGreaterThanOrEqual(run.startedAt as number);
      // Progress came from the worker one sampled source at a time (1/8 steps), then the finish.
      expect(seen[0]).toEqual({ status: 'RUNNING', progress: 0 });
      expect(seen.some((u) => u.status === 'RUNNING' && u.progress === 1 / 8)).toBe(true);
      expect(seen[seen.length - 1]).toEqual({ status: 'SUCCEEDED', progress: 1 });
      const a = await onThread.centrality('BETWEENNESS', { first: 6 });
      await inline.run('BETWEENNESS', { seed: 4 });
      const b = await inline.centrality('BETWEENNESS', { first: 6 });
      expect(a.entries).toEqual(b.entries);
      const [c2] = await store.getVertices([fixture.id('c2')]);
      expect(c2?.props.betweenness).toBe(a.entries.find((e) => e.id === fixture.id('c2'))?.score);
    } finally {
      await onThread.close();
      await inline.close();
      await store.close();
    }
  });

  test('a later run overwrites the traits of an earlier one, and unknown vertices are a typed error', async () => {
    const { store, fixture } = await seededStore('rerun');
    const service = createAnalyticsService({ store });
    try {
      await service.run('DEGREE');
      await store.apply(
        coalesce([
          {
            op: 'upsertEdge',
            label: 'USES_DEVICE',
            from: { label: 'Customer', key: 'rerunc6' },
            to: { label: 'Device', key: 'rerundA' },
            props: {},
            version: '000001767225600000~late',
          },
        ]),
      );
      expect((await store.getVertices([fixture.id('c6')]))[0]?.props.degree).toBe(0);
      service.onApplied({ vertexIds: new Set([fixture.id('c6'), fixture.id('dA')]) });
      const second = await service.run('DEGREE');
      expect(second.projectionVersion).toBe(2);
      expect((await store.getVertices([fixture.id('c6')]))[0]?.props.degree).toBe(1);
      await expect(service.similarCustomers('Customer:nobody', { first: 3 })).rejects.toMatchObject({
        name: 'AnalyticsError',
        code: 'UNKNOWN_VERTEX',
      });
    } finally {
      await service.close();
      await store.close();
    }
  });
});

describe('analytics community ids', () => {
  const LABEL: Record<string, VertexLabel> = { c: 'Customer', a: 'Account', d: 'Device' };
  const EDGE: Record<string, 'OWNS' | 'USES_DEVICE'> = { a: 'OWNS', d: 'USES_DEVICE' };
  /** Customers c0..c5 joined to accounts and devices a0..a2, d0..d2 by random edges. */
  const graphs = fc.uniqueArray(
    fc.tuple(fc.integer({ min: 0, max: 5 }), fc.constantFrom('a', 'd'), fc.integer({ min: 0, max: 2 })),
    { minLength: 1, maxLength: 14, selector: ([c, kind, t]) => `${c}${kind}${t}` },
  );

  test('community ids of customer communities name their smallest customer, never Account:…, in the listing and the traits alike', async () => {
    await fc.assert(
      fc.asyncProperty(graphs, async (edges) => {
        const store = await createEmbeddedStore({ path: tempDir() });
        const service = createAnalyticsService({ store });
        try {
          const v = makeVersion(Date.UTC(2026, 0, 1), 'prop');
          const ref = (name: string) => ({ label: LABEL[name[0]], key: `k${name}` });
          const names = new Set(edges.flatMap(([c, kind, t]) => [`c${c}`, `${kind}${t}`]));
          const mutations: Mutation[] = [...names].map((n) => ({
            op: 'upsertVertex',
            ...ref(n),
            props: { name: n },
            version: v,
          }));
          for (const [c, kind, t] of edges) {
            mutations.push({
              op: 'upsertEdge',
              label: EDGE[kind],
              from: ref(`c${c}`),
              to: ref(`${kind}${t}`),
              props: {},
              version: v,
            });
          }
          await store.apply(coalesce(mutations));
          for (const [kind, trait] of [
            ['LOUVAIN', 'community'],
            ['COMPONENTS', 'component'],
          ] as const) {
            const { communities } = await service.communities(kind, { first: 100, membersPerCommunity: 100 });
            const customerIds = [...names].filter((n) => n[0] === 'c').map((n) => `Customer:k${n}`);
            const traits = new Map(
              (await store.getVertices(customerIds)).map((c, i) => [customerIds[i], c?.props[trait]]),
            );
            for (const community of communities) {
              const customers = community.members.filter((m) => m.startsWith('Customer:')).sort(compareByteOrder);
              if (customers.length === 0) continue;
              expect(community.id).toBe(customers[0]);
              for (const m of customers) expect(traits.get(m)).toBe(community.id);
            }
          }
        } finally {
          await service.close();
          await store.close();
        }
      }),
      { numRuns: 25 },
    );
  });
});
