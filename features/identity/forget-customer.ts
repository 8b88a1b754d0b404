/**
 * forgetCustomer: erase everything a profile is made of — its identifiers,
 * traits, events, orders, support contacts, device and account links — through
 * the normal write path (versioned tombstones that every store merges alike),
 * then record an audit entry without the erased values.
 *
 * Why the tombstones carry the largest possible version rather than "just
 * after the newest event": a replay does not always carry the old times. The
 * Segment decoder recomputes event time from the hub's receive time (clock-skew
 * correction), a Debezium re-snapshot reads the same rows with a new ts_ms, and
 * a cleared dedupe lets every old event through again. Any finite margin can be
 * overtaken; a version no decodable event can reach (decoders reject times
 * after year 9999) cannot. The cost, accepted on purpose: an erased key (that
 * customer id, that email) is retired — a suppression list, as Segment's
 * "suppress and delete" keeps — and new data under it stays invisible.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  coalesce,
  type EdgeLabel,
  type GraphStore,
  type JsonObject,
  type Mutation,
  makeVersion,
  type Neighbor,
  type NeighborQuery,
  parseVertexId,
  type VertexLabel,
} from '../../graph-schema';
import type { ActionSink } from '../actions';
import type { AuditEntry, AuditLog } from './audit-log';
import { EVIDENCE_EDGE_LABELS } from './evidence-graph';
import { IdentityError } from './identity-error';
import type { IdentityResolver } from './identity-resolver';

/** 10^15 − 1 ms: the largest time a version can hold (graph-schema mutations.ts pads to 15 digits). */
const FOREVER_MS = 10 ** 15 - 1;

export function forgetVersion(auditId: string): string {
  return makeVersion(FOREVER_MS, `~forget:${auditId}`);
}

/** History hanging off an identifier: erased with it. */
const OWNED: readonly { edge: EdgeLabel; label: VertexLabel }[] = [
  { edge: 'PERFORMED', label: 'Event' },
  { edge: 'PLACED', label: 'Order' },
  { edge: 'CONTACTED', label: 'Interaction' },
];
/** Things a person uses or belongs to, that others may share: the link is erased, the vertex only if nobody else links to it. */
const SHARED: readonly { edge: EdgeLabel; label: VertexLabel }[] = [
  { edge: 'USES_DEVICE', label: 'Device' },
  { edge: 'HAS_ADDRESS', label: 'Address' },
  { edge: 'OWNS', label: 'Account' },
  { edge: 'BELONGS_TO', label: 'Account' },
  { edge: 'MEMBER_OF', label: 'Segment' },
];
/** Groups outlive their members: a segment or company account is never erased with one person. */
const NEVER_ERASED: ReadonlySet<VertexLabel> = new Set(['Segment']);

export interface ForgetRequest {
  readonly requestedBy: string;
  readonly reason?: string | null;
}

export interface ForgetResult {
  readonly auditId: string;
  /** The profile id that was erased (also erased: it is returned to the caller only). */
  readonly profileId: string;
  readonly erased: AuditEntry['erased'];
}

export interface CustomerForgetter {
  /** Null when no such customer or identifier exists (nothing to erase). */
  forget(id: string, request: ForgetRequest): Promise<ForgetResult | null>;
}

export const CUSTOMER_FORGOTTEN = 'customer.forgotten';

/** Same erasure, same id: a consumer that sees the action twice deletes once. */
export function forgottenActionId(profileId: string, auditId: string): string {
  return createHash('sha256')
    .update(JSON.stringify([CUSTOMER_FORGOTTEN, profileId, auditId]))
    .digest('hex')
    .slice(0, 32);
}

export interface CustomerForgetterDeps {
  readonly store: GraphStore;
  readonly resolver: IdentityResolver;
  readonly auditLog: AuditLog;
  /**
   * Where `customer.forgotten` goes once the erasure is durable and audited, so downstream
   * systems (ad audiences, e-mail, warehouses) erase the person too.
   */
  readonly actions?: ActionSink;
  readonly now?: () => number;
  readonly newId?: () => string;
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

export function createCustomerForgetter(deps: CustomerForgetterDeps): CustomerForgetter {
  const { store, resolver, auditLog } = deps;
  const now = deps.now ?? Date.now;
  const newId = deps.newId ?? randomUUID;

  async function allNeighbors(queries: readonly NeighborQuery[]): Promise<Neighbor[][]> {
    const out: Neighbor[][] = queries.map(() => []);
    let pending = queries.map((q, i) => ({ q, i }));
    while (pending.length > 0) {
      const pages = await store.neighbors(pending.map((p) => p.q));
      const next: typeof pending = [];
      pending.forEach((p, k) => {
        out[p.i].push(...pages[k].items);
        if (pages[k].hasNextPage) next.push({ q: { ...p.q, after: pages[k].cursors.at(-1) ?? null }, i: p.i });
      });
      pending = next;
    }
    return out;
  }

  return {
    async forget(id, request) {
      const profile = await resolver.profileOf(id);
      if (profile === null) return null;
      const root = profile.identifiers.find((i) => i.id === id);
      if (root && root.status !== 'member') {
        // A junk or shared identifier belongs to many people: forgetting "it" would erase others' data.
        throw new IdentityError(
          'INVALID_IDENTIFIER',
          `forgetCustomer: ${root.type} identifier is ${root.status}; name the customer instead`,
        );
      }
      const auditId = newId();
      const version = forgetVersion(auditId);
      // Identifiers the resolver kept out (blocked, contested) are shared by others: only their links go.
      const owners = profile.identifiers.filter((i) => i.status === 'member' || i.id === profile.id);
      const ownerIds = new Set(owners.map((o) => o.id));

      const vertices = new Map<string, VertexLabel>();
      const edges = new Map<string, Extract<Mutation, { op: 'deleteEdge' }>>();
      const edgeCounts: Record<string, number> = {};
      const addEdge = (n: Neighbor) => {
        if (edges.has(n.edge.id)) return;
        const from = parseVertexId(n.edge.from);
        const to = parseVertexId(n.edge.to);
        if (!from || !to) return;
        edges.set(n.edge.id, { op: 'deleteEdge', label: n.edge.label, from, to, version });
        bump(edgeCounts, n.edge.label);
      };
      for (const o of owners) vertices.set(o.id, o.vertex.label);

      const queries: NeighborQuery[] = [];
      for (const o of owners) {
        const base = { id: o.id, first: 500, after: null } as const;
        queries.push({ ...base, direction: 'out', edgeLabels: [...OWNED, ...SHARED].map((x) => x.edge) });
        queries.push({ ...base, direction: 'both', edgeLabels: EVIDENCE_EDGE_LABELS });
      }
      const shared = new Map<string, VertexLabel>();
      for (const list of await allNeighbors(queries)) {
        for (const n of list) {
          addEdge(n);
          if (OWNED.some((x) => x.edge === n.edge.label)) vertices.set(n.vertex.id, n.vertex.label);
          else if (SHARED.some((x) => x.edge === n.edge.label) && !NEVER_ERASED.has(n.vertex.label)) {
            shared.set(n.vertex.id, n.vertex.label);
          }
        }
      }
      // A family tablet or a company account stays for the others; it goes only when nobody else links to it.
      const sharedIds = [...shared.keys()];
      const users = await allNeighbors(
        sharedIds.map((sid) => ({
          id: sid,
          direction: 'in',
          edgeLabels: SHARED.map((x) => x.edge),
          first: 500,
          after: null,
        })),
      );
      sharedIds.forEach((sid, k) => {
        if (users[k].every((n) => ownerIds.has(n.vertex.id))) vertices.set(sid, shared.get(sid) as VertexLabel);
      });

      const mutations: Mutation[] = [...edges.values()];
      const vertexCounts: Record<string, number> = {};
      for (const [vid, label] of vertices) {
        const ref = parseVertexId(vid);
        if (!ref) continue;
        mutations.push({ op: 'deleteVertex', label: ref.label, key: ref.key, version });
        bump(vertexCounts, label);
      }
      const identifierTypes: Record<string, number> = {};
      for (const o of owners) bump(identifierTypes, o.type);

      await store.apply(coalesce(mutations));
      const erased = { vertices: vertexCounts, edges: edgeCounts, identifierTypes };
      await auditLog.append({
        id: auditId,
        at: new Date(now()).toISOString(),
        action: 'forgetCustomer',
        requestedBy: request.requestedBy,
        reason: request.reason ?? null,
        erased,
        version,
      });
      await deps.actions?.publish([
        {
          id: forgottenActionId(profile.id, auditId),
          type: CUSTOMER_FORGOTTEN,
          subjectId: profile.id,
          at: now(),
          // Counts only: the action must not carry what was erased.
          payload: { auditId, erased: erased as unknown as JsonObject },
        },
      ]);
      return { auditId, profileId: profile.id, erased };
    },
  };
}
