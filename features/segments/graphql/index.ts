export { createSegmentsModule, type SegmentsModuleDeps } from './create-segments-module';
export { segmentsTypeDefs } from './segments-type-defs';
