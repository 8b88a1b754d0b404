export * from '../wiring';
export * from './api-process';
export * from './hub';
export * from './readiness';
export * from './worker';
