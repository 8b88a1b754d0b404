export * from './computed-traits';
export * from './trait-buckets';
export * from './trait-config';
