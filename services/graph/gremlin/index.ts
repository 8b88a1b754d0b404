export { decodeState, orderKey } from './element-encoding';
export {
  createGremlinStore,
  GREMLIN_STORE_DEFAULTS,
  type GremlinGraphStore,
  type GremlinStoreOptions,
} from './gremlin-store';
export { classifyGremlinError, GremlinStoreError, type GremlinStoreErrorCode } from './gremlin-store-error';
export {
  createNaiveGremlinWriter,
  type NaiveGremlinWriter,
  type NaiveGremlinWriterOptions,
} from './naive-gremlin-writer';
export { batchRows, chunkRows, edgeUpsertTraversal, vertexUpsertTraversal } from './write-traversals';
