import type { Template } from '../mapping';
import { validateTemplate } from '../mapping';
import { type CompiledMappings, compileMappingFile, type MappingFile } from '../mapping-file';
import { cdcMappings, crmMappingFile } from './cdc';
import { type SegmentMappings, segmentMappings } from './segment';
import { telemetryMapping } from './telemetry';

export interface Mappings {
  readonly segment: SegmentMappings;
  /** By `schema.table`. */
  readonly cdc: Readonly<Record<string, Template>>;
  readonly telemetry: Template;
}

export const defaultMappings: Mappings = { segment: segmentMappings, cdc: cdcMappings, telemetry: telemetryMapping };

/**
 * The mappings of a deployment whose CDC tables are described by `file` (its `--mappings`): the
 * file's tables replace the demo CRM's; clickstream and telemetry mappings stay. The extension
 * lists the labels the file adds — `extendModel` them before a store opens.
 */
export function mappingsFromFile(file: MappingFile): { mappings: Mappings; extension: CompiledMappings['extension'] } {
  const compiled = compileMappingFile(file);
  return { mappings: { ...defaultMappings, cdc: compiled.cdc }, extension: compiled.extension };
}

/** Check every template once at startup; throws SchemaError naming the mapping. */
export function validateMappings(m: Mappings): void {
  const { trackEvents, ...byType } = m.segment;
  for (const [name, t] of Object.entries(byType)) validateTemplate(`segment.${name}`, t);
  for (const [name, t] of Object.entries(trackEvents)) validateTemplate(`segment.track.${name}`, t);
  for (const [name, t] of Object.entries(m.cdc)) validateTemplate(`cdc.${name}`, t);
  validateTemplate('telemetry', m.telemetry);
}

export type { SegmentMappings };
export { cdcMappings, crmMappingFile, segmentMappings, telemetryMapping };
