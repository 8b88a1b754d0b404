// c360 schema for JanusGraph (1.0+), for users who run the Gremlin store on JanusGraph.
// TinkerGraph needs none of this. Run once, before the first write, in the Gremlin console
// connected to the graph (`:remote connect tinkerpop.server conf/remote.yaml session` then
// `:remote console`), or as a server init script.
//
// The graph's properties file must also let c360 use its own string vertex ids
// (`Label:key`, see services/graph/gremlin/gremlin-store.ts):
//   graph.set-vertex-id=true
//   graph.allow-custom-vid-types=true
// and, to let the database refuse a concurrent lost update (the store retries the loser),
// give the versioned properties consistency LOCK below (only matters on eventually
// consistent backends such as Cassandra; BerkeleyDB and ScyllaDB with LWT are serial).
//
// What c360 stores on every element (services/graph/gremlin/element-encoding.ts):
//   c360id   String   Label:key (vertices)
//   _ord     String   the id's UTF-8 bytes as Latin-1, for byte-order paging (vertices)
//   _live    String   newest upsert version + U+0002, or ''
//   _tomb    String   newest tombstone version + U+0002, or ''
//   _up      Boolean  _live > _tomb
//   c.<name> String   version + U+0001 + JSON value, one per property (names are open-ended)
//   x.<name> String   JSON value of an indexed property (exact lookups)
//   s.<name> String   lower-cased value of a searchable property (prefix search)
//   t        Double   numeric `ts`, for timelines

mgmt = graph.openManagement()

def key(name, type) {
  def k = mgmt.getPropertyKey(name)
  return k != null ? k : mgmt.makePropertyKey(name).dataType(type).cardinality(org.janusgraph.core.Cardinality.SINGLE).make()
}

vertexLabels = ['Customer', 'Identity', 'Device', 'Account', 'Address', 'Order', 'Product', 'Session', 'Event',
                'Interaction', 'Segment']
edgeLabels = ['HAS_IDENTITY', 'USES_DEVICE', 'OWNS', 'BELONGS_TO', 'HAS_ADDRESS', 'PLACED', 'CONTAINS', 'PERFORMED',
              'IN_SESSION', 'ABOUT', 'CONTACTED', 'MEMBER_OF']
vertexLabels.each { if (mgmt.getVertexLabel(it) == null) mgmt.makeVertexLabel(it).make() }
// MULTI: at most one edge of a label between two vertices is kept by c360 itself (mergeE).
edgeLabels.each { if (mgmt.getEdgeLabel(it) == null) mgmt.makeEdgeLabel(it).multiplicity(org.janusgraph.core.Multiplicity.MULTI).make() }

c360id = key('c360id', String)
ord = key('_ord', String)
live = key('_live', String)
tomb = key('_tomb', String)
up = key('_up', Boolean)
ts = key('t', Double)
[live, tomb].each { mgmt.setConsistency(it, org.janusgraph.core.schema.ConsistencyModifier.LOCK) }

// Indexed properties of graph-schema/model.ts (exact lookup) and searchable ones (prefix search).
lookupKeys = ['email', 'phone', 'type', 'value', 'category'].collect { key('x.' + it, String) }
searchKeys = ['firstName', 'lastName', 'name', 'email'].collect { key('s.' + it, String) }

// c360id is unique: the store looks vertices up by it when a provider cannot use it as T.id.
if (mgmt.getGraphIndex('byC360id') == null)
  mgmt.buildIndex('byC360id', org.apache.tinkerpop.gremlin.structure.Vertex).addKey(c360id).unique().buildCompositeIndex()
lookupKeys.each { k ->
  def name = 'byLookup_' + k.name().replace('.', '_')
  if (mgmt.getGraphIndex(name) == null)
    mgmt.buildIndex(name, org.apache.tinkerpop.gremlin.structure.Vertex).addKey(k).addKey(up).buildCompositeIndex()
}
// Prefix search and ordered listing need a mixed index (Elasticsearch, Solr or Lucene backend named `search`).
if (mgmt.getGraphIndex('bySearch') == null) {
  def builder = mgmt.buildIndex('bySearch', org.apache.tinkerpop.gremlin.structure.Vertex)
  searchKeys.each { builder.addKey(it, org.janusgraph.core.schema.Mapping.STRING.asParameter()) }
  builder.addKey(ord, org.janusgraph.core.schema.Mapping.STRING.asParameter()).addKey(up).buildMixedIndex('search')
}
// Timeline edges are read from the owner outwards, filtered on _up; a vertex-centric index keeps that local.
['PLACED', 'PERFORMED', 'CONTACTED'].each { label ->
  def name = 'byUp_' + label
  def edgeLabel = mgmt.getEdgeLabel(label)
  if (mgmt.getRelationIndex(edgeLabel, name) == null)
    mgmt.buildEdgeIndex(edgeLabel, name, org.apache.tinkerpop.gremlin.structure.Direction.OUT, up)
}
mgmt.commit()

// Wait until the new indexes can be used (a fresh graph registers them at once).
['byC360id'].each { org.janusgraph.graphdb.database.management.ManagementSystem.awaitGraphIndexStatus(graph, it).call() }
