export * from './hub';
export * from './api-process';
export * from './worker';
