export * from './action-bus';
export * from './file-action-sink';
export * from './hub-action';
