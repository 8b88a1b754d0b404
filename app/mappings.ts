/**
 * The mappings a process runs with: the demo CRM's, or the file the config names
 * (`--mappings` / `C360_MAPPINGS`). Loading a file also teaches the model its labels
 * (`extendModel`), which must happen before a store opens — every store derives its
 * schema, constraints and label checks from the model — so `openGraphStore` calls this first.
 */
import { defaultMappings, extendModel, type MappingFile, type Mappings, mappingsFromFile } from '../graph-schema';
import type { C360Config } from './config';

const loaded = new WeakMap<MappingFile, Mappings>();

/** The config's mappings; the file's labels are added to the model once. */
export function mappingsOf(config: Pick<C360Config, 'mappings'>): Mappings {
  const m = config.mappings;
  if (m === null) return defaultMappings;
  let mappings = loaded.get(m.file);
  if (!mappings) {
    const compiled = mappingsFromFile(m.file);
    extendModel(compiled.extension);
    mappings = compiled.mappings;
    loaded.set(m.file, mappings);
  }
  return mappings;
}
