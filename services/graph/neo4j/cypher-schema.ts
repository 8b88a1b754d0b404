/**
 * Constraints and indexes derived from graph-schema, all idempotent (`IF NOT EXISTS`) so
 * every process may run them at startup. Names are fixed per (label, property) so a
 * second run, or a second process, finds them.
 */
import { indexedProperties, searchableProperties, VERTEX_LABELS } from '../../../graph-schema';
import { keys, schemaPropertyText, vertexLabelText } from './cypher-text';
import { SEARCH_PREFIX } from './stored-element';

export function schemaStatements(): string[] {
  const statements: string[] = [];
  for (const label of VERTEX_LABELS) {
    const l = vertexLabelText(label);
    // The uniqueness constraint is also the range index every read by id uses.
    statements.push(`CREATE CONSTRAINT c360_${l}_id IF NOT EXISTS FOR (n:${l}) REQUIRE n.${keys.id} IS UNIQUE`);
    for (const property of indexedProperties(label)) {
      statements.push(
        `CREATE RANGE INDEX c360_${l}_${property} IF NOT EXISTS FOR (n:${l}) ON (n.${schemaPropertyText('', property)})`,
      );
    }
    for (const property of searchableProperties(label)) {
      statements.push(
        `CREATE TEXT INDEX c360_${l}_search_${property} IF NOT EXISTS FOR (n:${l}) ON (n.${schemaPropertyText(SEARCH_PREFIX, property)})`,
      );
    }
  }
  return statements;
}

/** Lookups and searches right after startup must already be served by the indexes. */
export const AWAIT_INDEXES = 'CALL db.awaitIndexes($timeoutSeconds)';
