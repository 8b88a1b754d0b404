/**
 * The one write path to the graph store: every writer — the ingest pipeline and
 * the features (identity links and erasure, computed traits, segment catalog and
 * membership, analytics traits) — applies batches through it, so every write gets
 * the same bounded retries of retriable store failures and the same metrics.
 */
import type { Logger } from 'pino';
import { type ApplyResult, type GraphBatch, type GraphStore, isRetriable } from '../graph-schema';
import type { PipelineMetrics } from './pipeline-metrics';

export interface GraphWriter {
  /** Durable when it resolves; a retriable failure is retried with backoff, then rethrown. */
  apply(batch: GraphBatch): Promise<ApplyResult>;
}

export interface GraphWriterOptions {
  readonly store: GraphStore;
  readonly logger: Logger;
  readonly metrics?: Pick<PipelineMetrics, 'storeApplySeconds' | 'storeRetries'>;
  /** Attempts for a batch that fails with a retriable store error (default 5). */
  readonly maxAttempts?: number;
  readonly retryBaseMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createGraphWriter(options: GraphWriterOptions): GraphWriter {
  const { store, logger, metrics } = options;
  const maxAttempts = options.maxAttempts ?? 5;
  const retryBaseMs = options.retryBaseMs ?? 100;
  return {
    async apply(batch) {
      for (let attempt = 1; ; attempt++) {
        const end = metrics?.storeApplySeconds.startTimer({ store: store.kind });
        try {
          const result = await store.apply(batch);
          end?.();
          return result;
        } catch (e) {
          end?.();
          if (!isRetriable(e) || attempt >= maxAttempts) throw e;
          metrics?.storeRetries.inc({ store: store.kind });
          const delay = retryBaseMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
          logger.warn({ err: e, attempt, delayMs: Math.round(delay) }, 'store apply failed, retrying');
          await sleep(delay);
        }
      }
    },
  };
}

/**
 * The store as features see it: reads go to the store, writes through the writer.
 * Features keep depending on the one GraphStore interface.
 */
export function writingThrough<S extends GraphStore>(store: S, writer: GraphWriter): S {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'apply') return (batch: GraphBatch) => writer.apply(batch);
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
