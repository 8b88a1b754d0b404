/**
 * Per-request DataLoaders: every resolver that needs vertices or neighbours in
 * the same tick shares one store round trip, so a 360° view costs a bounded
 * number of store calls however many devices or orders the customer has.
 */
import DataLoader from 'dataloader';
import type { GraphStore, Neighbor, NeighborQuery, Page, Vertex } from '../../graph-schema';

export interface Loaders {
  readonly vertex: DataLoader<string, Vertex | null>;
  readonly neighbors: DataLoader<NeighborQuery, Page<Neighbor>, string>;
}

/** Same query, same key, whatever the property order or an absent vs null `after`. */
function neighborKey(q: NeighborQuery): string {
  return JSON.stringify([
    q.id,
    q.direction,
    [...(q.edgeLabels ?? [])].sort(),
    [...(q.vertexLabels ?? [])].sort(),
    q.first,
    q.after ?? null,
  ]);
}

export function createLoaders(store: GraphStore): Loaders {
  return {
    vertex: new DataLoader((ids) => store.getVertices(ids)),
    neighbors: new DataLoader((queries) => store.neighbors(queries), { cacheKeyFn: neighborKey }),
  };
}
