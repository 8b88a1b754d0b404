export { allNeighbors, type DumpOptions, dumpGraph, type GraphDump, readAll } from './dump-graph';
export { type CreatedStore, defineGraphStoreSuite, type GraphStoreSuiteOptions } from './graph-store-suite';
export {
  byteOrder,
  type ReferenceGraph,
  referenceDump,
  referenceGraph,
  referenceLookup,
  referenceNeighbors,
  referenceSearch,
  referenceStats,
  referenceTimeline,
  referenceVertex,
  timelineTsOf,
} from './reference-graph';
