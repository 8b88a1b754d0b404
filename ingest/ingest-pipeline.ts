/**
 * The contract between transports (HTTP collector, Kafka consumer, replay)
 * and the ingest pipeline. `createPipeline` in ./pipeline.ts implements it.
 */
import type { RawMessage } from './hub-event';

export interface RejectedMessage {
  /** Index into the submitted array. */
  readonly index: number;
  /** Stable reason code (DecodeError code, MAPPING code, …). */
  readonly code: string;
  readonly message: string;
}

export interface SubmitResult {
  /** Events whose mutations are now durable in the graph store. */
  readonly applied: number;
  /** Events skipped because they were already applied (at-least-once redelivery). */
  readonly duplicates: number;
  /** Inputs written to the dead-letter store (also listed in `rejected`). */
  readonly deadLettered: number;
  /** Kafka tombstones and other inputs that carry nothing to apply. */
  readonly ignored: number;
  readonly rejected: readonly RejectedMessage[];
}

export interface IngestPipeline {
  /**
   * Decode, validate, dedupe, map and batch the messages. Resolves only when every
   * valid one is durable in the store and every invalid one is durable in the
   * dead-letter store — so the caller may then commit offsets or answer 200.
   * Rejects only for retriable infrastructure failures (store down): nothing is
   * then committed and the caller retries the same messages.
   */
  submit(messages: readonly RawMessage[]): Promise<SubmitResult>;
  /** Wait for everything submitted so far to be durable. */
  flush(): Promise<void>;
  /** Stop accepting, flush in-flight batches. Does not close the store. */
  close(): Promise<void>;
}
