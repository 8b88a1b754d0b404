export * from './api-process';
export * from './hub';
export * from './worker';
