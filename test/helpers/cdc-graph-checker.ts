/**
 * Is the graph equal to the database? Reads every CRM table of a schema with
 * pg and spells out, independently of the mapping code, which vertices and
 * edges each row must produce with which properties; then compares that with
 * what the store shows (a `dumpWholeGraph`). Only what PostgreSQL can know is
 * compared: evidence edges' `sourceId`/`at` (event ids, commit times) are not.
 */
import type { Client } from 'pg';
import { edgeId, normalizeEmail, normalizePhone } from '../../graph-schema';
import type { GraphDump } from './graph-dump';

type Props = Record<string, unknown>;

export interface ExpectedGraph {
  readonly vertices: Record<string, Props>;
  readonly edges: Record<string, Props>;
}

export interface Expectation extends ExpectedGraph {
  /** Timestamp columns per table: kept ones arrive as ISO strings and are compared as epoch ms. */
  readonly timestampColumns: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Columns each table's mapping reads; any other column is kept on the row's record. */
const MAPPED: Record<string, readonly string[]> = {
  customers: ['id', 'first_name', 'last_name', 'email', 'phone', 'country', 'plan', 'lifetime_value', 'created_at'],
  addresses: ['id', 'customer_id', 'kind', 'line1', 'city', 'postal_code', 'country'],
  accounts: ['id', 'customer_id', 'name', 'status', 'plan', 'created_at'],
  products: ['sku', 'name', 'category', 'price'],
  orders: ['id', 'customer_id', 'status', 'total', 'currency', 'placed_at'],
  order_items: ['order_id', 'sku', 'quantity', 'unit_price'],
  support_tickets: ['id', 'customer_id', 'channel', 'subject', 'status', 'priority', 'opened_at'],
};

/** Labels whose every live vertex must be a row (Identity vertices are shared facts and outlive rows). */
const RECORD_LABELS = ['Customer', 'Address', 'Account', 'Order', 'Product', 'Interaction'];

const TIMESTAMP_TYPES = new Set(['timestamp with time zone', 'timestamp without time zone']);

interface Column {
  readonly name: string;
  readonly type: string;
}

async function columnsOf(pg: Client, schema: string, table: string): Promise<Column[]> {
  const { rows } = await pg.query<{ column_name: string; data_type: string }>(
    'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
    [schema, table],
  );
  return rows.map((r) => ({ name: r.column_name, type: r.data_type }));
}

/** Timestamps as epoch ms (truncated, as the mapping's Date.parse truncates microseconds); the rest as text/JSON. */
async function rowsOf(pg: Client, schema: string, table: string, columns: readonly Column[]) {
  const select = columns
    .map((c) =>
      TIMESTAMP_TYPES.has(c.type)
        ? `floor(extract(epoch from "${c.name}") * 1000)::float8 AS "${c.name}"`
        : c.type === 'numeric'
          ? `"${c.name}"::text AS "${c.name}"`
          : `"${c.name}"`,
    )
    .join(', ');
  const { rows } = await pg.query<Record<string, unknown>>(`SELECT ${select} FROM ${schema}.${table}`);
  return rows;
}

function props(entries: Record<string, unknown>): Props {
  const out: Props = {};
  for (const [k, v] of Object.entries(entries)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown) => (v === null || v === undefined ? null : String(v));

export async function expectedGraph(pg: Client, schema: string): Promise<Expectation> {
  const vertices: Record<string, Props> = {};
  const edges: Record<string, Props> = {};
  const timestampColumns = new Map<string, Set<string>>();
  for (const table of Object.keys(MAPPED)) {
    const columns = await columnsOf(pg, schema, table);
    timestampColumns.set(table, new Set(columns.filter((c) => TIMESTAMP_TYPES.has(c.type)).map((c) => c.name)));
    const source = `${schema}.${table}`;
    for (const row of await rowsOf(pg, schema, table, columns)) {
      const kept: Props = {};
      for (const c of columns) if (!MAPPED[table].includes(c.name)) kept[c.name] = row[c.name];
      const own = (p: Props) => props({ ...kept, ...p, _source: source });
      const edge = (label: string, from: string, to: string, p: Props = {}) => {
        edges[edgeId(label as never, from, to)] = props({ ...p, _source: source });
      };
      const customer = `Customer:${row['customer_id']}`;
      switch (table) {
        case 'customers': {
          const id = `Customer:${row['id']}`;
          const email = typeof row['email'] === 'string' ? (normalizeEmail(row['email']) ?? null) : null;
          const phone = typeof row['phone'] === 'string' ? (normalizePhone(row['phone']) ?? null) : null;
          vertices[id] = own({
            firstName: row['first_name'],
            lastName: row['last_name'],
            email,
            phone,
            country: row['country'],
            plan: row['plan'],
            lifetimeValue: num(row['lifetime_value']),
            createdAt: row['created_at'],
          });
          // The crmId exists because of the row (owned): it carries the row's lineage and goes with it.
          vertices[`Identity:crmId:${row['id']}`] = props({ type: 'crmId', value: String(row['id']), _source: source });
          edge('HAS_IDENTITY', id, `Identity:crmId:${row['id']}`, { rule: 'crm' });
          if (email) edge('HAS_IDENTITY', id, `Identity:email:${email}`, { rule: 'crm' });
          if (phone) edge('HAS_IDENTITY', id, `Identity:phone:${phone}`, { rule: 'crm' });
          break;
        }
        case 'addresses': {
          const id = `Address:${row['id']}`;
          vertices[id] = own({
            line1: row['line1'],
            city: row['city'],
            postalCode: row['postal_code'],
            country: row['country'],
          });
          edge('HAS_ADDRESS', customer, id, { kind: row['kind'] });
          break;
        }
        case 'accounts': {
          const id = `Account:${row['id']}`;
          vertices[id] = own({
            name: row['name'],
            status: row['status'],
            plan: row['plan'],
            createdAt: row['created_at'],
          });
          edge('OWNS', customer, id);
          break;
        }
        case 'products':
          vertices[`Product:${row['sku']}`] = own({
            name: row['name'],
            category: row['category'],
            price: num(row['price']),
          });
          break;
        case 'orders': {
          const id = `Order:${row['id']}`;
          vertices[id] = own({
            ts: row['placed_at'],
            status: row['status'],
            total: num(row['total']),
            currency: str(row['currency']),
          });
          edge('PLACED', customer, id);
          break;
        }
        case 'order_items':
          edge('CONTAINS', `Order:${row['order_id']}`, `Product:${row['sku']}`, {
            ...kept,
            quantity: num(row['quantity']),
            price: num(row['unit_price']),
          });
          break;
        case 'support_tickets': {
          const id = `Interaction:${row['id']}`;
          vertices[id] = own({
            ts: row['opened_at'],
            channel: row['channel'],
            subject: row['subject'],
            status: row['status'],
            priority: row['priority'],
          });
          edge('CONTACTED', customer, id);
          break;
        }
        default:
          throw new Error(`no expectation for table ${table}`);
      }
    }
  }
  return { vertices, edges, timestampColumns };
}

/**
 * The part of the store that the schema's rows wrote (`_source` = `<schema>.<table>`), in the
 * expected shape; plus `strays`: live record vertices no row accounts for (resurrected references).
 */
export function actualGraph(
  dump: GraphDump,
  schema: string,
  expected: Expectation,
): ExpectedGraph & { strays: string[] } {
  const { timestampColumns } = expected;
  const prefix = `${schema}.`;
  const normalize = (p: Props): Props => {
    const source = String(p['_source']);
    const stamps = timestampColumns.get(source.slice(prefix.length)) ?? new Set<string>();
    const out: Props = {};
    for (const [k, v] of Object.entries(p)) {
      if (k === 'sourceId' || k === 'at') continue;
      // Kept timestamp columns arrive as Debezium's ISO strings; the mapped ones are already epoch ms.
      out[k] = stamps.has(k) && typeof v === 'string' ? Date.parse(v) : v;
    }
    return out;
  };
  const vertices: Record<string, Props> = {};
  const strays: string[] = [];
  for (const [id, v] of Object.entries(dump.vertices)) {
    const p = (v as { props: Props }).props;
    if (typeof p['_source'] === 'string' && p['_source'].startsWith(prefix)) vertices[id] = normalize(p);
    else if (RECORD_LABELS.includes(id.split(':')[0]) && !(id in expected.vertices)) strays.push(id);
  }
  const edges: Record<string, Props> = {};
  for (const [id, e] of Object.entries(dump.edges)) {
    const p = (e as { props: Props }).props;
    if (typeof p['_source'] === 'string' && p['_source'].startsWith(prefix)) edges[id] = normalize(p);
  }
  return { vertices, edges, strays: strays.sort() };
}

/** Compares and returns a short description of the first differences ('' when equal). */
export function diffGraphs(expected: ExpectedGraph, actual: ExpectedGraph & { strays: string[] }): string {
  const out: string[] = [];
  for (const kind of ['vertices', 'edges'] as const) {
    const e = expected[kind];
    const a = actual[kind];
    for (const id of Object.keys(e)) {
      if (!(id in a)) out.push(`missing ${kind} ${id}`);
      else if (JSON.stringify(sorted(e[id])) !== JSON.stringify(sorted(a[id])))
        out.push(`different ${id}: expected ${JSON.stringify(sorted(e[id]))}, got ${JSON.stringify(sorted(a[id]))}`);
    }
    for (const id of Object.keys(a)) if (!(id in e)) out.push(`extra ${kind} ${id}`);
  }
  for (const s of actual.strays) out.push(`stray vertex ${s}`);
  return out.slice(0, 20).join('\n') + (out.length > 20 ? `\n… ${out.length - 20} more` : '');
}

function sorted(p: Props): Props {
  return Object.fromEntries(Object.entries(p).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** '' when the graph shows exactly the schema's rows; otherwise the first differences. */
export async function compareGraphWithDatabase(pg: Client, schema: string, dump: GraphDump): Promise<string> {
  const expected = await expectedGraph(pg, schema);
  return diffGraphs(expected, actualGraph(dump, schema, expected));
}
