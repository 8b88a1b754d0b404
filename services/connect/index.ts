export * from './connect-config';
export * from './connect-error';
export * from './connector-commands';
export * from './connector-definitions';
export * from './connector-service';
export * from './kafka-connect-client';
export * from './postgres-catalog';
export * from './replication-slot';
