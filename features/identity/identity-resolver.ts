/**
 * Profiles on read: the evidence around an identifier is read from the store
 * and grouped by `resolveEvidence`. Nothing derived is written, so a merge or a
 * split takes effect the moment its evidence is durable, in every store alike,
 * and undoing a merge is just removing evidence.
 */

import {
  coalesce,
  type GraphStore,
  type Mutation,
  makeVersion,
  type Neighbor,
  type NeighborQuery,
  parseVertexId,
  type Vertex,
  versionTime,
} from '../../graph-schema';
import {
  CUSTOMER_TYPE,
  EVIDENCE_EDGE_LABELS,
  type EvidenceGraph,
  type EvidenceLink,
  loadEvidenceGraph,
} from './evidence-graph';
import type { IdentityRules } from './identity-rules';
import type { ProfileCacheSlots } from './profile-cache';
import {
  incidentLinks,
  type LinkStatus,
  type NodeStatus,
  type Resolution,
  resolveEvidence,
  seenRange,
} from './resolve-evidence';

export interface IdentifierRef {
  /** Vertex id: `Customer:<key>` or `Identity:<type>:<value>`. */
  readonly id: string;
  /** Identifier type; `customer` for a Customer vertex. */
  readonly type: string;
  readonly value: string;
}

export interface ProfileIdentifier extends IdentifierRef {
  readonly vertex: Vertex;
  readonly status: NodeStatus;
  readonly reason: string | null;
  readonly firstSeen: number | null;
  readonly lastSeen: number | null;
}

/** One piece of evidence and what resolution made of it. */
export interface ProfileEvidence {
  readonly id: string;
  readonly label: string;
  readonly from: IdentifierRef;
  readonly to: IdentifierRef;
  readonly rule: string | null;
  readonly sourceId: string | null;
  readonly at: number | null;
  readonly version: string;
  readonly status: LinkStatus;
  readonly reason: string | null;
}

export interface Profile {
  /** Stable: the CRM-keyed Customer, else the userId Customer, else the earliest identifier. */
  readonly id: string;
  /** The vertex the profile is named after (its traits are the profile's first). */
  readonly anchor: Vertex;
  /** No Customer vertex in the profile: an anonymous visitor. */
  readonly anonymous: boolean;
  /** Every identifier vertex of the profile (Customer and Identity vertices), sorted by id. */
  readonly identifiers: readonly ProfileIdentifier[];
  /** Evidence with at least one end in the profile, merged and rejected, oldest first. */
  readonly evidence: readonly ProfileEvidence[];
  /** The evidence walk hit maxComponentNodes: far evidence may be missing. */
  readonly truncated: boolean;
}

export interface MergeExplanation {
  readonly a: IdentifierRef | null;
  readonly b: IdentifierRef | null;
  readonly sameProfile: boolean;
  readonly profileId: string | null;
  /**
   * The evidence joining a to b: over merged evidence when they are one profile;
   * otherwise the shortest chain over any evidence, whose rejected steps say why
   * they were kept apart. Empty when no evidence connects them at all.
   */
  readonly path: readonly ProfileEvidence[];
  readonly reason: string | null;
}

export interface UnlinkResult {
  /** The evidence removed. */
  readonly removed: readonly ProfileEvidence[];
  /** Profile ids after the split: the identifier's first, then the other side(s). */
  readonly profileIds: readonly string[];
}

export interface IdentityResolver {
  readonly rules: IdentityRules;
  /** The profile of a Customer or Identity vertex id; null when that vertex does not exist (or was forgotten). */
  profileOf(id: string): Promise<Profile | null>;
  /** Several at once, one evidence walk (a profile shared by several ids is computed once). */
  profilesOf(ids: readonly string[]): Promise<(Profile | null)[]>;
  explainMerge(a: string, b: string): Promise<MergeExplanation>;
  /** Remove the evidence tying the identifier to `other` (or to everything, when absent); the profile splits. */
  unlink(id: string, other?: string | null): Promise<UnlinkResult>;
}

export interface IdentityResolverDeps {
  readonly store: GraphStore;
  readonly rules: IdentityRules;
  readonly now?: () => number;
  /**
   * Keeps `profileOf` answers until a vertex they read is written (profile-cache.ts). Only
   * for a process through which every graph write passes, and only if that write path
   * calls `cache.invalidate`.
   */
  readonly cache?: ProfileCacheSlots;
}

interface Resolved {
  readonly graph: EvidenceGraph;
  readonly resolution: Resolution;
  readonly incident: ReadonlyMap<string, readonly EvidenceLink[]>;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function createIdentityResolver(deps: IdentityResolverDeps): IdentityResolver {
  const { store, rules } = deps;
  const now = deps.now ?? Date.now;

  async function resolve(ids: readonly string[]): Promise<Resolved> {
    const graph = await loadEvidenceGraph(store, ids, rules);
    return { graph, resolution: resolveEvidence(graph, rules), incident: incidentLinks(graph) };
  }

  const refOf = (r: Resolved, id: string): IdentifierRef => {
    const n = r.graph.nodes.get(id);
    return n ? { id, type: n.type, value: n.value } : { id, type: 'unknown', value: '' };
  };

  const evidenceOf = (r: Resolved, l: EvidenceLink): ProfileEvidence => {
    const d = r.resolution.links.get(l.id) ?? { status: 'rejected' as const, reason: null };
    return {
      id: l.id,
      label: l.label,
      from: refOf(r, l.from),
      to: refOf(r, l.to),
      rule: l.rule,
      sourceId: l.sourceId,
      at: l.at,
      version: l.version,
      status: d.status,
      reason: d.reason,
    };
  };

  function profileFrom(r: Resolved, id: string): Profile | null {
    const pid = r.resolution.profileOf.get(id);
    if (pid === undefined) return null;
    const ids = r.resolution.members.get(pid) ?? [id];
    const inProfile = new Set(ids);
    const identifiers = ids.map((mid): ProfileIdentifier => {
      const node = r.graph.nodes.get(mid);
      if (!node) throw new TypeError(`IdentityResolver: member ${mid} was not read`);
      const decision = r.resolution.nodes.get(mid) ?? { status: 'member' as const, reason: null };
      const seen = seenRange(r.incident.get(mid) ?? []);
      // An identifier with no timed evidence (a visitor's anonymousId) was last written at its vertex version.
      const written = versionTime(node.vertex.version);
      return {
        id: mid,
        type: node.type,
        value: node.value,
        vertex: node.vertex,
        status: decision.status,
        reason: decision.reason,
        firstSeen: seen.first ?? written,
        lastSeen: seen.last ?? written,
      };
    });
    const seenLinks = new Set<string>();
    const evidence: ProfileEvidence[] = [];
    for (const mid of ids) {
      for (const l of r.incident.get(mid) ?? []) {
        if (seenLinks.has(l.id)) continue;
        seenLinks.add(l.id);
        evidence.push(evidenceOf(r, l));
      }
    }
    evidence.sort((x, y) => (x.at ?? 0) - (y.at ?? 0) || compareIds(x.id, y.id));
    const anchor = r.graph.nodes.get(pid)?.vertex as Vertex;
    return {
      id: pid,
      anchor,
      anonymous: !identifiers.some((i) => i.type === CUSTOMER_TYPE && inProfile.has(i.id)),
      identifiers,
      evidence,
      truncated: r.graph.truncated,
    };
  }

  /** Shortest chain of links from a to b (breadth-first, neighbours in id order), over the links `usable` allows. */
  function chain(r: Resolved, a: string, b: string, usable: (l: EvidenceLink) => boolean): EvidenceLink[] | null {
    const via = new Map<string, EvidenceLink | null>([[a, null]]);
    let frontier = [a];
    while (frontier.length > 0 && !via.has(b)) {
      const next: string[] = [];
      for (const x of frontier) {
        const out = (r.incident.get(x) ?? []).filter(usable);
        out.sort((l1, l2) => compareIds(l1.from === x ? l1.to : l1.from, l2.from === x ? l2.to : l2.from));
        for (const l of out) {
          const y = l.from === x ? l.to : l.from;
          if (via.has(y)) continue;
          via.set(y, l);
          next.push(y);
        }
      }
      frontier = next;
    }
    if (!via.has(b)) return null;
    const path: EvidenceLink[] = [];
    for (let x = b; x !== a; ) {
      const l = via.get(x) as EvidenceLink;
      path.unshift(l);
      x = l.from === x ? l.to : l.from;
    }
    return path;
  }

  /** Every evidence edge of one identifier, straight from the store (a blocked identifier's too). */
  async function evidenceEdgesOf(id: string): Promise<Neighbor[]> {
    const ref = parseVertexId(id);
    const base: NeighborQuery =
      ref?.label === 'Customer'
        ? { id, direction: 'out', edgeLabels: ['HAS_IDENTITY'], first: 500, after: null }
        : { id, direction: 'both', edgeLabels: EVIDENCE_EDGE_LABELS, first: 500, after: null };
    const out: Neighbor[] = [];
    for (let after: string | null = null; ; ) {
      const [page] = await store.neighbors([{ ...base, after }]);
      out.push(...page.items);
      if (!page.hasNextPage) return out;
      after = page.cursors[page.cursors.length - 1];
    }
  }

  return {
    rules,
    async profileOf(id) {
      const cache = deps.cache;
      if (!cache) return profileFrom(await resolve([id]), id);
      const hit = cache.get(id);
      if (hit !== undefined) return hit;
      const ticket = cache.begin();
      let r: Resolved;
      try {
        r = await resolve([id]);
      } catch (e) {
        cache.abandon(ticket);
        throw e;
      }
      const profile = profileFrom(r, id);
      cache.put(ticket, id, profile, r.graph.nodes.keys());
      return profile;
    },
    async profilesOf(ids) {
      if (ids.length === 0) return [];
      const r = await resolve(ids);
      const cache = new Map<string, Profile | null>();
      return ids.map((id) => {
        const pid = r.resolution.profileOf.get(id);
        if (pid === undefined) return null;
        let p = cache.get(pid);
        if (p === undefined) {
          p = profileFrom(r, id);
          cache.set(pid, p);
        }
        return p;
      });
    },
    async explainMerge(a, b) {
      const r = await resolve([a, b]);
      const pa = r.resolution.profileOf.get(a);
      const pb = r.resolution.profileOf.get(b);
      const refA = pa === undefined ? null : refOf(r, a);
      const refB = pb === undefined ? null : refOf(r, b);
      if (pa === undefined || pb === undefined) {
        return { a: refA, b: refB, sameProfile: false, profileId: null, path: [], reason: 'unknown identifier' };
      }
      if (pa === pb) {
        const merged = chain(r, a, b, (l) => r.resolution.links.get(l.id)?.status === 'merged') ?? [];
        return {
          a: refA,
          b: refB,
          sameProfile: true,
          profileId: pa,
          path: merged.map((l) => evidenceOf(r, l)),
          reason: null,
        };
      }
      const any = chain(r, a, b, () => true);
      const path = (any ?? []).map((l) => evidenceOf(r, l));
      const blocking = path.find((step) => step.status === 'rejected');
      const reason = any === null ? 'no evidence connects them' : (blocking?.reason ?? 'kept apart by the merge rules');
      return { a: refA, b: refB, sameProfile: false, profileId: null, path, reason };
    },
    async unlink(id, other) {
      const before = await resolve([id]);
      if (!before.graph.nodes.has(id)) return { removed: [], profileIds: [] };
      const edges = (await evidenceEdgesOf(id)).filter((n) => other == null || n.vertex.id === other);
      const mutations: Mutation[] = [];
      const removed: ProfileEvidence[] = [];
      for (const n of edges) {
        // Newer than the evidence it removes, whatever the clock says: a tombstone must win over what it deletes.
        const at = Math.max(now(), versionTime(n.edge.version) + 1);
        const from = parseVertexId(n.edge.from);
        const to = parseVertexId(n.edge.to);
        if (!from || !to) continue;
        mutations.push({ op: 'deleteEdge', label: n.edge.label, from, to, version: makeVersion(at, `unlink:${id}`) });
        const link = before.graph.links.get(n.edge.id);
        removed.push(
          link
            ? evidenceOf(before, link)
            : {
                id: n.edge.id,
                label: n.edge.label,
                from: refOf(before, n.edge.from),
                to: refOf(before, n.edge.to),
                rule: typeof n.edge.props.rule === 'string' ? n.edge.props.rule : null,
                sourceId: typeof n.edge.props.sourceId === 'string' ? n.edge.props.sourceId : null,
                at: typeof n.edge.props.at === 'number' ? n.edge.props.at : null,
                version: n.edge.version,
                status: 'rejected',
                reason: null,
              },
        );
      }
      if (mutations.length > 0) await store.apply(coalesce(mutations));
      const sides = [id, ...new Set(edges.map((n) => n.vertex.id))];
      const after = await resolve(sides);
      const profileIds = [
        ...new Set(sides.map((s) => after.resolution.profileOf.get(s)).filter((p) => p !== undefined)),
      ];
      return { removed, profileIds };
    },
  };
}
