/**
 * Worker-thread entry of the embedded hub's segment evaluations (see
 * features/segments/worker-evaluator.ts): opens the hub's LMDB environment for reading and
 * answers jobs with the reference evaluator over it. The hub's writer commits on the main
 * thread; each job reads the latest committed state.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { createEmbeddedSegmentEvaluator, serveEvaluationJobs } from '../../features/segments';
import { createEmbeddedStore } from '../../services/graph/embedded';

export interface SegmentEvaluationWorkerConfig {
  /** The embedded store's directory (the hub's data dir graph path). */
  readonly path: string;
}

if (parentPort) {
  const config = (workerData as { config: SegmentEvaluationWorkerConfig }).config;
  try {
    // On Linux the nice value is per thread: this lowers only this worker, so an evaluation
    // takes the CPU the hub's event loop leaves idle and never the other way round.
    setPriority(19);
  } catch {
    // Not permitted or not supported here: the evaluation still runs off the event loop.
  }
  const evaluator = createEmbeddedStore({ path: config.path }).then((store) =>
    createEmbeddedSegmentEvaluator({ store }),
  );
  // A failed open answers every job with its error instead of leaving them waiting.
  evaluator.catch(() => undefined);
  serveEvaluationJobs(parentPort, evaluator);
}
