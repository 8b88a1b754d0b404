/**
 * Dead letters in Kafka mode, read back for an operator (`c360 dead-letters`, the admin's
 * GraphQL): every record of the dead-letter topic up to its end at the time of the call,
 * decoded from the headers the sink writes (kafka-dead-letter-sink.ts). Replay marks go
 * to `<dlq>.replayed` (one partition, created on first use), so which letters were
 * replayed is shared by every process and survives restarts, and the letters stay
 * untouched.
 *
 * A record whose original was too large for the topic holds only its first bytes
 * (`c360-dlq-original-bytes`): it is listed, shown, and never replayed (its bytes are
 * null here; the message says where the full original is).
 */
import { randomBytes } from 'node:crypto';
import type { Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import {
  type DeadLetter,
  type DeadLetterArchive,
  type ReplayMark,
  type SourceKind,
  type SourcePosition,
  storedDeadLetters,
} from '../../ingest';
import { KafkaUnavailableError } from './errors';
import { HEADERS, headerText } from './kafka-headers';
import { ensureTopics } from './kafka-topics';

const SOURCES: readonly SourceKind[] = ['segment', 'cdc', 'telemetry'];
const TRANSPORTS: readonly SourcePosition['transport'][] = ['kafka', 'http', 'file', 'test'];

/** The letter a dead-letter record holds (the inverse of toDeadLetterRecord). */
export function fromDeadLetterRecord(message: KafkaMessage): DeadLetter {
  const h = (name: string) => headerText(message.headers, name);
  const source = h(HEADERS.source) as SourceKind | null;
  const transport = h(HEADERS.transport) as SourcePosition['transport'] | null;
  const partition = h(HEADERS.originalPartition);
  const offset = h(HEADERS.originalOffset);
  const index = h(HEADERS.originalIndex);
  const topic = h(HEADERS.originalTopic);
  const position: SourcePosition = {
    source: source && SOURCES.includes(source) ? source : 'segment',
    transport: transport && TRANSPORTS.includes(transport) ? transport : 'kafka',
    ...(topic !== null ? { topic } : {}),
    ...(partition !== null ? { partition: Number(partition) } : {}),
    ...(offset !== null ? { offset } : {}),
    ...(index !== null ? { index: Number(index) } : {}),
  };
  const fullBytes = h(HEADERS.originalBytes);
  const eventId = h(HEADERS.eventId);
  const message_ = h(HEADERS.error) ?? '';
  return {
    at: Number(h(HEADERS.deadLetteredAtMs) ?? message.timestamp),
    code: h(HEADERS.reason) ?? 'UNKNOWN',
    message:
      fullBytes === null
        ? message_
        : `${message_} (original of ${fullBytes} bytes truncated on the dead-letter topic; the full bytes are at the original position)`,
    position,
    originalBase64: fullBytes !== null || message.value === null ? null : message.value.toString('base64'),
    ...(message.key ? { originalKeyBase64: message.key.toString('base64') } : {}),
    ...(eventId !== null ? { eventId } : {}),
  };
}

export interface KafkaDeadLetterArchiveOptions {
  readonly kafka: Kafka;
  /** Connected; owned by the caller. Writes the replay marks. */
  readonly producer: Producer;
  readonly topic: string;
  readonly logger: Logger;
  /** How long to wait for the records up to the end of a topic (default 30 s). */
  readonly readTimeoutMs?: number;
}

export function replayedTopicOf(dlqTopic: string): string {
  return `${dlqTopic}.replayed`;
}

export function createKafkaDeadLetterArchive(options: KafkaDeadLetterArchiveOptions): DeadLetterArchive {
  const { kafka, producer, topic, logger } = options;
  const replayedTopic = replayedTopicOf(topic);
  const timeoutMs = options.readTimeoutMs ?? 30_000;

  /** Every record of `name` up to its end as of now; [] when the topic does not exist. */
  async function readToEnd(name: string): Promise<KafkaMessage[]> {
    const admin = kafka.admin();
    await admin.connect();
    let ends: Map<number, bigint>;
    const groupId = `c360-dead-letters-${randomBytes(6).toString('hex')}`;
    try {
      if (!(await admin.listTopics()).includes(name)) return [];
      const offsets = await admin.fetchTopicOffsets(name);
      ends = new Map(offsets.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high)]));
      if (ends.size === 0) return [];
      const seen: KafkaMessage[] = [];
      const consumer = kafka.consumer({ groupId });
      await consumer.connect();
      try {
        await consumer.subscribe({ topics: [name], fromBeginning: true });
        const remaining = new Set(ends.keys());
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () =>
              reject(
                new KafkaUnavailableError(`DeadLetterArchive.list: ${name}`, `not read to its end in ${timeoutMs} ms`),
              ),
            timeoutMs,
          );
          consumer
            .run({
              autoCommit: false,
              eachMessage: async ({ partition, message }) => {
                const end = ends.get(partition);
                if (end === undefined || BigInt(message.offset) >= end) return;
                seen.push(message);
                if (BigInt(message.offset) + 1n >= end) remaining.delete(partition);
                if (remaining.size === 0) {
                  clearTimeout(timer);
                  resolve();
                }
              },
            })
            .catch((e: unknown) => {
              clearTimeout(timer);
              reject(e);
            });
        });
      } finally {
        await consumer.disconnect();
        // A one-off reader leaves no group behind.
        await admin.deleteGroups([groupId]).catch((e: unknown) => logger.debug({ err: e }, 'reader group not deleted'));
      }
      return seen.sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)));
    } finally {
      await admin.disconnect();
    }
  }

  return {
    where: `topic ${topic}`,
    async list(filter) {
      const [letters, marks] = await Promise.all([readToEnd(topic), readToEnd(replayedTopic)]);
      return storedDeadLetters(
        letters.map(fromDeadLetterRecord),
        marks.flatMap((m) => (m.value ? [JSON.parse(m.value.toString('utf8')) as ReplayMark] : [])),
        filter,
      );
    },
    async markReplayed(ids, at) {
      if (ids.length === 0) return;
      const admin = kafka.admin();
      await admin.connect();
      try {
        await ensureTopics(admin, [{ topic: replayedTopic, numPartitions: 1 }], logger);
      } finally {
        await admin.disconnect();
      }
      try {
        await producer.send({
          topic: replayedTopic,
          acks: -1,
          messages: ids.map((id) => ({ key: id, value: JSON.stringify({ id, at }) })),
        });
      } catch (e) {
        throw new KafkaUnavailableError(`DeadLetterArchive.markReplayed to ${replayedTopic}`, e);
      }
    },
    close: async () => undefined,
  };
}
