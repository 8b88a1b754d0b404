/**
 * The ingest pipeline with CDC fully wired: truncates expanded through the
 * store, `_source` markers, unmapped columns kept, an optional table alias.
 * A drop-in for `createPipeline` where CDC topics are consumed.
 */
import type { Mappings } from '../graph-schema';
import { createCdcTruncateGate } from './cdc-truncate-gate';
import { createEventMapper } from './event-mapper';
import type { IngestPipeline } from './ingest-pipeline';
import { createPipeline, type PipelineOptions } from './pipeline';

export interface CdcPipelineOptions extends Omit<PipelineOptions, 'mapper'> {
  readonly mappings: Mappings;
  /** Mapping name of a captured table (default `<schema>.<table>`). */
  readonly tableAlias?: (schema: string, table: string) => string;
  /** Columns no template maps become properties of the row's own record (default true: schema drift is kept). */
  readonly keepUnmappedColumns?: boolean;
}

/** How often the same table's missing `before` images are logged again. */
const WARN_EVERY_MS = 60_000;

/**
 * Loud, not silent, and not one line per row: the first update without `before` of a table, then
 * once a minute with the count since, plus a metric per table.
 */
function updateWithoutBeforeWarning(options: CdcPipelineOptions): (table: string) => void {
  const seen = new Map<string, { lastMs: number; since: number }>();
  return (table) => {
    options.metrics?.cdcUpdatesWithoutBefore?.inc({ table });
    const now = Date.now();
    const s = seen.get(table);
    if (s && now - s.lastMs < WARN_EVERY_MS) {
      s.since++;
      return;
    }
    seen.set(table, { lastMs: now, since: 0 });
    options.logger.warn(
      { table, updatesSinceLastWarning: s?.since ?? 0 },
      `CDC update of ${table} carries no 'before' image: the table lacks REPLICA IDENTITY FULL, so what only the old row implied (a moved foreign key's edge, a changed e-mail's identity) stays in the graph. Run ALTER TABLE ${table} REPLICA IDENTITY FULL (c360 connectors apply --set-replica-identity does it).`,
    );
  };
}

export function createCdcPipeline(options: CdcPipelineOptions): IngestPipeline {
  const { mappings, tableAlias, keepUnmappedColumns = true, ...pipelineOptions } = options;
  const gate = createCdcTruncateGate({
    store: options.store,
    mappings,
    decoder: options.decoders.cdc,
    logger: options.logger,
    ...(tableAlias ? { tableAlias } : {}),
  });
  const mapper = createEventMapper(mappings, {
    cdc: { ...gate.mapperOptions, keepUnmappedColumns, onUpdateWithoutBefore: updateWithoutBeforeWarning(options) },
  });
  return gate.wrap(createPipeline({ ...pipelineOptions, mapper }));
}
