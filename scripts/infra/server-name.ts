/** The servers `c360 infra` manages, in the order they start (Connect needs Kafka, JanusGraph needs Cassandra). */
export const serverNames = ['kafka', 'gremlin', 'neo4j', 'postgres', 'connect', 'cassandra', 'janusgraph'] as const;
export type ServerName = (typeof serverNames)[number];

/**
 * What `c360 infra up` starts when no server is named. Cassandra and JanusGraph are opt-in
 * (`--with janusgraph`): together they take about 3 GB and a minute to start, and only the
 * JanusGraph tests and bench use them.
 */
export const defaultServerNames = [
  'kafka',
  'gremlin',
  'neo4j',
  'postgres',
  'connect',
] as const satisfies readonly ServerName[];

export function isServerName(value: string): value is ServerName {
  return (serverNames as readonly string[]).includes(value);
}
