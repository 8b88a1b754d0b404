/**
 * The own-database CDC test's shop (test/fixtures/cdc/shop-schema.sql): a seeded random
 * DML workload — inserts, updates with NULLs and moved foreign keys, primary-key changes
 * of single and composite keys (cascading), deletes with cascades, truncates — and the
 * graph each row must produce, spelled out from the rows independently of the mapping code
 * (what `c360 cdc map` is meant to propose for this schema, documented in docs/cdc.md).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from 'pg';
import { edgeId, normalizeEmail, normalizePhone } from '../../graph-schema';
import type { GraphDump } from './graph-dump';

export function shopSchemaDdl(schema: string): string {
  const ddl = readFileSync(join(__dirname, '..', 'fixtures', 'cdc', 'shop-schema.sql'), 'utf8');
  return ddl.replace(/\bshop\./g, `${schema}.`).replace('CREATE SCHEMA shop;', `CREATE SCHEMA ${schema};`);
}

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type ShopStep =
  | 'insertPatron'
  | 'insertStore'
  | 'insertArticle'
  | 'insertBasket'
  | 'updatePatron'
  | 'updateBasket'
  | 'updateLine'
  | 'setStock'
  | 'deleteStock'
  | 'changePatronKey'
  | 'changeBasketKey'
  | 'changeArticleKey'
  | 'changeStoreKey'
  | 'changeLineKey'
  | 'deletePatron'
  | 'deleteBasket'
  | 'deleteLine'
  | 'deleteArticle'
  | 'deleteStore'
  | 'truncateStock'
  | 'truncateLines';

const WEIGHTS: readonly [ShopStep, number][] = [
  ['insertPatron', 8],
  ['insertStore', 2],
  ['insertArticle', 4],
  ['insertBasket', 10],
  ['updatePatron', 8],
  ['updateBasket', 8],
  ['updateLine', 4],
  ['setStock', 6],
  ['deleteStock', 2],
  ['changePatronKey', 2],
  ['changeBasketKey', 2],
  ['changeArticleKey', 1],
  ['changeStoreKey', 1],
  ['changeLineKey', 2],
  ['deletePatron', 2],
  ['deleteBasket', 2],
  ['deleteLine', 2],
  ['deleteArticle', 1],
  ['deleteStore', 1],
];

export interface ShopWorkload {
  run(steps: number): Promise<void>;
  step(name: ShopStep): Promise<void>;
  readonly counts: Readonly<Record<string, number>>;
}

export function createShopWorkload(pg: Client, schema: string, seed: number): ShopWorkload {
  const random = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const maybe = <T>(value: T, nullChance = 0.2): T | null => (random() < nullChance ? null : value);
  const counts: Record<string, number> = {};
  let next = Math.floor(random() * 1e6) * 1000;
  const id = () => ++next;
  const t = (name: string) => `${schema}.${name}`;
  const one = async <T>(sql: string): Promise<T | null> => {
    const { rows } = await pg.query(`${sql} ORDER BY random() LIMIT 1`);
    return (rows[0] as T | undefined) ?? null;
  };
  const name = () => pick(['Ada', 'Bo', 'Cy', 'Dee', 'Eli', 'Fay', 'Gus', 'Hal']);
  const email = () => `${name().toLowerCase()}.${id()}@Shop.Example`;
  const phone = () => `+44 20 ${String(id()).slice(-4)} ${String(id()).slice(-4)}`;
  const money = () => (random() * 500).toFixed(2);
  const when = () => new Date(Date.UTC(2026, 0, 1) + Math.floor(random() * 3e10)).toISOString();

  const steps: Record<ShopStep, () => Promise<void>> = {
    async insertPatron() {
      await pg.query(
        `INSERT INTO ${t('patrons')} (patron_ref, given_name, family_name, e_mail, mobile, vip, joined_on, balance)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [`P-${id()}`, name(), maybe(name()), maybe(email()), maybe(phone(), 0.4), random() < 0.3, when(), money()],
      );
    },
    async insertStore() {
      await pg.query(`INSERT INTO ${t('stores')} (region, store_code, display_name) VALUES ($1, $2, $3)`, [
        pick(['north', 'south', 'east']),
        id(),
        maybe(`Store ${name()}`),
      ]);
    },
    async insertArticle() {
      const sku = `SKU-${id()}`;
      await pg.query(`INSERT INTO ${t('articles')} (sku, title, unit_price) VALUES ($1, $2, $3)`, [
        sku,
        `Thing ${name()}`,
        money(),
      ]);
      if (random() < 0.6) {
        await pg.query(`INSERT INTO ${t('shelf_stock')} (sku, units, aisle) VALUES ($1, $2, $3)`, [
          sku,
          Math.floor(random() * 50),
          maybe(`A${Math.floor(random() * 9)}`),
        ]);
      }
    },
    async insertBasket() {
      const patron = await one<{ patron_ref: string }>(`SELECT patron_ref FROM ${t('patrons')}`);
      const store = await one<{ region: string; store_code: number }>(`SELECT region, store_code FROM ${t('stores')}`);
      const basket = id();
      await pg.query('BEGIN');
      try {
        await pg.query(
          `INSERT INTO ${t('baskets')} (basket_id, patron_ref, region, store_code, checkout_at, amount) VALUES ($1, $2, $3, $4, $5, $6)`,
          [basket, patron?.patron_ref ?? null, store?.region ?? null, store?.store_code ?? null, when(), money()],
        );
        const { rows } = await pg.query<{ sku: string }>(
          `SELECT sku FROM ${t('articles')} ORDER BY random() LIMIT ${1 + Math.floor(random() * 3)}`,
        );
        for (const r of rows) {
          await pg.query(`INSERT INTO ${t('basket_lines')} (basket_id, sku, qty) VALUES ($1, $2, $3)`, [
            basket,
            r.sku,
            1 + Math.floor(random() * 5),
          ]);
        }
        await pg.query('COMMIT');
      } catch (e) {
        await pg.query('ROLLBACK');
        throw e;
      }
    },
    async updatePatron() {
      const p = await one<{ patron_ref: string }>(`SELECT patron_ref FROM ${t('patrons')}`);
      if (!p) return;
      await pg.query(
        `UPDATE ${t('patrons')} SET e_mail = $2, mobile = $3, family_name = $4, vip = $5, balance = $6 WHERE patron_ref = $1`,
        [p.patron_ref, maybe(email(), 0.3), maybe(phone(), 0.4), maybe(name()), random() < 0.5, maybe(money())],
      );
    },
    async updateBasket() {
      const b = await one<{ basket_id: string }>(`SELECT basket_id FROM ${t('baskets')}`);
      const p = await one<{ patron_ref: string }>(`SELECT patron_ref FROM ${t('patrons')}`);
      const s = await one<{ region: string; store_code: number }>(`SELECT region, store_code FROM ${t('stores')}`);
      if (!b) return;
      await pg.query(
        `UPDATE ${t('baskets')} SET patron_ref = $2, region = $3, store_code = $4, amount = $5 WHERE basket_id = $1`,
        [b.basket_id, maybe(p?.patron_ref ?? null, 0.1), s?.region ?? null, s?.store_code ?? null, money()],
      );
    },
    async updateLine() {
      const l = await one<{ basket_id: string; sku: string }>(`SELECT basket_id, sku FROM ${t('basket_lines')}`);
      if (!l) return;
      await pg.query(`UPDATE ${t('basket_lines')} SET qty = $3 WHERE basket_id = $1 AND sku = $2`, [
        l.basket_id,
        l.sku,
        maybe(1 + Math.floor(random() * 9)),
      ]);
    },
    async setStock() {
      const a = await one<{ sku: string }>(`SELECT sku FROM ${t('articles')}`);
      if (!a) return;
      await pg.query(
        `INSERT INTO ${t('shelf_stock')} (sku, units, aisle) VALUES ($1, $2, $3)
         ON CONFLICT (sku) DO UPDATE SET units = EXCLUDED.units, aisle = EXCLUDED.aisle`,
        [a.sku, Math.floor(random() * 50), maybe(`B${Math.floor(random() * 9)}`)],
      );
    },
    async deleteStock() {
      const s = await one<{ sku: string }>(`SELECT sku FROM ${t('shelf_stock')}`);
      if (s) await pg.query(`DELETE FROM ${t('shelf_stock')} WHERE sku = $1`, [s.sku]);
    },
    async changePatronKey() {
      const p = await one<{ patron_ref: string }>(`SELECT patron_ref FROM ${t('patrons')}`);
      if (p)
        await pg.query(`UPDATE ${t('patrons')} SET patron_ref = $2 WHERE patron_ref = $1`, [p.patron_ref, `P-${id()}`]);
    },
    async changeBasketKey() {
      const b = await one<{ basket_id: string }>(`SELECT basket_id FROM ${t('baskets')}`);
      if (b) await pg.query(`UPDATE ${t('baskets')} SET basket_id = $2 WHERE basket_id = $1`, [b.basket_id, id()]);
    },
    async changeArticleKey() {
      const a = await one<{ sku: string }>(`SELECT sku FROM ${t('articles')}`);
      if (a) await pg.query(`UPDATE ${t('articles')} SET sku = $2 WHERE sku = $1`, [a.sku, `SKU-${id()}`]);
    },
    async changeStoreKey() {
      const s = await one<{ region: string; store_code: number }>(`SELECT region, store_code FROM ${t('stores')}`);
      if (s) {
        await pg.query(`UPDATE ${t('stores')} SET store_code = $3 WHERE region = $1 AND store_code = $2`, [
          s.region,
          s.store_code,
          id(),
        ]);
      }
    },
    async changeLineKey() {
      // The composite key's second part moves to an article the basket does not hold yet.
      const l = await one<{ basket_id: string; sku: string }>(`SELECT basket_id, sku FROM ${t('basket_lines')}`);
      if (!l) return;
      const other = await one<{ sku: string }>(
        `SELECT a.sku FROM ${t('articles')} a WHERE NOT EXISTS (SELECT 1 FROM ${t('basket_lines')} x WHERE x.basket_id = ${Number(l.basket_id)} AND x.sku = a.sku)`,
      );
      if (!other) return;
      await pg.query(`UPDATE ${t('basket_lines')} SET sku = $3 WHERE basket_id = $1 AND sku = $2`, [
        l.basket_id,
        l.sku,
        other.sku,
      ]);
    },
    async deletePatron() {
      const p = await one<{ patron_ref: string }>(`SELECT patron_ref FROM ${t('patrons')}`);
      if (p) await pg.query(`DELETE FROM ${t('patrons')} WHERE patron_ref = $1`, [p.patron_ref]);
    },
    async deleteBasket() {
      const b = await one<{ basket_id: string }>(`SELECT basket_id FROM ${t('baskets')}`);
      if (b) await pg.query(`DELETE FROM ${t('baskets')} WHERE basket_id = $1`, [b.basket_id]);
    },
    async deleteLine() {
      const l = await one<{ basket_id: string; sku: string }>(`SELECT basket_id, sku FROM ${t('basket_lines')}`);
      if (l) await pg.query(`DELETE FROM ${t('basket_lines')} WHERE basket_id = $1 AND sku = $2`, [l.basket_id, l.sku]);
    },
    async deleteArticle() {
      const a = await one<{ sku: string }>(`SELECT sku FROM ${t('articles')}`);
      if (a) await pg.query(`DELETE FROM ${t('articles')} WHERE sku = $1`, [a.sku]);
    },
    async deleteStore() {
      const s = await one<{ region: string; store_code: number }>(`SELECT region, store_code FROM ${t('stores')}`);
      if (s) {
        await pg.query(`DELETE FROM ${t('stores')} WHERE region = $1 AND store_code = $2`, [s.region, s.store_code]);
      }
    },
    async truncateStock() {
      await pg.query(`TRUNCATE ${t('shelf_stock')}`);
    },
    async truncateLines() {
      await pg.query(`TRUNCATE ${t('basket_lines')}`);
    },
  };

  const total = WEIGHTS.reduce((s, [, w]) => s + w, 0);
  const choose = (): ShopStep => {
    let r = random() * total;
    for (const [step, w] of WEIGHTS) {
      r -= w;
      if (r < 0) return step;
    }
    return WEIGHTS[0][0];
  };
  const workload: ShopWorkload = {
    counts,
    async step(stepName) {
      await steps[stepName]();
      counts[stepName] = (counts[stepName] ?? 0) + 1;
    },
    async run(n) {
      for (let i = 0; i < n; i++) await workload.step(choose());
    },
  };
  return workload;
}

type Props = Record<string, unknown>;

function present(entries: Props): Props {
  const out: Props = {};
  for (const [k, v] of Object.entries(entries)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const ms = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** The graph the shop's rows must produce: `_source`-marked vertices and edges, by id. */
export async function expectedShopGraph(pg: Client, schema: string) {
  const q = async (sql: string) => (await pg.query<Record<string, unknown>>(sql)).rows;
  const src = (table: string) => `${schema}.${table}`;
  const vertices: Record<string, Props> = {};
  const edges: Record<string, Props> = {};
  const edge = (label: string, from: string, to: string, table: string, p: Props = {}) => {
    edges[edgeId(label as never, from, to)] = present({ ...p, _source: src(table) });
  };
  for (const r of await q(
    `SELECT patron_ref, given_name, family_name, e_mail, mobile, vip, floor(extract(epoch from joined_on) * 1000)::float8 AS joined_on, balance::text AS balance FROM ${schema}.patrons`,
  )) {
    const id = `Customer:${r['patron_ref']}`;
    const email = typeof r['e_mail'] === 'string' ? (normalizeEmail(r['e_mail']) ?? null) : null;
    const phone = typeof r['mobile'] === 'string' ? (normalizePhone(r['mobile']) ?? null) : null;
    vertices[id] = present({
      givenName: r['given_name'],
      familyName: r['family_name'],
      email,
      phone,
      vip: r['vip'],
      joinedOn: ms(r['joined_on']),
      balance: num(r['balance']),
      _source: src('patrons'),
    });
    const crmId = `Identity:crmId:${r['patron_ref']}`;
    vertices[crmId] = { type: 'crmId', value: r['patron_ref'], _source: src('patrons') };
    edge('HAS_IDENTITY', id, crmId, 'patrons', { rule: 'cdc' });
    if (email) edge('HAS_IDENTITY', id, `Identity:email:${email}`, 'patrons', { rule: 'cdc' });
    if (phone) edge('HAS_IDENTITY', id, `Identity:phone:${phone}`, 'patrons', { rule: 'cdc' });
  }
  for (const r of await q(`SELECT region, store_code, display_name FROM ${schema}.stores`)) {
    vertices[`Store:${r['region']}:${r['store_code']}`] = present({
      displayName: r['display_name'],
      _source: src('stores'),
    });
  }
  for (const r of await q(
    `SELECT basket_id, patron_ref, region, store_code, floor(extract(epoch from checkout_at) * 1000)::float8 AS checkout_at, amount::text AS amount FROM ${schema}.baskets`,
  )) {
    const id = `Basket:${r['basket_id']}`;
    vertices[id] = present({ checkoutAt: ms(r['checkout_at']), amount: num(r['amount']), _source: src('baskets') });
    if (r['patron_ref'] !== null) edge('HAS_PATRON', id, `Customer:${r['patron_ref']}`, 'baskets');
    if (r['region'] !== null && r['store_code'] !== null) {
      edge('HAS_STORE', id, `Store:${r['region']}:${r['store_code']}`, 'baskets');
    }
  }
  for (const r of await q(
    `SELECT a.sku, a.title, a.unit_price::text AS unit_price, s.units, s.aisle FROM ${schema}.articles a LEFT JOIN ${schema}.shelf_stock s USING (sku)`,
  )) {
    vertices[`Article:${r['sku']}`] = present({
      title: r['title'],
      unitPrice: num(r['unit_price']),
      units: num(r['units']),
      aisle: r['aisle'],
      _source: src('articles'),
    });
  }
  for (const r of await q(`SELECT basket_id, sku, qty FROM ${schema}.basket_lines`)) {
    edge('BASKET_LINE', `Basket:${r['basket_id']}`, `Article:${r['sku']}`, 'basket_lines', { qty: num(r['qty']) });
  }
  return { vertices, edges };
}

const SHOP_LABELS = ['Customer', 'Store', 'Basket', 'Article'];

/** '' when the graph shows exactly the shop's rows; else the first differences. */
export async function compareShopGraph(pg: Client, schema: string, dump: GraphDump): Promise<string> {
  const expected = await expectedShopGraph(pg, schema);
  const strip = (p: Props): Props => {
    const out: Props = {};
    for (const [k, v] of Object.entries(p)) if (k !== 'sourceId' && k !== 'at') out[k] = v;
    return out;
  };
  const actualVertices: Record<string, Props> = {};
  const out: string[] = [];
  for (const [id, v] of Object.entries(dump.vertices)) {
    const p = (v as { props: Props }).props;
    // Article properties come from two tables; every shop vertex is compared whole.
    if (p['_source'] !== undefined || SHOP_LABELS.includes(id.split(':')[0])) actualVertices[id] = strip(p);
  }
  const actualEdges: Record<string, Props> = {};
  for (const [id, e] of Object.entries(dump.edges)) {
    const p = (e as { props: Props }).props;
    if (p['_source'] !== undefined) actualEdges[id] = strip(p);
  }
  const sorted = (p: Props) =>
    JSON.stringify(Object.fromEntries(Object.entries(p).sort(([a], [b]) => (a < b ? -1 : 1))));
  for (const [kind, e, a] of [
    ['vertex', expected.vertices, actualVertices],
    ['edge', expected.edges, actualEdges],
  ] as const) {
    for (const id of Object.keys(e)) {
      if (!(id in a)) out.push(`missing ${kind} ${id}`);
      else if (sorted(e[id]) !== sorted(a[id]))
        out.push(`different ${id}: expected ${sorted(e[id])}, got ${sorted(a[id])}`);
    }
    for (const id of Object.keys(a)) if (!(id in e)) out.push(`extra ${kind} ${id} ${sorted(a[id])}`);
  }
  return out.slice(0, 20).join('\n') + (out.length > 20 ? `\n… ${out.length - 20} more` : '');
}
