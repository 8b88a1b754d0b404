/**
 * In-process "these vertices changed" notifications for `customerUpdated`.
 * Not durable and not on the actions topic on purpose: it fires on every
 * applied batch, and a subscriber that missed one simply reads the view again.
 */
export type ChangeListener = (vertexIds: ReadonlySet<string>) => void;

export interface ChangeFeed {
  /** The pipeline's onApplied (vertexIds), the traits engine's written customers, … */
  publish(vertexIds: Iterable<string>): void;
  subscribe(listener: ChangeListener): () => void;
}

export function createChangeFeed(onListenerError?: (e: unknown) => void): ChangeFeed {
  const listeners = new Set<ChangeListener>();
  return {
    publish(vertexIds) {
      if (listeners.size === 0) return;
      const ids = vertexIds instanceof Set ? (vertexIds as ReadonlySet<string>) : new Set(vertexIds);
      if (ids.size === 0) return;
      for (const l of listeners) {
        try {
          l(ids);
        } catch (e) {
          onListenerError?.(e);
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
