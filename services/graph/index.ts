export * from './embedded';
export * from './neo4j';
export * from './gremlin';
