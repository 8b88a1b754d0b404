/**
 * Every pinned version of the local infrastructure, in one place. Bumping a
 * version here provisions a fresh library directory next to the old one in the
 * cache (its name carries the version), so a bump never mixes jars.
 */
export const versions = {
  /**
   * The newest line kafkajs 2.2.4 is known to work with: Kafka 4.0 removed the
   * old protocol versions (KIP-896) and kafkajs is unmaintained since 2023, so
   * 3.9 — the last 3.x and the bridge release — is the safe pin.
   */
  kafka: '3.9.1',
  scala: '2.13',
  /** The last Debezium line built against Kafka 3.9 (3.3 moved to Kafka 4.1); 3.2.3 is the newest with a plugin archive on Maven Central. */
  debezium: '3.2.3.Final',
  /** Gremlin Server must speak the protocol of the `gremlin` npm driver (3.8.x); 3.8.1 is the newest server on Maven Central. */
  tinkerpop: '3.8.1',
  /** The 5.26 LTS line; the driver is neo4j-driver 5.x. */
  neo4j: '5.26.31',
  /**
   * Apache Cassandra for JanusGraph's CQL backend. 5.0 is the first line that supports Java 17
   * (4.0/4.1 run on 8 and 11 only), and this machine's JDKs are 17 and 25.
   */
  cassandra: '5.0.9',
  /**
   * The newest JanusGraph release (CQL backend, JanusGraph Server = Gremlin Server + JanusGraph). It
   * runs on its own TinkerPop 3.7.3, as JanusGraph users run it: on TinkerPop 3.8.1 five of its
   * classes are binary-incompatible (docs/infra.md lists them), and 3.8.x servers speak the same
   * GraphBinary protocol as the 3.8 npm driver.
   */
  janusgraph: '1.1.0',
  /** What JanusGraph 1.1.0's parent pom pins (see servers/janusgraph.ts). */
  janusgraphCommonsLang3: '3.16.0',
  /** The log4j 2 binding JanusGraph's distribution ships (its pom leaves bindings out). */
  log4j2: '2.23.1',
  /** Logging bindings the server poms leave to the distribution. */
  slf4jReload4j: '1.7.36',
  logback: '1.2.13',
  mavenDependencyPlugin: '3.8.1',
  /** Oldest PostgreSQL major that Debezium's pgoutput plugin and this setup support. */
  postgresMinMajor: 12,
} as const;
