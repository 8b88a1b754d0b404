import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { AnalyticsError } from './analytics-error';
import type { WorkerInput, WorkerMessage } from './analytics-worker';
import type { CsrArrays } from './csr';
import type { AlgorithmOutput, AlgorithmRequest } from './run-algorithm';

/**
 * The worker runs TypeScript source: it registers tsx's CommonJS hook first
 * (tsx is a runtime dependency; the hub itself runs on tsx), so the same file
 * works under `tsx`, under jest, and in the bench.
 */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
require(workerData.tsxApi).register();
require(workerData.entry);
`;

export interface WorkerRun {
  readonly result: Promise<AlgorithmOutput>;
  /** Stops the run; `result` rejects with RUN_FAILED. */
  cancel(): Promise<void>;
}

/** Runs one algorithm on a worker thread, off the event loop that serves requests. */
export function runInWorker(
  csr: CsrArrays,
  request: AlgorithmRequest,
  onProgress: (fraction: number) => void,
): WorkerRun {
  const input: WorkerInput = { csr, request };
  const worker = new Worker(BOOTSTRAP, {
    eval: true,
    workerData: { input, entry: join(__dirname, 'analytics-worker.ts'), tsxApi: require.resolve('tsx/cjs/api') },
  });
  let settled = false;
  const result = new Promise<AlgorithmOutput>((resolve, reject) => {
    const fail = (message: string, cause?: unknown) => {
      if (settled) return;
      settled = true;
      reject(new AnalyticsError('RUN_FAILED', `${request.kind} run failed: ${message}`, { cause }));
    };
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') onProgress(m.fraction);
      else if (m.type === 'result') {
        settled = true;
        resolve(m.output);
        void worker.terminate();
      } else fail(m.message);
    });
    worker.on('error', (e) => fail(e.message, e));
    worker.on('exit', (code) => fail(`worker exited with code ${code} before reporting a result`));
  });
  return {
    result,
    cancel: async () => {
      await worker.terminate();
    },
  };
}
