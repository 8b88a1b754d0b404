/**
 * A random DML workload on a private CRM schema: inserts, updates (NULLs,
 * decimals, timestamps, moved foreign keys), primary-key changes (single and
 * composite keys), deletes with cascades, truncates and an ALTER TABLE ADD
 * COLUMN — each step one transaction, some steps several statements. Seeded,
 * but the rows it picks come from the database, so it never needs to mirror it.
 */
import type { Client } from 'pg';

/** mulberry32: small, seeded, good enough to pick operations. */
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

export interface CdcWorkload {
  /** Runs `steps` random transactions. */
  run(steps: number): Promise<void>;
  /** One specific step by name (tests make sure truncates and ALTERs happen). */
  step(name: StepName): Promise<void>;
  /** The steps run so far, by name. */
  readonly counts: Readonly<Record<string, number>>;
}

export type StepName =
  | 'insertCustomer'
  | 'insertAddress'
  | 'insertAccount'
  | 'insertProduct'
  | 'insertOrder'
  | 'insertTicket'
  | 'updateCustomer'
  | 'updateOrder'
  | 'updateItem'
  | 'changeOrderKey'
  | 'changeCustomerKey'
  | 'changeProductKey'
  | 'changeItemKey'
  | 'deleteCustomer'
  | 'deleteOrder'
  | 'deleteItem'
  | 'deleteTicket'
  | 'deleteAddress'
  | 'truncateTickets'
  | 'truncateItems'
  | 'addColumn';

const WEIGHTS: readonly [StepName, number][] = [
  ['insertCustomer', 10],
  ['insertAddress', 4],
  ['insertAccount', 4],
  ['insertProduct', 3],
  ['insertOrder', 10],
  ['insertTicket', 5],
  ['updateCustomer', 10],
  ['updateOrder', 8],
  ['updateItem', 5],
  ['changeOrderKey', 2],
  ['changeCustomerKey', 2],
  ['changeProductKey', 1],
  ['changeItemKey', 2],
  ['deleteCustomer', 2],
  ['deleteOrder', 3],
  ['deleteItem', 3],
  ['deleteTicket', 2],
  ['deleteAddress', 2],
];

export function createCdcWorkload(pg: Client, schema: string, seed: number): CdcWorkload {
  const random = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const counts: Record<string, number> = {};
  let next = Math.floor(random() * 1e6) * 1000;
  const id = () => ++next;
  const s = schema;
  let hasLoyalty = false;

  const maybe = <T>(p: number, v: T): T | null => (random() < p ? v : null);
  const money = () => (Math.floor(random() * 1_000_000) / 100).toFixed(2);
  const email = (n: number) => `${pick(['Ann', 'bo', 'CY', 'dee'])}.${n}@Example.com`;

  async function one<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T | null> {
    const { rows } = await pg.query(sql, params);
    return (rows[0] as T | undefined) ?? null;
  }

  async function tx(fn: () => Promise<void>): Promise<void> {
    await pg.query('BEGIN');
    try {
      await fn();
      await pg.query('COMMIT');
    } catch (e) {
      await pg.query('ROLLBACK');
      throw e;
    }
  }

  const anyCustomer = () => one<{ id: string }>(`SELECT id FROM ${s}.customers ORDER BY random() LIMIT 1`);
  const anyProduct = () => one<{ sku: string }>(`SELECT sku FROM ${s}.products ORDER BY random() LIMIT 1`);

  async function insertCustomer(): Promise<void> {
    const n = id();
    const cols = hasLoyalty ? ', loyalty_tier' : '';
    const vals = hasLoyalty ? ', $9' : '';
    await pg.query(
      `INSERT INTO ${s}.customers (id, first_name, last_name, email, phone, country, plan, lifetime_value${cols})
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8${vals})`,
      [
        `C${n}`,
        pick(['Ada', 'Grace', 'Alan', 'Édith', 'Zoë']),
        maybe(0.8, pick(['Lovelace', 'Hopper', "O'Neil"])),
        maybe(0.8, email(n)),
        maybe(0.6, `+44 20 7946 ${String(n % 10_000).padStart(4, '0')}`),
        pick(['GB', 'US', 'DE']),
        maybe(0.9, pick(['free', 'pro', 'enterprise'])),
        maybe(0.9, money()),
        ...(hasLoyalty ? [maybe(0.7, pick(['bronze', 'silver', 'gold']))] : []),
      ],
    );
  }

  const steps: Record<StepName, () => Promise<void>> = {
    insertCustomer: () => tx(insertCustomer),
    insertAddress: async () => {
      const c = await anyCustomer();
      if (!c) return insertCustomer();
      await pg.query(
        `INSERT INTO ${s}.addresses (customer_id, kind, line1, city, postal_code, country) VALUES ($1, $2, $3, $4, $5, $6)`,
        [c.id, pick(['billing', 'shipping']), maybe(0.9, `${id()} High St`), 'London', maybe(0.5, 'SW1'), 'GB'],
      );
    },
    insertAccount: async () => {
      const c = await anyCustomer();
      if (!c) return insertCustomer();
      await pg.query(
        `INSERT INTO ${s}.accounts (id, customer_id, name, status, plan) VALUES (gen_random_uuid(), $1, $2, $3, $4)`,
        [c.id, maybe(0.9, `Acct ${id()}`), pick(['active', 'suspended']), maybe(0.5, 'pro')],
      );
    },
    insertProduct: async () => {
      await pg.query(`INSERT INTO ${s}.products (sku, name, category, price) VALUES ($1, $2, $3, $4)`, [
        `SKU-${id()}`,
        pick(['Router', 'Fiber', 'Camera']),
        maybe(0.8, pick(['devices', 'plans'])),
        maybe(0.9, money()),
      ]);
    },
    // An order and its line items in one transaction.
    insertOrder: () =>
      tx(async () => {
        const c = await anyCustomer();
        if (!c) return insertCustomer();
        const orderId = id();
        await pg.query(
          `INSERT INTO ${s}.orders (id, customer_id, status, total, currency, placed_at)
           VALUES ($1, $2, $3, $4, $5, now() - ($6 || ' minutes')::interval)`,
          [
            orderId,
            c.id,
            pick(['placed', 'paid']),
            maybe(0.9, money()),
            pick(['EUR', 'USD']),
            Math.floor(random() * 1e4),
          ],
        );
        const { rows } = await pg.query<{ sku: string }>(
          `SELECT sku FROM ${s}.products ORDER BY random() LIMIT ${1 + Math.floor(random() * 3)}`,
        );
        for (const p of rows) {
          await pg.query(`INSERT INTO ${s}.order_items (order_id, sku, quantity, unit_price) VALUES ($1, $2, $3, $4)`, [
            orderId,
            p.sku,
            1 + Math.floor(random() * 5),
            maybe(0.8, money()),
          ]);
        }
      }),
    insertTicket: async () => {
      const c = await anyCustomer();
      if (!c) return insertCustomer();
      await pg.query(
        `INSERT INTO ${s}.support_tickets (customer_id, channel, subject, status, priority) VALUES ($1, $2, $3, $4, $5)`,
        [c.id, pick(['email', 'phone', 'chat']), maybe(0.8, `Help ${id()}`), 'open', pick(['low', 'normal', 'high'])],
      );
    },
    updateCustomer: async () => {
      const c = await anyCustomer();
      if (!c) return;
      const change = pick(['email', 'phone', 'money', 'plan', 'loyalty']);
      const n = id();
      if (change === 'email')
        await pg.query(`UPDATE ${s}.customers SET email = $2, updated_at = now() WHERE id = $1`, [
          c.id,
          maybe(0.8, email(n)),
        ]);
      else if (change === 'phone')
        await pg.query(`UPDATE ${s}.customers SET phone = $2 WHERE id = $1`, [
          c.id,
          maybe(0.5, `+1 202 555 ${String(n % 10_000).padStart(4, '0')}`),
        ]);
      else if (change === 'money')
        await pg.query(`UPDATE ${s}.customers SET lifetime_value = $2 WHERE id = $1`, [c.id, maybe(0.9, money())]);
      else if (change === 'loyalty' && hasLoyalty)
        await pg.query(`UPDATE ${s}.customers SET loyalty_tier = $2, visits = coalesce(visits, 0) + 1 WHERE id = $1`, [
          c.id,
          maybe(0.8, pick(['silver', 'gold', 'platinum'])),
        ]);
      else
        await pg.query(`UPDATE ${s}.customers SET plan = $2, first_name = NULL WHERE id = $1`, [
          c.id,
          pick(['free', 'pro']),
        ]);
    },
    updateOrder: async () => {
      const o = await one<{ id: string }>(`SELECT id FROM ${s}.orders ORDER BY random() LIMIT 1`);
      const c = await anyCustomer();
      if (!o || !c) return;
      // Sometimes the order moves to another customer: the PLACED edge must move with it.
      await pg.query(
        `UPDATE ${s}.orders SET status = $2, total = $3, customer_id = CASE WHEN $4 THEN $5 ELSE customer_id END WHERE id = $1`,
        [o.id, pick(['paid', 'shipped', 'delivered']), maybe(0.9, money()), random() < 0.3, c.id],
      );
    },
    updateItem: async () => {
      await pg.query(
        `UPDATE ${s}.order_items SET quantity = quantity + 1, unit_price = $1
         WHERE (order_id, sku) IN (SELECT order_id, sku FROM ${s}.order_items ORDER BY random() LIMIT 1)`,
        [maybe(0.8, money())],
      );
    },
    changeOrderKey: async () => {
      await pg.query(
        `UPDATE ${s}.orders SET id = $1 WHERE id IN (
           SELECT o.id FROM ${s}.orders o WHERE NOT EXISTS (SELECT 1 FROM ${s}.order_items i WHERE i.order_id = o.id)
           ORDER BY random() LIMIT 1)`,
        [id()],
      );
    },
    changeCustomerKey: async () => {
      await pg.query(
        `UPDATE ${s}.customers SET id = $1 WHERE id IN (
           SELECT c.id FROM ${s}.customers c
           WHERE NOT EXISTS (SELECT 1 FROM ${s}.orders x WHERE x.customer_id = c.id)
             AND NOT EXISTS (SELECT 1 FROM ${s}.addresses x WHERE x.customer_id = c.id)
             AND NOT EXISTS (SELECT 1 FROM ${s}.accounts x WHERE x.customer_id = c.id)
             AND NOT EXISTS (SELECT 1 FROM ${s}.support_tickets x WHERE x.customer_id = c.id)
           ORDER BY random() LIMIT 1)`,
        [`C${id()}`],
      );
    },
    changeProductKey: async () => {
      await pg.query(
        `UPDATE ${s}.products SET sku = $1 WHERE sku IN (
           SELECT p.sku FROM ${s}.products p WHERE NOT EXISTS (SELECT 1 FROM ${s}.order_items i WHERE i.sku = p.sku)
           ORDER BY random() LIMIT 1)`,
        [`SKU-${id()}`],
      );
    },
    // Composite key: the CONTAINS edge moves to another product.
    changeItemKey: async () => {
      const p = await anyProduct();
      if (!p) return;
      await pg.query(
        `UPDATE ${s}.order_items SET sku = $1 WHERE (order_id, sku) IN (
           SELECT i.order_id, i.sku FROM ${s}.order_items i
           WHERE NOT EXISTS (SELECT 1 FROM ${s}.order_items j WHERE j.order_id = i.order_id AND j.sku = $1)
           ORDER BY random() LIMIT 1)`,
        [p.sku],
      );
    },
    deleteCustomer: async () => {
      await pg.query(
        `DELETE FROM ${s}.customers WHERE id IN (SELECT id FROM ${s}.customers ORDER BY random() LIMIT 1)`,
      );
    },
    deleteOrder: async () => {
      await pg.query(`DELETE FROM ${s}.orders WHERE id IN (SELECT id FROM ${s}.orders ORDER BY random() LIMIT 1)`);
    },
    deleteItem: async () => {
      await pg.query(
        `DELETE FROM ${s}.order_items WHERE (order_id, sku) IN (SELECT order_id, sku FROM ${s}.order_items ORDER BY random() LIMIT 1)`,
      );
    },
    deleteTicket: async () => {
      await pg.query(
        `DELETE FROM ${s}.support_tickets WHERE id IN (SELECT id FROM ${s}.support_tickets ORDER BY random() LIMIT 1)`,
      );
    },
    deleteAddress: async () => {
      await pg.query(
        `DELETE FROM ${s}.addresses WHERE id IN (SELECT id FROM ${s}.addresses ORDER BY random() LIMIT 1)`,
      );
    },
    truncateTickets: async () => {
      await pg.query(`TRUNCATE ${s}.support_tickets`);
    },
    truncateItems: async () => {
      await pg.query(`TRUNCATE ${s}.order_items`);
    },
    addColumn: async () => {
      if (hasLoyalty) return;
      await pg.query(`ALTER TABLE ${s}.customers ADD COLUMN loyalty_tier text, ADD COLUMN visits integer`);
      hasLoyalty = true;
    },
  };

  const total = WEIGHTS.reduce((n, [, w]) => n + w, 0);
  function choose(): StepName {
    let r = random() * total;
    for (const [name, w] of WEIGHTS) {
      r -= w;
      if (r < 0) return name;
    }
    return 'insertCustomer';
  }

  const workload: CdcWorkload = {
    counts,
    async step(name) {
      await steps[name]();
      counts[name] = (counts[name] ?? 0) + 1;
    },
    async run(n) {
      for (let i = 0; i < n; i++) await workload.step(choose());
    },
  };
  return workload;
}
