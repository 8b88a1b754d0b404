import type { Template } from '../mapping';
import { validateTemplate } from '../mapping';
import { cdcMappings } from './cdc';
import { type SegmentMappings, segmentMappings } from './segment';
import { telemetryMapping } from './telemetry';

export interface Mappings {
  readonly segment: SegmentMappings;
  /** By `schema.table`. */
  readonly cdc: Readonly<Record<string, Template>>;
  readonly telemetry: Template;
}

export const defaultMappings: Mappings = { segment: segmentMappings, cdc: cdcMappings, telemetry: telemetryMapping };

/** Check every template once at startup; throws SchemaError naming the mapping. */
export function validateMappings(m: Mappings): void {
  const { trackEvents, ...byType } = m.segment;
  for (const [name, t] of Object.entries(byType)) validateTemplate(`segment.${name}`, t);
  for (const [name, t] of Object.entries(trackEvents)) validateTemplate(`segment.track.${name}`, t);
  for (const [name, t] of Object.entries(m.cdc)) validateTemplate(`cdc.${name}`, t);
  validateTemplate('telemetry', m.telemetry);
}

export type { SegmentMappings };
export { cdcMappings, segmentMappings, telemetryMapping };
