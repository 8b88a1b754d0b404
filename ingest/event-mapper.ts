/**
 * Chooses the mapping template for a decoded event and evaluates it. The only
 * place that knows how a source's fields become a template scope.
 */
import {
  type EdgeLabel,
  edgeId,
  evaluateTemplate,
  type JsonObject,
  type JsonValue,
  type Mappings,
  type Mutation,
  type Template,
  type ValueSpec,
  type VertexLabel,
  validateMappings,
  vertexId,
} from '../graph-schema';
import { MappingError } from './errors';
import type { CdcEvent, HubEvent, SegmentEvent, TelemetryEvent } from './hub-event';

/** `ignore`: the event carries nothing to apply (a Kafka tombstone after a delete). */
export type MapOutcome =
  | { readonly ok: true; readonly mutations: Mutation[] }
  | { readonly ok: false; readonly error: MappingError }
  | 'ignore';

export type EventMapper = (event: HubEvent) => MapOutcome;

/**
 * The property that names the captured table (`<schema>.<table>`, as PostgreSQL spells it) on
 * every vertex a CDC row owns and every edge it writes: a truncate finds exactly those.
 */
export const CDC_SOURCE_PROPERTY = '_source';

/**
 * Tombstones prepared for a truncate event by someone who may read the store (services/connect's
 * truncate gate). The mapper is synchronous and store-blind, so it only takes them by event id.
 */
export interface CdcTruncateSource {
  take(eventId: string): readonly Mutation[] | undefined;
}

export interface CdcMapperOptions {
  /**
   * The mapping name of a captured table; default `<schema>.<table>`. Lets a copy of the CRM in
   * another schema (a tenant, a test) use the `crm.*` templates.
   */
  readonly tableAlias?: (schema: string, table: string) => string;
  /** Write `_source` on a row's own vertices and edges (needed by truncates). */
  readonly sourceMarker?: boolean;
  /** Truncate expansions; without them a truncate is dead-lettered (UNSUPPORTED_OP). */
  readonly truncates?: CdcTruncateSource;
  /**
   * Copy columns the template does not map onto the row's own record (its first owned vertex, or
   * its edges when the row is an edge): a column added with ALTER TABLE shows up without a
   * mapping change. Mapped properties win over a column of the same name.
   */
  readonly keepUnmappedColumns?: boolean;
  /**
   * Told about an update that carries no `before` image (the table lacks REPLICA IDENTITY FULL):
   * what only the old row implied — a moved foreign key's edge, a changed email's evidence —
   * cannot be removed, so the graph silently keeps it. The CDC pipeline logs it loudly.
   */
  readonly onUpdateWithoutBefore?: (table: string) => void;
}

export interface EventMapperOptions {
  readonly cdc?: CdcMapperOptions;
}

/** What a CDC template owns, computed once per template: for markers, unmapped columns and truncates. */
export interface CdcTemplateShape {
  /** Labels of the vertices the row owns (a delete tombstones them). */
  readonly ownedLabels: ReadonlySet<VertexLabel>;
  /** Properties the row sets on vertices it does not own (`propertiesOf` tables): a truncate unsets them. */
  readonly propertyTargets: readonly { readonly label: VertexLabel; readonly props: readonly string[] }[];
  /** The first owned vertex label: where unmapped columns go. */
  readonly recordLabel: VertexLabel | null;
  /** `row.<column>` paths the template reads. */
  readonly mappedColumns: ReadonlySet<string>;
  /** Edges the row writes and the labels of their start vertices. */
  readonly edges: readonly { readonly label: EdgeLabel; readonly fromLabels: readonly VertexLabel[] }[];
}

function columnsOf(spec: ValueSpec | readonly ValueSpec[] | undefined, into: Set<string>): void {
  if (spec === undefined) return;
  for (const s of Array.isArray(spec) ? spec : [spec as ValueSpec]) {
    const path = typeof s === 'string' ? s : 'path' in s ? s.path : null;
    if (path?.startsWith('row.')) into.add(path.slice(4).split('.')[0]);
  }
}

export function cdcTemplateShape(template: Template): CdcTemplateShape {
  const ownedLabels = new Set<VertexLabel>();
  const mappedColumns = new Set<string>();
  const labelsByAlias = new Map<string, VertexLabel[]>();
  let recordLabel: VertexLabel | null = null;
  const propertyTargets: { label: VertexLabel; props: string[] }[] = [];
  for (const vt of template.vertices ?? []) {
    const candidates = 'firstOf' in vt ? vt.firstOf : [vt];
    labelsByAlias.set(
      vt.as,
      candidates.map((c) => c.label),
    );
    for (const c of candidates) {
      columnsOf(c.key, mappedColumns);
      for (const p of Object.values(c.props ?? {})) columnsOf(p, mappedColumns);
      if (c.spread?.path.startsWith('row.')) mappedColumns.add(c.spread.path.slice(4));
      if (c.owned) {
        ownedLabels.add(c.label);
        recordLabel ??= c.label;
      }
      if (c.propsOnly) propertyTargets.push({ label: c.label, props: Object.keys(c.props ?? {}) });
    }
  }
  const edges = (template.edges ?? []).map((et) => {
    for (const p of Object.values(et.props ?? {})) columnsOf(p, mappedColumns);
    return { label: et.label, fromLabels: labelsByAlias.get(et.from) ?? [] };
  });
  return { ownedLabels, recordLabel, mappedColumns, edges, propertyTargets };
}

function elementKey(m: Mutation): string {
  return m.op === 'upsertEdge' || m.op === 'deleteEdge' ? edgeId(m.label, m.from, m.to) : vertexId(m);
}

export function createEventMapper(mappings: Mappings, options: EventMapperOptions = {}): EventMapper {
  validateMappings(mappings);
  const cdcOptions = options.cdc ?? {};
  const shapes = new Map<string, CdcTemplateShape>();
  const shapeOf = (name: string, template: Template): CdcTemplateShape => {
    let shape = shapes.get(name);
    if (!shape) {
      shape = cdcTemplateShape(template);
      shapes.set(name, shape);
    }
    return shape;
  };

  /**
   * Source markers and kept unmapped columns on the upserts of a row's own record: its owned
   * vertices (`owned`, in template order — the first is the record) and its edges.
   */
  function decorate(
    upserts: Mutation[],
    shape: CdcTemplateShape,
    table: string,
    row: JsonObject | null,
    owned: readonly string[],
  ): Mutation[] {
    const marker = cdcOptions.sourceMarker === true;
    let extra: JsonObject | null = null;
    if (cdcOptions.keepUnmappedColumns && row) {
      for (const column of Object.keys(row)) {
        if (shape.mappedColumns.has(column) || column === CDC_SOURCE_PROPERTY) continue;
        extra ??= {};
        extra[column] = row[column] as JsonValue;
      }
    }
    if (!marker && extra === null) return upserts;
    return upserts.map((m) => {
      if (m.op === 'upsertVertex' && owned.includes(vertexId(m))) {
        const kept = vertexId(m) === owned[0] ? extra : null;
        return { ...m, props: { ...kept, ...m.props, ...(marker ? { [CDC_SOURCE_PROPERTY]: table } : {}) } };
      }
      if (m.op === 'upsertEdge') {
        const kept = shape.recordLabel === null ? extra : null;
        return { ...m, props: { ...kept, ...m.props, ...(marker ? { [CDC_SOURCE_PROPERTY]: table } : {}) } };
      }
      return m;
    });
  }

  const SEGMENT_ID_PREFIX = 'segment:';

  function mapSegment(e: SegmentEvent, event: HubEvent): MapOutcome {
    // The event's identity in the graph (Event vertex key, evidence source): its id without
    // the source prefix — the messageId, scoped by sender, set apart when its content differs.
    const eventKey = event.id.startsWith(SEGMENT_ID_PREFIX) ? event.id.slice(SEGMENT_ID_PREFIX.length) : e.messageId;
    const scope = { ...e, eventKey, ts: e.timestampMs, sourceId: event.id };
    const templates: Template[] = [mappings.segment[e.type]];
    if (e.type === 'track' && e.name !== null) {
      const extra = Object.hasOwn(mappings.segment.trackEvents, e.name)
        ? mappings.segment.trackEvents[e.name]
        : undefined;
      if (extra) templates.push(extra);
    }
    return { ok: true, mutations: templates.flatMap((t) => evaluateTemplate(t, scope, event.version, 'upsert')) };
  }

  function mapCdc(e: CdcEvent, event: HubEvent): MapOutcome {
    if (e.tombstone) return 'ignore';
    const table = e.table.includes('.') ? e.table : `${e.schema}.${e.table}`;
    const name = cdcOptions.tableAlias && !e.table.includes('.') ? cdcOptions.tableAlias(e.schema, e.table) : table;
    const template = Object.hasOwn(mappings.cdc, name) ? mappings.cdc[name] : undefined;
    if (!template) {
      return { ok: false, error: new MappingError('UNMAPPED_TABLE', `no mapping for CDC table ${name}`) };
    }
    const shape = shapeOf(name, template);
    const scope = (row: JsonObject | null) => ({ row, ts: e.tsMs, sourceId: event.id, op: e.op });
    const upsert = (row: JsonObject | null) => {
      const owned: string[] = [];
      const mutations = evaluateTemplate(template, scope(row), event.version, 'upsert', undefined, owned);
      return decorate(mutations, shape, table, row, owned);
    };
    switch (e.op) {
      case 'c':
      case 'r':
        return { ok: true, mutations: upsert(e.after) };
      case 'u': {
        const upserts = upsert(e.after);
        if (!e.before) {
          cdcOptions.onUpdateWithoutBefore?.(table);
          return { ok: true, mutations: upserts };
        }
        // A changed foreign or key column moves an edge: delete what the old row implied and the new one does not.
        const kept = new Set(upserts.map(elementKey));
        const removed = evaluateTemplate(template, scope(e.before), event.version, 'delete').filter(
          (m) => !kept.has(elementKey(m)),
        );
        return { ok: true, mutations: [...removed, ...upserts] };
      }
      case 'd': {
        const row = e.before ?? e.key;
        if (!row)
          return {
            ok: false,
            error: new MappingError('MISSING_KEY', `delete on ${name} carries neither before nor key`),
          };
        return { ok: true, mutations: evaluateTemplate(template, scope(row), event.version, 'delete') };
      }
      case 't': {
        // Which elements the table owns is a question for the store; the truncate gate asked it.
        const expansion = cdcOptions.truncates?.take(event.id);
        if (expansion) return { ok: true, mutations: [...expansion] };
        return {
          ok: false,
          error: new MappingError(
            'UNSUPPORTED_OP',
            `truncate of ${name} is not applied without the CDC truncate gate; replay a snapshot`,
          ),
        };
      }
      default: {
        const never: never = e.op;
        return { ok: false, error: new MappingError('BAD_MAPPING', `unknown CDC op ${String(never)}`) };
      }
    }
  }

  function mapTelemetry(e: TelemetryEvent, event: HubEvent): MapOutcome {
    // What the device says it is travels beside the indicators (`deviceType` or `type`, …).
    const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
    const about = {
      deviceType: text(e.extra.deviceType) ?? text(e.extra.type),
      manufacturer: text(e.extra.manufacturer),
      model: text(e.extra.model),
      firmware: text(e.extra.firmware) ?? text(e.extra.firmwareVersion),
    };
    const scope = { ...e, ...about, ts: e.timestampMs, sourceId: event.id };
    return { ok: true, mutations: evaluateTemplate(mappings.telemetry, scope, event.version, 'upsert') };
  }

  return (event) => {
    const body = event.body;
    switch (body.source) {
      case 'segment':
        return mapSegment(body, event);
      case 'cdc':
        return mapCdc(body, event);
      case 'telemetry':
        return mapTelemetry(body, event);
      default: {
        const never: never = body;
        return { ok: false, error: new MappingError('BAD_MAPPING', `unknown source ${JSON.stringify(never)}`) };
      }
    }
  };
}
