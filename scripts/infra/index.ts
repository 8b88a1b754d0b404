/**
 * Local infrastructure without Docker: real Kafka (KRaft), Gremlin Server,
 * Neo4j, PostgreSQL and Kafka Connect + Debezium, provisioned from Maven
 * Central and the OS packages into a cache shared by every clone.
 * See docs/infra.md.
 */
export { registerInfraCommands } from './commands';
export {
  createInfraConfig,
  type InfraConfig,
  type InfraEndpoints,
  type InfraMode,
  localEndpoints,
  type PostgresEndpoint,
} from './config';
export { InfraError, MissingToolError, PortInUseError, ProvisionError, StartError } from './errors';
export {
  type InfraOptions,
  infraDown,
  infraEndpoints,
  infraLogs,
  infraStatus,
  infraUp,
  type ServerLog,
  type ServerState,
  type ServerStatus,
} from './infra';
export { defaultServerNames, isServerName, type ServerName, serverNames } from './server-name';
export { cqlOptions } from './servers/cassandra';
export { debeziumPostgresConnectorClass } from './servers/connect';
export { janusGraphKeyspace } from './servers/janusgraph';
export { versions } from './versions';
