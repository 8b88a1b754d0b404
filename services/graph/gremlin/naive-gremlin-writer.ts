/**
 * The baseline the batched writer is measured against (scripts/bench/gremlin-write.ts): the
 * same merge traversal, but one request per element, one after another, the way a writer
 * without batching would talk to the server. Not for production use.
 */
import type { Logger } from 'pino';
import type { ApplyResult, GraphBatch } from '../../../graph-schema';
import { createGremlinConnections } from './gremlin-connections';
import { GREMLIN_STORE_DEFAULTS } from './gremlin-store';
import { classifyGremlinError } from './gremlin-store-error';
import { batchRows, edgeUpsertTraversal, vertexUpsertTraversal } from './write-traversals';

export interface NaiveGremlinWriterOptions {
  readonly url: string;
  readonly traversalSource?: string;
  readonly logger?: Logger;
}

export interface NaiveGremlinWriter {
  apply(batch: GraphBatch): Promise<ApplyResult>;
  close(): Promise<void>;
}

export function createNaiveGremlinWriter(options: NaiveGremlinWriterOptions): NaiveGremlinWriter {
  const connections = createGremlinConnections({
    url: options.url,
    traversalSource: options.traversalSource ?? GREMLIN_STORE_DEFAULTS.traversalSource,
    connections: 1,
    requestTimeoutMs: GREMLIN_STORE_DEFAULTS.requestTimeoutMs,
    logger: options.logger,
  });
  return {
    async apply(batch) {
      const rows = batchRows(batch);
      try {
        for (const row of rows.vertices) await connections.run((g) => vertexUpsertTraversal(g, [row]));
        for (const row of rows.edges) await connections.run((g) => edgeUpsertTraversal(g, [row]));
      } catch (error) {
        throw classifyGremlinError('naiveApply', error);
      }
      return { vertices: batch.vertices.length, edges: batch.edges.length };
    },
    close: () => connections.close(),
  };
}
