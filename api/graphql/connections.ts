/**
 * Relay-style paging over the store's forward-only pages. Every cursor a client
 * sees is ours (base64url JSON tagged with the list it belongs to), so a cursor
 * from one list handed to another is a clean INVALID_CURSOR, not a store error.
 */
import { compareByteOrder, type Neighbor, type NeighborQuery, type Page } from '../../graph-schema';
import { ApiError } from '../api-errors';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface Connection<T> {
  readonly edges: readonly { readonly cursor: string; readonly node: T }[];
  readonly pageInfo: { readonly hasNextPage: boolean; readonly endCursor: string | null };
}

export function pageSize(first: number | null | undefined, defaultSize = DEFAULT_PAGE_SIZE): number {
  if (first === null || first === undefined) return defaultSize;
  if (!Number.isInteger(first) || first < 1) {
    throw new ApiError('BAD_USER_INPUT', `first must be a positive integer, got ${first}`, { argument: 'first' });
  }
  if (first > MAX_PAGE_SIZE) {
    throw new ApiError('PAGE_TOO_LARGE', `first must be at most ${MAX_PAGE_SIZE}, got ${first}`, {
      argument: 'first',
    });
  }
  return first;
}

export function encodeCursor(kind: string, state: unknown): string {
  return Buffer.from(JSON.stringify({ k: kind, s: state }), 'utf8').toString('base64url');
}

export function decodeCursor<T>(
  kind: string,
  cursor: string | null | undefined,
  check: (s: unknown) => s is T,
): T | null {
  if (cursor === null || cursor === undefined) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  const envelope = parsed as { k?: unknown; s?: unknown } | null;
  if (!envelope || typeof envelope !== 'object' || envelope.k !== kind || !check(envelope.s)) {
    throw new ApiError('INVALID_CURSOR', `after is not a cursor of this list (${kind})`, { argument: 'after' });
  }
  return envelope.s;
}

export const isString = (s: unknown): s is string => typeof s === 'string';

/**
 * An edge whose cursor is encoded when a client selects it: the 360° view asks for the
 * cursors of one list of five, and encoding them all was a few percent of its CPU.
 */
function lazyEdge<N>(node: N, cursorOf: () => string): { readonly cursor: string; readonly node: N } {
  let cursor: string | null = null;
  return {
    node,
    get cursor(): string {
      cursor ??= cursorOf();
      return cursor;
    },
  };
}

function connectionOf<N>(
  edges: readonly { readonly cursor: string; readonly node: N }[],
  hasNextPage: boolean,
): Connection<N> {
  return {
    edges,
    pageInfo: {
      hasNextPage,
      get endCursor(): string | null {
        return edges.length ? edges[edges.length - 1].cursor : null;
      },
    },
  };
}

/** The same connection with each node mapped; cursors stay as lazy as they were. */
export function mapNodes<T, N>(connection: Connection<T>, toNode: (node: T) => N): Connection<N> {
  const edges = connection.edges.map((e) => lazyEdge(toNode(e.node), () => e.cursor));
  return connectionOf(edges, connection.pageInfo.hasNextPage);
}

/** Wraps a store page whose cursors pass through unchanged (search, timeline). */
export function toConnection<T, N>(kind: string, page: Page<T>, toNode: (item: T) => N): Connection<N> {
  const edges = page.items.map((item, i) => lazyEdge(toNode(item), () => encodeCursor(kind, page.cursors[i])));
  return connectionOf(edges, page.hasNextPage);
}

/** Per-owner store cursor: where the next page of each owner's neighbours starts. */
export type MergeState = Readonly<Record<string, string>>;

export const isMergeState = (s: unknown): s is MergeState =>
  typeof s === 'object' && s !== null && !Array.isArray(s) && Object.values(s).every(isString);

/** Store order for neighbours: edge label, then neighbour id in byte order (graph-store.ts). */
function compareNeighbors(a: Neighbor, b: Neighbor): number {
  if (a.edge.label !== b.edge.label) return a.edge.label < b.edge.label ? -1 : 1;
  return compareByteOrder(a.vertex.id, b.vertex.id);
}

/** The store queries that fetch the next page of a merged list for `owners`. */
export function mergedNeighborQueries(
  owners: readonly string[],
  state: MergeState | null,
  base: Omit<NeighborQuery, 'id' | 'after' | 'first'>,
  first: number,
): NeighborQuery[] {
  // Each owner contributes at most one item per emitted item (equal items are
  // consumed together), so `first` from each owner always fills the page.
  return owners.map((id) => ({ ...base, id, first, after: state?.[id] ?? null }));
}

/**
 * A customer's devices, orders, … hang off the Customer vertex and off each of
 * its Identity vertices. This k-way merges one store page per owner in store
 * order, drops items reached from several owners, and records per owner where
 * it stopped — so paging a merged list costs one batched `neighbors` call.
 */
export function mergeNeighborPages(
  kind: string,
  owners: readonly string[],
  pages: readonly Page<Neighbor>[],
  state: MergeState | null,
  first: number,
): Connection<Neighbor> {
  const pos = owners.map(() => 0);
  /** The merge state after an edge: each owner's cursor at its last consumed item, else where it started. */
  const stateAt = (consumed: readonly number[]): MergeState => {
    const at: Record<string, string> = { ...(state ?? {}) };
    consumed.forEach((n, o) => {
      if (n > 0) at[owners[o]] = pages[o].cursors[n - 1];
    });
    return at;
  };
  const edges: { readonly cursor: string; readonly node: Neighbor }[] = [];
  while (edges.length < first) {
    let best: Neighbor | null = null;
    for (let o = 0; o < owners.length; o++) {
      const item = pages[o].items[pos[o]];
      if (item && (best === null || compareNeighbors(item, best) < 0)) best = item;
    }
    if (best === null) break;
    for (let o = 0; o < owners.length; o++) {
      const item = pages[o].items[pos[o]];
      if (item && compareNeighbors(item, best) === 0) pos[o]++;
    }
    const consumed = pos.slice();
    edges.push(lazyEdge(best, () => encodeCursor(kind, stateAt(consumed))));
  }
  const hasNextPage = owners.some((_, o) => pos[o] < pages[o].items.length || pages[o].hasNextPage);
  return connectionOf(edges, hasNextPage);
}
