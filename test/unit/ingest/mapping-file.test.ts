/**
 * CDC mappings as configuration: the file format's validation (path-precise errors, a
 * startup error naming C360_MAPPINGS), and a user's own mapping — its own labels, a
 * composite key, a join table, a stock-like property table — through the CDC pipeline
 * into the embedded store, including the traps: a property row deleted after its
 * product must not bring the product back; an update without `before` is reported.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createConfig } from '../../../app/config';
import { mappingsOf } from '../../../app/mappings';
import {
  ConfigError,
  crmMappingFile,
  type GraphStore,
  isVertexLabel,
  MappingFileError,
  parseMappingFile,
  VERTICES,
} from '../../../graph-schema';
import {
  createCdcPipeline,
  createFileDeadLetterSink,
  createLmdbDedupe,
  createPipelineMetrics,
  type IngestPipeline,
} from '../../../ingest';
import { createDecoders } from '../../../ingest/decoders';
import { createEmbeddedStore } from '../../../services/graph';
import { raw } from '../../helpers/hub-pipeline';

function issuesOf(text: string): { path: string; message: string }[] {
  try {
    parseMappingFile(text, 'test.json');
  } catch (e) {
    expect(e).toBeInstanceOf(MappingFileError);
    return [...(e as MappingFileError).issues];
  }
  throw new Error('expected the file to be refused');
}

describe('mapping file format', () => {
  it('accepts the demo CRM mapping, which is itself a mapping file', () => {
    expect(Object.keys(crmMappingFile.tables)).toEqual([
      'crm.customers',
      'crm.addresses',
      'crm.accounts',
      'crm.products',
      'crm.orders',
      'crm.order_items',
      'crm.support_tickets',
    ]);
  });

  it('names the exact path of every problem', () => {
    const issues = issuesOf(
      JSON.stringify({
        version: 1,
        tables: {
          'shop.orders': {
            vertex: { label: 'purchase', key: [] },
            edges: [{ label: 'PLACED_BY', from: { label: 'Customer', key: ['client.id'] }, to: 'row' }],
          },
          'shop.lines': { edge: { label: 'CONTAINS', from: { label: 'Order', key: ['id'] } } },
          'shop.both': {
            vertex: { label: 'A', key: ['id'] },
            propertiesOf: { label: 'B', key: ['id'], properties: {} },
          },
        },
      }),
    );
    const paths = issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'tables["shop.orders"].vertex.label',
        'tables["shop.orders"].vertex.key',
        'tables["shop.orders"].edges[0].from.key[0]',
        'tables["shop.lines"].edge.to',
        'tables["shop.both"]',
      ]),
    );
    expect(issues.find((i) => i.path === 'tables["shop.orders"].vertex.label')?.message).toMatch(/PascalCase/);
  });

  it('refuses unknown keys, a missing version, and an edge with no end at the row', () => {
    const issues = issuesOf(
      JSON.stringify({
        tables: {
          's.t': {
            vertex: { label: 'T', key: ['id'], colour: 'red' },
            edges: [{ label: 'X', from: { label: 'A', key: ['a'] }, to: { label: 'B', key: ['b'] } }],
          },
        },
      }),
    );
    expect(issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(['version', 'tables["s.t"].vertex', 'tables["s.t"].edges[0]']),
    );
    expect(issuesOf('{ not json').map((i) => i.path)).toEqual(['']);
  });

  it('a bad file is a startup error naming C360_MAPPINGS and the bad path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'c360-mapping-'));
    try {
      const file = join(dir, 'bad.json');
      writeFileSync(file, JSON.stringify({ version: 1, tables: { 'a.b': { vertex: { label: 'B', key: 'id' } } } }));
      let error: unknown;
      try {
        createConfig({}, { C360_MAPPINGS: file });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).setting).toBe('C360_MAPPINGS');
      expect((error as Error).message).toContain('tables["a.b"].vertex.key');
      expect(() => createConfig({}, { C360_MAPPINGS: join(dir, 'missing.json') })).toThrow(/C360_MAPPINGS.*ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The user's own shop: labels, names and keys unlike the demo CRM. */
const SHOP_MAPPING = {
  version: 1,
  tables: {
    'shop.clients': {
      vertex: { label: 'Customer', key: ['client_no'], properties: { fullName: 'full_name' } },
      identities: [
        { type: 'clientNo', column: 'client_no', owned: true },
        { type: 'email', column: 'mail', as: 'email' },
      ],
    },
    'shop.purchases': {
      vertex: {
        label: 'Purchase',
        key: ['shop_id', 'purchase_no'],
        properties: { amount: { column: 'amount', as: 'number' } },
      },
      edges: [
        {
          label: 'MADE_PURCHASE',
          from: { label: 'Customer', key: ['client_no'] },
          to: 'row',
          properties: { channel: 'channel' },
        },
      ],
    },
    'shop.articles': { vertex: { label: 'Article', key: ['art_id'], properties: { title: 'title' } } },
    'shop.purchase_articles': {
      edge: {
        label: 'INCLUDES_ARTICLE',
        from: { label: 'Purchase', key: ['shop_id', 'purchase_no'] },
        to: { label: 'Article', key: ['art_id'] },
        properties: { qty: { column: 'qty', as: 'number' } },
      },
    },
    'shop.stock': {
      propertiesOf: {
        label: 'Article',
        key: ['art_id'],
        properties: { onHand: { column: 'on_hand', as: 'number' } },
      },
    },
  },
};

let lsn = 1000;
/** A schemaless Debezium change event of the shop schema. */
function change(table: string, op: 'c' | 'u' | 'd' | 't', before: object | null, after: object | null) {
  lsn += 10;
  return raw(
    'cdc',
    JSON.stringify({
      before,
      after,
      op,
      ts_ms: 1_767_000_000_000 + lsn,
      source: {
        connector: 'postgresql',
        db: 'shopdb',
        schema: 'shop',
        table,
        lsn,
        txId: lsn,
        ts_ms: 1_767_000_000_000 + lsn,
      },
    }),
  );
}

describe('a user mapping through the CDC pipeline (embedded store)', () => {
  let dir: string;
  let store: GraphStore;
  let pipeline: IngestPipeline;
  let registry: Registry;
  const warnings: string[] = [];
  let close: () => Promise<void>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'c360-usermap-'));
    const file = join(dir, 'shop.mapping.json');
    writeFileSync(file, JSON.stringify(SHOP_MAPPING));
    const config = createConfig({}, { C360_MAPPINGS: file, C360_DATA_DIR: dir });
    // What openGraphStore does first: the file's labels join the model.
    const mappings = mappingsOf(config);
    expect(isVertexLabel('Purchase')).toBe(true);
    expect(VERTICES['Purchase' as 'Customer'].properties['amount']?.type).toBe('number');
    store = await createEmbeddedStore({ path: join(dir, 'graph') });
    const dedupe = createLmdbDedupe({ path: join(dir, 'dedupe') });
    const deadLetters = createFileDeadLetterSink(join(dir, 'dead-letters.ndjson'));
    registry = new Registry();
    const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
    pipeline = createCdcPipeline({
      store,
      mappings,
      decoders: createDecoders({}),
      dedupe,
      deadLetters,
      logger,
      metrics: createPipelineMetrics(registry),
      batchMaxWaitMs: 1,
    });
    close = async () => {
      await pipeline.close();
      await deadLetters.close();
      await dedupe.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    };
  });
  afterAll(() => close());

  const vertex = async (id: string) => (await store.getVertices([id]))[0];
  const out = async (id: string, label: string) =>
    (
      await store.neighbors([{ id, direction: 'out', edgeLabels: [label as 'OWNS'], first: 100, after: null }])
    )[0].items.map((n) => ({ to: n.vertex.id, props: n.edge.props }));

  it('writes its own labels, composite keys, join-table edges and property-table properties', async () => {
    const client = { client_no: 7, full_name: 'Ada L', mail: 'Ada@Example.com' };
    const purchase = { shop_id: 'S1', purchase_no: 42, client_no: 7, amount: '19.90', channel: 'web' };
    const result = await pipeline.submit([
      change('clients', 'c', null, client),
      change('articles', 'c', null, { art_id: 'A1', title: 'Lamp' }),
      change('purchases', 'c', null, purchase),
      change('purchase_articles', 'c', null, { shop_id: 'S1', purchase_no: 42, art_id: 'A1', qty: 2 }),
      change('stock', 'c', null, { art_id: 'A1', on_hand: 5 }),
    ]);
    expect(result.deadLettered).toBe(0);
    expect((await vertex('Customer:7'))?.props).toMatchObject({ fullName: 'Ada L', _source: 'shop.clients' });
    expect((await vertex('Purchase:S1:42'))?.props).toMatchObject({ amount: 19.9 });
    expect(await out('Customer:7', 'MADE_PURCHASE')).toEqual([
      { to: 'Purchase:S1:42', props: expect.objectContaining({ channel: 'web', _source: 'shop.purchases' }) },
    ]);
    expect(await out('Purchase:S1:42', 'INCLUDES_ARTICLE')).toEqual([
      { to: 'Article:A1', props: expect.objectContaining({ qty: 2 }) },
    ]);
    expect((await vertex('Article:A1'))?.props).toEqual({ title: 'Lamp', onHand: 5, _source: 'shop.articles' });
    expect((await vertex('Identity:email:ada@example.com'))?.props).toMatchObject({ type: 'email' });
  });

  it('a stock row deleted after its article unsets the property without bringing the article back', async () => {
    await pipeline.submit([
      change('stock', 'u', { art_id: 'A1', on_hand: 5 }, { art_id: 'A1', on_hand: 3 }),
      change('articles', 'c', null, { art_id: 'A2', title: 'Desk' }),
      change('stock', 'c', null, { art_id: 'A2', on_hand: 9 }),
    ]);
    expect((await vertex('Article:A1'))?.props['onHand']).toBe(3);
    // ON DELETE CASCADE: the article's delete, then (later in the WAL) its stock row's.
    await pipeline.submit([
      change('purchase_articles', 'd', { shop_id: 'S1', purchase_no: 42, art_id: 'A1', qty: 2 }, null),
      change('articles', 'd', { art_id: 'A1', title: 'Lamp' }, null),
      change('stock', 'd', { art_id: 'A1', on_hand: 3 }, null),
    ]);
    expect(await vertex('Article:A1')).toBeNull();
    expect((await vertex('Article:A2'))?.props['onHand']).toBe(9);
  });

  it('a truncate of the property table unsets its properties everywhere, and nothing else', async () => {
    await pipeline.submit([change('stock', 't', null, null)]);
    expect((await vertex('Article:A2'))?.props).toEqual({ title: 'Desk', _source: 'shop.articles' });
  });

  it('a truncate reaches properties written ahead of their vertex: an article arriving late has none', async () => {
    // One topic per table: an article committed before its stock row may reach the hub after
    // that stock row and after the stock table's truncate.
    const article = change('articles', 'c', null, { art_id: 'A3', title: 'Chair' });
    await pipeline.submit([change('stock', 'c', null, { art_id: 'A3', on_hand: 4 })]);
    expect(await vertex('Article:A3')).toBeNull();
    await pipeline.submit([change('stock', 't', null, null)]);
    await pipeline.submit([article]);
    expect((await vertex('Article:A3'))?.props).toEqual({ title: 'Chair', _source: 'shop.articles' });
  });

  it('a truncate reaches edges whose other end has not arrived yet', async () => {
    const purchase = change('purchases', 'c', null, { shop_id: 'S9', purchase_no: 1, client_no: 7, amount: '1.00' });
    await pipeline.submit([change('articles', 'c', null, { art_id: 'A9', title: 'Rug' })]);
    await pipeline.submit([
      change('purchase_articles', 'c', null, { shop_id: 'S9', purchase_no: 1, art_id: 'A9', qty: 1 }),
    ]);
    await pipeline.submit([change('purchase_articles', 't', null, null)]);
    await pipeline.submit([purchase]);
    expect(await vertex('Purchase:S9:1')).not.toBeNull();
    expect(await out('Purchase:S9:1', 'INCLUDES_ARTICLE')).toEqual([]);
  });

  it('deleting a client takes its owned identifier with it; a shared e-mail stays', async () => {
    await pipeline.submit([
      change('clients', 'd', { client_no: 7, full_name: 'Ada L', mail: 'ada@example.com' }, null),
    ]);
    expect(await vertex('Customer:7')).toBeNull();
    expect(await vertex('Identity:clientNo:7')).toBeNull();
    expect(await vertex('Identity:email:ada@example.com')).not.toBeNull();
  });

  it('an update without a before image is reported loudly, with a metric', async () => {
    await pipeline.submit([
      change('articles', 'u', null, { art_id: 'A2', title: 'Desk 2' }),
      change('articles', 'u', null, { art_id: 'A2', title: 'Desk 3' }),
    ]);
    expect(warnings.filter((w) => w.includes('REPLICA IDENTITY FULL'))).toHaveLength(1);
    const metric = await registry.getSingleMetricAsString('c360_cdc_updates_without_before_total');
    expect(metric).toContain('c360_cdc_updates_without_before_total{table="shop.articles"} 2');
  });
});
