/**
 * Everything segments need, wired once: the composition root builds one of these
 * and hands `module deps` to the GraphQL module and `live.onApplied` to the pipeline.
 */
import type { Logger } from 'pino';
import type { GraphStore } from '../../graph-schema';
import type { StateStore } from '../../services/state';
import type { ActionSink } from '../actions';
import { createEmbeddedSegmentEvaluator, type EmbeddedSegmentEvaluator } from './embedded-evaluator';
import { createLiveSegments, type LiveSegments } from './live-segments';
import { type Clock, createSegmentCatalog, type SegmentCatalog, systemClock } from './segment-catalog';
import type { SegmentEvaluator } from './segment-evaluator';

export interface SegmentServiceOptions {
  readonly store: GraphStore;
  /** Where segment.entered / segment.left go (the hub's action bus). */
  readonly actions: ActionSink;
  readonly logger: Logger;
  readonly clock?: Clock;
  /**
   * Answers previews and counts; default the embedded evaluator over `store`. With the
   * Gremlin or Neo4j store, pass `createGremlinSegmentEvaluator` / `createCypherSegmentEvaluator`
   * so the database does the work. Live membership always uses the embedded evaluator
   * (per-customer checks and window deadlines).
   */
  readonly previewEvaluator?: SegmentEvaluator & { close?(): Promise<void> };
  /** Live state (transition ordinals); the process's shared store in a split deployment. */
  readonly stateStore?: StateStore;
}

export interface SegmentService {
  readonly catalog: SegmentCatalog;
  readonly evaluator: SegmentEvaluator;
  readonly liveEvaluator: EmbeddedSegmentEvaluator;
  readonly live: LiveSegments;
  readonly clock: Clock;
  /** Recounts every saved segment (the window schedule lives in memory); call once at startup. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export function createSegmentService(options: SegmentServiceOptions): SegmentService {
  const clock = options.clock ?? systemClock;
  const catalog = createSegmentCatalog({ store: options.store, clock });
  const liveEvaluator = createEmbeddedSegmentEvaluator({ store: options.store });
  const live = createLiveSegments({
    store: options.store,
    actions: options.actions,
    evaluator: liveEvaluator,
    catalog,
    clock,
    logger: options.logger,
    ...(options.stateStore ? { stateStore: options.stateStore } : {}),
  });
  return {
    catalog,
    evaluator: options.previewEvaluator ?? liveEvaluator,
    liveEvaluator,
    live,
    clock,
    async start() {
      await live.reconcile();
    },
    async close() {
      await live.close();
      await options.previewEvaluator?.close?.();
    },
  };
}
