// Generated from graph-schema/model.ts by services/graph/gremlin/janusgraph-schema.ts — do not edit.
// The c360 schema for JanusGraph 1.x: run with the JanusGraph instance bound as `graph` (JanusGraph
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

c360VertexLabels = ['Customer', 'Identity', 'Device', 'Account', 'Address', 'Order', 'Product', 'Session', 'Event', 'Interaction', 'HealthChange', 'Segment', 'State']
c360EdgeLabels = ['HAS_IDENTITY', 'SAME_AS', 'USES_DEVICE', 'OWNS', 'BELONGS_TO', 'HAS_ADDRESS', 'PLACED', 'CONTAINS', 'PERFORMED', 'IN_SESSION', 'ABOUT', 'CONTACTED', 'HEALTH_CHANGED', 'MEMBER_OF']
c360PropertyKeys = [
  '_live': String,
  '_ord': String,
  '_tomb': String,
  '_up': Boolean,
  'c.at': String,
  'c.category': String,
  'c.channel': String,
  'c.city': String,
  'c.country': String,
  'c.createdAt': String,
  'c.currency': String,
  'c.customerStatus': String,
  'c.definition': String,
  'c.deviceId': String,
  'c.email': String,
  'c.firmware': String,
  'c.firstName': String,
  'c.from': String,
  'c.healthSince': String,
  'c.healthStatus': String,
  'c.kind': String,
  'c.lastName': String,
  'c.lastSeen': String,
  'c.lifetimeValue': String,
  'c.line1': String,
  'c.manufacturer': String,
  'c.model': String,
  'c.name': String,
  'c.path': String,
  'c.phone': String,
  'c.plan': String,
  'c.postalCode': String,
  'c.price': String,
  'c.priority': String,
  'c.properties': String,
  'c.quantity': String,
  'c.reasons': String,
  'c.rule': String,
  'c.since': String,
  'c.sourceId': String,
  'c.status': String,
  'c.subject': String,
  'c.to': String,
  'c.total': String,
  'c.ts': String,
  'c.type': String,
  'c.value': String,
  'c360id': String,
  's.email': String,
  's.firstName': String,
  's.lastName': String,
  's.name': String,
  's.path': String,
  't': Double,
  'x.category': String,
  'x.email': String,
  'x.phone': String,
  'x.type': String,
  'x.value': String
]
c360LockedKeys = ['_up']
c360CompositeIndexes = [
  'c360_by_id': 'c360id',
  'c360_by_x_category': 'x.category',
  'c360_by_x_email': 'x.email',
  'c360_by_x_phone': 'x.phone',
  'c360_by_x_type': 'x.type',
  'c360_by_x_value': 'x.value'
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
