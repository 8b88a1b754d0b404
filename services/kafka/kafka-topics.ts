/**
 * The hub's topics: names, how many partitions, and creating the missing ones
 * at startup — idempotently, so any number of processes may race to do it.
 */
import type { Admin, ITopicConfig } from 'kafkajs';
import type { Logger } from 'pino';
import { KafkaUnavailableError } from './errors';

export interface HubTopics {
  readonly clickstream: string;
  readonly telemetry: string;
  readonly dlq: string;
  readonly actions: string;
  /** Internal: "these vertices changed" notices for API replicas' caches and subscriptions. */
  readonly changes: string;
  readonly cdcPrefix: string;
}

export interface TopicSpec {
  readonly topic: string;
  readonly numPartitions: number;
  /** Topic-level configs, e.g. `retention.ms`. */
  readonly configEntries?: readonly { readonly name: string; readonly value: string }[];
}

/** Debezium names topics `<prefix>.<schema>.<table>`; exactly two dots keeps the hub's own topics out. */
export function cdcTopicPattern(cdcPrefix: string): RegExp {
  return new RegExp(`^${cdcPrefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.[^.]+\\.[^.]+$`);
}

export function hubTopicSpecs(
  topics: HubTopics,
  partitions: { readonly events: number; readonly actions: number },
): TopicSpec[] {
  return [
    { topic: topics.clickstream, numPartitions: partitions.events },
    { topic: topics.telemetry, numPartitions: partitions.events },
    // One partition: dead letters are few, and an operator reads them in the order they failed.
    { topic: topics.dlq, numPartitions: 1 },
    { topic: topics.actions, numPartitions: partitions.actions },
    // Hints with a short life: a replica reads from the end when it starts, so an hour is plenty.
    {
      topic: topics.changes,
      numPartitions: partitions.actions,
      configEntries: [{ name: 'retention.ms', value: String(60 * 60 * 1000) }],
    },
  ];
}

/** Creates the topics that do not exist yet; returns the ones it created. */
export async function ensureTopics(admin: Admin, specs: readonly TopicSpec[], logger: Logger): Promise<string[]> {
  let existing: Set<string>;
  try {
    existing = new Set(await admin.listTopics());
  } catch (e) {
    throw new KafkaUnavailableError('ensureTopics: listing topics failed', e);
  }
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length === 0) return [];
  const topics: ITopicConfig[] = missing.map((s) => ({
    topic: s.topic,
    numPartitions: s.numPartitions,
    ...(s.configEntries ? { configEntries: s.configEntries.map((c) => ({ ...c })) } : {}),
  }));
  try {
    // Resolves false (not an error) when another process created some of them first.
    await admin.createTopics({ topics, waitForLeaders: true });
  } catch (e) {
    if ((e as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') {
      throw new KafkaUnavailableError('ensureTopics: creating topics failed', e);
    }
  }
  const created = missing.map((s) => s.topic);
  logger.info({ topics: created }, 'created missing Kafka topics');
  return created;
}
