export { AnalyticsError, type AnalyticsErrorCode } from './analytics-error';
export {
  type AnalyticsSchedule,
  type AnalyticsScheduleOptions,
  type AnalyticsScheduleTimers,
  createAnalyticsSchedule,
  SCHEDULED_ANALYTICS,
} from './analytics-schedule';
export {
  ANALYTICS_TRAITS,
  type AnalyticsRun,
  type AnalyticsService,
  type AnalyticsServiceOptions,
  type CentralityEntry,
  type Community,
  createAnalyticsService,
  type ProjectionSnapshot,
  type RunStatus,
  type SimilarEntry,
} from './analytics-service';
export { type BetweennessOptions, type BetweennessResult, betweennessCsr } from './betweenness';
export { connectedComponentsCsr, symmetrize } from './connected-components';
export { type Csr, type CsrArrays, csrFromEdgeList, nodeCount, toCsr } from './csr';
export { degreeCsr } from './degree';
export {
  allNeighborPages,
  type LoadProjectionOptions,
  loadProjection,
  refreshProjectedVertices,
} from './load-projection';
export { type LouvainOptions, type LouvainResult, louvainCsr } from './louvain';
export { BASKET_PATHS, CUSTOMER_ITEM_PATHS, followMetapath, type Metapath, metapathGraph } from './metapath-graph';
export { loadNeighborhood, MAX_NEIGHBORHOOD_DEPTH, type Neighborhood, type NeighborhoodOptions } from './neighborhood';
export { type PagerankOptions, type PagerankResult, pagerankCsr } from './pagerank';
export {
  addProjectedEdge,
  createProjectionGraph,
  labelOfId,
  type ProjectedEdge,
  type ProjectedNode,
  type ProjectionGraph,
} from './projection-graph';
export {
  CUSTOMER_GRAPH,
  inTimeWindow,
  type ProjectionSpec,
  type TimeWindow,
  validateProjectionSpec,
} from './projection-spec';
export {
  type AlgorithmKind,
  type AlgorithmOutput,
  type AlgorithmParams,
  type AlgorithmRequest,
  CENTRALITY_KINDS,
  type CentralityKind,
  COMMUNITY_KINDS,
  type CommunityKind,
  isCentralityKind,
  runAlgorithm,
} from './run-algorithm';
export { runInWorker, type WorkerRun } from './run-in-worker';
export { mulberry32 } from './seeded-random';
export { shortestPathCsr, transposeCsr } from './shortest-path';
export {
  SIMILARITY_MEASURES,
  type SimilarityMeasure,
  type SimilarNode,
  similarCsr,
  similarGraphology,
} from './similarity';
export { type TraitWrite, writeTraits } from './write-traits';
