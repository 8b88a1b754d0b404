/**
 * The JanusGraph schema of the Gremlin store, derived from graph-schema/model.ts and the store's
 * encoding (element-encoding.ts), as a Groovy script for JanusGraph's management API. JanusGraph
 * Server runs it at every start (scripts/infra/servers/janusgraph.ts); it only creates what is
 * missing, so it is idempotent. graph-schema/ddl/janusgraph-schema.groovy is this script, checked
 * in for users who manage their own JanusGraph (a unit test keeps the two equal).
 *
 * What it declares, and why:
 * - Vertex and edge labels of the model. Edge labels are SIMPLE (at most one edge of a label
 *   between two vertices, which is what mergeE keeps) with consistency LOCK: two transactions
 *   creating or changing the same edge then conflict at commit instead of leaving two copies or
 *   losing the newer property. On an eventually consistent backend (Cassandra) nothing else stops
 *   that.
 * - `_up` with consistency LOCK. Every upsert traversal rewrites `_up` on every element it merges,
 *   so the lock makes two transactions merging into the same vertex conflict at commit; the loser
 *   fails with a locking exception, which the store classifies as retriable and retries on fresh
 *   state. One lock per element, not one per property.
 * - Property keys with their types: the store's system keys, and `c.`/`x.`/`s.` keys of every
 *   declared property (undeclared ones are created on first use, as `schema.default` allows).
 * - Composite indexes for every lookup the store and the segment compiler start from: `c360id`
 *   and each indexed property's `x.<name>`. Vertex ids are the custom string ids of the c360 ids
 *   (`gremlinVertexId`), so uniqueness of `Label:key` is the vertex id itself; a unique index on
 *   `c360id` would add a second lock to every vertex write for nothing.
 * - Prefix search (`s.<name>`) and label listing have no index: they need a mixed index
 *   (Elasticsearch, Solr or Lucene), which this local setup does not run; JanusGraph answers them
 *   by scanning (`query.force-index=false`). See docs/infra.md.
 */
import {
  EDGE_LABELS,
  EDGES,
  indexedProperties,
  searchableProperties,
  VERTEX_LABELS,
  VERTICES,
} from '../../../graph-schema';
import { LOOKUP_PREFIX, PROP_PREFIX, SEARCH_PREFIX, SYSTEM_KEYS, TIMELINE_TS_KEY } from './element-encoding';

export type JanusGraphDataType = 'String' | 'Boolean' | 'Double';

export interface JanusGraphSchema {
  readonly vertexLabels: readonly string[];
  readonly edgeLabels: readonly string[];
  /** Property key → data type; every key is SINGLE cardinality. */
  readonly propertyKeys: Readonly<Record<string, JanusGraphDataType>>;
  /** Keys whose writes take a JanusGraph lock (consistency LOCK). */
  readonly lockedKeys: readonly string[];
  /** Composite vertex index name → its one key. */
  readonly compositeIndexes: Readonly<Record<string, string>>;
}

const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

export function janusGraphSchema(): JanusGraphSchema {
  const keys: Record<string, JanusGraphDataType> = {
    [SYSTEM_KEYS.id]: 'String',
    [SYSTEM_KEYS.ord]: 'String',
    [SYSTEM_KEYS.live]: 'String',
    [SYSTEM_KEYS.tomb]: 'String',
    [SYSTEM_KEYS.up]: 'Boolean',
    [TIMELINE_TS_KEY]: 'Double',
  };
  const lookups: string[] = [];
  for (const label of VERTEX_LABELS) {
    for (const name of Object.keys(VERTICES[label].properties)) keys[`${PROP_PREFIX}${name}`] = 'String';
    for (const name of indexedProperties(label)) {
      keys[`${LOOKUP_PREFIX}${name}`] = 'String';
      lookups.push(`${LOOKUP_PREFIX}${name}`);
    }
    for (const name of searchableProperties(label)) keys[`${SEARCH_PREFIX}${name}`] = 'String';
  }
  for (const label of EDGE_LABELS) {
    for (const name of Object.keys(EDGES[label].properties)) keys[`${PROP_PREFIX}${name}`] = 'String';
  }
  const indexes: Record<string, string> = { c360_by_id: SYSTEM_KEYS.id };
  for (const key of sorted(lookups)) indexes[`c360_by_${key.replace(/[^A-Za-z0-9]/g, '_')}`] = key;
  return {
    vertexLabels: [...VERTEX_LABELS],
    edgeLabels: [...EDGE_LABELS],
    propertyKeys: Object.fromEntries(sorted(Object.keys(keys)).map((k) => [k, keys[k]!])),
    lockedKeys: [SYSTEM_KEYS.up],
    compositeIndexes: indexes,
  };
}

const groovyString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const groovyList = (values: readonly string[]) => `[${values.map(groovyString).join(', ')}]`;

/** The schema as a Groovy script over a JanusGraph instance bound as `graph`. */
export function janusGraphSchemaScript(schema: JanusGraphSchema = janusGraphSchema()): string {
  const keyEntries = Object.entries(schema.propertyKeys)
    .map(([k, type]) => `  ${groovyString(k)}: ${type}`)
    .join(',\n');
  const indexEntries = Object.entries(schema.compositeIndexes)
    .map(([name, key]) => `  ${groovyString(name)}: ${groovyString(key)}`)
    .join(',\n');
  return `// Generated from graph-schema/model.ts by services/graph/gremlin/janusgraph-schema.ts — do not edit.
// The c360 schema for JanusGraph 1.x: run with the JanusGraph instance bound as \`graph\` (JanusGraph
// Server runs it at startup from scripts/infra). Idempotent: it creates only what is missing.
// The graph must be created with custom string vertex ids (properties file):
//   graph.set-vertex-id=true
//   graph.allow-custom-vid-types=true
import org.janusgraph.core.Cardinality
import org.janusgraph.core.Multiplicity
import org.janusgraph.core.schema.ConsistencyModifier
import org.janusgraph.core.schema.SchemaAction
import org.janusgraph.core.schema.SchemaStatus
import org.janusgraph.graphdb.database.management.ManagementSystem
import org.apache.tinkerpop.gremlin.structure.Vertex

c360VertexLabels = ${groovyList(schema.vertexLabels)}
c360EdgeLabels = ${groovyList(schema.edgeLabels)}
c360PropertyKeys = [
${keyEntries}
]
c360LockedKeys = ${groovyList(schema.lockedKeys)}
c360CompositeIndexes = [
${indexEntries}
]

c360Mgmt = graph.openManagement()
// Instances that died without closing stay registered and would block index state changes forever.
c360Mgmt.getOpenInstances().findAll { !it.endsWith('(current)') }.each { c360Mgmt.forceCloseInstance(it) }
c360VertexLabels.each { if (!c360Mgmt.containsVertexLabel(it)) c360Mgmt.makeVertexLabel(it).make() }
c360EdgeLabels.each {
  if (!c360Mgmt.containsEdgeLabel(it)) {
    def label = c360Mgmt.makeEdgeLabel(it).multiplicity(Multiplicity.SIMPLE).make()
    c360Mgmt.setConsistency(label, ConsistencyModifier.LOCK)
  }
}
c360PropertyKeys.each { name, type ->
  if (!c360Mgmt.containsPropertyKey(name)) {
    def key = c360Mgmt.makePropertyKey(name).dataType(type).cardinality(Cardinality.SINGLE).make()
    if (c360LockedKeys.contains(name)) c360Mgmt.setConsistency(key, ConsistencyModifier.LOCK)
  }
}
c360CompositeIndexes.each { name, key ->
  if (c360Mgmt.getGraphIndex(name) == null) {
    c360Mgmt.buildIndex(name, Vertex.class).addKey(c360Mgmt.getPropertyKey(key)).buildCompositeIndex()
  }
}
c360Mgmt.commit()

// An index over a key that already had data starts INSTALLED: register it, reindex, enable.
// (Indexes created together with their keys, as on a new graph, are ENABLED at once.)
c360CompositeIndexes.keySet().each { name ->
  def m = graph.openManagement()
  def status = m.getGraphIndex(name).getIndexStatus(m.getPropertyKey(c360CompositeIndexes[name]))
  m.rollback()
  if (status == SchemaStatus.ENABLED) return
  if (status == SchemaStatus.INSTALLED) {
    m = graph.openManagement()
    m.updateIndex(m.getGraphIndex(name), SchemaAction.REGISTER_INDEX).get()
    m.commit()
    ManagementSystem.awaitGraphIndexStatus(graph, name).status(SchemaStatus.REGISTERED).call()
  }
  m = graph.openManagement()
  m.updateIndex(m.getGraphIndex(name), SchemaAction.REINDEX).get()
  m.commit()
  ManagementSystem.awaitGraphIndexStatus(graph, name).status(SchemaStatus.ENABLED).call()
}
`;
}
