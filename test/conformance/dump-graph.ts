/**
 * What a store shows a reader about a set of vertices, as plain data: each vertex, its
 * out- and in-neighbours and its timeline, every list read page by page through the
 * cursors. Two stores (or two runs) agree on those vertices exactly when their dumps are
 * equal; cursors are left out because they are opaque and store-specific.
 */
import type { GraphStore, Neighbor, NeighborQuery, Page, TimelineItem, Vertex } from '../../graph-schema';

export interface GraphDump {
  readonly vertices: Record<string, Vertex | null>;
  readonly out: Record<string, Neighbor[]>;
  readonly in: Record<string, Neighbor[]>;
  readonly timeline: Record<string, TimelineItem[]>;
}

export interface DumpOptions {
  /** Small pages exercise cursors; the answer must not depend on the page size. */
  readonly pageSize?: number;
}

export async function dumpGraph(
  store: GraphStore,
  ids: readonly string[],
  options: DumpOptions = {},
): Promise<GraphDump> {
  const first = options.pageSize ?? 2;
  const vertices: Record<string, Vertex | null> = {};
  const found = await store.getVertices(ids);
  ids.forEach((id, i) => {
    vertices[id] = found[i];
  });
  const out: Record<string, Neighbor[]> = {};
  const inward: Record<string, Neighbor[]> = {};
  const timeline: Record<string, TimelineItem[]> = {};
  for (const id of ids) {
    out[id] = await allNeighbors(store, { id, direction: 'out', first });
    inward[id] = await allNeighbors(store, { id, direction: 'in', first });
    timeline[id] = await readAll((after) => store.timeline({ ownerIds: [id], first, after }));
  }
  return { vertices, out, in: inward, timeline };
}

export async function allNeighbors(store: GraphStore, query: NeighborQuery): Promise<Neighbor[]> {
  return readAll(async (after) => (await store.neighbors([{ ...query, after }]))[0]);
}

/** Follows `hasNextPage`/cursors to the end; fails loudly on a cursor that does not advance. */
export async function readAll<T>(readPage: (after: string | null) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let after: string | null = null;
  for (let pages = 0; ; pages++) {
    if (pages > 10_000) throw new Error('readAll: paging did not end after 10,000 pages');
    const page: Page<T> = await readPage(after);
    items.push(...page.items);
    if (!page.hasNextPage) return items;
    if (page.cursors.length === 0) throw new Error('readAll: hasNextPage with an empty page');
    after = page.cursors[page.cursors.length - 1];
  }
}
