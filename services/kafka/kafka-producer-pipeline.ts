/**
 * The collector's IngestPipeline in Kafka mode: validate, dead-letter what is
 * invalid, and append what is valid to the hub's topics. The worker applies it
 * from there; the HTTP collector's code does not know the difference.
 *
 * `submit` resolves once every valid message is acknowledged by all in-sync
 * replicas (acks=-1) and every invalid one is a durable dead letter — the point
 * from which nothing is lost, so the collector may then answer 200. In this
 * mode `applied` counts events now durable in the log rather than in the graph.
 */
import type { Message, Producer, TopicMessages } from 'kafkajs';
import type { Logger } from 'pino';
import type {
  DeadLetter,
  DeadLetterSink,
  HubEvent,
  IngestPipeline,
  PipelineDecoder,
  RawMessage,
  RejectedMessage,
  SourceKind,
  SubmitResult,
} from '../../ingest';
import { PipelineClosedError } from '../../ingest';
import { KafkaUnavailableError } from './errors';
import { HEADERS } from './kafka-headers';
import type { KafkaMetrics } from './kafka-metrics';
import { cdcTopicPattern } from './kafka-topics';

export interface KafkaProducerPipelineOptions {
  /** Connected, idempotent; owned by the caller, which disconnects it after `close()`. */
  readonly producer: Producer;
  readonly topics: { readonly clickstream: string; readonly telemetry: string; readonly cdcPrefix: string };
  readonly decoders: Readonly<Record<SourceKind, PipelineDecoder>>;
  readonly deadLetters: DeadLetterSink;
  readonly logger: Logger;
  readonly metrics?: KafkaMetrics;
  readonly now?: () => number;
}

/**
 * One person's events share a key, hence a partition, hence an order: Segment by
 * userId (else anonymousId), telemetry by device, CDC by the row key Debezium gave.
 */
function keyOf(raw: RawMessage, event: HubEvent): Buffer | string | null {
  const body = event.body;
  switch (body.source) {
    case 'segment':
      return body.userId ?? body.anonymousId ?? null;
    case 'telemetry':
      return body.deviceId;
    case 'cdc':
      return raw.key ?? null;
    default: {
      const never: never = body;
      throw new Error(`keyOf: unknown source ${String(never)}`);
    }
  }
}

export function createKafkaProducerPipeline(options: KafkaProducerPipelineOptions): IngestPipeline {
  const { producer, topics, decoders, deadLetters, logger, metrics } = options;
  const now = options.now ?? Date.now;
  const isCdcTopic = cdcTopicPattern(topics.cdcPrefix);
  const inFlight = new Set<Promise<unknown>>();
  let closed = false;

  function topicOf(raw: RawMessage, event: HubEvent): string {
    const body = event.body;
    switch (body.source) {
      case 'segment':
        return topics.clickstream;
      case 'telemetry':
        return topics.telemetry;
      case 'cdc':
        // A replayed Debezium record keeps its own topic; otherwise the name Debezium would give it.
        return raw.position.topic && isCdcTopic.test(raw.position.topic)
          ? raw.position.topic
          : `${topics.cdcPrefix}.${body.schema}.${body.table}`;
      default: {
        const never: never = body;
        throw new Error(`topicOf: unknown source ${String(never)}`);
      }
    }
  }

  function letter(raw: RawMessage, code: string, message: string, index?: number): DeadLetter {
    return {
      at: now(),
      code,
      message,
      position: index === undefined ? raw.position : { ...raw.position, index },
      originalBase64: raw.value ? raw.value.toString('base64') : null,
    };
  }

  async function submitNow(messages: readonly RawMessage[]): Promise<SubmitResult> {
    const rejected: RejectedMessage[] = [];
    const letters: DeadLetter[] = [];
    const byTopic = new Map<string, Message[]>();
    let accepted = 0;

    messages.forEach((raw, index) => {
      let outcomes: ReturnType<PipelineDecoder['decode']>;
      try {
        outcomes = decoders[raw.source].decode(raw);
      } catch (e) {
        const message = `decoder failed: ${e instanceof Error ? e.message : String(e)}`;
        rejected.push({ index, code: 'DECODER_FAILED', message });
        letters.push(letter(raw, 'DECODER_FAILED', message));
        return;
      }
      const first = outcomes.find((o) => o.ok);
      for (const o of outcomes) {
        if (o.ok) continue;
        rejected.push({ index, code: o.error.code, message: o.error.message });
        // A message with valid events still goes to the log whole: the worker that applies
        // it dead-letters its bad parts with their Kafka position, where they can be replayed.
        if (!first) letters.push(letter(raw, o.error.code, o.error.message, o.index));
      }
      if (!first?.ok) return;
      accepted += outcomes.filter((o) => o.ok).length;
      const topic = topicOf(raw, first.event);
      const list = byTopic.get(topic) ?? [];
      list.push({
        key: keyOf(raw, first.event),
        value: raw.value,
        headers: { [HEADERS.receivedAtMs]: String(raw.receivedAtMs) },
      });
      byTopic.set(topic, list);
    });

    const topicMessages: TopicMessages[] = [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs }));
    const produce = async () => {
      if (topicMessages.length === 0) return;
      try {
        await producer.sendBatch({ topicMessages, acks: -1 });
      } catch (e) {
        throw new KafkaUnavailableError('KafkaProducerPipeline.submit', e);
      }
      for (const t of topicMessages) metrics?.produced.inc({ topic: t.topic }, t.messages.length);
    };
    await Promise.all([produce(), deadLetters.write(letters)]);
    if (letters.length > 0) {
      logger.warn({ count: letters.length, codes: [...new Set(letters.map((l) => l.code))] }, 'inputs dead-lettered');
    }
    return { applied: accepted, duplicates: 0, deadLettered: letters.length, ignored: 0, rejected };
  }

  return {
    submit(messages) {
      if (closed) return Promise.reject(new PipelineClosedError());
      const p = submitNow(messages);
      inFlight.add(p);
      void p.catch(() => undefined).finally(() => inFlight.delete(p));
      return p;
    },
    async flush() {
      await Promise.allSettled([...inFlight]);
    },
    async close() {
      closed = true;
      await Promise.allSettled([...inFlight]);
    },
  };
}
