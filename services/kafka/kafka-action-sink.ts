/**
 * Actions (`segment.entered|left`, `health.changed`, `customer.forgotten`) as
 * records on the actions topic, and "these vertices changed" notices on the
 * changes topic — what downstream systems and every API replica listen to.
 *
 * Actions: keyed by the customer (the subject), so one customer's actions stay in
 * order on one partition; the value is the action's JSON (docs/actions.md); the
 * action id and type are headers too, so a consumer can dedupe or filter without
 * parsing. acks=-1: `publish` resolves once the broker has them durably, and only
 * then may the caller record the transition as done (at-least-once, stable ids).
 */
import type { Message, Producer } from 'kafkajs';
import { KafkaUnavailableError } from './errors';

/** Structural twin of features/actions' HubAction (adapters do not import features). */
export interface ActionRecord {
  readonly id: string;
  readonly type: string;
  readonly subjectId: string;
  readonly at: number;
  readonly payload: Readonly<Record<string, unknown>>;
}

export const ACTION_HEADERS = { id: 'c360-action-id', type: 'c360-action-type' } as const;

/** Records per produce request: far below the broker's 1 MB request limit for any action we write. */
const MAX_RECORDS_PER_SEND = 500;
/** Vertex ids per change notice: a notice stays a few tens of KB. */
const MAX_IDS_PER_NOTICE = 1000;

export interface KafkaActionSink {
  publish(actions: readonly ActionRecord[]): Promise<void>;
  close(): Promise<void>;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** @param producer connected, idempotent; owned by the caller, which disconnects it after `close()`. */
export function createKafkaActionSink(producer: Producer, topic: string): KafkaActionSink {
  const inFlight = new Set<Promise<void>>();
  return {
    publish(actions) {
      if (actions.length === 0) return Promise.resolve();
      const done = (async () => {
        for (const part of chunks(actions, MAX_RECORDS_PER_SEND)) {
          const messages: Message[] = part.map((a) => ({
            key: a.subjectId,
            value: JSON.stringify(a),
            timestamp: String(a.at),
            headers: { [ACTION_HEADERS.id]: a.id, [ACTION_HEADERS.type]: a.type },
          }));
          try {
            await producer.send({ topic, acks: -1, messages });
          } catch (e) {
            throw new KafkaUnavailableError(`KafkaActionSink.publish: sending ${part.length} actions failed`, e);
          }
        }
      })();
      inFlight.add(done);
      done.then(
        () => inFlight.delete(done),
        () => inFlight.delete(done),
      );
      return done;
    },
    async close() {
      await Promise.allSettled([...inFlight]);
    },
  };
}

export interface KafkaChangePublisher {
  /** Best effort: a lost notice only delays a subscriber's refresh until the next change. */
  publish(vertexIds: Iterable<string>): void;
  close(): Promise<void>;
}

/**
 * Change notices are hints for caches and `customerUpdated` subscriptions on other
 * processes, not a record of truth: sent without waiting, never blocking ingest.
 */
export function createKafkaChangePublisher(
  producer: Producer,
  topic: string,
  onError: (e: unknown) => void,
): KafkaChangePublisher {
  const inFlight = new Set<Promise<unknown>>();
  return {
    publish(vertexIds) {
      const ids = [...vertexIds];
      if (ids.length === 0) return;
      const messages: Message[] = chunks(ids, MAX_IDS_PER_NOTICE).map((part) => ({
        key: null,
        value: JSON.stringify({ vertexIds: part }),
      }));
      // acks=-1: the producer is idempotent, which refuses anything less.
      const sent = producer.send({ topic, acks: -1, messages }).catch(onError);
      inFlight.add(sent);
      void sent.finally(() => inFlight.delete(sent));
    },
    async close() {
      await Promise.allSettled([...inFlight]);
    },
  };
}
