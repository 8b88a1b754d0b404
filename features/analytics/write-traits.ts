import {
  BatchBuilder,
  type GraphStore,
  type JsonObject,
  makeVersion,
  parseVertexId,
  type VertexLabel,
  versionTime,
} from '../../graph-schema';

export interface TraitWrite {
  readonly id: string;
  readonly props: JsonObject;
}

/** Vertices per getVertices + apply round trip. */
const CHUNK = 500;

/**
 * Writes algorithm results as vertex properties through the normal write path
 * (BatchBuilder → GraphStore.apply), so segments and triggers read them like
 * any trait.
 *
 * Versions: analytics writes use their own property names (`pagerank`,
 * `community`, …), which no event writes, so per-property last-writer-wins
 * never pits them against event data. What they must never do is resurrect a
 * vertex deleted after the projection was read: an upsert also marks the
 * vertex live, and a version of "now" would beat the delete's. So each write
 * takes the event time of the vertex's own newest version (read just before
 * writing; deleted vertices are skipped), with `analytics:<runId>` as
 * tie-breaker: any later delete or update is newer and wins, and a later run
 * (runIds sort by start time) beats an earlier one on an unchanged vertex.
 */
export async function writeTraits(
  store: GraphStore,
  runId: string,
  writes: readonly TraitWrite[],
): Promise<{ written: number; skipped: number }> {
  let written = 0;
  let skipped = 0;
  for (let start = 0; start < writes.length; start += CHUNK) {
    const chunk = writes.slice(start, start + CHUNK);
    const current = await store.getVertices(chunk.map((w) => w.id));
    const builder = new BatchBuilder();
    chunk.forEach((w, i) => {
      const vertex = current[i];
      const ref = parseVertexId(w.id);
      if (vertex === null || ref === null) {
        skipped++;
        return;
      }
      builder.add({
        op: 'upsertVertex',
        label: ref.label as VertexLabel,
        key: ref.key,
        props: w.props,
        version: makeVersion(versionTime(vertex.version), `analytics:${runId}`),
      });
      written++;
    });
    if (builder.size > 0) await store.apply(builder.build());
  }
  return { written, skipped };
}
