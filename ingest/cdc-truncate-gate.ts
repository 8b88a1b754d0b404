/**
 * Truncates that converge like every other change.
 *
 * A Debezium truncate event (`op: t`) names a table, not rows. The gate turns
 * it into versioned tombstones of every graph element the table's rows wrote —
 * the vertices a row owns (`owned` in the mapping) and the edges it writes —
 * found through the `GraphStore` read API by the `_source: '<schema>.<table>'`
 * marker the mapper writes on exactly those elements. Every tombstone carries
 * the truncate's version, so a row written after the truncate (newer version)
 * survives it, whichever order the two reach the store in, and replaying the
 * truncate changes nothing.
 *
 * Ordering: the expansion must see every change the table made before the
 * truncate. They precede it in the table's topic partition (Debezium writes in
 * commit order; the connectors create one partition per table), and the Kafka
 * worker submits one partition's batches one after the other — so the gate
 * only has to make the part of the submission before the truncate durable
 * before it reads the store. It splits a submission at each truncate.
 *
 * A table whose rows only set properties of another table's vertices (`propertiesOf`) is
 * truncated by unsetting those properties wherever they are set.
 *
 * Cost: one `search(label, '')` scan per owned label, one `scanStates` per property
 * target, and one `neighbors` page per start vertex of each edge label of the mapping —
 * proportional to the vertices of those labels in the whole graph, not to the table.
 * (Edges are found from their live start vertices: an edge upsert makes both its ends
 * exist, so no edge hides behind a vertex whose own row has not arrived. A scan of all
 * edges of a label would be simpler, but JanusGraph has no index to serve it.) Truncates
 * are rare operator actions; the scan runs in pages of 500.
 */
import type { Logger } from 'pino';
import {
  type EdgeLabel,
  type GraphStore,
  type Mappings,
  type Mutation,
  type Page,
  parseVertexId,
  type VertexLabel,
} from '../graph-schema';
import { CDC_SOURCE_PROPERTY, type CdcMapperOptions, type CdcTruncateSource, cdcTemplateShape } from './event-mapper';
import type { RawMessage } from './hub-event';
import type { IngestPipeline, RejectedMessage, SubmitResult } from './ingest-pipeline';
import type { PipelineDecoder } from './pipeline';

export interface CdcTruncateGateOptions {
  readonly store: GraphStore;
  readonly mappings: Mappings;
  /** The Debezium decoder (ingest/decoders' `createDecoders().cdc`). */
  readonly decoder: PipelineDecoder;
  readonly tableAlias?: (schema: string, table: string) => string;
  readonly logger: Logger;
  /** Page size of the store scans. */
  readonly pageSize?: number;
}

export interface CdcTruncateGate {
  /** Pass to `createEventMapper(mappings, { cdc: gate.mapperOptions })`. */
  readonly mapperOptions: CdcMapperOptions;
  /** The pipeline the transports submit to. */
  wrap(pipeline: IngestPipeline): IngestPipeline;
}

/** The JSON converter writes compact JSON, and inside a JSON string these bytes would be escaped. */
const TRUNCATE_BYTES = Buffer.from('"op":"t"');

export function createCdcTruncateGate(options: CdcTruncateGateOptions): CdcTruncateGate {
  const { store, mappings, decoder, logger } = options;
  const pageSize = options.pageSize ?? 500;
  const alias = options.tableAlias ?? ((schema: string, table: string) => `${schema}.${table}`);
  const prepared = new Map<string, readonly Mutation[]>();
  const truncates: CdcTruncateSource = {
    take(eventId) {
      const m = prepared.get(eventId);
      prepared.delete(eventId);
      return m;
    },
  };

  /** Every page a paged store read returns, in order. */
  async function* pages<T>(read: (after: string | null) => Promise<Page<T>>): AsyncGenerator<readonly T[]> {
    let after: string | null = null;
    for (;;) {
      const page = await read(after);
      yield page.items;
      if (!page.hasNextPage) return;
      after = page.cursors[page.cursors.length - 1];
    }
  }

  async function* vertexIdsOf(
    label: VertexLabel,
  ): AsyncGenerator<{ id: string; source: unknown; props: Readonly<Record<string, unknown>> }[]> {
    for await (const items of pages((after) => store.search(label, '', { first: pageSize, after }))) {
      yield items.map((v) => ({ id: v.id, source: v.props[CDC_SOURCE_PROPERTY], props: v.props }));
    }
  }

  async function edgesFrom(ids: readonly string[], label: EdgeLabel, table: string, version: string, out: Mutation[]) {
    let queries = ids.map((id) => ({ id, after: null as string | null }));
    while (queries.length > 0) {
      const pages = await store.neighbors(
        queries.map((q) => ({
          id: q.id,
          direction: 'out' as const,
          edgeLabels: [label],
          first: pageSize,
          after: q.after,
        })),
      );
      const next: typeof queries = [];
      pages.forEach((page, i) => {
        for (const n of page.items) {
          if (n.edge.props[CDC_SOURCE_PROPERTY] !== table) continue;
          const from = parseVertexId(n.edge.from);
          const to = parseVertexId(n.edge.to);
          if (from && to) out.push({ op: 'deleteEdge', label, from, to, version });
        }
        if (page.hasNextPage) next.push({ id: queries[i].id, after: page.cursors[page.cursors.length - 1] });
      });
      queries = next;
    }
  }

  /** Tombstones for everything the table's rows wrote, at the truncate's version. */
  async function expand(schema: string, tableName: string, version: string): Promise<Mutation[] | null> {
    const name = alias(schema, tableName);
    const template = Object.hasOwn(mappings.cdc, name) ? mappings.cdc[name] : undefined;
    if (!template) return null;
    const table = `${schema}.${tableName}`;
    const shape = cdcTemplateShape(template);
    const out: Mutation[] = [];
    for (const label of shape.ownedLabels) {
      for await (const page of vertexIdsOf(label)) {
        for (const v of page) {
          const ref = v.source === table ? parseVertexId(v.id) : null;
          if (ref) out.push({ op: 'deleteVertex', label: ref.label, key: ref.key, version });
        }
      }
    }
    // A property table's rows live as properties of other vertices: unset them where they are set —
    // also on vertices whose own row has not arrived yet (another table's topic may lag behind this
    // one), which only `scanStates` lists; it would otherwise come alive with the truncated values.
    for (const target of shape.propertyTargets) {
      for await (const page of pages((after) => store.scanStates(target.label, { first: pageSize, after }))) {
        for (const v of page) {
          const ref = target.props.some((p) => v.props[p] !== undefined) ? parseVertexId(v.id) : null;
          if (!ref) continue;
          const props = Object.fromEntries(target.props.map((p) => [p, null]));
          out.push({ op: 'setVertexProps', label: ref.label, key: ref.key, props, version });
        }
      }
    }
    for (const edge of shape.edges) {
      for (const fromLabel of new Set(edge.fromLabels)) {
        for await (const page of vertexIdsOf(fromLabel)) {
          await edgesFrom(
            page.map((v) => v.id),
            edge.label,
            table,
            version,
            out,
          );
        }
      }
    }
    return out;
  }

  function truncateAt(raw: RawMessage): { id: string; schema: string; table: string; version: string } | null {
    if (raw.source !== 'cdc' || raw.value === null || !raw.value.includes(TRUNCATE_BYTES)) return null;
    const [outcome] = decoder.decode(raw);
    if (!outcome?.ok) return null; // the pipeline dead-letters it with the reason
    const body = outcome.event.body;
    if (body.source !== 'cdc' || body.op !== 't') return null;
    return { id: outcome.event.id, schema: body.schema, table: body.table, version: outcome.event.version };
  }

  return {
    mapperOptions: { sourceMarker: true, truncates, ...(options.tableAlias ? { tableAlias: options.tableAlias } : {}) },
    wrap(pipeline) {
      return {
        async submit(messages) {
          const cuts: number[] = [];
          const found = messages.map((m, i) => {
            const t = truncateAt(m);
            if (t) cuts.push(i);
            return t;
          });
          if (cuts.length === 0) return pipeline.submit(messages);
          const results: { offset: number; result: SubmitResult }[] = [];
          const ids: string[] = [];
          try {
            let start = 0;
            for (const cut of cuts) {
              if (cut > start) {
                results.push({ offset: start, result: await pipeline.submit(messages.slice(start, cut)) });
                start = cut;
              }
              const t = found[cut];
              if (!t) continue;
              const mutations = await expand(t.schema, t.table, t.version);
              if (mutations) {
                prepared.set(t.id, mutations);
                ids.push(t.id);
                logger.info({ table: `${t.schema}.${t.table}`, tombstones: mutations.length }, 'CDC truncate expanded');
              }
            }
            results.push({ offset: start, result: await pipeline.submit(messages.slice(start)) });
          } finally {
            // A duplicate truncate is skipped before the mapper takes its expansion.
            for (const id of ids) prepared.delete(id);
          }
          return merge(results);
        },
        flush: () => pipeline.flush(),
        close: () => pipeline.close(),
      };
    },
  };
}

function merge(parts: readonly { offset: number; result: SubmitResult }[]): SubmitResult {
  const rejected: RejectedMessage[] = [];
  let applied = 0;
  let duplicates = 0;
  let deadLettered = 0;
  let ignored = 0;
  for (const { offset, result } of parts) {
    applied += result.applied;
    duplicates += result.duplicates;
    deadLettered += result.deadLettered;
    ignored += result.ignored;
    for (const r of result.rejected) rejected.push({ ...r, index: r.index + offset });
  }
  return { applied, duplicates, deadLettered, ignored, rejected };
}
