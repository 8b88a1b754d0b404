/**
 * The 360° view benchmark at scale: a synthetic customer graph (1M customers ≈ 11M
 * vertices, 12.5M edges) written straight into the embedded store with BatchBuilder — replaying a
 * million customers through decode → dedupe → map would take hours — then served by
 * the real hub and loaded with autocannon (view-scenario.ts).
 *
 * Every customer is a pure function of (seed, index), so any batch size writes the
 * same graph and memory stays bounded by two batches (one committing, the next being
 * built). Per customer (≈ 11 vertices,
 * ≈ 12.5 edges): a Customer with CRM traits, 2 identities (crmId, email), an Account,
 * an Address, a router (+ a set-top box for half of them) carrying telemetry
 * indicators, 1–2 orders each containing a catalog product, a support interaction, and
 * 2 clickstream events (a product view about a catalog product, a page view).
 * Catalog products are shared, as in a real shop. Not included: proactive-care state
 * (the hub's Customer.health reads it, not the graph), so health resolves UNKNOWN.
 *
 * Also the loader's child process (`progress <n>` on stderr, one JSON line on stdout),
 * so that the peak RSS reported is the loader's alone:
 *   node -r tsx/cjs scripts/bench/view-graph.ts <graphDir> <customers> <seed> <batchCustomers>
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchBuilder,
  type GraphStore,
  type JsonObject,
  type Mutation,
  makeVersion,
  type Version,
} from '../../graph-schema';
import { createEmbeddedStore } from '../../services/graph/embedded';
import { customerId } from '../demo/customer-profile';
import {
  COUNTRIES,
  type CountryProfile,
  createDemoVocabulary,
  type DemoVocabulary,
  PLANS_RESIDENTIAL,
  type Product,
  ROUTER_MODELS,
  SET_TOP_BOX_MODELS,
} from '../demo/demo-vocabulary';
import { createPrng, hash32, type Prng } from '../demo/prng';
import type { ScenarioResult } from './bench-result';
import { measureAgentViews, spreadCustomerIds } from './console-bench';
import { diskUsageBytes } from './disk-usage';
import { peakRssMiB } from './machine';
import { runTsChild } from './run-child';
import { view360Scenario, withHub } from './view-scenario';

/** Event time of the whole graph ends here (the demo's end too), so every run writes the same bytes. */
export const VIEW_GRAPH_END_MS = Date.UTC(2026, 10, 1);
const DAY = 86_400_000;
const DEFAULT_BATCH_CUSTOMERS = 1000;

export interface ViewGraphOptions {
  readonly customers: number;
  readonly seed: number;
  /** Customers per store.apply (one LMDB write transaction); default 1,000. */
  readonly batchCustomers?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface ViewGraphWritten {
  readonly customers: number;
  /** Distinct vertices written (catalog products included). */
  readonly vertices: number;
  /** Distinct edges written. */
  readonly edges: number;
  readonly seconds: number;
}

/** What one synthetic customer has: the 360° view's expected counts. */
export interface ViewGraphCustomerShape {
  readonly identities: number;
  readonly devices: number;
  readonly orders: number;
  readonly interactions: number;
  readonly events: number;
  readonly vertices: number;
  readonly edges: number;
}

/** Everything a customer's generation depends on besides its index. */
export interface ViewGraphVocabulary {
  readonly seed: number;
  readonly words: DemoVocabulary;
}

export function createViewGraphVocabulary(seed: number): ViewGraphVocabulary {
  return { seed, words: createDemoVocabulary(seed) };
}

const COUNTRY_WEIGHTS = COUNTRIES.map((c) => [c, c.weight] as const);
const HEX = '0123456789abcdef';

/**
 * A UUID-shaped id unique by construction: the first groups are the customer index and
 * the element's ordinal, the rest random. (A 32-bit-seeded PRNG alone would repeat ids
 * across a million customers.)
 */
function uniqueUuid(index: number, ordinal: number, prng: Prng): string {
  return `${index.toString(16).padStart(8, '0')}-${ordinal.toString(16).padStart(4, '0')}-4${prng.hex(3)}-${HEX[8 + prng.int(4)]}${prng.hex(3)}-${prng.hex(12)}`;
}

function asciiLocal(value: string): string {
  return (
    value
      .normalize('NFD')
      .replace(/\p{M}/gu, '')
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '') || 'user'
  );
}

function productProps(p: Product): JsonObject {
  return { name: p.name, category: p.category, price: p.priceCents / 100 };
}

/** The catalog every order and product view points at; written once, before the customers. */
export function addViewGraphCatalog(b: BatchBuilder, vocabulary: ViewGraphVocabulary): number {
  const version = makeVersion(VIEW_GRAPH_END_MS - 2000 * DAY, 'bench:catalog');
  for (const p of vocabulary.words.catalog) {
    b.add({ op: 'upsertVertex', label: 'Product', key: p.sku, props: productProps(p), version });
  }
  return vocabulary.words.catalog.length;
}

/** Adds customer `index` (0-based; vertex key `C0000001` for index 0) and everything it owns. */
export function addViewGraphCustomer(
  b: BatchBuilder,
  vocabulary: ViewGraphVocabulary,
  index: number,
): ViewGraphCustomerShape {
  const prng = createPrng(hash32(vocabulary.seed, 0x360, index));
  const key = customerId(index);
  const customer = { label: 'Customer', key } as const;
  const country: CountryProfile = prng.weighted(COUNTRY_WEIGHTS);
  const words = vocabulary.words.countries[country.code];
  const catalog = vocabulary.words.catalog;
  const firstName = prng.pick(words.firstNames);
  const lastName = prng.pick(words.lastNames);
  // The index in the local part keeps emails unique, so no two customers share an email identity.
  const email = `${asciiLocal(firstName)}.${asciiLocal(lastName)}${index + 1}@${prng.pick(country.emailDomains)}`;
  const createdAt = VIEW_GRAPH_END_MS - prng.between(30, 2500) * DAY - prng.int(DAY);
  const crm = makeVersion(createdAt, `bench:crm:${key}`);
  let vertices = 0;
  let edges = 0;
  const vertex = (v: Extract<Mutation, { op: 'upsertVertex' }>) => {
    b.add(v);
    vertices++;
  };
  const edge = (e: Extract<Mutation, { op: 'upsertEdge' }>) => {
    b.add(e);
    edges++;
  };

  const plan = prng.weighted(PLANS_RESIDENTIAL);
  vertex({
    op: 'upsertVertex',
    label: 'Customer',
    key,
    props: {
      firstName,
      lastName,
      email,
      phone: `${prng.pick(country.phonePrefixes)} ${prng.between(1000000, 9999999)}`,
      country: country.code,
      plan,
      lifetimeValue: prng.between(0, 400_000) / 100,
      createdAt,
    },
    version: crm,
  });

  for (const [type, value] of [
    ['crmId', key],
    ['email', email],
  ] as const) {
    const identity = { label: 'Identity', key: `${type}:${value}` } as const;
    vertex({ op: 'upsertVertex', ...identity, props: { type, value }, version: crm });
    edge({
      op: 'upsertEdge',
      label: 'HAS_IDENTITY',
      from: customer,
      to: identity,
      props: { rule: 'crm', sourceId: `crm.customers:${key}`, at: createdAt },
      version: crm,
    });
  }

  const accountKey = String(index + 1);
  vertex({
    op: 'upsertVertex',
    label: 'Account',
    key: accountKey,
    props: { name: `${firstName} ${lastName}`, status: prng.chance(0.02) ? 'suspended' : 'active', plan, createdAt },
    version: crm,
  });
  edge({
    op: 'upsertEdge',
    label: 'OWNS',
    from: customer,
    to: { label: 'Account', key: accountKey },
    props: {},
    version: crm,
  });

  vertex({
    op: 'upsertVertex',
    label: 'Address',
    key: accountKey,
    props: {
      line1: `${prng.pick(words.streets)} ${prng.between(1, 180)}`,
      city: prng.pick(words.cities),
      postalCode: prng.pick(words.postalCodes),
      country: country.code,
    },
    version: crm,
  });
  edge({
    op: 'upsertEdge',
    label: 'HAS_ADDRESS',
    from: customer,
    to: { label: 'Address', key: accountKey },
    props: { kind: 'billing' },
    version: crm,
  });

  // Home devices as telemetry leaves them: model data plus the latest reading's indicators (`ind_*`).
  const devices = prng.chance(0.5) ? 2 : 1;
  for (let d = 0; d < devices; d++) {
    const router = d === 0;
    const model = prng.pick(router ? ROUTER_MODELS : SET_TOP_BOX_MODELS);
    const lastSeen = VIEW_GRAPH_END_MS - prng.int(4 * 3_600_000);
    const device = { label: 'Device', key: `${router ? 'rtr' : 'stb'}-${uniqueUuid(index, d, prng)}` } as const;
    const reading = makeVersion(lastSeen, `bench:tel:${device.key}`);
    vertex({
      op: 'upsertVertex',
      ...device,
      props: {
        type: router ? 'router' : 'set-top-box',
        manufacturer: model.manufacturer,
        model: model.model,
        firmware: router ? prng.pick(['7.57', '7.56', '7.39']) : prng.pick(['3.2.1', '3.1.9']),
        lastSeen,
        ind_packetErrors: prng.poisson(1.2),
        ind_uptimeSec: prng.between(3600, 20 * 86_400),
        ind_firmwareDownloadErrors: prng.chance(0.003) ? 1 : 0,
        ind_signalDbm: -prng.between(38, 58),
        ind_rebootCount: prng.between(0, 40),
      },
      version: reading,
    });
    edge({ op: 'upsertEdge', label: 'USES_DEVICE', from: customer, to: device, props: { lastSeen }, version: reading });
  }

  const orders = prng.chance(0.5) ? 2 : 1;
  for (let o = 0; o < orders; o++) {
    const ts = VIEW_GRAPH_END_MS - prng.between(1, 365) * DAY - prng.int(DAY);
    const order = { label: 'Order', key: String(index * 2 + o + 1) } as const;
    const version = makeVersion(ts, `bench:order:${order.key}`);
    const product = prng.pick(catalog);
    const quantity = prng.chance(0.85) ? 1 : 2;
    vertex({
      op: 'upsertVertex',
      ...order,
      props: {
        ts,
        status: prng.chance(0.9) ? 'completed' : 'shipped',
        total: (product.priceCents * quantity) / 100,
        currency: country.currency,
      },
      version,
    });
    edge({ op: 'upsertEdge', label: 'PLACED', from: customer, to: order, props: {}, version });
    edge({
      op: 'upsertEdge',
      label: 'CONTAINS',
      from: order,
      to: { label: 'Product', key: product.sku },
      props: { quantity, price: product.priceCents / 100 },
      version,
    });
  }

  const ticketTs = VIEW_GRAPH_END_MS - prng.between(1, 90) * DAY - prng.int(DAY);
  const ticket = { label: 'Interaction', key: String(index + 1) } as const;
  const ticketVersion = makeVersion(ticketTs, `bench:ticket:${ticket.key}`);
  vertex({
    op: 'upsertVertex',
    ...ticket,
    props: {
      ts: ticketTs,
      channel: prng.pick(['phone', 'chat', 'email']),
      subject: prng.pick(['Slow internet', 'Invoice question', 'Change of plan', 'Router keeps rebooting']),
      status: prng.pick(['solved', 'solved', 'open', 'pending']),
      priority: prng.pick(['low', 'normal', 'normal', 'high']),
    },
    version: ticketVersion,
  });
  edge({ op: 'upsertEdge', label: 'CONTACTED', from: customer, to: ticket, props: {}, version: ticketVersion });

  const events = 2;
  for (let e = 0; e < events; e++) {
    const ts = VIEW_GRAPH_END_MS - prng.int(30 * DAY);
    const event = { label: 'Event', key: uniqueUuid(index, 0x100 + e, prng) } as const;
    const version: Version = makeVersion(ts, `seg:${event.key}`);
    if (e === 0) {
      const product = prng.pick(catalog);
      vertex({
        op: 'upsertVertex',
        ...event,
        props: {
          type: 'track',
          name: 'Product Viewed',
          ts,
          properties: { product_id: product.sku, name: product.name, category: product.category },
        },
        version,
      });
      edge({
        op: 'upsertEdge',
        label: 'ABOUT',
        from: event,
        to: { label: 'Product', key: product.sku },
        props: {},
        version,
      });
    } else {
      const page = prng.pick(['Home', 'Pricing', 'Support', 'My Account']);
      vertex({
        op: 'upsertVertex',
        ...event,
        props: { type: 'page', name: page, ts, properties: { path: `/${page.toLowerCase().replace(' ', '-')}` } },
        version,
      });
    }
    edge({ op: 'upsertEdge', label: 'PERFORMED', from: customer, to: event, props: {}, version });
  }

  return { identities: 2, devices, orders, interactions: 1, events, vertices, edges };
}

/** The shape of customer `index` without writing it (what the 360° view of that customer must show). */
export function viewGraphCustomerShape(vocabulary: ViewGraphVocabulary, index: number): ViewGraphCustomerShape {
  return addViewGraphCustomer(new BatchBuilder(), vocabulary, index);
}

function positiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`writeViewGraph: ${name} must be a positive integer, got ${value}`);
  }
}

/**
 * Writes the synthetic 360° graph: the catalog, then customers in batches of
 * `batchCustomers`, one store.apply (one write transaction) per batch. The next batch is
 * built while the previous one commits and syncs.
 */
export async function writeViewGraph(store: GraphStore, options: ViewGraphOptions): Promise<ViewGraphWritten> {
  const batchCustomers = options.batchCustomers ?? DEFAULT_BATCH_CUSTOMERS;
  positiveInteger('customers', options.customers);
  positiveInteger('batchCustomers', batchCustomers);
  const started = performance.now();
  const vocabulary = createViewGraphVocabulary(options.seed);
  const catalog = new BatchBuilder();
  let vertices = addViewGraphCatalog(catalog, vocabulary);
  let edges = 0;
  await store.apply(catalog.build());
  let pending: Promise<unknown> | null = null;
  for (let start = 0; start < options.customers; start += batchCustomers) {
    const end = Math.min(options.customers, start + batchCustomers);
    const b = new BatchBuilder();
    for (let i = start; i < end; i++) {
      const shape = addViewGraphCustomer(b, vocabulary, i);
      vertices += shape.vertices;
      edges += shape.edges;
    }
    const batch = b.build();
    // One batch in flight: its commit and fsync overlap with building the next, never more.
    if (pending) await pending;
    pending = store.apply(batch).then(() => options.onProgress?.(end, options.customers));
  }
  if (pending) await pending;
  return { customers: options.customers, vertices, edges, seconds: (performance.now() - started) / 1000 };
}

interface LoadChildResult extends ViewGraphWritten {
  readonly peakRssMiB: number | null;
  readonly anonRssMiB: number | null;
  readonly diskBytes: number;
  readonly storeVertices: number;
  readonly storeEdges: number;
}

export interface ViewGraphScenarioOptions {
  readonly customers: number;
  readonly seed?: number;
  readonly batchCustomers?: number;
  readonly durationSeconds: number;
  readonly connections: number;
  /** Customers written so far (from the loader's progress lines). */
  readonly onProgress?: (done: number, total: number) => void;
  /** Agent views the console bench opens over the graph (default 5). */
  readonly consoleRuns?: number;
}

/**
 * Writes the synthetic graph into `<dataDir>/graph` (where the hub opens its embedded
 * store) in a child process, then measures the agent's 360° query against the hub
 * serving it. Returns the load result and the view result (marked `graph: synthetic`).
 */
export async function viewGraphScenario(root: string, options: ViewGraphScenarioOptions): Promise<ScenarioResult[]> {
  const seed = options.seed ?? 360;
  const batchCustomers = options.batchCustomers ?? DEFAULT_BATCH_CUSTOMERS;
  const dataDir = mkdtempSync(join(tmpdir(), 'c360-bench-view-graph-'));
  try {
    const r = await runTsChild<LoadChildResult>(
      root,
      'scripts/bench/view-graph.ts',
      [join(dataDir, 'graph'), String(options.customers), String(seed), String(batchCustomers)],
      (n) => options.onProgress?.(n, options.customers),
    );
    const elements = r.vertices + r.edges;
    const load: ScenarioResult = {
      name: 'view-graph-load',
      store: 'embedded',
      params: { customers: options.customers, seed, batchCustomers, writer: 'batch-builder' },
      metrics: {
        customers: r.customers,
        vertices: r.vertices,
        edges: r.edges,
        seconds: Math.round(r.seconds * 10) / 10,
        elementsPerSecond: Math.round(elements / r.seconds),
        diskMiB: Math.round((r.diskBytes / 2 ** 20) * 10) / 10,
        peakRssMiB: r.peakRssMiB ?? 0,
        anonRssMiB: r.anonRssMiB ?? 0,
      },
      units: {
        customers: 'count',
        vertices: 'count',
        edges: 'count',
        seconds: 's',
        elementsPerSecond: 'elements/s',
        diskMiB: 'MiB',
        peakRssMiB: 'MiB',
        anonRssMiB: 'MiB',
      },
      notes: [
        'synthetic 360° graph written with BatchBuilder straight into the embedded store (no decode/dedupe/map)',
        'peak RSS is the loader process (VmHWM), which counts the LMDB pages it mapped; anonRssMiB (heap and buffers) is taken at the end of the load',
        'disk is the LMDB graph directory',
      ],
    };
    if (r.storeVertices !== r.vertices || r.storeEdges !== r.edges) {
      throw new Error(
        `viewGraphScenario: the store counts ${r.storeVertices} vertices / ${r.storeEdges} edges, the writer wrote ${r.vertices} / ${r.edges}`,
      );
    }
    const [view, page] = await withHub(root, dataDir, {}, async (hub) => {
      const v = await view360Scenario(hub, {
        customers: options.customers,
        durationSeconds: options.durationSeconds,
        connections: options.connections,
      });
      // The console's agent view over the same graph, in a real browser (page weight, first render).
      // Imported here: this file is also the loader child's entry point, which needs none of it.
      const apiKey = (hub.graphqlHeaders.authorization ?? '').replace(/^Bearer /, '');
      const runs = options.consoleRuns ?? 5;
      const measured = await measureAgentViews({
        url: hub.url,
        apiKey,
        customerIds: spreadCustomerIds(options.customers, runs),
      });
      return [v, { measured, runs }] as const;
    });
    return [
      load,
      {
        ...view,
        params: { ...view.params, graph: 'synthetic', edges: r.edges },
        notes: [...view.notes, 'over the synthetic graph of view-graph-load, not the ingested demo graph'],
      },
      {
        name: 'console-agent-view',
        store: 'embedded',
        params: {
          customers: options.customers,
          runs: page.runs,
          graph: 'synthetic',
          browser: 'Debian chromium, headless',
        },
        ...page.measured,
        notes: [
          'the console in headless Debian chromium against the hub serving the synthetic graph of view-graph-load; agent API key; 1440×1000 viewport',
        ],
      },
    ];
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The process's resident anonymous memory (heap, buffers; not the LMDB map's file pages), in MiB. */
function anonRssMiB(): number | null {
  try {
    const m = /RssAnon:\s+(\d+)\s+kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** The loader child's composition root. */
async function main(): Promise<void> {
  const [graphDir, customersArg, seedArg, batchArg] = process.argv.slice(2);
  if (!graphDir) throw new Error('usage: view-graph.ts <graphDir> <customers> <seed> <batchCustomers>');
  const store = await createEmbeddedStore({ path: graphDir });
  let done = 0;
  const progress = setInterval(() => process.stderr.write(`progress ${done}\n`), 500);
  try {
    const written = await writeViewGraph(store, {
      customers: Number(customersArg),
      seed: Number(seedArg ?? '360'),
      batchCustomers: Number(batchArg ?? DEFAULT_BATCH_CUSTOMERS),
      onProgress: (n) => {
        done = n;
      },
    });
    const stats = await store.stats();
    const sum = (counts: Readonly<Record<string, number | undefined>>) =>
      Object.values(counts).reduce<number>((a, b) => a + (b ?? 0), 0);
    const rss = peakRssMiB(process.pid);
    const anon = anonRssMiB();
    await store.close();
    process.stdout.write(
      `${JSON.stringify({
        ...written,
        storeVertices: sum(stats.vertices),
        storeEdges: sum(stats.edges),
        peakRssMiB: rss,
        anonRssMiB: anon,
        diskBytes: diskUsageBytes(graphDir),
      })}\n`,
    );
  } finally {
    clearInterval(progress);
  }
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
