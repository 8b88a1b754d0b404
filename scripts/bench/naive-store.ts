/**
 * Store wrappers of the ingest benchmark. `withApply` swaps a store's writes and
 * keeps its reads (stores are class instances, so a spread would lose methods).
 *
 * `oneCallPerElement` is the baseline batched writes are measured against: the
 * same store, but every coalesced vertex and edge of a pipeline batch is its own
 * `apply` call, one after another — what a writer without batching does.
 * Bench-only: it gives up the store's per-batch atomicity. The pipeline still
 * coalesces a poll's mutations before the store sees them, so the baseline makes
 * fewer calls than there are mutations: the ratio flatters the baseline, never
 * the batched writer.
 */
import type { ApplyResult, GraphBatch, GraphStore } from '../../graph-schema';

export function withApply(store: GraphStore, apply: (batch: GraphBatch) => Promise<ApplyResult>): GraphStore {
  return {
    kind: store.kind,
    apply,
    getVertices: (ids) => store.getVertices(ids),
    neighbors: (queries) => store.neighbors(queries),
    timeline: (query) => store.timeline(query),
    lookup: (label, property, value) => store.lookup(label, property, value),
    search: (label, text, page) => store.search(label, text, page),
    scanStates: (label, page) => store.scanStates(label, page),
    stats: () => store.stats(),
    close: () => store.close(),
  };
}

export function oneCallPerElement(store: GraphStore): GraphStore {
  return withApply(store, async (batch) => {
    for (const vertex of batch.vertices) await store.apply({ vertices: [vertex], edges: [] });
    for (const edge of batch.edges) await store.apply({ vertices: [], edges: [edge] });
    return { vertices: batch.vertices.length, edges: batch.edges.length };
  });
}
