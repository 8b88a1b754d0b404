export * from './embedded';
export * from './gremlin';
export * from './neo4j';
