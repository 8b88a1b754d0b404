import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RawMessage } from '../../ingest/hub-event';
import {
  DEGRADED_THRESHOLDS,
  type DemoMessage,
  type DemoOptions,
  describeDemo,
  generateDemo,
  readDemoFile,
  runDemo,
  writeDemoFiles,
} from '../../scripts/demo';

const START_MS = Date.UTC(2025, 5, 1, 12, 0, 0);
const SMALL: DemoOptions = { customers: 40, seed: 7, startMs: START_MS, days: 7 };

// Generating and parsing a few thousand messages per test takes seconds on a loaded machine.
jest.setTimeout(60_000);

type Json = Record<string, unknown>;

function all(options: DemoOptions): DemoMessage[] {
  return [...generateDemo(options)];
}

function parse(message: RawMessage): Json {
  return JSON.parse(message.value!.toString('utf8')) as Json;
}

/** Column names per table, read from the CREATE TABLE statements the demo must match. */
function crmColumns(): Map<string, Set<string>> {
  const sql = readFileSync(join(__dirname, '../../scripts/infra/postgres/crm-schema.sql'), 'utf8');
  const tables = new Map<string, Set<string>>();
  for (const match of sql.matchAll(/CREATE TABLE IF NOT EXISTS crm\.(\w+) \(([\s\S]*?)\n\);/g)) {
    const columns = new Set<string>();
    for (const line of match[2].split('\n')) {
      const word = line.trim().split(/\s+/)[0];
      if (!word || word.startsWith('--') || word === 'PRIMARY') continue;
      columns.add(word);
    }
    tables.set(match[1], columns);
  }
  return tables;
}

const messages = all(SMALL);
const bySource = (source: RawMessage['source']) => messages.filter((m) => m.source === source);

describe('generateDemo', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const bytes = (list: DemoMessage[]) =>
      Buffer.concat(
        list.flatMap((m) => [
          Buffer.from(`${m.source}|${m.position.topic}|${m.position.offset}|${m.receivedAtMs}|`),
          m.key ?? Buffer.alloc(0),
          Buffer.from('|'),
          m.value ?? Buffer.from('null'),
          Buffer.from('\n'),
        ]),
      );
    const first = bytes(messages);
    expect(bytes(all(SMALL)).equals(first)).toBe(true);
    expect(bytes(all({ ...SMALL, seed: 8 })).equals(first)).toBe(false);
  });

  it('produces all three sources with file positions', () => {
    for (const source of ['segment', 'cdc', 'telemetry'] as const) expect(bySource(source).length).toBeGreaterThan(50);
    for (const m of messages) {
      expect(m.position).toMatchObject({ source: m.source, transport: 'file' });
      expect(typeof m.position.topic).toBe('string');
    }
  });

  it('emits Segment spec messages', () => {
    const types = new Set<string>();
    for (const m of bySource('segment')) {
      const e = parse(m);
      types.add(e['type'] as string);
      expect(typeof e['messageId']).toBe('string');
      expect(typeof e['anonymousId'] === 'string' || typeof e['userId'] === 'string').toBe(true);
      expect(Number.isNaN(Date.parse(e['timestamp'] as string))).toBe(false);
      expect(Number.isNaN(Date.parse(e['sentAt'] as string))).toBe(false);
      const context = e['context'] as Json;
      expect((context['library'] as Json)['name']).toMatch(/^analytics[.-]/);
      expect(typeof (context['device'] as Json)['id']).toBe('string');
      switch (e['type']) {
        case 'track':
          expect(typeof e['event']).toBe('string');
          expect(typeof e['properties']).toBe('object');
          break;
        case 'identify':
          expect(typeof e['traits']).toBe('object');
          break;
        case 'page':
        case 'screen':
          expect(typeof e['name']).toBe('string');
          expect(typeof e['properties']).toBe('object');
          break;
        case 'group':
          expect(typeof e['groupId']).toBe('string');
          expect(typeof e['traits']).toBe('object');
          break;
        case 'alias':
          expect(typeof e['previousId']).toBe('string');
          expect(typeof e['userId']).toBe('string');
          break;
        default:
          throw new Error(`unexpected Segment type ${String(e['type'])}`);
      }
    }
    expect([...types].sort()).toEqual(expect.arrayContaining(['identify', 'page', 'screen', 'track']));
  });

  it('identifies CRM customers by their CRM id and carries product and order details', () => {
    const events = bySource('segment').map(parse);
    const identifies = events.filter((e) => e['type'] === 'identify' && typeof e['userId'] === 'string');
    expect(identifies.length).toBeGreaterThan(0);
    for (const e of identifies) {
      expect(e['userId']).toMatch(/^C\d{7}$/);
      expect(e['anonymousId']).toEqual(expect.any(String));
      expect(Object.keys(e['traits'] as Json)).toEqual(expect.arrayContaining(['email', 'name', 'phone']));
    }
    const viewed = events.filter((e) => e['event'] === 'Product Viewed');
    expect(viewed.length).toBeGreaterThan(0);
    for (const e of viewed) {
      expect(Object.keys(e['properties'] as Json)).toEqual(
        expect.arrayContaining(['product_id', 'sku', 'category', 'price']),
      );
    }
    const orders = events.filter((e) => e['event'] === 'Order Completed');
    expect(orders.length).toBeGreaterThan(0);
    const crmOrderIds = new Set(
      bySource('cdc')
        .filter((m) => m.kind === 'cdc.orders.c')
        .map((m) => String((parse(m)['after'] as Json)['id'])),
    );
    for (const e of orders) {
      const p = e['properties'] as Json;
      expect(p).toMatchObject({
        order_id: expect.any(String),
        total: expect.any(Number),
        currency: expect.any(String),
      });
      for (const product of p['products'] as Json[]) {
        expect(Object.keys(product)).toEqual(
          expect.arrayContaining(['product_id', 'sku', 'name', 'price', 'quantity', 'category']),
        );
      }
      // The web order and the CRM row are the same order.
      expect(crmOrderIds.has(p['order_id'] as string)).toBe(true);
    }
  });

  it('emits Debezium envelopes whose columns exist in crm-schema.sql', () => {
    const schema = crmColumns();
    expect(schema.size).toBe(7);
    let lastLsn = 0;
    let lastTs = 0;
    let lastSourceTs = 0;
    const deletedKeys = new Set<string>();
    for (const m of bySource('cdc')) {
      expect(m.position.topic).toMatch(/^c360\.crm\.\w+$/);
      if (m.value === null) {
        // A tombstone follows its delete, under the same key.
        expect(deletedKeys.has(`${m.position.topic}|${m.key!.toString()}`)).toBe(true);
        continue;
      }
      const e = parse(m);
      expect(Object.keys(e)).toEqual(expect.arrayContaining(['before', 'after', 'source', 'op', 'ts_ms']));
      expect(e).not.toHaveProperty('schema');
      const source = e['source'] as Json;
      expect(source).toMatchObject({ connector: 'postgresql', name: 'c360', db: 'crm', schema: 'crm' });
      const columns = schema.get(source['table'] as string);
      expect(columns).toBeDefined();
      for (const row of [e['before'], e['after']]) {
        if (row === null) continue;
        // REPLICA IDENTITY FULL: every row image is complete.
        expect(new Set(Object.keys(row as Json))).toEqual(columns);
      }
      expect(['c', 'u', 'd', 'r']).toContain(e['op']);
      if (e['op'] === 'd') deletedKeys.add(`${m.position.topic}|${m.key!.toString()}`);
      const row = (e['after'] ?? e['before']) as Json;
      const key = JSON.parse(m.key!.toString()) as Json;
      for (const [column, value] of Object.entries(key)) expect(row[column]).toEqual(value);
      expect(source['lsn'] as number).toBeGreaterThanOrEqual(lastLsn);
      expect(e['ts_ms'] as number).toBeGreaterThanOrEqual(lastTs);
      expect(source['ts_ms'] as number).toBeGreaterThanOrEqual(lastSourceTs);
      lastLsn = source['lsn'] as number;
      lastTs = e['ts_ms'] as number;
      lastSourceTs = source['ts_ms'] as number;
    }
    expect(deletedKeys.size + 1).toBeGreaterThan(0);
  });

  it('renders numerics as strings and timestamptz as ISO strings, snapshot first', () => {
    const cdc = bySource('cdc')
      .filter((m) => m.value !== null)
      .map(parse);
    expect(cdc[0]['op']).toBe('r');
    expect((cdc[0]['source'] as Json)['snapshot']).toBe('first');
    const ops = cdc.map((e) => e['op']);
    expect(ops.lastIndexOf('r')).toBeLessThan(ops.findIndex((op) => op !== 'r'));
    expect((cdc[ops.lastIndexOf('r')]['source'] as Json)['snapshot']).toBe('last');
    expect(ops).toEqual(expect.arrayContaining(['c', 'u']));
    for (const e of cdc) {
      const row = (e['after'] ?? e['before']) as Json;
      for (const column of ['lifetime_value', 'total', 'price', 'unit_price']) {
        if (column in row) expect(row[column]).toMatch(/^-?\d+\.\d{2}$/);
      }
      for (const column of ['created_at', 'updated_at', 'placed_at', 'opened_at']) {
        if (column in row) expect(row[column]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      }
    }
  });

  it('emits telemetry reports with increasing sequence numbers per device', () => {
    const lastSeq = new Map<string, number>();
    for (const m of bySource('telemetry')) {
      const r = parse(m);
      expect(r).toMatchObject({
        deviceId: expect.any(String),
        entityId: expect.stringMatching(/^C\d{7}$/),
        timestamp: expect.any(String),
        seq: expect.any(Number),
      });
      expect(Object.keys(r['indicators'] as Json).sort()).toEqual(
        ['firmwareDownloadErrors', 'packetErrors', 'rebootCount', 'signalDbm', 'uptimeSec'].sort(),
      );
      const previous = lastSeq.get(r['deviceId'] as string) ?? 0;
      expect(r['seq'] as number).toBeGreaterThan(previous);
      lastSeq.set(r['deviceId'] as string, r['seq'] as number);
    }
  });

  it('keeps events inside the window, each source in arrival order, sources interleaved', () => {
    const windowStart = START_MS - 7 * 24 * 3_600_000;
    const streamed = messages.filter((m) => m.receivedAtMs >= windowStart);
    for (const m of streamed) expect(m.receivedAtMs).toBeLessThanOrEqual(START_MS + 5_000);
    for (const source of ['segment', 'telemetry'] as const) {
      const times = streamed.filter((m) => m.source === source).map((m) => m.receivedAtMs);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    }
    let switches = 0;
    for (let i = 1; i < streamed.length; i++) if (streamed[i].source !== streamed[i - 1].source) switches++;
    expect(switches).toBeGreaterThan(100);
  });

  it('scales with the number of customers', () => {
    const count = (customers: number) => {
      let n = 0;
      for (const _ of generateDemo({ ...SMALL, customers })) n++;
      return n;
    };
    const small = count(30);
    const large = count(120);
    expect(large / small).toBeGreaterThan(2.5);
    expect(large / small).toBeLessThan(6);
  });

  it('has families sharing a device and a few degrading routers', () => {
    const users = new Map<string, Set<string>>();
    for (const m of bySource('segment')) {
      const e = parse(m);
      if (typeof e['userId'] !== 'string') continue;
      const id = ((e['context'] as Json)['device'] as Json)['id'] as string;
      users.set(id, (users.get(id) ?? new Set()).add(e['userId']));
    }
    expect([...users.values()].some((ids) => ids.size >= 2)).toBe(true);

    const reports = bySource('telemetry').map((m) => parse(m));
    const degraded = reports.filter((r) => {
      const i = r['indicators'] as Record<string, number>;
      return i['packetErrors'] > DEGRADED_THRESHOLDS.packetErrors && i['firmwareDownloadErrors'] >= 1;
    });
    expect(degraded.length).toBeGreaterThan(0);
    expect(degraded.length / reports.length).toBeLessThan(0.1);
  });

  it('opens support tickets more often for customers with degraded devices', () => {
    const options = { ...SMALL, customers: 250, days: 20 };
    const degraded = new Set<string>();
    const ticketsFrom = new Set<string>();
    const customers = new Set<string>();
    for (const m of generateDemo(options)) {
      if (m.kind === 'telemetry.router') {
        const r = parse(m);
        if ((r['indicators'] as Record<string, number>)['packetErrors'] > DEGRADED_THRESHOLDS.packetErrors) {
          degraded.add(r['entityId'] as string);
        }
      }
      if (m.kind === 'cdc.customers.r' || m.kind === 'cdc.customers.c')
        customers.add(String((parse(m)['after'] as Json)['id']));
      if (m.kind === 'cdc.support_tickets.c') ticketsFrom.add(String((parse(m)['after'] as Json)['customer_id']));
    }
    expect(degraded.size).toBeGreaterThan(2);
    const share = (ids: string[]) => ids.filter((id) => ticketsFrom.has(id)).length / ids.length;
    const healthy = [...customers].filter((id) => !degraded.has(id));
    expect(share([...degraded])).toBeGreaterThan(share(healthy));
  });

  it('streams lazily: the first messages of a million customers come without generating the rest', () => {
    for (const customers of [2000, 1_000_000]) {
      const iterator = generateDemo({ customers, seed: 1, startMs: START_MS })[Symbol.iterator]();
      const first: DemoMessage[] = [];
      for (let r = iterator.next(); !r.done && first.length < 2000; r = iterator.next()) first.push(r.value);
      expect(first).toHaveLength(2000);
      expect(iterator.return?.()).toEqual({ done: true, value: undefined });
    }
  });

  it('rejects invalid options with a ConfigError naming the setting', () => {
    expect(() => generateDemo({ customers: -1, seed: 1 }).next()).toThrow(
      expect.objectContaining({ name: 'ConfigError', setting: 'demo.customers' }),
    );
    expect(() => generateDemo({ customers: 1, seed: 1, telemetryIntervalHours: 0.1 }).next()).toThrow(
      expect.objectContaining({ name: 'ConfigError', setting: 'demo.telemetryIntervalHours' }),
    );
  });
});

describe('runDemo', () => {
  it('submits every message in bounded batches and reports counts', async () => {
    const sizes: number[] = [];
    let submitted = 0;
    const result = await runDemo({
      ...SMALL,
      batchSize: 250,
      progress: false,
      submit: async (batch) => {
        sizes.push(batch.length);
        submitted += batch.length;
      },
    });
    expect(submitted).toBe(messages.length);
    expect(result.counts.total).toBe(messages.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(250);
    expect(result.counts.bySource.cdc).toBe(bySource('cdc').length);
    const text = describeDemo(result);
    expect(text).toContain(`${messages.length} messages`);
    expect(text).toContain('CRM changes (Debezium)');
    expect(text).toContain('customers.r');
  });
});

describe('writeDemoFiles', () => {
  const dir = join(tmpdir(), `c360-demo-${randomBytes(6).toString('hex')}`);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes one NDJSON file per source that reads back as the same messages', async () => {
    const { files, counts } = await writeDemoFiles(dir, SMALL);
    expect(counts.total).toBe(messages.length);
    for (const source of ['segment', 'cdc', 'telemetry'] as const) {
      const back: RawMessage[] = [];
      for await (const m of readDemoFile(files[source], source)) back.push(m);
      const original = bySource(source);
      expect(back).toHaveLength(original.length);
      for (let i = 0; i < back.length; i++) {
        expect(back[i].value === null ? null : JSON.parse(back[i].value!.toString())).toEqual(
          original[i].value === null ? null : parse(original[i]),
        );
        if (source === 'cdc') {
          expect(back[i].position.topic).toBe(original[i].position.topic);
          expect(JSON.parse(back[i].key!.toString())).toEqual(JSON.parse(original[i].key!.toString()));
        }
      }
    }
  });
});
