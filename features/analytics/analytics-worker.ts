/**
 * Worker-thread entry: runs one algorithm over a CSR shared with the parent
 * (SharedArrayBuffers, no copy) and posts progress, then the result (its
 * buffer transferred, no copy) or an error. One worker per run, so a crashed
 * or terminated run leaves nothing behind.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { CsrArrays } from './csr';
import { type AlgorithmRequest, runAlgorithm } from './run-algorithm';

export interface WorkerInput {
  readonly csr: CsrArrays;
  readonly request: AlgorithmRequest;
}

export type WorkerMessage =
  | { readonly type: 'progress'; readonly fraction: number }
  | { readonly type: 'result'; readonly output: ReturnType<typeof runAlgorithm> }
  | { readonly type: 'error'; readonly message: string };

if (parentPort) {
  const port = parentPort;
  const input = workerData.input as WorkerInput;
  let last = -1;
  try {
    const output = runAlgorithm(input.csr, input.request, (fraction) => {
      // At most one message per percent: progress must not flood the parent's event loop.
      const pct = Math.floor(fraction * 100);
      if (pct === last) return;
      last = pct;
      port.postMessage({ type: 'progress', fraction } satisfies WorkerMessage);
    });
    const buffer = 'scores' in output ? output.scores.buffer : output.communities.buffer;
    port.postMessage({ type: 'result', output } satisfies WorkerMessage, [buffer as ArrayBuffer]);
  } catch (e) {
    port.postMessage({ type: 'error', message: (e as Error).message } satisfies WorkerMessage);
  }
}
