import type { JsonObject } from '../../graph-schema';

/**
 * Something the hub tells the outside world: a customer entered or left a
 * segment, a device's health turned RED, … Published to `c360.actions`
 * (Kafka) or the embedded actions log, and to GraphQL subscriptions.
 *
 * Delivery is at-least-once, so `id` is stable: the same transition always
 * gets the same id, and consumers dedupe on it.
 */
export interface HubAction {
  readonly id: string;
  /** e.g. `segment.entered`, `segment.left`, `health.changed`. */
  readonly type: string;
  /** The vertex the action is about (usually `Customer:<key>`). */
  readonly subjectId: string;
  /** When the transition happened (event time, epoch ms). */
  readonly at: number;
  readonly payload: JsonObject;
}

export interface ActionSink {
  /** Resolves when the actions are durable (file fsynced, broker acknowledged). */
  publish(actions: readonly HubAction[]): Promise<void>;
  close(): Promise<void>;
}
