/**
 * Work that must run one piece at a time, in the order it was handed in (a feature's
 * read-modify-write of its live state, appends to one file). A failed piece fails its
 * own caller and never the pieces after it. The one queue every such place uses.
 */
export interface SerialQueue {
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Resolves once everything handed in so far has finished (successfully or not). */
  idle(): Promise<void>;
}

export function createSerialQueue(): SerialQueue {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run(work) {
      const result = tail.then(work, work);
      tail = result.catch(() => undefined);
      return result;
    },
    idle: () => tail.then(() => undefined),
  };
}
