/**
 * A mapping proposed from a database's catalog (`c360 cdc map`): an editable
 * mapping file (graph-schema/mapping-file.ts) that works unedited.
 *
 * - A table with a primary key is a vertex labelled after it (`purchase_orders` →
 *   `PurchaseOrder`); the customer table is `Customer`, with its key as an owned
 *   `crmId` identity and e-mail/phone-looking columns as identities.
 * - A foreign key is an edge. Where the two labels have a built-in relation
 *   (Customer –PLACED→ Order, Customer –HAS_ADDRESS→ Address, Order –CONTAINS→
 *   Product, …) it is used, so the 360° view shows them; otherwise the edge is
 *   named from the relation (`purchaser` → `PURCHASER`), from the row to what it references.
 * - A join table (its primary key is exactly its two foreign keys' columns, or it has
 *   no other key) is an edge between the two, its other columns edge properties.
 * - A table whose primary key is exactly one foreign key (`products_on_hand.product_id`)
 *   only adds properties to the referenced vertex (`Product.quantity`); a delete unsets them.
 * - Tables without a primary key cannot be keyed and are left out (listed in `skipped`).
 */
import { type MappingFile, type MappingValue, ROW, type TableMapping, validateMappingFile } from './mapping-file';
import { EDGES, type EdgeLabel, RESERVED_VERTEX_LABELS } from './model';
import type { Normalizer } from './normalize';

export type ReplicaIdentity = 'default' | 'full' | 'nothing' | 'index';

export interface CatalogColumn {
  readonly name: string;
  /** As `format_type` spells it: `integer`, `numeric(10,2)`, `timestamp with time zone`, … */
  readonly type: string;
  readonly notNull: boolean;
}

export interface CatalogForeignKey {
  readonly name: string;
  readonly columns: readonly string[];
  readonly refSchema: string;
  readonly refTable: string;
  readonly refColumns: readonly string[];
}

export interface CatalogTable {
  readonly name: string;
  readonly replicaIdentity: ReplicaIdentity;
  readonly columns: readonly CatalogColumn[];
  readonly primaryKey: readonly string[];
  readonly foreignKeys: readonly CatalogForeignKey[];
}

export interface DatabaseCatalog {
  readonly schema: string;
  readonly tables: readonly CatalogTable[];
}

export interface MappingProposal {
  readonly file: MappingFile;
  /** Tables left out, and why. */
  readonly skipped: readonly { readonly table: string; readonly reason: string }[];
  /** Tables whose replica identity is not FULL: updates would lose what the old row implied. */
  readonly notFull: readonly string[];
}

/** Built-in relations a proposal reuses, preferred in this order. */
const BUILT_IN_RELATIONS: readonly EdgeLabel[] = ['PLACED', 'HAS_ADDRESS', 'OWNS', 'CONTAINS', 'CONTACTED'];
const CUSTOMER_TABLE_NAMES = ['customers', 'customer', 'clients', 'client', 'users', 'members', 'contacts', 'people'];
const EMAIL = /(^|_)e?-?mail(_?address)?($|_)/i;
const PHONE = /(^|_)(phone|mobile|msisdn|telephone|tel|cell)(_?number|_no)?($|_)/i;

function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

function singular(word: string): string {
  if (/ies$/.test(word) && word.length > 4) return `${word.slice(0, -3)}y`;
  if (/(ss|us|is)$/.test(word)) return word;
  if (/(sses|xes|ches|shes)$/.test(word)) return word.slice(0, -2);
  if (/s$/.test(word) && word.length > 3) return word.slice(0, -1);
  return word;
}

const pascal = (ws: readonly string[]) => ws.map((w) => w[0].toUpperCase() + w.slice(1)).join('');

function labelFor(table: string): string {
  const ws = words(table);
  if (ws.length === 0) return 'Record';
  ws[ws.length - 1] = singular(ws[ws.length - 1]);
  let label = pascal(ws);
  if (/^[0-9]/.test(label)) label = `T${label}`;
  return label.slice(0, 60);
}

function propertyName(column: string): string {
  const ws = words(column);
  if (ws.length === 0) return 'value';
  const name = ws[0] + pascal(ws.slice(1));
  return /^[0-9]/.test(name) ? `c${name}` : name.slice(0, 60);
}

function edgeName(ws: readonly string[]): string {
  return (
    ws
      .join('_')
      .toUpperCase()
      .replace(/[^A-Z0-9_]/g, '_')
      .replace(/^[^A-Z]+/, '')
      .slice(0, 60) || 'RELATED_TO'
  );
}

function normalizerFor(type: string): Normalizer | undefined {
  const t = type.toLowerCase();
  if (/^(smallint|integer|bigint|numeric|decimal|real|double precision|money)/.test(t)) return 'number';
  if (/^(timestamp|date)/.test(t)) return 'timestamp';
  if (/^jsonb?$/.test(t)) return 'json';
  return undefined;
}

const same = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join('\u0000') === [...b].sort().join('\u0000');

function builtInRelation(from: string, to: string): EdgeLabel | null {
  for (const label of BUILT_IN_RELATIONS) {
    const def = EDGES[label];
    if ((def.from as readonly string[]).includes(from) && (def.to as readonly string[]).includes(to)) return label;
  }
  return null;
}

export interface ProposeOptions {
  /** The table of the people the graph is about (label Customer); guessed from common names when absent. */
  readonly customerTable?: string;
}

export function proposeMapping(catalog: DatabaseCatalog, options: ProposeOptions = {}): MappingProposal {
  const { schema } = catalog;
  const skipped: { table: string; reason: string }[] = [];
  const byName = new Map(catalog.tables.map((t) => [t.name, t]));
  if (options.customerTable !== undefined && !byName.has(options.customerTable)) {
    throw new TypeError(`proposeMapping: no table ${schema}.${options.customerTable}`);
  }
  const customerTable =
    options.customerTable ?? CUSTOMER_TABLE_NAMES.find((n) => byName.get(n)?.primaryKey.length) ?? null;

  type Kind = 'vertex' | 'edge' | 'properties';
  const kinds = new Map<string, Kind>();
  for (const t of catalog.tables) {
    const fks = t.foreignKeys.filter((fk) => fk.refSchema === schema && byName.has(fk.refTable));
    const fkColumns = fks.flatMap((fk) => fk.columns);
    if (t.primaryKey.length === 0) {
      skipped.push({ table: t.name, reason: 'no primary key: its rows cannot be told apart' });
    } else if (t.name === customerTable) kinds.set(t.name, 'vertex');
    else if (fks.length === 2 && same(t.primaryKey, fkColumns)) kinds.set(t.name, 'edge');
    else if (fks.some((fk) => same(fk.columns, t.primaryKey)) && fks.length === 1) kinds.set(t.name, 'properties');
    else kinds.set(t.name, 'vertex');
  }

  const labels = new Map<string, string>();
  const taken = new Set<string>();
  for (const t of catalog.tables) {
    if (kinds.get(t.name) !== 'vertex') continue;
    let label = t.name === customerTable ? 'Customer' : labelFor(t.name);
    if (
      t.name !== customerTable &&
      (label === 'Customer' || label === 'Identity' || RESERVED_VERTEX_LABELS.includes(label))
    ) {
      label = `${label}Record`;
    }
    let unique = label;
    for (let i = 2; taken.has(unique); i++) unique = `${label}${i}`;
    taken.add(unique);
    labels.set(t.name, unique);
  }
  // A properties table adds to its referenced table's vertex: that one must be a vertex.
  for (const t of catalog.tables) {
    if (kinds.get(t.name) !== 'properties') continue;
    const fk = t.foreignKeys.find((f) => same(f.columns, t.primaryKey));
    if (!fk || !labels.has(fk.refTable)) kinds.set(t.name, 'vertex');
  }

  const columnOk = (c: string) => /^[^.\s]+$/.test(c);
  const props = (t: CatalogTable, skip: ReadonlySet<string>) => {
    const out: Record<string, MappingValue> = {};
    const used = new Set<string>();
    for (const c of t.columns) {
      if (skip.has(c.name) || !columnOk(c.name)) continue;
      let name = propertyName(c.name);
      // The customer's first e-mail and phone are the model's Customer.email / .phone (indexed, searchable).
      if (t.name === customerTable && EMAIL.test(c.name) && !used.has('email')) name = 'email';
      else if (t.name === customerTable && PHONE.test(c.name) && !used.has('phone')) name = 'phone';
      if (name === '_source' || used.has(name)) name = `${name}_${used.size}`;
      used.add(name);
      const as = EMAIL.test(c.name) ? 'email' : PHONE.test(c.name) ? 'phone' : normalizerFor(c.type);
      out[name] = as ? { column: c.name, as } : c.name;
    }
    return out;
  };

  const tables: Record<string, TableMapping> = {};
  for (const t of catalog.tables) {
    const kind = kinds.get(t.name);
    if (!kind) continue;
    if (!t.columns.every((c) => !t.primaryKey.includes(c.name) || columnOk(c.name))) {
      skipped.push({ table: t.name, reason: 'a key column name holds a dot or a space' });
      continue;
    }
    const fks = t.foreignKeys.filter(
      (fk) => fk.refSchema === schema && labels.has(fk.refTable) && fk.columns.every(columnOk),
    );
    const name = `${schema}.${t.name}`;
    const fkColumns = new Set(fks.flatMap((fk) => fk.columns));
    if (kind === 'edge') {
      const [a, b] = fks;
      const fromLabel = labels.get(a.refTable) as string;
      const toLabel = labels.get(b.refTable) as string;
      const builtIn = builtInRelation(fromLabel, toLabel);
      const reversed = builtIn ? null : builtInRelation(toLabel, fromLabel);
      const [from, to] = reversed ? [b, a] : [a, b];
      const label = builtIn ?? reversed ?? edgeName(words(t.name).map(singular));
      tables[name] = {
        description: `join table: its primary key is its two foreign keys (${a.name}, ${b.name})`,
        edge: {
          label,
          from: { label: labels.get(from.refTable) as string, key: [...from.columns] },
          to: { label: labels.get(to.refTable) as string, key: [...to.columns] },
          properties: props(t, fkColumns),
        },
      };
      continue;
    }
    if (kind === 'properties') {
      const fk = t.foreignKeys.find((f) => same(f.columns, t.primaryKey)) as CatalogForeignKey;
      tables[name] = {
        description: `adds properties to ${fk.refTable}: its primary key is the foreign key ${fk.name}; a delete unsets them`,
        propertiesOf: {
          label: labels.get(fk.refTable) as string,
          key: [...fk.columns],
          properties: props(t, new Set(fk.columns)),
        },
      };
      continue;
    }
    const label = labels.get(t.name) as string;
    const isCustomer = t.name === customerTable;
    const mapping: TableMapping = {
      vertex: { label, key: [...t.primaryKey], properties: props(t, new Set([...t.primaryKey, ...fkColumns])) },
    };
    const identities: NonNullable<TableMapping['identities']> = [];
    if (isCustomer) {
      if (t.primaryKey.length === 1) identities.push({ type: 'crmId', column: t.primaryKey[0], owned: true });
      for (const c of t.columns) {
        if (t.primaryKey.includes(c.name) || !columnOk(c.name)) continue;
        if (EMAIL.test(c.name)) identities.push({ type: 'email', column: c.name, as: 'email' });
        else if (PHONE.test(c.name)) identities.push({ type: 'phone', column: c.name, as: 'phone' });
      }
    }
    const edges: NonNullable<TableMapping['edges']> = [];
    const usedEdges = new Set<string>();
    for (const fk of fks) {
      const target = labels.get(fk.refTable) as string;
      const ref = { label: target, key: [...fk.columns] };
      // Customer –PLACED→ Order reads better than Order –CUSTOMER→ Customer, and the 360° view knows it.
      const inbound = builtInRelation(target, label);
      const outbound = inbound ? null : builtInRelation(label, target);
      const builtIn = inbound ?? outbound;
      if (builtIn && !usedEdges.has(builtIn)) {
        usedEdges.add(builtIn);
        edges.push(inbound ? { label: builtIn, from: ref, to: ROW } : { label: builtIn, from: ROW, to: ref });
        continue;
      }
      // A single column names the relation (`purchaser`, `billing_address_id`); a composite key, its table.
      const relation = (fk.columns.length === 1 ? words(fk.columns[0]) : [singular(fk.refTable)]).filter(
        (w, i, all) =>
          !(i === all.length - 1 && ['id', 'no', 'key', 'fk', 'ref', 'code'].includes(w) && all.length > 1),
      );
      let edgeLabel = edgeName(relation);
      if (edgeLabel === edgeName(words(target)) || edgeLabel === edgeName(words(singular(fk.refTable)))) {
        edgeLabel = `HAS_${edgeLabel}`;
      }
      let unique = edgeLabel;
      for (let i = 2; usedEdges.has(unique); i++) unique = `${edgeLabel}_${i}`;
      usedEdges.add(unique);
      edges.push({ label: unique, from: ROW, to: ref });
    }
    if (identities.length > 0) mapping.identities = identities;
    if (edges.length > 0) mapping.edges = edges;
    tables[name] = mapping;
  }

  const file = validateMappingFile(
    {
      version: 1,
      description: `Proposed by c360 cdc map from ${schema}${customerTable ? ` (customers: ${customerTable})` : ''}. Edit freely: docs/cdc.md.`,
      tables,
    },
    'proposed mapping',
  );
  const notFull = catalog.tables
    .filter((t) => kinds.has(t.name) && t.replicaIdentity !== 'full')
    .map((t) => `${schema}.${t.name}`);
  return { file, skipped, notFull };
}
