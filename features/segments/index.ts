export {
  type CypherQuery,
  type CypherReader,
  type CypherSegmentEvaluatorOptions,
  createCypherSegmentEvaluator,
  cypherCheckQuery,
  cypherCountQuery,
  cypherMembersQuery,
  cypherSegmentPredicate,
  NEO4J_LAYOUT,
  neo4jPropertyKey,
} from './cypher-segments';
export {
  createEmbeddedSegmentEvaluator,
  type EmbeddedEvaluationOptions,
  type EmbeddedEvaluatorOptions,
  type EmbeddedSegmentEvaluator,
  type Verdict,
} from './embedded-evaluator';
export {
  createGremlinSegmentEvaluator,
  GREMLIN_LAYOUT,
  type GremlinSegmentEvaluatorOptions,
  gremlinCheckTraversal,
  gremlinCountTraversal,
  gremlinMembersTraversal,
  gremlinSegmentFilter,
} from './gremlin-segments';
export {
  createLiveSegments,
  type LiveSegments,
  type LiveSegmentsOptions,
  nextOrdinal,
  type ReconcileResult,
  SEGMENT_ENTERED,
  SEGMENT_LEFT,
  segmentActionId,
  type Transition,
} from './live-segments';
export { testProperty } from './property-test';
export {
  type Clock,
  createSegmentCatalog,
  dependencyOrder,
  type SavedSegment,
  type SegmentCatalog,
  type SegmentCatalogOptions,
  storedDefinition,
  systemClock,
} from './segment-catalog';
export {
  type Condition,
  type CountBounds,
  conditionsOf,
  durationMs,
  type EventBehaviour,
  hasTimeWindow,
  type OrderBehaviour,
  type ProductFilter,
  type PropertyTest,
  parseSegmentDefinition,
  referencedSegments,
  type SegmentDefinition,
} from './segment-definition';
export { type DefinitionIssue, formatPath, SegmentDefinitionError, SegmentError } from './segment-error';
export {
  type Cancellation,
  checkpoint,
  compareIds,
  type EvaluationTime,
  type MembersRequest,
  type SegmentEvaluator,
  type SegmentPreviewResult,
  withFallbackEvaluator,
} from './segment-evaluator';
export { createSegmentService, type SegmentService, type SegmentServiceOptions } from './segment-service';
export {
  createWorkerSegmentEvaluator,
  type EvaluationJob,
  type EvaluationReply,
  serveEvaluationJobs,
  type WorkerEvaluatorOptions,
  type WorkerSegmentEvaluator,
} from './worker-evaluator';
