export * from './batch';
export * from './errors';
export * from './graph-store';
export * from './json';
export * from './model';
export * from './mutations';
