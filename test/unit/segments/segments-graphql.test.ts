/**
 * The segments GraphQL module through the real HTTP API (embedded store, real
 * pipeline): previews, saving, membership reads, Customer.segments, and
 * definition errors that point at the bad part.
 */
import pino from 'pino';
import { createHttpApp, type RunningHttpServer, startHttpServer } from '../../../api';
import { createActionBus, createFileActionSink } from '../../../features/actions';
import {
  createEmbeddedSegmentEvaluator,
  createLiveSegments,
  createSegmentCatalog,
  type LiveSegments,
} from '../../../features/segments';
import { createSegmentsModule } from '../../../features/segments/graphql';
import { BatchBuilder, makeVersion } from '../../../graph-schema';
import { createTestPipeline, type TestPipeline } from '../../helpers/hub-pipeline';

const NOW = Date.UTC(2026, 4, 1);

interface GqlResult<T> {
  data?: T;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

describe('segments GraphQL module', () => {
  let tp: TestPipeline;
  let server: RunningHttpServer;
  let live: LiveSegments;
  const gql = async <T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>) => {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as GqlResult<T>;
  };

  beforeAll(async () => {
    tp = await createTestPipeline();
    const clock = { now: () => NOW };
    const b = new BatchBuilder();
    for (let i = 0; i < 30; i++) {
      const key = `c${String(i).padStart(2, '0')}`;
      b.add({
        op: 'upsertVertex',
        label: 'Customer',
        key,
        props: { lifetimeValue: i * 50, country: i % 2 === 0 ? 'DE' : 'FR' },
        version: makeVersion(NOW - 1000, 'seed'),
      });
    }
    await tp.store.apply(b.build());
    const catalog = createSegmentCatalog({ store: tp.store, clock });
    const evaluator = createEmbeddedSegmentEvaluator({ store: tp.store });
    live = createLiveSegments({
      store: tp.store,
      actions: createActionBus(createFileActionSink(`${tp.dir}/actions.ndjson`)),
      evaluator,
      catalog,
      clock,
      logger: pino({ level: 'silent' }),
      autoSchedule: false,
    });
    const app = createHttpApp({
      store: tp.store,
      pipeline: tp.pipeline,
      registry: tp.registry,
      logger: pino({ level: 'silent' }),
      config: {
        writeKeys: ['k'],
        maxEventBytes: 32_768,
        maxBatchBytes: 512_000,
        playground: false,
        graphqlPath: '/graphql',
      },
      readiness: () => ({ ready: true, reasons: [] }),
      modules: [createSegmentsModule({ catalog, evaluator, live, clock })],
    });
    server = await startHttpServer(app, { port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await server?.close();
    await live?.close();
    await tp?.close();
  });

  const bigSpenders = { trait: { name: 'lifetimeValue', op: 'gt', value: 1000 } };

  test('previewSegment answers the count and pages of members without saving anything', async () => {
    const r = await gql<{ previewSegment: { count: number; members: { edges: { node: { id: string } }[] } } }>(
      `query ($d: JSON!) { previewSegment(definition: $d) { count members(first: 3) { edges { node { id } } pageInfo { hasNextPage endCursor } } } }`,
      { d: bigSpenders },
    );
    expect(r.errors).toBeUndefined();
    // 21..29 × 50 > 1000
    expect(r.data?.previewSegment.count).toBe(9);
    expect(r.data?.previewSegment.members.edges.map((e) => e.node.id)).toEqual([
      'Customer:c21',
      'Customer:c22',
      'Customer:c23',
    ]);
    const all = await gql<{ previewSegment: { members: { edges: { node: { id: string } }[] } } }>(
      `query ($d: JSON!) { previewSegment(definition: $d) { members { edges { node { id traits } } } } }`,
      { d: bigSpenders },
    );
    expect(all.data?.previewSegment.members.edges).toHaveLength(9);
    expect((await gql<{ segments: unknown[] }>('{ segments { id } }')).data?.segments).toEqual([]);
  });

  test('a bad definition is BAD_USER_INPUT with the path of the bad part', async () => {
    const r = await gql(`query ($d: JSON!) { previewSegment(definition: $d) { count } }`, {
      d: { and: [bigSpenders, { event: { name: 'Product Viewed', within: '7 days', atLeast: -1 } }] },
    });
    expect(r.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      argumentName: 'definition',
      definitionPath: ['and', 1, 'event', 'within'],
    });
    const issues = (r.errors?.[0]?.extensions?.issues ?? []) as { path: unknown[] }[];
    expect(issues.map((i) => i.path)).toEqual([
      ['and', 1, 'event', 'within'],
      ['and', 1, 'event', 'atLeast'],
    ]);
    const unknown = await gql(`{ previewSegment(definition: { or: [{ likes: "tv" }] }) { count } }`);
    expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', definitionPath: ['or', 0] });
    const missing = await gql(`mutation { saveSegment(name: "x", definition: { segment: "nope" }) { id } }`);
    expect(missing.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', definitionPath: ['segment'] });
    const noName = await gql(
      `mutation { saveSegment(name: " ", definition: { trait: { name: "a", op: "exists" } }) { id } }`,
    );
    expect(noName.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName: 'name' });
  });

  test('saveSegment stores the segment and its membership; segment, segments and Customer.segments read it back', async () => {
    const saved = await gql<{ saveSegment: { id: string; name: string; size: number } }>(
      `mutation ($d: JSON!) { saveSegment(name: "Big spenders", definition: $d) { id name size definition } }`,
      { d: bigSpenders },
    );
    expect(saved.errors).toBeUndefined();
    const id = saved.data?.saveSegment.id as string;
    expect(id).toMatch(/^Segment:/);
    expect(saved.data?.saveSegment).toMatchObject({ name: 'Big spenders', size: 9, definition: bigSpenders });

    const one = await gql<{
      segment: { members: { edges: { node: { id: string } }[]; pageInfo: { hasNextPage: boolean } } };
    }>(
      `query ($id: ID!) { segment(id: $id) { members(first: 2) { edges { node { id } } pageInfo { hasNextPage } } } }`,
      { id },
    );
    expect(one.data?.segment.members.edges.map((e) => e.node.id)).toEqual(['Customer:c21', 'Customer:c22']);
    expect(one.data?.segment.members.pageInfo.hasNextPage).toBe(true);

    const list = await gql<{ segments: { id: string }[] }>('{ segments { id name } }');
    expect(list.data?.segments.map((s) => s.id)).toEqual([id]);

    const customer = await gql<{ a: { segments: { id: string }[] }; b: { segments: { id: string }[] } }>(
      '{ a: customer(id: "c25") { segments { id name } } b: customer(id: "c01") { segments { id } } }',
    );
    expect(customer.data?.a.segments.map((s) => s.id)).toEqual([id]);
    expect(customer.data?.b.segments).toEqual([]);

    const deleted = await gql<{ deleteSegment: boolean }>('mutation ($id: ID!) { deleteSegment(id: $id) }', { id });
    expect(deleted.data?.deleteSegment).toBe(true);
    const gone = await gql<{ segment: unknown; a: { segments: unknown[] } }>(
      'query ($id: ID!) { segment(id: $id) { id } a: customer(id: "c25") { segments { id } } }',
      { id },
    );
    expect(gone.data).toEqual({ segment: null, a: { segments: [] } });
  });
});
