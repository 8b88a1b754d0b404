/**
 * Debezium CDC rows of the sample CRM (scripts/infra/postgres/crm-schema.sql) → graph:
 * the demo's mapping file (crm.mapping.json, the format of graph-schema/mapping-file.ts),
 * compiled. A deployment's own file replaces it (`--mappings FILE` / `C360_MAPPINGS`).
 * Scope of the templates: `row` (the `after` image, or `before` for deletes), `ts` (commit time).
 */
import type { Template } from '../mapping';
import { compileMappingFile, validateMappingFile } from '../mapping-file';
import crmMappingJson from './crm.mapping.json';

/** The demo CRM's mapping file, validated. */
export const crmMappingFile = validateMappingFile(crmMappingJson, 'graph-schema/mappings/crm.mapping.json');

export const cdcMappings: Readonly<Record<string, Template>> = compileMappingFile(crmMappingFile).cdc;
