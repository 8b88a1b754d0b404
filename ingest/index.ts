export * from './dead-letter';
export * from './dedupe';
export * from './errors';
export * from './event-mapper';
export * from './hub-event';
export * from './ingest-pipeline';
export * from './pipeline';
export * from './pipeline-metrics';
