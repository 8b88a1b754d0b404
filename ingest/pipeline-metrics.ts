import { Counter, Histogram, type Registry } from 'prom-client';

/** The pipeline's Prometheus metrics, registered on the registry the composition root owns. */
export interface PipelineMetrics {
  readonly received: Counter<'source'>;
  readonly applied: Counter<'source'>;
  readonly duplicates: Counter<'source'>;
  /** Events whose id was already applied with other content, kept as separate events. */
  readonly idConflicts?: Counter<'source'>;
  readonly deadLettered: Counter<'source' | 'reason'>;
  readonly batchMutations: Histogram;
  readonly batchElements: Histogram;
  readonly storeApplySeconds: Histogram<'store'>;
  readonly storeRetries: Counter<'store'>;
  readonly listenerFailures: Counter;
  /** CDC updates without a `before` image (no REPLICA IDENTITY FULL), by table. */
  readonly cdcUpdatesWithoutBefore?: Counter<'table'>;
}

export function createPipelineMetrics(registry: Registry): PipelineMetrics {
  const registers = [registry];
  return {
    received: new Counter({
      name: 'c360_events_received_total',
      help: 'Raw messages received by the ingest pipeline, by source.',
      labelNames: ['source'],
      registers,
    }),
    applied: new Counter({
      name: 'c360_events_applied_total',
      help: 'Events whose mutations are durable in the graph store, by source.',
      labelNames: ['source'],
      registers,
    }),
    duplicates: new Counter({
      name: 'c360_events_duplicate_total',
      help: 'Redelivered events skipped by dedupe, by source.',
      labelNames: ['source'],
      registers,
    }),
    idConflicts: new Counter({
      name: 'c360_events_id_conflicts_total',
      help: 'Events whose id (sender + messageId) was already applied with other content; kept as separate events.',
      labelNames: ['source'],
      registers,
    }),
    deadLettered: new Counter({
      name: 'c360_events_dead_lettered_total',
      help: 'Inputs written to the dead-letter store, by source and reason code.',
      labelNames: ['source', 'reason'],
      registers,
    }),
    batchMutations: new Histogram({
      name: 'c360_batch_mutations',
      help: 'Mutations per store batch before coalescing.',
      buckets: [1, 10, 50, 100, 500, 1000, 2000, 5000, 10000],
      registers,
    }),
    batchElements: new Histogram({
      name: 'c360_batch_elements',
      help: 'Vertices plus edges per store batch after coalescing.',
      buckets: [1, 10, 50, 100, 500, 1000, 2000, 5000, 10000],
      registers,
    }),
    storeApplySeconds: new Histogram({
      name: 'c360_store_apply_seconds',
      help: 'Time for the graph store to make one batch durable.',
      labelNames: ['store'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    storeRetries: new Counter({
      name: 'c360_store_retries_total',
      help: 'Retries of a batch after a retriable store error.',
      labelNames: ['store'],
      registers,
    }),
    listenerFailures: new Counter({
      name: 'c360_applied_listener_failures_total',
      help: 'Non-retriable failures of features reacting to applied events (health, traits, segments).',
      registers,
    }),
    cdcUpdatesWithoutBefore: new Counter({
      name: 'c360_cdc_updates_without_before_total',
      help: "CDC updates that carried no 'before' image (the table lacks REPLICA IDENTITY FULL), by table.",
      labelNames: ['table'],
      registers,
    }),
  };
}
