/**
 * Saved segments live in the graph like everything else: a `Segment` vertex
 * (name, definition JSON) and `MEMBER_OF` edges Customer → Segment, all written
 * through GraphStore.apply — so every store, every API replica and
 * `customer { segments }` see the same membership.
 */
import { randomBytes } from 'node:crypto';
import {
  BatchBuilder,
  type GraphStore,
  isPlainObject,
  type JsonObject,
  makeVersion,
  type Page,
  type Version,
  type Vertex,
} from '../../graph-schema';
import {
  parseSegmentDefinition,
  referencedSegments,
  type SegmentDefinition,
  segmentKey,
  segmentReferences,
} from './segment-definition';
import { SegmentDefinitionError, SegmentError } from './segment-error';

export interface SavedSegment {
  /** `Segment:<key>` */
  readonly id: string;
  readonly key: string;
  readonly name: string;
  readonly definition: SegmentDefinition;
  readonly version: Version;
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface SegmentCatalogOptions {
  readonly store: GraphStore;
  readonly clock?: Clock;
  /** New segment keys (default: 16 random hex characters). */
  readonly newKey?: () => string;
  /** How long the list of saved segments is cached (default 2,000 ms); saves and deletes here refresh it at once. */
  readonly cacheTtlMs?: number;
}

/** A customer's stored membership of one segment: the MEMBER_OF edge's version. */
export type Memberships = Map<string, Version>;

export interface SegmentCatalog {
  list(): Promise<SavedSegment[]>;
  get(idOrKey: string): Promise<SavedSegment | null>;
  /** Validates (shape, referenced segments exist, no cycle) and writes the Segment vertex. */
  save(input: {
    readonly name: string;
    readonly definition: unknown;
    readonly id?: string | null;
  }): Promise<SavedSegment>;
  /** Tombstones the Segment vertex; its MEMBER_OF edges become invisible with it. False if there was none. */
  delete(idOrKey: string): Promise<boolean>;
  /** A page of member customers, ordered by id. */
  members(idOrKey: string, page: { readonly first: number; readonly after?: string | null }): Promise<Page<Vertex>>;
  /** Every member id (pages through the MEMBER_OF edges). */
  allMembers(idOrKey: string): Promise<string[]>;
  /** Stored memberships of these customers: segment key → MEMBER_OF version. */
  membershipsOf(customerIds: readonly string[]): Promise<Map<string, Memberships>>;
  /** Segments a customer is a member of (Segment vertices), ordered by id. */
  segmentsOf(customerId: string): Promise<Vertex[]>;
}

const PAGE = 1000;
const MAX_NAME = 200;

/** Segments ordered so that every segment comes after the segments it references. */
export function dependencyOrder(segments: readonly SavedSegment[]): SavedSegment[] {
  const byKey = new Map(segments.map((s) => [s.key, s]));
  const out: SavedSegment[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (s: SavedSegment) => {
    if (state.get(s.key) === 'done' || state.get(s.key) === 'visiting') return;
    state.set(s.key, 'visiting');
    for (const ref of referencedSegments(s.definition)) {
      const dep = byKey.get(ref);
      if (dep) visit(dep);
    }
    state.set(s.key, 'done');
    out.push(s);
  };
  for (const s of [...segments].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) visit(s);
  return out;
}

function toSaved(v: Vertex): SavedSegment | null {
  const name = typeof v.props.name === 'string' ? v.props.name : v.key;
  try {
    return { id: v.id, key: v.key, name, definition: parseSegmentDefinition(v.props.definition), version: v.version };
  } catch {
    // A definition this version cannot read (written by a newer one, or by hand) is skipped, not fatal.
    return null;
  }
}

export function createSegmentCatalog(options: SegmentCatalogOptions): SegmentCatalog {
  const { store } = options;
  const clock = options.clock ?? systemClock;
  const newKey = options.newKey ?? (() => randomBytes(8).toString('hex'));
  const ttl = options.cacheTtlMs ?? 2000;
  let cache: { at: number; list: Promise<SavedSegment[]> } | null = null;
  let seq = 0;

  async function load(): Promise<SavedSegment[]> {
    const out: SavedSegment[] = [];
    let after: string | null = null;
    for (;;) {
      const page: Page<Vertex> = await store.search('Segment', '', { first: PAGE, after });
      for (const v of page.items) {
        const s = toSaved(v);
        if (s) out.push(s);
      }
      if (!page.hasNextPage || page.items.length === 0) return out;
      after = page.cursors[page.cursors.length - 1];
    }
  }

  function list(): Promise<SavedSegment[]> {
    const now = Date.now();
    if (cache === null || now - cache.at > ttl) {
      const loading = load();
      cache = { at: now, list: loading };
      loading.catch(() => {
        if (cache?.list === loading) cache = null;
      });
    }
    return cache.list;
  }

  async function get(idOrKey: string): Promise<SavedSegment | null> {
    const [v] = await store.getVertices([`Segment:${segmentKey(idOrKey)}`]);
    return v ? toSaved(v) : null;
  }

  async function neighborsAll(id: string, direction: 'in' | 'out'): Promise<Vertex[]> {
    const out: Vertex[] = [];
    let after: string | null = null;
    for (;;) {
      const [page] = await store.neighbors([
        {
          id,
          direction,
          edgeLabels: ['MEMBER_OF'],
          vertexLabels: [direction === 'in' ? 'Customer' : 'Segment'],
          first: PAGE,
          after,
        },
      ]);
      out.push(...page.items.map((n) => n.vertex));
      if (!page.hasNextPage || page.items.length === 0) return out;
      after = page.cursors[page.cursors.length - 1];
    }
  }

  return {
    list,
    get,
    async save(input) {
      const name = input.name.trim();
      if (name.length === 0 || name.length > MAX_NAME) {
        throw new SegmentError('BAD_SEGMENT_NAME', `a segment name has 1..${MAX_NAME} characters`);
      }
      const definition = parseSegmentDefinition(input.definition);
      const key = input.id ? segmentKey(input.id) : newKey();
      const saved = new Map((await load()).map((s) => [s.key, s]));
      const refs = segmentReferences(definition);
      const missing = refs.filter((r) => r.key !== key && !saved.has(r.key));
      if (missing.length > 0) {
        throw new SegmentDefinitionError(missing.map((r) => ({ path: r.path, message: `no saved segment ${r.key}` })));
      }
      // A segment may not depend on itself, directly or through others.
      const reaches = (from: string, seen: Set<string>): boolean => {
        if (from === key) return true;
        if (seen.has(from)) return false;
        seen.add(from);
        const s = saved.get(from);
        return s ? referencedSegments(s.definition).some((r) => reaches(r, seen)) : false;
      };
      const cyclic = refs.filter((r) => reaches(r.key, new Set()));
      if (cyclic.length > 0) {
        throw new SegmentDefinitionError(
          cyclic.map((r) => ({ path: r.path, message: `segment ${r.key} depends on this segment (a cycle)` })),
        );
      }
      const now = clock.now();
      seq++;
      const b = new BatchBuilder();
      const props: JsonObject = { name, definition: definition as unknown as JsonObject, updatedAt: now };
      b.add({
        op: 'upsertVertex',
        label: 'Segment',
        key,
        props,
        version: makeVersion(now, `segment:${key}:def:${seq}`),
      });
      await store.apply(b.build());
      cache = null;
      const stored = await get(key);
      if (!stored) {
        // A newer tombstone (deleted elsewhere with a later clock) hides the write.
        throw new SegmentError('SEGMENT_NOT_FOUND', `segment ${key} was deleted concurrently`);
      }
      return stored;
    },
    async delete(idOrKey) {
      const key = segmentKey(idOrKey);
      const [v] = await store.getVertices([`Segment:${key}`]);
      if (!v) return false;
      seq++;
      const b = new BatchBuilder();
      b.add({
        op: 'deleteVertex',
        label: 'Segment',
        key,
        version: makeVersion(clock.now(), `segment:${key}:del:${seq}`),
      });
      await store.apply(b.build());
      cache = null;
      return true;
    },
    async members(idOrKey, page) {
      const [p] = await store.neighbors([
        {
          id: `Segment:${segmentKey(idOrKey)}`,
          direction: 'in',
          edgeLabels: ['MEMBER_OF'],
          vertexLabels: ['Customer'],
          first: page.first,
          after: page.after ?? null,
        },
      ]);
      return { items: p.items.map((n) => n.vertex), cursors: p.cursors, hasNextPage: p.hasNextPage };
    },
    async allMembers(idOrKey) {
      return (await neighborsAll(`Segment:${segmentKey(idOrKey)}`, 'in')).map((v) => v.id);
    },
    async membershipsOf(customerIds) {
      const out = new Map<string, Memberships>();
      let pending = customerIds.map((id) => ({ id, after: null as string | null }));
      for (const id of customerIds) out.set(id, new Map());
      while (pending.length > 0) {
        const pages = await store.neighbors(
          pending.map((p) => ({
            id: p.id,
            direction: 'out' as const,
            edgeLabels: ['MEMBER_OF' as const],
            vertexLabels: ['Segment' as const],
            first: PAGE,
            after: p.after,
          })),
        );
        const next: typeof pending = [];
        pages.forEach((page, i) => {
          const m = out.get(pending[i].id) as Memberships;
          for (const n of page.items) m.set(n.vertex.key, n.edge.version);
          if (page.hasNextPage && page.items.length > 0) {
            next.push({ id: pending[i].id, after: page.cursors[page.cursors.length - 1] });
          }
        });
        pending = next;
      }
      return out;
    },
    segmentsOf: (customerId) => neighborsAll(customerId, 'out'),
  };
}

/** The definition as stored on the vertex, for the API (`Segment.definition`). */
export function storedDefinition(v: Vertex): unknown {
  const d = v.props.definition;
  return isPlainObject(d) ? d : null;
}
