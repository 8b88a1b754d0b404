/**
 * Segment evaluation on worker threads. A preview over the embedded store is CPU work
 * proportional to the graph (every customer's events are read and decoded); on the thread
 * that serves requests and applies events, one preview stalled collector and 360° requests
 * for its whole duration, and a burst of them ran the process out of heap. Here each
 * evaluation runs on a long-lived worker (the store opened once per worker; LMDB lets
 * threads of one process read one environment concurrently) with its own heap limit and a
 * low scheduling priority, so it uses the spare core and a runaway preview kills only its
 * worker. Cancellation is a shared flag the evaluator polls between store round trips; a
 * worker that does not stop in time is terminated.
 */
import { type MessagePort, Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { LabelRange } from '../../graph-schema';
import type { EmbeddedSegmentEvaluator } from './embedded-evaluator';
import type { SegmentDefinition } from './segment-definition';
import { SegmentError } from './segment-error';
import type {
  Cancellation,
  EvaluationTime,
  MembersRequest,
  SegmentEvaluator,
  SegmentPreviewResult,
} from './segment-evaluator';

/**
 * The worker runs TypeScript source: it registers tsx's CommonJS hook first (a runtime
 * dependency; the hub itself runs on tsx), so one entry works under tsx, jest and the bench.
 */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
require(workerData.tsxApi).register();
require(workerData.entry);
`;

type Operation =
  | {
      readonly op: 'count';
      readonly definition: SegmentDefinition;
      readonly at: EvaluationTime;
      readonly range?: LabelRange;
    }
  | { readonly op: 'members'; readonly definition: SegmentDefinition; readonly request: MembersRequest }
  | {
      readonly op: 'preview';
      readonly definition: SegmentDefinition;
      readonly request: MembersRequest;
      readonly range?: LabelRange;
    }
  | { readonly op: 'ranges'; readonly parts: number }
  | {
      readonly op: 'check';
      readonly definition: SegmentDefinition;
      readonly ids: readonly string[];
      readonly at: EvaluationTime;
    };

/** What a worker's evaluator offers to answer one slice of the customers. */
export type SlicedEvaluator = Pick<EmbeddedSegmentEvaluator, 'ranges' | 'previewRange' | 'countRange'>;

/**
 * One preview from the previews of consecutive slices (in slice order): counts add up, and
 * the first page is the first `first` members of the slices' pages laid end to end — each
 * slice returned its own first `first`, so nothing a whole scan would list is missing.
 */
export function mergeSlicePreviews(parts: readonly SegmentPreviewResult[], first: number): SegmentPreviewResult {
  let count = 0;
  const all: string[] = [];
  let more = false;
  for (const p of parts) {
    count += p.count;
    all.push(...p.members.items);
    more ||= p.members.hasNextPage;
  }
  const items = all.slice(0, first);
  return { count, members: { items, cursors: items, hasNextPage: more || all.length > first } };
}

/** Parent → worker. `cancel` is one Int32 the parent sets to 1 to stop the job. */
export type EvaluationJob = Operation & { readonly id: number; readonly cancel: SharedArrayBuffer };

/** Worker → parent. */
export type EvaluationReply =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly code: string; readonly message: string };

/**
 * The worker side: answers jobs posted on `port` with `evaluator` (the embedded evaluator
 * over a store the worker opened itself), one at a time, in order.
 */
export function serveEvaluationJobs(
  port: MessagePort,
  evaluator: Promise<SegmentEvaluator & Partial<SlicedEvaluator>>,
): void {
  port.on('message', (job: EvaluationJob) => {
    const flag = new Int32Array(job.cancel);
    const signal: Cancellation = {
      get aborted() {
        return Atomics.load(flag, 0) === 1;
      },
    };
    const run = async (): Promise<unknown> => {
      const e = await evaluator;
      switch (job.op) {
        case 'count':
          return job.range && e.countRange
            ? e.countRange(job.definition, { ...job.at, signal }, job.range)
            : e.count(job.definition, { ...job.at, signal });
        case 'members':
          return e.members(job.definition, { ...job.request, signal });
        case 'preview':
          return job.range && e.previewRange
            ? e.previewRange(job.definition, { ...job.request, signal }, job.range)
            : e.preview(job.definition, { ...job.request, signal });
        case 'ranges':
          return e.ranges ? e.ranges(job.parts) : [{ after: null, through: null }];
        case 'check':
          return e.check(job.definition, job.ids, { ...job.at, signal });
      }
    };
    run().then(
      (result) => port.postMessage({ id: job.id, ok: true, result } satisfies EvaluationReply),
      (error: unknown) => {
        const code = error instanceof SegmentError ? error.code : 'EVALUATION_FAILED';
        const message = error instanceof Error ? error.message : String(error);
        port.postMessage({ id: job.id, ok: false, code, message } satisfies EvaluationReply);
      },
    );
  });
}

export interface WorkerEvaluatorOptions {
  /** The worker entry: a module that calls `serveEvaluationJobs` on its parentPort. */
  readonly entry: string;
  /** Handed to the entry as `workerData.config` (e.g. the store's directory). */
  readonly config: unknown;
  /** Workers, i.e. evaluations at once; more wait in order (default 1). */
  readonly threads?: number;
  /**
   * A preview or count is cut into this many slices of the customers, one job each, so a
   * whole-graph scan uses every worker when they are free (default: twice `threads`, so a
   * worker that finishes its slice early takes another instead of waiting for the slowest;
   * 1: never cut). Slices queue in order with every other evaluation.
   */
  readonly slices?: number;
  /** Old-generation heap of each worker (default 1,024 MB): past it only the worker dies. */
  readonly maxHeapMb?: number;
  /**
   * Young generation of each worker (default 192 MB, V8's semi-spaces 64 MB). A scan keeps a
   * page's reads (about a thousand customers' vertices, owners and windows) alive while it
   * allocates its garbage; with V8's default 16 MB semi-spaces every scavenge copied that live
   * set again, about three times as often: scavenging took 1.5 s of four previews' CPU on
   * 100,000 customers, 0.3 s with 64 MB (docs/benchmarks.md, "Young generation").
   */
  readonly youngGenerationMb?: number;
  /** How long a cancelled job may take to notice before its worker is terminated (default 2 s). */
  readonly cancelGraceMs?: number;
  readonly backend: SegmentEvaluator['backend'];
  readonly logger?: Logger;
}

export interface WorkerSegmentEvaluator extends SegmentEvaluator {
  /** Evaluations running and waiting now. */
  stats(): { readonly running: number; readonly waiting: number; readonly workers: number };
  close(): Promise<void>;
}

interface Pending {
  readonly operation: Operation;
  readonly signal: AbortSignal | undefined;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  /** Run once when the job settles: its abort listeners come off the caller's signal. */
  readonly cleanups: (() => void)[];
}

interface Slot {
  readonly worker: Worker;
  /**
   * Takes the worker out of service now: its job is settled and its place freed before it has
   * exited. Waiting for 'exit' raced a reply already in flight — the reply freed the slot, the next
   * job was started on the dying worker, and its 'exit' failed that job instead.
   */
  readonly retire: (why: string) => void;
  current: (Pending & { readonly id: number; readonly flag: Int32Array; killTimer?: NodeJS.Timeout }) | null;
}

export function createWorkerSegmentEvaluator(options: WorkerEvaluatorOptions): WorkerSegmentEvaluator {
  const threads = options.threads ?? 1;
  const grace = options.cancelGraceMs ?? 2_000;
  const slots: (Slot | null)[] = Array.from({ length: threads }, () => null);
  const waiting: Pending[] = [];
  let nextId = 1;
  let closed = false;

  function spawn(index: number): Slot {
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: { entry: options.entry, tsxApi: require.resolve('tsx/cjs/api'), config: options.config },
      resourceLimits: {
        maxOldGenerationSizeMb: options.maxHeapMb ?? 1024,
        maxYoungGenerationSizeMb: options.youngGenerationMb ?? 192,
      },
    });
    // An idle worker must not keep the process alive.
    worker.unref();
    const lost = (why: string, cause?: unknown) => {
      if (slots[index] !== slot) return;
      slots[index] = null;
      const job = slot.current;
      slot.current = null;
      if (job) {
        if (job.killTimer) clearTimeout(job.killTimer);
        const cancelled = Atomics.load(job.flag, 0) === 1;
        job.reject(
          cancelled
            ? new SegmentError('EVALUATION_CANCELLED', 'segment evaluation cancelled', { cause })
            : new SegmentError('EVALUATION_FAILED', `segment evaluation failed: ${why}`, { cause }),
        );
      }
      if (!closed && !(job && Atomics.load(job.flag, 0) === 1))
        options.logger?.warn({ err: cause, why }, 'segment evaluation worker lost');
      void worker.terminate();
      dispatch();
    };
    const slot: Slot = { worker, current: null, retire: lost };
    worker.on('message', (reply: EvaluationReply) => {
      const job = slot.current;
      if (!job || job.id !== reply.id) return;
      slot.current = null;
      if (job.killTimer) clearTimeout(job.killTimer);
      worker.unref();
      if (reply.ok) job.resolve(reply.result);
      else
        job.reject(
          new SegmentError(
            reply.code === 'EVALUATION_CANCELLED' ? 'EVALUATION_CANCELLED' : 'EVALUATION_FAILED',
            reply.message,
          ),
        );
      dispatch();
    });
    worker.on('error', (e: Error & { code?: string }) =>
      lost(
        e.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `it needed more than ${options.maxHeapMb ?? 1024} MB of memory; narrow the definition`
          : e.message,
        e,
      ),
    );
    worker.on('exit', (code) => lost(`its worker exited with code ${code}`));
    slots[index] = slot;
    return slot;
  }

  function start(slot: Slot, job: Pending): void {
    if (job.signal?.aborted) {
      job.reject(new SegmentError('EVALUATION_CANCELLED', 'segment evaluation cancelled'));
      return;
    }
    const cancel = new SharedArrayBuffer(4);
    const flag = new Int32Array(cancel);
    const id = nextId++;
    const running = { ...job, id, flag } as NonNullable<Slot['current']>;
    slot.current = running;
    // A running job holds the process open (its caller awaits it); an idle worker does not.
    slot.worker.ref();
    const onAbort = () => {
      if (slot.current !== running) return;
      Atomics.store(flag, 0, 1);
      // The evaluator polls the flag between store round trips; one stuck elsewhere is stopped.
      running.killTimer = setTimeout(() => {
        if (slot.current === running) slot.retire(`it did not stop within ${grace} ms of being cancelled`);
      }, grace);
      running.killTimer.unref();
    };
    job.signal?.addEventListener('abort', onAbort, { once: true });
    job.cleanups.push(() => job.signal?.removeEventListener('abort', onAbort));
    slot.worker.postMessage({ ...job.operation, id, cancel } satisfies EvaluationJob);
  }

  function dispatch(): void {
    while (waiting.length > 0) {
      let index = slots.findIndex((s) => s !== null && s.current === null);
      if (index < 0) index = slots.indexOf(null);
      if (index < 0) return;
      const job = waiting.shift() as Pending;
      start(slots[index] ?? spawn(index), job);
    }
  }

  function submit<T>(operation: Operation, signal: Cancellation | undefined): Promise<T> {
    if (closed) return Promise.reject(new SegmentError('EVALUATION_FAILED', 'segment evaluator closed'));
    const abort = signal instanceof AbortSignal ? signal : undefined;
    return new Promise<T>((resolve, reject) => {
      const cleanups: (() => void)[] = [];
      // A signal shared by many jobs (a request's, a sliced preview's) must not collect listeners.
      const settled =
        <A>(f: (a: A) => void) =>
        (a: A) => {
          for (const c of cleanups.splice(0)) c();
          f(a);
        };
      const job: Pending = {
        operation,
        signal: abort,
        resolve: settled(resolve as (v: unknown) => void),
        reject: settled(reject),
        cleanups,
      };
      const onAbort = () => {
        const i = waiting.indexOf(job);
        if (i >= 0) {
          waiting.splice(i, 1);
          job.reject(new SegmentError('EVALUATION_CANCELLED', 'segment evaluation cancelled'));
        }
      };
      abort?.addEventListener('abort', onAbort, { once: true });
      cleanups.push(() => abort?.removeEventListener('abort', onAbort));
      waiting.push(job);
      dispatch();
    });
  }

  // A signal cannot cross to the worker: it becomes the shared flag (see `start`).
  const plain = <T extends EvaluationTime>(t: T): T => {
    const { signal: _signal, ...rest } = t;
    return rest as T;
  };

  const slices = options.slices ?? (threads > 1 ? 2 * threads : 1);
  /** The customers' slices for one scan: asked of a worker (it has the store), one when not cutting. */
  async function rangesFor(signal: Cancellation | undefined): Promise<readonly (LabelRange | undefined)[]> {
    if (slices <= 1) return [undefined];
    const ranges = await submit<LabelRange[]>({ op: 'ranges', parts: slices }, signal);
    return ranges.length <= 1 ? [undefined] : ranges;
  }

  /**
   * One job per slice, all under one signal: the first slice to fail cancels the others (their
   * answers could no longer be used), as does the caller's own signal.
   */
  async function perSlice<T>(
    signal: Cancellation | undefined,
    job: (range: LabelRange | undefined) => Operation,
  ): Promise<T[]> {
    const ranges = await rangesFor(signal);
    if (ranges.length === 1) return [await submit<T>(job(ranges[0]), signal)];
    const all = new AbortController();
    const caller = signal instanceof AbortSignal ? signal : undefined;
    const stop = () => all.abort();
    if (caller?.aborted) stop();
    else caller?.addEventListener('abort', stop, { once: true });
    try {
      return await Promise.all(
        ranges.map((range) =>
          submit<T>(job(range), all.signal).catch((error: unknown) => {
            all.abort();
            throw error;
          }),
        ),
      );
    } finally {
      caller?.removeEventListener('abort', stop);
    }
  }

  const evaluator: WorkerSegmentEvaluator = {
    backend: options.backend,
    async count(definition, at) {
      const counts = await perSlice<number>(at.signal, (range) => ({ op: 'count', definition, at: plain(at), range }));
      return counts.reduce((a, b) => a + b, 0);
    },
    members: (definition, request) => submit({ op: 'members', definition, request: plain(request) }, request.signal),
    async preview(definition, request) {
      const parts = await perSlice<SegmentPreviewResult>(request.signal, (range) => ({
        op: 'preview',
        definition,
        request: plain(request),
        range,
      }));
      return parts.length === 1 ? parts[0] : mergeSlicePreviews(parts, request.first);
    },
    check: (definition, ids, at) => submit({ op: 'check', definition, ids, at: plain(at) }, at.signal),
    stats() {
      const busy = slots.filter((s) => s?.current).length;
      return { running: busy, waiting: waiting.length, workers: slots.filter((s) => s !== null).length };
    },
    async close() {
      closed = true;
      for (const job of waiting.splice(0))
        job.reject(new SegmentError('EVALUATION_FAILED', 'segment evaluator closed'));
      await Promise.all(
        slots.map(async (s, i) => {
          slots[i] = null;
          if (!s) return;
          s.current?.reject(new SegmentError('EVALUATION_FAILED', 'segment evaluator closed'));
          await s.worker.terminate();
        }),
      );
    },
  };
  return evaluator;
}
