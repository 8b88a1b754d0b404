/**
 * Prometheus metrics of the Kafka adapters, on the process's registry. Get-or-
 * create, so that several workers (tests, or a process running two groups)
 * share one registry without "already registered" errors.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface KafkaMetrics {
  /** Committed offset behind the high watermark, per group and partition (sampled). */
  readonly consumerLag: Gauge<'group' | 'topic' | 'partition'>;
  readonly batchMessages: Histogram<'group'>;
  readonly commitSeconds: Histogram<'group'>;
  readonly submitRetries: Counter<'group'>;
  readonly pausedPartitions: Gauge<'group'>;
  /** Partitions paused again and again with no batch getting through: they cannot progress on their own. */
  readonly stalledPartitions: Gauge<'group'>;
  readonly partitionPauses: Counter<'group'>;
  readonly dlqProduced: Counter<'reason'>;
  readonly produced: Counter<'topic'>;
}

function getOrCreate<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

export function createKafkaMetrics(registry: Registry): KafkaMetrics {
  const registers = [registry];
  return {
    consumerLag: getOrCreate(
      registry,
      'c360_kafka_consumer_lag',
      () =>
        new Gauge({
          name: 'c360_kafka_consumer_lag',
          help: 'Messages between the group committed offset and the high watermark, sampled',
          labelNames: ['group', 'topic', 'partition'],
          registers,
        }),
    ),
    batchMessages: getOrCreate(
      registry,
      'c360_kafka_batch_messages',
      () =>
        new Histogram({
          name: 'c360_kafka_batch_messages',
          help: 'Messages per consumed poll batch (one pipeline submit each)',
          labelNames: ['group'],
          buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
          registers,
        }),
    ),
    commitSeconds: getOrCreate(
      registry,
      'c360_kafka_commit_seconds',
      () =>
        new Histogram({
          name: 'c360_kafka_commit_seconds',
          help: 'Latency of committing offsets after a batch became durable',
          labelNames: ['group'],
          buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
          registers,
        }),
    ),
    submitRetries: getOrCreate(
      registry,
      'c360_kafka_submit_retries_total',
      () =>
        new Counter({
          name: 'c360_kafka_submit_retries_total',
          help: 'Poll batches submitted again after a retriable failure',
          labelNames: ['group'],
          registers,
        }),
    ),
    pausedPartitions: getOrCreate(
      registry,
      'c360_kafka_paused_partitions',
      () =>
        new Gauge({
          name: 'c360_kafka_paused_partitions',
          help: 'Partitions paused after repeated failures, waiting for a probe',
          labelNames: ['group'],
          registers,
        }),
    ),
    stalledPartitions: getOrCreate(
      registry,
      'c360_kafka_stalled_partitions',
      () =>
        new Gauge({
          name: 'c360_kafka_stalled_partitions',
          help: 'Partitions whose batch failed through several pause-and-probe rounds without progress: an operator must act',
          labelNames: ['group'],
          registers,
        }),
    ),
    partitionPauses: getOrCreate(
      registry,
      'c360_kafka_partition_pauses_total',
      () =>
        new Counter({
          name: 'c360_kafka_partition_pauses_total',
          help: 'Times a partition was paused after its batch kept failing',
          labelNames: ['group'],
          registers,
        }),
    ),
    dlqProduced: getOrCreate(
      registry,
      'c360_kafka_dlq_produced_total',
      () =>
        new Counter({
          name: 'c360_kafka_dlq_produced_total',
          help: 'Dead letters produced to the dead-letter topic, by reason code',
          labelNames: ['reason'],
          registers,
        }),
    ),
    produced: getOrCreate(
      registry,
      'c360_kafka_produced_total',
      () =>
        new Counter({
          name: 'c360_kafka_produced_total',
          help: 'Validated messages the collector produced to Kafka, acknowledged by all in-sync replicas',
          labelNames: ['topic'],
          registers,
        }),
    ),
  };
}
