/**
 * The evidence around some identifiers, read from any GraphStore: identifier
 * vertices (Customer vertices and Identity vertices) and the evidence edges
 * between them (HAS_IDENTITY, SAME_AS). Reading walks outwards level by level
 * with one batched `neighbors` call per level, and does not walk through
 * identifiers that can never merge (blocklisted values, non-merging types,
 * supernodes) — so a junk email shared by thousands costs one lookup, not thousands.
 */
import type { EdgeLabel, GraphStore, Neighbor, NeighborQuery, Version, Vertex } from '../../graph-schema';
import { type IdentityRules, isBlocked, ruleFor } from './identity-rules';

export const EVIDENCE_EDGE_LABELS: readonly EdgeLabel[] = ['HAS_IDENTITY', 'SAME_AS'];

/** The identifier type of a Customer vertex (its key is a CRM key or userId). */
export const CUSTOMER_TYPE = 'customer';

export interface EvidenceNode {
  /** Vertex id: `Customer:<key>` or `Identity:<type>:<value>`. */
  readonly id: string;
  readonly type: string;
  readonly value: string;
  readonly vertex: Vertex;
  /** Evidence links read from this node; more than its type's maxLinks makes it a supernode. */
  readonly linkCount: number;
}

export interface EvidenceLink {
  /** Store edge id. */
  readonly id: string;
  readonly label: EdgeLabel;
  readonly from: string;
  readonly to: string;
  readonly rule: string | null;
  readonly sourceId: string | null;
  readonly at: number | null;
  readonly version: Version;
}

export interface EvidenceGraph {
  readonly nodes: ReadonlyMap<string, EvidenceNode>;
  readonly links: ReadonlyMap<string, EvidenceLink>;
  /** True when maxComponentNodes stopped the walk: the answer may miss far evidence. */
  readonly truncated: boolean;
}

export function identifierOf(vertex: Vertex): { type: string; value: string } {
  if (vertex.label === 'Customer') return { type: CUSTOMER_TYPE, value: vertex.key };
  const i = vertex.key.indexOf(':');
  const type = typeof vertex.props.type === 'string' ? vertex.props.type : vertex.key.slice(0, i);
  const value = typeof vertex.props.value === 'string' ? vertex.props.value : vertex.key.slice(i + 1);
  return { type, value };
}

function isIdentifierVertex(v: Vertex): boolean {
  return v.label === 'Customer' || v.label === 'Identity';
}

function toLink(n: Neighbor): EvidenceLink {
  const p = n.edge.props;
  return {
    id: n.edge.id,
    label: n.edge.label,
    from: n.edge.from,
    to: n.edge.to,
    rule: typeof p.rule === 'string' ? p.rule : null,
    sourceId: typeof p.sourceId === 'string' ? p.sourceId : null,
    at: typeof p.at === 'number' ? p.at : null,
    version: n.edge.version,
  };
}

/** Page size for a Customer's identities; it pages on until done (bounded by maxComponentNodes). */
const CUSTOMER_PAGE = 200;

/** Whether the walk may continue through this identifier (before knowing its links). */
export function canExpand(rules: IdentityRules, type: string, value: string): boolean {
  return ruleFor(rules, type).merge && !isBlocked(rules, type, value);
}

export async function loadEvidenceGraph(
  store: Pick<GraphStore, 'getVertices' | 'neighbors'>,
  startIds: readonly string[],
  rules: IdentityRules,
): Promise<EvidenceGraph> {
  const nodes = new Map<string, EvidenceNode>();
  const links = new Map<string, EvidenceLink>();
  const limit = rules.maxComponentNodes * Math.max(1, startIds.length);
  let truncated = false;

  const starts = await store.getVertices([...new Set(startIds)]);
  let frontier: Vertex[] = starts.filter((v): v is Vertex => v !== null && isIdentifierVertex(v));
  for (const v of frontier) nodes.set(v.id, { id: v.id, ...identifierOf(v), vertex: v, linkCount: 0 });

  while (frontier.length > 0) {
    // Each entry: the node and the query for its next page of evidence.
    let pending: { node: Vertex; query: NeighborQuery; read: Neighbor[] }[] = [];
    for (const v of frontier) {
      const { type, value } = identifierOf(v);
      if (!canExpand(rules, type, value)) continue;
      const query: NeighborQuery =
        v.label === 'Customer'
          ? { id: v.id, direction: 'out', edgeLabels: ['HAS_IDENTITY'], first: CUSTOMER_PAGE, after: null }
          : // One more than allowed is enough to know it is a supernode.
            { id: v.id, direction: 'both', edgeLabels: EVIDENCE_EDGE_LABELS, first: ruleFor(rules, type).maxLinks + 1 };
      pending.push({ node: v, query, read: [] });
    }
    const done: { node: Vertex; read: Neighbor[] }[] = [];
    while (pending.length > 0) {
      const pages = await store.neighbors(pending.map((p) => p.query));
      const next: typeof pending = [];
      pending.forEach((p, i) => {
        const page = pages[i];
        p.read.push(...page.items);
        if (page.hasNextPage && p.node.label === 'Customer' && p.read.length < limit) {
          next.push({ ...p, query: { ...p.query, after: page.cursors[page.cursors.length - 1] } });
        } else done.push(p);
      });
      pending = next;
    }

    const discovered: Vertex[] = [];
    for (const { node, read } of done) {
      const known = nodes.get(node.id) as EvidenceNode;
      const evidence = read.filter((n) => isIdentifierVertex(n.vertex));
      nodes.set(node.id, { ...known, linkCount: evidence.length });
      const { type } = known;
      // A supernode's links are never followed: they can never merge anything.
      if (known.vertex.label === 'Identity' && evidence.length > ruleFor(rules, type).maxLinks) continue;
      for (const n of evidence) {
        links.set(n.edge.id, toLink(n));
        if (nodes.has(n.vertex.id)) continue;
        if (nodes.size >= limit) {
          truncated = true;
          links.delete(n.edge.id);
          continue;
        }
        nodes.set(n.vertex.id, { id: n.vertex.id, ...identifierOf(n.vertex), vertex: n.vertex, linkCount: 0 });
        discovered.push(n.vertex);
      }
    }
    frontier = discovered;
  }
  return { nodes, links, truncated };
}
