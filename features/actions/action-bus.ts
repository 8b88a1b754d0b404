import type { ActionSink, HubAction } from './hub-action';

export type ActionListener = (action: HubAction) => void;

/**
 * Publishes durably to a sink, then fans out in process (GraphQL
 * subscriptions). Listeners see an action only after it is durable, so a
 * subscriber never hears of a transition that a crash could take back.
 */
export interface ActionBus extends ActionSink {
  subscribe(listener: ActionListener, filter?: (action: HubAction) => boolean): () => void;
}

export function createActionBus(sink: ActionSink, onListenerError?: (e: unknown) => void): ActionBus {
  const listeners = new Set<{ listener: ActionListener; filter?: (a: HubAction) => boolean }>();
  return {
    async publish(actions) {
      await sink.publish(actions);
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
    },
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
