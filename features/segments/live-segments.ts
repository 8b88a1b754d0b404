/**
 * Keeps saved segments' membership live and tells the world who entered and left.
 *
 * - After events are durable (`onApplied`), the touched vertices are resolved to
 *   customers (an Identity, Event, Order, Device or Account through one or two
 *   neighbour hops) and only those customers are re-evaluated, against every saved
 *   segment in dependency order, so `{ segment: X }` sees X's new answer in the
 *   same round.
 * - A change publishes `segment.entered` / `segment.left` (durably, first) and then
 *   writes MEMBER_OF add/delete through GraphStore.apply. A crash between the two
 *   re-publishes on the next evaluation: at least once, never lost.
 * - All work runs on one queue, so actions for a customer are published in the
 *   order its transitions happened.
 * - Time windows: every evaluation reports when a window alone could change a
 *   customer's answer; a scheduler re-evaluates the customer then, so a customer
 *   leaves "viewed in the last 7 days" on day 8 without any new event.
 * - `reconcile` recounts whole segments (at save time, at startup, and for what
 *   other customers' data can change: `shares`, `boughtWith`).
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import {
  BatchBuilder,
  EMPTY_STATE,
  type GraphBatch,
  type GraphStore,
  makeVersion,
  type NeighborQuery,
  parseVertexId,
  type Version,
  versionTime,
} from '../../graph-schema';
import { type AppliedEvents, createSerialQueue } from '../../ingest';
import { createMemoryStateStore, type StateStore } from '../../services/state';
import type { ActionSink, HubAction } from '../actions';
import type { EmbeddedSegmentEvaluator } from './embedded-evaluator';
import {
  type Clock,
  dependencyOrder,
  type Memberships,
  type SavedSegment,
  type SegmentCatalog,
} from './segment-catalog';
import { conditionsOf, referencedSegments } from './segment-definition';

export const SEGMENT_ENTERED = 'segment.entered';
/** How many times each (segment, customer) membership changed: the ordinal makes action ids stable. */
const TRANSITIONS = 'segments.transitions';
export const SEGMENT_LEFT = 'segment.left';
const RETRY_MS = 5000;

export interface LiveSegmentsOptions {
  readonly store: GraphStore;
  readonly actions: ActionSink;
  readonly evaluator: EmbeddedSegmentEvaluator;
  readonly catalog: SegmentCatalog;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * Where the transition ordinals live (the process's live-state store, shared in a split
   * deployment); default in memory.
   */
  readonly stateStore?: StateStore;
  /** Customers evaluated per round (default 200). */
  readonly batchSize?: number;
  /** Arm a timer for window expiries (default true); tests turn it off and call `tick()`. */
  readonly autoSchedule?: boolean;
  /** Longest a timer waits before looking again (default 60,000 ms), so a changed clock is noticed. */
  readonly maxTimerMs?: number;
}

export interface Transition {
  readonly segment: SavedSegment;
  readonly customerId: string;
  readonly entered: boolean;
}

export interface ReconcileResult {
  readonly entered: number;
  readonly left: number;
}

export interface LiveSegments {
  /** The pipeline's `onApplied` listener: never throws, never blocks the pipeline. */
  /**
   * The pipeline's `onApplied` listener. Resolves once the touched customers are evaluated and
   * their transitions published and written: the pipeline marks the events seen (and Kafka
   * commits their offsets) only then, so a worker killed mid-evaluation leaves them to be
   * redelivered — no transition is lost. A store failure rejects (retriable: the batch is retried).
   */
  onApplied(applied: AppliedEvents): Promise<void>;
  /** Re-evaluate these customers against every saved segment. */
  refresh(customerIds: readonly string[]): Promise<void>;
  /** Recount one saved segment (or all, in dependency order) and publish/write the differences. */
  reconcile(idOrKey?: string): Promise<ReconcileResult>;
  /**
   * The customer was erased (its MEMBER_OF edges with it): tell the world it left each
   * segment it was in — `memberships` as read before the erasure — so ad and e-mail
   * audiences drop it too.
   */
  forgotten(customerId: string, memberships: Memberships): Promise<number>;
  /** Re-evaluate customers whose window deadline has passed (by the injected clock). */
  tick(): Promise<void>;
  /** Resolves when every queued piece of work is done. */
  idle(): Promise<void>;
  /** Customers waiting for a window deadline, with the deadline (for tests and metrics). */
  scheduled(): ReadonlyMap<string, number>;
  close(): Promise<void>;
}

/**
 * Same transition, same id: the n-th membership change of a customer in a segment, whichever
 * process computed it and whenever. A crash between publishing and recording the ordinal
 * re-derives the same n (so the same id), and two workers reconciling at once agree on it;
 * consumers dedupe re-deliveries on it. Changes alternate, so entries are odd and leaves
 * even (see `nextOrdinal`).
 */
export function segmentActionId(segmentKey: string, customerId: string, entered: boolean, ordinal: number): string {
  return createHash('sha256')
    .update(JSON.stringify([segmentKey, customerId, entered ? 'entered' : 'left', ordinal]))
    .digest('hex')
    .slice(0, 32);
}

/**
 * The ordinal of a transition given the last recorded one. Changes of a pair alternate, so
 * entries are odd and leaves even: the next number of the transition's parity, or the recorded
 * one itself when it already has that parity — then its count was written but its MEMBER_OF
 * edge was not (commit writes the count first; a worker killed in between), and this is the
 * same transition again, so the same id. The id depends only on what is durable, never on
 * where a process died, however many times it did.
 */
export function nextOrdinal(recorded: number, entered: boolean): number {
  const n = Math.max(recorded, 1);
  return (n % 2 === 1) === entered ? n : n + 1;
}

const prefixed = (label: string, id: string) => (id.startsWith(`${label}:`) ? id : `${label}:${id}`);

const hasSharing = (s: SavedSegment) => {
  for (const c of conditionsOf(s.definition)) if ('shares' in c) return true;
  return false;
};

export function createLiveSegments(options: LiveSegmentsOptions): LiveSegments {
  const { store, actions, evaluator, catalog, clock } = options;
  const stateStore = options.stateStore ?? createMemoryStateStore();
  const logger = options.logger.child({ component: 'live-segments' });
  const batchSize = options.batchSize ?? 200;
  const autoSchedule = options.autoSchedule ?? true;
  const maxTimerMs = options.maxTimerMs ?? 60_000;

  const chain = createSerialQueue();
  let closed = false;
  let seq = 0;
  let lastTime = 0;
  const due = new Map<string, number>();
  let timer: NodeJS.Timeout | null = null;
  /** The version of each saved segment this process has counted; null until the first look. */
  let versions: Map<string, Version> | null = null;

  /** Everything that reads membership and writes it runs here, one piece at a time. */
  const serial = <T>(work: () => Promise<T>): Promise<T> => chain.run(work);

  function nextVersion(key: string, notBefore: Version | null): { version: Version; at: number } {
    let at = Math.max(clock.now(), lastTime);
    // A delete must be newer than the edge it removes, whoever wrote it.
    if (notBefore !== null) at = Math.max(at, versionTime(notBefore) + 1);
    lastTime = at;
    seq++;
    return { version: makeVersion(at, `segment:${key}:${String(seq).padStart(12, '0')}`), at };
  }

  /**
   * MEMBER_OF writes that must never (re)create their endpoints: an edge upsert would mark
   * both ends live at the edge's version and so resurrect a customer deleted a moment
   * ago. The ends are sent with an empty state (a no-op merge): a deleted end simply
   * keeps the edge invisible.
   */
  function membershipBatch(builder: BatchBuilder): GraphBatch {
    const batch = builder.build();
    return { vertices: batch.vertices.map((v) => ({ ...v, state: EMPTY_STATE })), edges: batch.edges };
  }

  async function commit(
    transitions: readonly Transition[],
    previous: Map<string, Map<string, Version>>,
    /** Ordinals read before `previous` was (see evaluateCustomers); read now when absent. */
    known?: ReadonlyMap<string, number | undefined>,
  ) {
    if (transitions.length === 0) return;
    const builder = new BatchBuilder();
    const published: HubAction[] = [];
    const pairs = transitions.map((t) => `${t.segment.key}|${t.customerId}`);
    const counts = known ? pairs.map((pair) => known.get(pair)) : await stateStore.getMany<number>(TRANSITIONS, pairs);
    const ordinals = new Map<string, number>();
    for (const [i, t] of transitions.entries()) {
      const prior = t.entered ? null : (previous.get(t.customerId)?.get(t.segment.key) ?? null);
      const { version, at } = nextVersion(t.segment.key, prior);
      const ref = parseVertexId(t.customerId);
      if (!ref) continue;
      const from = { label: 'Customer' as const, key: ref.key };
      const to = { label: 'Segment' as const, key: t.segment.key };
      builder.add(
        t.entered
          ? { op: 'upsertEdge', label: 'MEMBER_OF', from, to, props: {}, version }
          : { op: 'deleteEdge', label: 'MEMBER_OF', from, to, version },
      );
      published.push({
        id: segmentActionId(t.segment.key, t.customerId, t.entered, ordinalOf(pairs[i], counts[i], t.entered)),
        type: t.entered ? SEGMENT_ENTERED : SEGMENT_LEFT,
        subjectId: t.customerId,
        at,
        payload: { segmentId: t.segment.id, segmentName: t.segment.name, version },
      });
    }
    // Durable announcement first: a crash before the write re-announces on the next evaluation.
    await actions.publish(published);
    // The count before the edge: the count is never behind the edges, so a retry of a
    // transition whose edge never landed finds its own ordinal (see nextOrdinal).
    await stateStore.put([...ordinals].map(([key, value]) => ({ namespace: TRANSITIONS, key, value })));
    await store.apply(membershipBatch(builder));

    function ordinalOf(pair: string, stored: number | undefined, entered: boolean): number {
      const n = nextOrdinal(ordinals.get(pair) ?? stored ?? 0, entered);
      ordinals.set(pair, n);
      return n;
    }
  }

  function schedule(customerId: string, at: number | null, merge: boolean): void {
    if (at === null) {
      if (!merge) due.delete(customerId);
    } else {
      const current = due.get(customerId);
      due.set(customerId, merge && current !== undefined ? Math.min(current, at) : at);
    }
  }

  function arm(): void {
    if (!autoSchedule || closed) return;
    if (timer) clearTimeout(timer);
    timer = null;
    if (due.size === 0) return;
    let next = Number.POSITIVE_INFINITY;
    for (const at of due.values()) if (at < next) next = at;
    const wait = Math.max(0, Math.min(next - clock.now(), maxTimerMs));
    timer = setTimeout(() => {
      timer = null;
      tick().catch((e) => logger.error({ err: e }, 'window re-evaluation failed'));
    }, wait);
    timer.unref();
  }

  /** Re-evaluates customers against every segment; returns those whose membership changed. */
  async function evaluateCustomers(customerIds: readonly string[]): Promise<Set<string>> {
    const changed = new Set<string>();
    if (customerIds.length === 0) return changed;
    const segments = dependencyOrder(await catalog.list());
    if (segments.length === 0) return changed;
    // Ordinals first, memberships second: commit writes the ordinal before the MEMBER_OF edge,
    // so a worker evaluating the same customer at the same moment (its telemetry and its
    // clickstream live on different partitions) either sees the edge (no transition) or an
    // ordinal from before it or of it (the same transition, the same id: nextOrdinal) — never
    // a second "entered" under another id.
    const pairs = segments.flatMap((seg) => customerIds.map((id) => `${seg.key}|${id}`));
    const counts = await stateStore.getMany<number>(TRANSITIONS, pairs);
    const known = new Map(pairs.map((pair, i) => [pair, counts[i]]));
    const stored = await catalog.membershipsOf(customerIds);
    const overrides = new Map<string, Set<string>>(customerIds.map((id) => [id, new Set(stored.get(id)?.keys())]));
    const nextCheck = new Map<string, number>();
    const transitions: Transition[] = [];
    const now = clock.now();
    for (const segment of segments) {
      const verdicts = await evaluator.evaluate(segment.definition, customerIds, { now, memberships: overrides });
      customerIds.forEach((id, i) => {
        const v = verdicts[i];
        const set = overrides.get(id) as Set<string>;
        if (v.nextCheckAt !== null) nextCheck.set(id, Math.min(nextCheck.get(id) ?? v.nextCheckAt, v.nextCheckAt));
        if (v.member === set.has(segment.key)) return;
        if (v.member) set.add(segment.key);
        else set.delete(segment.key);
        transitions.push({ segment, customerId: id, entered: v.member });
        changed.add(id);
      });
    }
    // Per customer, in the order its segments were decided.
    const order = new Map(customerIds.map((id, i) => [id, i]));
    transitions.sort((a, b) => (order.get(a.customerId) as number) - (order.get(b.customerId) as number));
    await commit(transitions, stored, known);
    for (const id of customerIds) schedule(id, nextCheck.get(id) ?? null, false);
    if (changed.size > 0 && segments.some(hasSharing)) return changed;
    return new Set();
  }

  /** Customers behind touched vertices. */
  async function customersOf(vertexIds: Iterable<string>): Promise<string[]> {
    const customers = new Set<string>();
    const identities = new Set<string>();
    const hops: NeighborQuery[] = [];
    const q = (id: string, edgeLabels: NeighborQuery['edgeLabels']): NeighborQuery => ({
      id,
      direction: 'in',
      edgeLabels,
      vertexLabels: ['Customer', 'Identity'],
      first: 100,
      after: null,
    });
    for (const id of vertexIds) {
      const ref = parseVertexId(id);
      switch (ref?.label) {
        case 'Customer':
          customers.add(id);
          break;
        case 'Identity':
          identities.add(id);
          break;
        case 'Event':
          hops.push(q(id, ['PERFORMED']));
          break;
        case 'Order':
          hops.push(q(id, ['PLACED']));
          break;
        case 'Device':
          hops.push(q(id, ['USES_DEVICE']));
          break;
        case 'Account':
          hops.push(q(id, ['OWNS', 'BELONGS_TO']));
          break;
        default:
          // Products, sessions, segments…: a change there reaches customers through reconcile.
          break;
      }
    }
    for (const page of hops.length > 0 ? await store.neighbors(hops) : []) {
      for (const n of page.items) (n.vertex.label === 'Customer' ? customers : identities).add(n.vertex.id);
    }
    const ids = [...identities];
    const claimed =
      ids.length > 0
        ? await store.neighbors(
            ids.map((id) => ({
              id,
              direction: 'in' as const,
              edgeLabels: ['HAS_IDENTITY' as const],
              vertexLabels: ['Customer' as const],
              first: 100,
              after: null,
            })),
          )
        : [];
    for (const page of claimed) for (const n of page.items) customers.add(n.vertex.id);
    return [...customers];
  }

  /** Customers sharing a device or account with these (their `shares` answers may follow). */
  async function matesOf(customerIds: readonly string[]): Promise<string[]> {
    const things = await store.neighbors(
      customerIds.map((id) => ({
        id,
        direction: 'out' as const,
        edgeLabels: ['USES_DEVICE' as const, 'OWNS' as const, 'BELONGS_TO' as const],
        first: 100,
        after: null,
      })),
    );
    const thingIds = [...new Set(things.flatMap((p) => p.items.map((n) => n.vertex.id)))];
    const mates = await customersOf(thingIds);
    const self = new Set(customerIds);
    return mates.filter((m) => !self.has(m));
  }

  /**
   * Re-evaluates customers. `touched` says their data changed (not just the clock): then the
   * customers whose answers read theirs follow — mates sharing a device or account with them
   * (`shares`: B stays in "household has a RED router" only while A's router is RED) and every
   * `boughtWith` segment naming one of them is recounted.
   */
  async function process(customerIds: readonly string[], touched = false): Promise<void> {
    let queue = [...new Set(customerIds)];
    const seen = new Map<string, number>();
    if (touched && queue.length > 0) {
      const segments = await catalog.list();
      await catchUp(segments);
      if (segments.some(hasSharing)) {
        for (const m of await matesOf(queue)) {
          if (!queue.includes(m)) {
            seen.set(m, 1);
            queue.push(m);
          }
        }
      }
      const named = new Set(queue);
      for (const segment of segments) {
        const refs = [...conditionsOf(segment.definition)].flatMap((c) =>
          'boughtWith' in c ? [prefixed('Customer', c.boughtWith.customer)] : [],
        );
        if (refs.some((r) => named.has(r))) await reconcileOne(segment);
      }
    }
    while (queue.length > 0) {
      const batch = queue.slice(0, batchSize);
      queue = queue.slice(batchSize);
      const changed = await evaluateCustomers(batch);
      if (changed.size > 0) {
        // Bounded propagation: a customer is revisited at most a few times per round.
        for (const m of await matesOf([...changed])) {
          const n = seen.get(m) ?? 0;
          if (n < 3 && !queue.includes(m)) {
            seen.set(m, n + 1);
            queue.push(m);
          }
        }
      }
    }
    arm();
  }

  /**
   * A segment saved or redefined elsewhere (another API replica) reaches this process's
   * catalog cache up to its TTL later, and the saving process recounted it against the graph
   * as it was then: events this process applied in between were evaluated without it. So a
   * segment this process has not seen at this version is recounted here first. Idempotent:
   * what the saver already recorded is not a transition again, and action ids are stable.
   */
  async function catchUp(segments: readonly SavedSegment[]): Promise<void> {
    if (versions === null) {
      // Before the startup reconcile (or without one): nothing to catch up on yet.
      versions = new Map(segments.map((s) => [s.key, s.version]));
      return;
    }
    for (const segment of dependencyOrder([...segments])) {
      if (versions.get(segment.key) === segment.version) continue;
      await reconcileOne(segment);
    }
  }

  function refresh(customerIds: readonly string[]): Promise<void> {
    return serial(() => process(customerIds, true));
  }

  async function reconcileOne(segment: SavedSegment): Promise<ReconcileResult> {
    const storedMembers = new Set(await catalog.allMembers(segment.key));
    const transitions: Transition[] = [];
    const stillStored = new Set(storedMembers);
    await evaluator.scan(segment.definition, { now: clock.now() }, (ids, verdicts) => {
      ids.forEach((id, i) => {
        const v = verdicts[i];
        schedule(id, v.nextCheckAt, true);
        stillStored.delete(id);
        if (v.member !== storedMembers.has(id)) transitions.push({ segment, customerId: id, entered: v.member });
      });
    });
    // Stored members the scan no longer lists are deleted customers: their edges are already invisible.
    const leaving = transitions.filter((t) => !t.entered).map((t) => t.customerId);
    const previous = await catalog.membershipsOf(leaving);
    for (let i = 0; i < transitions.length; i += 500) await commit(transitions.slice(i, i + 500), previous);
    // Counted at this version (only once it all succeeded: a failure is caught up next time).
    versions ??= new Map();
    versions.set(segment.key, segment.version);
    const entered = transitions.filter((t) => t.entered).length;
    return { entered, left: transitions.length - entered };
  }

  function reconcile(idOrKey?: string): Promise<ReconcileResult> {
    return serial(async () => {
      const all = dependencyOrder(await catalog.list());
      // Every listed segment is counted below: anything saved later is caught up when first seen.
      if (idOrKey === undefined) versions ??= new Map();
      let targets = all;
      if (idOrKey !== undefined) {
        const one = await catalog.get(idOrKey);
        if (!one) return { entered: 0, left: 0 };
        // The segment itself, then every saved segment that depends on it.
        const affected = new Set([one.key]);
        targets = [one, ...all.filter((s) => s.key !== one.key)].filter((s) => {
          if (s.key === one.key) return true;
          if (referencedSegments(s.definition).some((d) => affected.has(d))) {
            affected.add(s.key);
            return true;
          }
          return false;
        });
      }
      let entered = 0;
      let left = 0;
      for (const s of targets) {
        const r = await reconcileOne(s);
        entered += r.entered;
        left += r.left;
      }
      arm();
      logger.info({ segment: idOrKey ?? 'all', entered, left }, 'segments reconciled');
      return { entered, left };
    });
  }

  function tick(): Promise<void> {
    return serial(async () => {
      const now = clock.now();
      const ready = [...due.entries()].filter(([, at]) => at <= now).map(([id]) => id);
      for (const id of ready) due.delete(id);
      await process(ready);
    });
  }

  return {
    onApplied(applied) {
      if (closed) return Promise.resolve();
      const touched = [...applied.vertexIds];
      const done = serial(async () => {
        // With no saved segment there is nothing to keep live: skip the resolution reads.
        if ((await catalog.list()).length === 0) return;
        const customers = await customersOf(touched);
        try {
          await process(customers, true);
        } catch (e) {
          // Try these customers again shortly rather than lose their transitions.
          const retryAt = clock.now() + RETRY_MS;
          for (const id of customers) schedule(id, retryAt, true);
          arm();
          throw e;
        }
      });
      done.catch((e) => logger.error({ err: e, vertices: touched.length }, 'live segment evaluation failed'));
      return done;
    },
    refresh,
    reconcile,
    forgotten(customerId, memberships) {
      return serial(async () => {
        due.delete(customerId);
        if (memberships.size === 0) return 0;
        const byKey = new Map((await catalog.list()).map((seg) => [seg.key, seg]));
        const transitions: Transition[] = [];
        for (const key of [...memberships.keys()].sort()) {
          const segment = byKey.get(key);
          if (segment) transitions.push({ segment, customerId, entered: false });
        }
        await commit(transitions, new Map([[customerId, memberships]]));
        return transitions.length;
      });
    },
    tick,
    idle: () => chain.idle(),
    scheduled: () => due,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await chain.idle();
    },
  };
}
