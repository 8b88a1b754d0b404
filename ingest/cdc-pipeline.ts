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

export function createCdcPipeline(options: CdcPipelineOptions): IngestPipeline {
  const { mappings, tableAlias, keepUnmappedColumns = true, ...pipelineOptions } = options;
  const gate = createCdcTruncateGate({
    store: options.store,
    mappings,
    decoder: options.decoders.cdc,
    logger: options.logger,
    ...(tableAlias ? { tableAlias } : {}),
  });
  const mapper = createEventMapper(mappings, { cdc: { ...gate.mapperOptions, keepUnmappedColumns } });
  return gate.wrap(createPipeline({ ...pipelineOptions, mapper }));
}
