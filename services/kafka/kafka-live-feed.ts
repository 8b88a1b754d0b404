/**
 * What an API process hears of the work other processes do: the actions topic
 * (health transitions, segment membership, erasures) and the changes topic
 * (vertices written), read from the moment the process starts.
 *
 * Every process reads every partition: the consumer group is this process's
 * own (`<prefix>-<random>`), so replicas do not share the feed out among
 * themselves the way workers share ingest. Nothing is committed — a restarted
 * replica starts at the end again; a GraphQL subscription is live, not a replay
 * (the actions topic itself is the durable record for systems that need one).
 */
import { randomBytes } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { ActionRecord } from './kafka-action-sink';

export interface KafkaLiveFeedOptions {
  readonly kafka: Kafka;
  readonly topics: { readonly actions: string; readonly changes: string };
  /** Group id prefix; a random suffix makes the group this process's own. */
  readonly groupPrefix: string;
  readonly logger: Logger;
  readonly onAction: (action: ActionRecord) => void;
  readonly onChanged: (vertexIds: readonly string[]) => void;
}

export interface KafkaLiveFeed {
  /** Resolves once the consumer has joined and holds every partition (so nothing later is missed). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

function isAction(value: unknown): value is ActionRecord {
  const v = value as Partial<ActionRecord> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.id === 'string' &&
    typeof v.type === 'string' &&
    typeof v.subjectId === 'string' &&
    typeof v.at === 'number' &&
    typeof v.payload === 'object' &&
    v.payload !== null
  );
}

export function createKafkaLiveFeed(options: KafkaLiveFeedOptions): KafkaLiveFeed {
  const { topics, logger } = options;
  const groupId = `${options.groupPrefix}-${randomBytes(6).toString('hex')}`;
  let consumer: Consumer | null = null;
  return {
    async start() {
      const c = options.kafka.consumer({
        groupId,
        // Short: a stopped replica's group should not hold partitions (it never shares them anyway).
        sessionTimeout: 10_000,
        heartbeatInterval: 1_000,
        maxWaitTimeInMs: 100,
      });
      consumer = c;
      await c.connect();
      await c.subscribe({ topics: [topics.actions, topics.changes], fromBeginning: false });
      const joined = new Promise<void>((resolve) => {
        const off = c.on(c.events.GROUP_JOIN, () => {
          off();
          resolve();
        });
      });
      await c.run({
        autoCommit: false,
        eachMessage: async ({ topic, message }) => {
          if (message.value === null) return;
          let parsed: unknown;
          try {
            parsed = JSON.parse(message.value.toString('utf8'));
          } catch (e) {
            logger.warn({ err: e, topic, offset: message.offset }, 'live feed: a record is not JSON; skipped');
            return;
          }
          if (topic === topics.actions) {
            if (isAction(parsed)) options.onAction(parsed);
            else logger.warn({ topic, offset: message.offset }, 'live feed: not an action record; skipped');
          } else {
            const ids = (parsed as { vertexIds?: unknown }).vertexIds;
            if (Array.isArray(ids)) options.onChanged(ids.filter((x): x is string => typeof x === 'string'));
          }
        },
      });
      await joined;
      logger.info({ groupId, topics: [topics.actions, topics.changes] }, 'live feed: listening');
    },
    async stop() {
      await consumer?.disconnect();
      consumer = null;
    },
  };
}
