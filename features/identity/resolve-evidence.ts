/**
 * The profile grouping, computed from evidence alone (pure, no I/O): the same
 * evidence gives the same profiles in every store, whichever event arrived
 * first and wherever the reader started.
 *
 * Profiles grow around trusted keys first: identifiers are visited by type
 * priority (CRM key and userId, then email, phone, external ids, anonymousId),
 * and each one joins the profiles its evidence points at only if the result
 * stays within every per-type limit. An identifier whose evidence points at
 * profiles that cannot be one person (a family tablet's anonymousId seen with
 * two userIds) joins none of them and is flagged `contested`; blocklisted
 * values, non-merging types and supernodes never join anything.
 */
import type { EvidenceGraph, EvidenceLink, EvidenceNode } from './evidence-graph';
import { CUSTOMER_TYPE } from './evidence-graph';
import { type IdentityRules, isBlocked, ruleFor } from './identity-rules';

export type NodeStatus = 'member' | 'blocked' | 'excluded' | 'supernode' | 'contested';
export type LinkStatus = 'merged' | 'rejected';

export interface NodeDecision {
  readonly status: NodeStatus;
  readonly reason: string | null;
}

export interface LinkDecision {
  readonly status: LinkStatus;
  readonly reason: string | null;
}

export interface Resolution {
  /** Each node's group: the id of the profile it belongs to. */
  readonly profileOf: ReadonlyMap<string, string>;
  /** Node ids per profile id, sorted. */
  readonly members: ReadonlyMap<string, readonly string[]>;
  readonly nodes: ReadonlyMap<string, NodeDecision>;
  readonly links: ReadonlyMap<string, LinkDecision>;
}

type Counts = Map<string, number>;

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function nodeDecision(rules: IdentityRules, node: EvidenceNode): NodeDecision {
  const rule = ruleFor(rules, node.type);
  if (!rule.merge) return { status: 'excluded', reason: `${node.type} identifiers do not merge profiles` };
  if (isBlocked(rules, node.type, node.value)) return { status: 'blocked', reason: 'blocklisted value' };
  if (node.linkCount > rule.maxLinks) {
    return { status: 'supernode', reason: `linked to more than ${rule.maxLinks} identifiers` };
  }
  return { status: 'member', reason: null };
}

/** A human-readable limit breach, or null when merging `a` and `b` keeps every limit. */
function breach(rules: IdentityRules, a: Counts, b: Counts): string | null {
  for (const [type, n] of b) {
    const max = ruleFor(rules, type).maxPerProfile;
    const total = (a.get(type) ?? 0) + n;
    if (max !== null && total > max) return `would put ${total} ${type} identifiers in one profile (limit ${max})`;
  }
  return null;
}

export function resolveEvidence(graph: EvidenceGraph, rules: IdentityRules): Resolution {
  const nodes = new Map<string, NodeDecision>();
  const links = new Map<string, LinkDecision>();
  for (const node of graph.nodes.values()) nodes.set(node.id, nodeDecision(rules, node));
  const active = (id: string) => nodes.get(id)?.status === 'member';

  // Union-find with per-type counts kept at each root.
  const parent = new Map<string, string>();
  const counts = new Map<string, Counts>();
  const size = new Map<string, number>();
  const find = (id: string): string => {
    let root = id;
    while (parent.get(root) !== root) root = parent.get(root) as string;
    for (let x = id; x !== root; ) {
      const next = parent.get(x) as string;
      parent.set(x, root);
      x = next;
    }
    return root;
  };
  const union = (a: string, b: string): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra === rb) return;
    // The smaller id stays root so that the structure is the same in any visiting order.
    const [root, child] = compareIds(ra, rb) < 0 ? [ra, rb] : [rb, ra];
    parent.set(child, root);
    const merged = new Map(counts.get(root));
    for (const [t, n] of counts.get(child) ?? []) merged.set(t, (merged.get(t) ?? 0) + n);
    counts.set(root, merged);
    size.set(root, (size.get(root) ?? 1) + (size.get(child) ?? 1));
    counts.delete(child);
  };
  for (const node of graph.nodes.values()) {
    parent.set(node.id, node.id);
    size.set(node.id, 1);
    counts.set(node.id, node.type === CUSTOMER_TYPE ? new Map() : new Map([[node.type, 1]]));
  }

  const priority = (id: string) => ruleFor(rules, (graph.nodes.get(id) as EvidenceNode).type).priority;
  const byTrust = (a: string, b: string) => priority(a) - priority(b) || compareIds(a, b);

  // Each link is decided when its less trusted end is visited: by then the trusted side's profile is complete.
  const assigned = new Map<string, EvidenceLink[]>();
  for (const link of graph.links.values()) {
    const from = graph.nodes.get(link.from);
    const to = graph.nodes.get(link.to);
    if (!from || !to) {
      links.set(link.id, { status: 'rejected', reason: 'the other identifier was not read (evidence truncated)' });
      continue;
    }
    const inactive = [from, to].find((n) => !active(n.id));
    if (inactive) {
      const d = nodes.get(inactive.id) as NodeDecision;
      links.set(link.id, { status: 'rejected', reason: `${inactive.type} is ${d.status}: ${d.reason}` });
      continue;
    }
    const weaker = byTrust(link.from, link.to) > 0 ? link.from : link.to;
    const list = assigned.get(weaker);
    if (list) list.push(link);
    else assigned.set(weaker, [link]);
  }

  const order = [...graph.nodes.keys()].filter(active).sort(byTrust);
  for (const x of order) {
    const own = assigned.get(x);
    if (!own) continue;
    own.sort((a, b) => (a.at ?? 0) - (b.at ?? 0) || compareIds(a.id, b.id));
    const other = (l: EvidenceLink) => (l.from === x ? l.to : l.from);
    const targets = [...new Set(own.map((l) => find(other(l))))].filter((r) => r !== find(x));
    const combined = new Map(counts.get(find(x)));
    let problem: string | null = null;
    for (const r of targets) {
      problem = breach(rules, combined, counts.get(r) as Counts);
      if (problem) break;
      for (const [t, n] of counts.get(r) as Counts) combined.set(t, (combined.get(t) ?? 0) + n);
    }
    if (problem === null) {
      for (const l of own) {
        union(x, other(l));
        links.set(l.id, { status: 'merged', reason: null });
      }
      continue;
    }
    if ((size.get(find(x)) ?? 1) === 1) {
      // Alone and pointing at profiles that cannot be one person: a shared identifier. It joins none.
      nodes.set(x, { status: 'contested', reason: `seen with profiles that cannot merge: ${problem}` });
      for (const l of own) links.set(l.id, { status: 'rejected', reason: `shared identifier: ${problem}` });
      continue;
    }
    // Already part of a profile: keep what fits, oldest evidence first, and reject the rest.
    for (const l of own) {
      const ro = find(other(l));
      const rx = find(x);
      const why = ro === rx ? null : breach(rules, counts.get(rx) as Counts, counts.get(ro) as Counts);
      if (why === null) {
        union(x, other(l));
        links.set(l.id, { status: 'merged', reason: null });
      } else links.set(l.id, { status: 'rejected', reason: why });
    }
  }

  const incident = incidentLinks(graph);
  const grouped = new Map<string, string[]>();
  for (const id of graph.nodes.keys()) {
    const root = active(id) ? find(id) : id;
    const list = grouped.get(root);
    if (list) list.push(id);
    else grouped.set(root, [id]);
  }
  const profileOf = new Map<string, string>();
  const members = new Map<string, readonly string[]>();
  for (const ids of grouped.values()) {
    ids.sort(compareIds);
    const pid = profileIdOf(graph, incident, links, ids);
    members.set(pid, ids);
    for (const id of ids) profileOf.set(id, pid);
  }
  return { profileOf, members, nodes, links };
}

/**
 * The stable profile id: the Customer vertex holding the CRM key, else the one
 * holding the userId, else any Customer, else the earliest-seen identifier.
 * Merging a visitor into a customer keeps the customer's id; splitting gives
 * each side the id it would have had alone.
 */
function profileIdOf(
  graph: EvidenceGraph,
  incident: ReadonlyMap<string, readonly EvidenceLink[]>,
  decisions: ReadonlyMap<string, LinkDecision>,
  ids: readonly string[],
): string {
  const inProfile = new Set(ids);
  const customers = ids.filter((id) => graph.nodes.get(id)?.type === CUSTOMER_TYPE);
  for (const keyType of ['crmId', 'userId']) {
    for (const c of customers) {
      for (const link of incident.get(c) ?? []) {
        if (link.from !== c || decisions.get(link.id)?.status !== 'merged' || !inProfile.has(link.to)) continue;
        if (graph.nodes.get(link.to)?.type === keyType) return c;
      }
    }
  }
  if (customers.length > 0) return customers[0];
  let best = ids[0];
  let bestSeen = Number.POSITIVE_INFINITY;
  for (const id of ids) {
    const seen = seenRange(incident.get(id) ?? []).first ?? Number.POSITIVE_INFINITY;
    if (seen < bestSeen) {
      best = id;
      bestSeen = seen;
    }
  }
  return best;
}

/** Links by endpoint (each link under both of its ends). */
export function incidentLinks(graph: EvidenceGraph): Map<string, EvidenceLink[]> {
  const out = new Map<string, EvidenceLink[]>();
  for (const l of graph.links.values()) {
    for (const end of [l.from, l.to]) {
      const list = out.get(end);
      if (list) list.push(l);
      else out.set(end, [l]);
    }
  }
  return out;
}

/** When evidence first and last mentioned an identifier (null when no evidence carries a time). */
export function seenRange(links: readonly EvidenceLink[]): { first: number | null; last: number | null } {
  let first: number | null = null;
  let last: number | null = null;
  for (const l of links) {
    if (l.at === null) continue;
    if (first === null || l.at < first) first = l.at;
    if (last === null || l.at > last) last = l.at;
  }
  return { first, last };
}
