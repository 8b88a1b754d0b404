/**
 * Chooses the mapping template for a decoded event and evaluates it. The only
 * place that knows how a source's fields become a template scope.
 */
import {
  edgeId,
  evaluateTemplate,
  type JsonObject,
  type Mappings,
  type Mutation,
  type Template,
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

function elementKey(m: Mutation): string {
  return m.op === 'upsertEdge' || m.op === 'deleteEdge' ? edgeId(m.label, m.from, m.to) : vertexId(m);
}

export function createEventMapper(mappings: Mappings): EventMapper {
  validateMappings(mappings);

  function mapSegment(e: SegmentEvent, event: HubEvent): MapOutcome {
    const scope = { ...e, ts: e.timestampMs, sourceId: event.id };
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
    const name = e.table.includes('.') ? e.table : `${e.schema}.${e.table}`;
    const template = Object.hasOwn(mappings.cdc, name) ? mappings.cdc[name] : undefined;
    if (!template) {
      return { ok: false, error: new MappingError('UNMAPPED_TABLE', `no mapping for CDC table ${name}`) };
    }
    const scope = (row: JsonObject | null) => ({ row, ts: e.tsMs, sourceId: event.id, op: e.op });
    switch (e.op) {
      case 'c':
      case 'r':
        return { ok: true, mutations: evaluateTemplate(template, scope(e.after), event.version, 'upsert') };
      case 'u': {
        const upserts = evaluateTemplate(template, scope(e.after), event.version, 'upsert');
        if (!e.before) return { ok: true, mutations: upserts };
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
      case 't':
        return {
          ok: false,
          error: new MappingError(
            'UNSUPPORTED_OP',
            `truncate of ${name} is not applied by this version; replay a snapshot`,
          ),
        };
      default: {
        const never: never = e.op;
        return { ok: false, error: new MappingError('BAD_MAPPING', `unknown CDC op ${String(never)}`) };
      }
    }
  }

  function mapTelemetry(e: TelemetryEvent, event: HubEvent): MapOutcome {
    const scope = { ...e, ts: e.timestampMs, sourceId: event.id };
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
