/**
 * CDC mappings as configuration: a JSON file that says, per captured table,
 * which vertex a row is, which identifiers it carries, which edges its
 * foreign keys are — or that the row is itself an edge (a join table), or only
 * contributes properties to another table's vertex (a stock table). The file
 * is validated with zod and every error names its path
 * (`tables["shop.orders"].vertex.key[0]`); `compileMappingFile` turns it into
 * the templates of graph-schema/mapping.ts and the labels the model must
 * learn (`extendModel`). docs/cdc.md documents the format; the demo CRM's
 * mapping is graph-schema/mappings/crm.mapping.json.
 *
 * Pure: parsing text and compiling it; reading the file is the caller's job.
 */
import { z } from 'zod';
import { C360Error } from './errors';
import type { JsonValue } from './json';
import type { Template, ValueSpec, VertexTemplate } from './mapping';
import {
  EDGE_LABEL_PATTERN,
  type EdgeLabel,
  isEdgeLabel,
  isVertexLabel,
  type ModelExtension,
  type PropertyDef,
  type PropertyType,
  RESERVED_VERTEX_LABELS,
  VERTEX_LABEL_PATTERN,
  type VertexLabel,
} from './model';
import type { Normalizer } from './normalize';

/** The row's own vertex, as an edge endpoint. */
export const ROW = 'row';

/** A column name as Debezium spells the field; dots would read as a path. */
const column = z.string().regex(/^[^.\s]+$/, 'a column name (no dots or spaces)');
const columns = z.array(column).min(1, 'at least one key column');
const property = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'a property name: letters, digits, _')
  .refine((p) => p !== '_source', '_source is written by c360 (the row lineage)');
const vertexLabel = z
  .string()
  .regex(VERTEX_LABEL_PATTERN, 'a vertex label: PascalCase letters and digits, e.g. Purchase')
  .refine((l) => !RESERVED_VERTEX_LABELS.includes(l), `${RESERVED_VERTEX_LABELS.join(', ')} are internal`);
const edgeLabel = z.string().regex(EDGE_LABEL_PATTERN, 'an edge label: UPPER_SNAKE_CASE, e.g. PURCHASED');
const normalizer = z.enum(['string', 'number', 'timestamp', 'email', 'phone', 'lower', 'json']);

const json: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(json), z.record(z.string(), json)]),
);

/** `"first_name"`, `{"column": "total", "as": "number"}` or `{"const": "crm"}`. */
const value = z.union([column, z.strictObject({ column, as: normalizer.optional() }), z.strictObject({ const: json })]);
const properties = z.record(property, value);

const vertexRef = z.strictObject({ label: vertexLabel, key: columns });
const endpoint = z.union([z.literal(ROW), vertexRef]);

const edge = z.strictObject({
  label: edgeLabel,
  from: endpoint,
  to: endpoint,
  properties: properties.optional(),
});

const identity = z.strictObject({
  /** Identifier type: `email`, `phone`, `crmId`, any external id name. */
  type: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,62}$/, 'an identifier type, e.g. email or crmId'),
  column,
  /** `email` and `phone` normalize so the same address from any source is one Identity. */
  as: normalizer.optional(),
  /**
   * Owned identifiers exist because of this row (an id derived from its key): a delete
   * tombstones them, so `customer(identifier: …)` stops resolving. Shared ones (an email that
   * clickstream may also know) stay; only this row's evidence edge goes.
   */
  owned: z.boolean().optional(),
  /** The evidence rule recorded on the HAS_IDENTITY edge (default `cdc`). */
  rule: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_-]{0,62}$/)
    .optional(),
});

const table = z
  .strictObject({
    description: z.string().optional(),
    /** The row is a vertex. */
    vertex: z.strictObject({ label: vertexLabel, key: columns, properties: properties.optional() }).optional(),
    /** Identifiers of the row's vertex (HAS_IDENTITY evidence). */
    identities: z.array(identity).optional(),
    /** Edges to or from the row's vertex (`"row"`), usually one per foreign key. */
    edges: z.array(edge).optional(),
    /** The row is an edge (a join table, order lines): deleting the row deletes the edge. */
    edge: z
      .strictObject({ label: edgeLabel, from: vertexRef, to: vertexRef, properties: properties.optional() })
      .optional(),
    /** The row only adds properties to another vertex (`products_on_hand` → `Product.onHand`); a delete unsets them. */
    propertiesOf: z.strictObject({ label: vertexLabel, key: columns, properties }).optional(),
  })
  .superRefine((t, ctx) => {
    const kinds = (['vertex', 'edge', 'propertiesOf'] as const).filter((k) => t[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `a table is exactly one of vertex, edge, propertiesOf (found ${kinds.join(', ') || 'none'})`,
      });
      return;
    }
    if (t.vertex === undefined) {
      for (const k of ['identities', 'edges'] as const) {
        if (t[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: `${k} need a vertex table` });
      }
    }
    (t.edges ?? []).forEach((e, i) => {
      if (e.from !== ROW && e.to !== ROW) {
        ctx.addIssue({ code: 'custom', path: ['edges', i], message: 'one end of the edge must be "row"' });
      }
    });
  });

const propertyDef = z.strictObject({
  type: z.enum(['string', 'number', 'boolean', 'timestamp', 'json']),
  description: z.string().optional(),
  pii: z.boolean().optional(),
});

export const mappingFileSchema = z.strictObject({
  $schema: z.string().optional(),
  version: z.literal(1),
  description: z.string().optional(),
  /** Optional descriptions, property types and PII marks of the labels the tables use. */
  labels: z
    .strictObject({
      vertices: z
        .record(
          vertexLabel,
          z.strictObject({
            description: z.string().optional(),
            properties: z.record(property, propertyDef).optional(),
          }),
        )
        .optional(),
      edges: z
        .record(
          edgeLabel,
          z.strictObject({
            description: z.string().optional(),
            properties: z.record(property, propertyDef).optional(),
          }),
        )
        .optional(),
    })
    .optional(),
  /** By `schema.table`, as PostgreSQL spells them. */
  tables: z.record(z.string().regex(/^[^.\s]+\.[^.\s]+$/, 'schema.table'), table),
});

export type MappingFile = z.infer<typeof mappingFileSchema>;
export type TableMapping = z.infer<typeof table>;
type Value = z.infer<typeof value>;
/** A property's source: a column, a column with a normalizer, or a constant. */
export type MappingValue = Value;
type VertexRefSpec = z.infer<typeof vertexRef>;

export interface MappingFileIssue {
  /** `tables["shop.orders"].vertex.key[0]` */
  readonly path: string;
  readonly message: string;
}

/** The mapping file cannot be used; `issues` say where and why. */
export class MappingFileError extends C360Error {
  override name = 'MappingFileError';
  readonly issues: readonly MappingFileIssue[];
  constructor(source: string, issues: readonly MappingFileIssue[]) {
    super(`${source}: ${issues.map((i) => `${i.path || '(file)'}: ${i.message}`).join('; ')}`, {
      code: 'BAD_MAPPING_FILE',
    });
    this.issues = issues;
  }
}

function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out;
}

/** Parses and validates a mapping file's text; throws MappingFileError with every problem and its path. */
export function parseMappingFile(text: string, source = 'mapping file'): MappingFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new MappingFileError(source, [{ path: '', message: `not JSON (${(e as Error).message})` }]);
  }
  return validateMappingFile(raw, source);
}

export function validateMappingFile(raw: unknown, source = 'mapping file'): MappingFile {
  const result = mappingFileSchema.safeParse(raw);
  if (!result.success) {
    throw new MappingFileError(
      source,
      result.error.issues.map((i) => ({ path: pathText(i.path), message: i.message })),
    );
  }
  checkLabelUse(result.data, source);
  return result.data;
}

/** A label used in two tables must be the same thing: a built-in edge label keeps its direction. */
function checkLabelUse(file: MappingFile, source: string): void {
  const issues: MappingFileIssue[] = [];
  for (const [name, t] of Object.entries(file.tables)) {
    const at = (rest: string) => `tables[${JSON.stringify(name)}]${rest}`;
    if (t.edge && t.edge.label === 'HAS_IDENTITY') {
      issues.push({ path: at('.edge.label'), message: 'HAS_IDENTITY is written by identities, not by tables' });
    }
    (t.edges ?? []).forEach((e, i) => {
      if (e.label === 'HAS_IDENTITY') {
        issues.push({ path: at(`.edges[${i}].label`), message: 'HAS_IDENTITY is written by identities, not by edges' });
      }
    });
  }
  if (issues.length > 0) throw new MappingFileError(source, issues);
}

const TYPE_OF_NORMALIZER: Record<Normalizer, PropertyType> = {
  string: 'string',
  lower: 'string',
  email: 'string',
  phone: 'string',
  number: 'number',
  timestamp: 'timestamp',
  json: 'json',
};

function spec(v: Value): ValueSpec {
  if (typeof v === 'string') return `row.${v}`;
  if ('const' in v) return { const: v.const };
  return v.as ? { path: `row.${v.column}`, as: v.as } : `row.${v.column}`;
}

function specs(props: Record<string, Value> | undefined): Record<string, ValueSpec> {
  const out: Record<string, ValueSpec> = {};
  for (const [name, v] of Object.entries(props ?? {})) out[name] = spec(v);
  return out;
}

/** Keys are strings whatever the column type, so a bigint id and its text form meet. */
function keyOf(cols: readonly string[]): ValueSpec[] {
  return cols.map((c) => ({ path: `row.${c}`, as: 'string' as const }));
}

export interface CompiledMappings {
  /** Templates by `schema.table`. */
  readonly cdc: Readonly<Record<string, Template>>;
  /** Labels the tables use that the built-in model does not know. */
  readonly extension: ModelExtension;
}

/** What a compiled table needs to know about the labels it names, for the model extension. */
interface LabelUse {
  readonly vertices: Map<string, Map<string, PropertyDef>>;
  readonly edges: Map<string, { from: Set<string>; to: Set<string>; props: Map<string, PropertyDef> }>;
}

function propertyDefOf(v: Value): PropertyDef {
  if (typeof v === 'string') return { type: 'string', description: `column ${v}` };
  if ('const' in v) return { type: typeof v.const === 'number' ? 'number' : 'string', description: 'constant' };
  const as = v.as ?? 'string';
  return {
    type: TYPE_OF_NORMALIZER[as],
    description: `column ${v.column}`,
    ...(as === 'email' || as === 'phone' ? { pii: true } : {}),
  };
}

/** Turns a validated file into templates and the model extension its labels need. */
export function compileMappingFile(file: MappingFile): CompiledMappings {
  const use: LabelUse = { vertices: new Map(), edges: new Map() };
  const vertexUse = (label: string, props: Record<string, Value> = {}) => {
    const m = use.vertices.get(label) ?? new Map<string, PropertyDef>();
    use.vertices.set(label, m);
    for (const [name, v] of Object.entries(props)) if (!m.has(name)) m.set(name, propertyDefOf(v));
  };
  const edgeUse = (label: string, from: string, to: string, props: Record<string, Value> = {}) => {
    const e = use.edges.get(label) ?? { from: new Set<string>(), to: new Set<string>(), props: new Map() };
    use.edges.set(label, e);
    e.from.add(from);
    e.to.add(to);
    for (const [name, v] of Object.entries(props)) if (!e.props.has(name)) e.props.set(name, propertyDefOf(v));
  };

  const cdc: Record<string, Template> = {};
  for (const [name, t] of Object.entries(file.tables)) {
    cdc[name] = compileTable(t, vertexUse, edgeUse);
  }
  return { cdc, extension: extensionOf(file, use) };
}

function compileTable(
  t: TableMapping,
  vertexUse: (label: string, props?: Record<string, Value>) => void,
  edgeUse: (label: string, from: string, to: string, props?: Record<string, Value>) => void,
): Template {
  const vertices: VertexTemplate[] = [];
  const edges: NonNullable<Template['edges']>[number][] = [];
  const refs = new Map<string, string>();
  /** One alias per referenced vertex, however many edges name it. */
  const ref = (r: VertexRefSpec): string => {
    const id = JSON.stringify([r.label, r.key]);
    let as = refs.get(id);
    if (!as) {
      as = `ref${refs.size}`;
      refs.set(id, as);
      vertexUse(r.label);
      vertices.push({ as, label: r.label as VertexLabel, key: keyOf(r.key) });
    }
    return as;
  };

  if (t.vertex) {
    const v = t.vertex;
    vertexUse(v.label, v.properties);
    vertices.push({
      as: ROW,
      label: v.label as VertexLabel,
      key: keyOf(v.key),
      owned: true,
      props: specs(v.properties),
    });
    (t.identities ?? []).forEach((id, i) => {
      const as = `identity${i}`;
      const valueSpec: ValueSpec = { path: `row.${id.column}`, as: id.as ?? 'string' };
      vertices.push({
        as,
        label: 'Identity',
        key: [{ const: id.type }, valueSpec],
        props: { type: { const: id.type }, value: valueSpec },
        ...(id.owned ? { owned: true } : {}),
      });
      edgeUse('HAS_IDENTITY', v.label, 'Identity');
      edges.push({
        label: 'HAS_IDENTITY',
        from: ROW,
        to: as,
        props: { rule: { const: id.rule ?? 'cdc' }, sourceId: 'sourceId', at: 'ts' },
      });
    });
    for (const e of t.edges ?? []) {
      const from = e.from === ROW ? ROW : ref(e.from);
      const to = e.to === ROW ? ROW : ref(e.to);
      edgeUse(e.label, e.from === ROW ? v.label : e.from.label, e.to === ROW ? v.label : e.to.label, e.properties);
      edges.push({ label: e.label as EdgeLabel, from, to, props: specs(e.properties) });
    }
  } else if (t.edge) {
    const e = t.edge;
    const from = ref(e.from);
    const to = ref(e.to);
    edgeUse(e.label, e.from.label, e.to.label, e.properties);
    edges.push({ label: e.label as EdgeLabel, from, to, props: specs(e.properties) });
  } else if (t.propertiesOf) {
    const p = t.propertiesOf;
    vertexUse(p.label, p.properties);
    vertices.push({
      as: 'target',
      label: p.label as VertexLabel,
      key: keyOf(p.key),
      propsOnly: true,
      props: specs(p.properties),
    });
  }
  return { vertices, edges };
}

function extensionOf(file: MappingFile, use: LabelUse): ModelExtension {
  const declared = file.labels ?? {};
  const vertices: ModelExtension['vertices'][number][] = [];
  for (const [label, props] of use.vertices) {
    if (isVertexLabel(label)) continue;
    const d = declared.vertices?.[label];
    vertices.push({
      label,
      def: {
        description: d?.description ?? 'From the CDC mapping file.',
        key: 'the row key',
        properties: { ...Object.fromEntries(props), ...withDescriptions(d?.properties) },
      },
    });
  }
  const edges: ModelExtension['edges'][number][] = [];
  for (const [label, e] of use.edges) {
    if (isEdgeLabel(label)) continue;
    const d = declared.edges?.[label];
    edges.push({
      label,
      def: {
        description: d?.description ?? 'From the CDC mapping file.',
        from: [...e.from] as VertexLabel[],
        to: [...e.to] as VertexLabel[],
        properties: { ...Object.fromEntries(e.props), ...withDescriptions(d?.properties) },
      },
    });
  }
  return { vertices, edges };
}

function withDescriptions(props: Record<string, z.infer<typeof propertyDef>> | undefined): Record<string, PropertyDef> {
  const out: Record<string, PropertyDef> = {};
  for (const [name, p] of Object.entries(props ?? {})) {
    out[name] = { type: p.type, description: p.description ?? name, ...(p.pii ? { pii: true } : {}) };
  }
  return out;
}
