// JanusGraph Server init script for the janusgraph/janusgraph Docker image (docker-compose.yml mounts it
// over scripts/empty-sample.groovy): applies c360's schema, generated from graph-schema/model.ts and
// mounted next to it, then binds `g` as the stock script does. `c360 infra` writes the same two
// parts into one init script itself (scripts/infra/servers/janusgraph.ts).
evaluate(new File('/opt/janusgraph/scripts/c360-schema.groovy'))
def globals = [:]
globals << [g : traversal().withEmbedded(graph)]
