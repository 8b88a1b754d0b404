/**
 * The only way names get into Cypher text. Labels, relationship types and schema property
 * names cannot be query parameters, so they come from graph-schema's closed sets and are
 * checked again here; every data value travels as a parameter.
 */
import { isEdgeLabel, isVertexLabel } from '../../../graph-schema';
import { Neo4jStoreError } from './neo4j-store-error';
import { encodeName, ID, JSON_PREFIX, LIVE, SEARCH_PREFIX, TIE_PREFIX, TOMB, VERSION_PREFIX } from './stored-element';

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]*$/;

function checked(kind: string, name: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new Neo4jStoreError('BAD_QUERY', `Neo4jStore: ${kind} ${JSON.stringify(name)} cannot appear in Cypher`);
  }
  return name;
}

export function vertexLabelText(label: string): string {
  if (!isVertexLabel(label))
    throw new Neo4jStoreError('BAD_QUERY', `Neo4jStore: unknown vertex label ${JSON.stringify(label)}`);
  return checked('vertex label', label);
}

export function edgeLabelText(label: string): string {
  if (!isEdgeLabel(label))
    throw new Neo4jStoreError('BAD_QUERY', `Neo4jStore: unknown edge label ${JSON.stringify(label)}`);
  return checked('edge label', label);
}

/** A property key built from a fixed prefix and a graph-schema property name, backquoted. */
export function schemaPropertyText(prefix: '' | typeof SEARCH_PREFIX | typeof JSON_PREFIX, name: string): string {
  return `\`${prefix}${encodeName(checked('property', name))}\``;
}

/** `x` is live: its newest upsert is newer than its newest tombstone (graph-schema `isLive`). */
export function liveText(x: string): string {
  return `(${x}.${LIVE} IS NOT NULL AND (${x}.${TOMB} IS NULL OR ${x}.${LIVE} > ${x}.${TOMB}))`;
}

/** graph-schema `isEdgeVisible`: the edge and both ends live, the edge newer than either end's tombstone. */
export function edgeVisibleText(e: string, from: string, to: string): string {
  return [
    liveText(e),
    liveText(from),
    liveText(to),
    `(${from}.${TOMB} IS NULL OR ${e}.${LIVE} > ${from}.${TOMB})`,
    `(${to}.${TOMB} IS NULL OR ${e}.${LIVE} > ${to}.${TOMB})`,
  ].join(' AND ');
}

export const keys = {
  id: ID,
  version: VERSION_PREFIX,
  tie: TIE_PREFIX,
  json: JSON_PREFIX,
  search: SEARCH_PREFIX,
} as const;
