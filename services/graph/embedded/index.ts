export { LAYOUT_VERSION, MAX_VERTEX_ID_BYTES } from './embedded-layout';
export {
  createEmbeddedStore,
  type EmbeddedGraphStore,
  type EmbeddedStoreOptions,
  type StoreHealth,
} from './embedded-store';
export { EmbeddedStoreError, type EmbeddedStoreErrorCode } from './embedded-store-error';
