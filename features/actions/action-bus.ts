import type { ActionSink, HubAction } from './hub-action';

export type ActionListener = (action: HubAction) => void;

/**
 * Publishes durably to a sink, then fans out in process (GraphQL
 * subscriptions). Listeners see an action only after it is durable, so a
 * subscriber never hears of a transition that a crash could take back.
 *
 * With Kafka, listeners are fed from the actions topic instead (`deliver`, called
 * by the live feed) and not on publish: then a subscriber on any process hears
 * what any worker published, and the publishing process does not hear it twice.
 */
export interface ActionBus extends ActionSink {
  subscribe(listener: ActionListener, filter?: (action: HubAction) => boolean): () => void;
  /** Hands actions to this process's listeners (the actions topic's live feed). */
  deliver(actions: readonly HubAction[]): void;
}

export interface ActionBusOptions {
  /** Deliver to local listeners when publishing (default true; false when a live feed delivers). */
  readonly deliverOnPublish?: boolean;
}

export function createActionBus(
  sink: ActionSink,
  onListenerError?: (e: unknown) => void,
  options: ActionBusOptions = {},
): ActionBus {
  const deliverOnPublish = options.deliverOnPublish ?? true;
  const listeners = new Set<{ listener: ActionListener; filter?: (a: HubAction) => boolean }>();
  const deliver = (actions: readonly HubAction[]) => {
    for (const action of actions) {
      for (const l of listeners) {
        if (l.filter && !l.filter(action)) continue;
        try {
          l.listener(action);
        } catch (e) {
          onListenerError?.(e);
        }
      }
    }
  };
  return {
    async publish(actions) {
      await sink.publish(actions);
      if (deliverOnPublish) deliver(actions);
    },
    deliver,
    subscribe(listener, filter) {
      const entry = { listener, ...(filter ? { filter } : {}) };
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
    close: () => sink.close(),
  };
}
