export {
  type CypherStatement,
  DEFAULT_BATCH_SIZE,
  planWriteStatements,
  planWriteTransactions,
  type WriteStatement,
} from './cypher-writes';
export { createNeo4jStore, type Neo4jGraphStore, type Neo4jStoreOptions } from './neo4j-store';
export { Neo4jStoreError, type Neo4jStoreErrorCode } from './neo4j-store-error';
