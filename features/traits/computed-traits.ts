/**
 * Computed traits, maintained incrementally: each accepted event adds to one
 * bucket of its customer's trait; after each batch the touched customers —
 * and those whose oldest bucket just slid out of a window — get their values
 * recomputed from their buckets and written to the Customer vertex through
 * `GraphStore.apply`, where segments can use them.
 *
 * Lateness, and where the check sits. The engine runs on the pipeline's
 * `onApplied`, i.e. after the event itself is durable in the graph: a late
 * event is in the customer's timeline like any other (that is the record of
 * what happened), but it is not counted when it is older than the newest event
 * time counted for the same customer minus `allowedLatenessMs` (per customer: one
 * customer's future-dated outlier must not make everyone else's events late; and a clock
 * never moves past the event's receipt time) — a window aggregate does not change
 * retroactively once its time has passed — and it is dead-lettered `TOO_LATE`
 * so the difference is visible and replayable. Inside the allowed lateness a
 * late event is counted in the bucket of its own event time.
 *
 * Versions. Trait writes carry makeVersion(newest event time, `traits:<customer>:<rev>`):
 * the same event time can see two different values (a late event inside the
 * lateness arrives after the first write), so a per-customer revision makes
 * every write newer than the one before.
 */
import type { Logger } from 'pino';
import { BatchBuilder, type GraphStore, type JsonValue, makeVersion, parseVertexId } from '../../graph-schema';
import {
  type AppliedEvents,
  createSerialQueue,
  type DeadLetter,
  type DeadLetterSink,
  deadLetterOfEvent,
  type HubEvent,
} from '../../ingest';
import type { StateEntry, StateStore } from '../../services/state';
import { addToBucket, type Bucket, bucketStart, contributionsOf, eventTime, traitValue } from './trait-buckets';
import { DEFAULT_TRAITS_CONFIG, type TraitsConfig } from './trait-config';

/** The dead-letter reason health uses for late telemetry too. */
const TOO_LATE = 'TOO_LATE';
const CUSTOMERS = 'traits.customer';
const META = 'traits.meta';
const CLOCK_KEY = 'clock';
const NO_TIME = -8.64e15;

interface CustomerTraitState {
  /** trait name → bucket start → partial aggregate. */
  buckets: Record<string, Record<string, Bucket>>;
  /** Values last written to the graph. */
  written: Record<string, JsonValue>;
  /** Ids of events counted within the lateness horizon: a redelivery past the pipeline's dedupe counts once. */
  recent: Record<string, number>;
  rev: number;
  /**
   * This customer's event-time clock: the newest event time counted for it (never past the
   * event's receipt time). Lateness is measured against it, so one customer's outlier — or
   * another partition running ahead — never makes anybody else's events too late. Absent in
   * states written before it existed.
   */
  clock?: number;
}

export interface ComputedTraitsDeps {
  readonly store: GraphStore;
  readonly stateStore: StateStore;
  readonly deadLetters: DeadLetterSink;
  readonly logger: Logger;
  readonly config?: TraitsConfig;
  /** Told which customers' trait values changed (after the graph write): subscriptions. */
  readonly onWritten?: (customerIds: readonly string[]) => void;
  readonly now?: () => number;
}

export interface ComputedTraits {
  /**
   * The pipeline's `onApplied` hook: queues the events. Never throws; resolves once they are
   * counted and written, rejects if that failed (the pipeline then leaves them unseen, to be
   * redelivered, rather than lose a window's count).
   */
  onApplied(applied: AppliedEvents): Promise<void>;
  /** Counts events now (after what is queued); resolves with the customers whose values were written. */
  process(events: readonly HubEvent[]): Promise<readonly string[]>;
  /** Current values for a customer, as last written. */
  values(customerId: string): Promise<Readonly<Record<string, JsonValue>>>;
  /** The newest event time seen: the end of every window. */
  clock(): number | null;
  idle(): Promise<void>;
  close(): Promise<void>;
}

export function createComputedTraits(deps: ComputedTraitsDeps): ComputedTraits {
  const { store, stateStore, deadLetters } = deps;
  const config = deps.config ?? DEFAULT_TRAITS_CONFIG;
  const traits = config.traits;
  const logger = deps.logger.child({ component: 'traits' });
  const now = deps.now ?? Date.now;
  let clock = NO_TIME;
  const queue = createSerialQueue();

  /** Event time at which a customer's oldest bucket leaves a window → customers to re-evaluate then. */
  const expiries = new Map<number, Set<string>>();
  const expiryOf = new Map<string, number>();

  function nextExpiry(state: CustomerTraitState): number | null {
    let next: number | null = null;
    for (const t of traits) {
      for (const start of Object.keys(state.buckets[t.name] ?? {})) {
        const leaves = Number(start) + t.windowMs;
        if (next === null || leaves < next) next = leaves;
      }
    }
    return next;
  }

  function schedule(customerId: string, state: CustomerTraitState): void {
    const old = expiryOf.get(customerId);
    if (old !== undefined) expiries.get(old)?.delete(customerId);
    const next = nextExpiry(state);
    if (next === null) {
      expiryOf.delete(customerId);
      return;
    }
    expiryOf.set(customerId, next);
    let set = expiries.get(next);
    if (!set) {
      set = new Set();
      expiries.set(next, set);
    }
    set.add(customerId);
  }

  // The clock and the window schedule come back from the state store before any batch is counted.
  queue
    .run(async () => {
      clock = (await stateStore.get<number>(META, CLOCK_KEY)) ?? NO_TIME;
      for await (const [customerId, state] of stateStore.entries<CustomerTraitState>(CUSTOMERS)) {
        schedule(customerId, state);
      }
    })
    .catch((e: unknown) => logger.error({ err: e }, 'computed traits: state could not be loaded'));

  const emptyState = (): CustomerTraitState => ({ buckets: {}, written: {}, recent: {}, rev: 0 });

  async function evaluate(events: readonly HubEvent[]): Promise<readonly string[]> {
    const states = new Map<string, CustomerTraitState>();
    /** One store read for many customers (the shared store is remote); `load` then never misses. */
    const prefetch = async (ids: Iterable<string>) => {
      const missing = [...new Set(ids)].filter((id) => !states.has(id));
      const found = await stateStore.getMany<CustomerTraitState>(CUSTOMERS, missing);
      for (const [i, id] of missing.entries()) states.set(id, found[i] ?? emptyState());
    };
    const load = (id: string) => states.get(id) as CustomerTraitState;
    const letters: DeadLetter[] = [];
    const startClock = clock;
    const contributionsByEvent = events.map((event) => contributionsOf(traits, event));
    await prefetch(contributionsByEvent.flatMap((cs) => cs.map((c) => c.customerId)));

    for (const [index, event] of events.entries()) {
      const ts = eventTime(event);
      // An event dated in the future moves a clock no further than when it was received.
      const clockTs = Math.min(ts, event.receivedAtMs);
      const contributions = contributionsByEvent[index];
      let late: number | null = null;
      for (const c of contributions) {
        const state = load(c.customerId);
        const customerClock = state.clock ?? NO_TIME;
        if (ts < customerClock - config.allowedLatenessMs) {
          late = customerClock;
          continue;
        }
        if (clockTs > customerClock) state.clock = clockTs;
        const recentKey = `${event.id}|${c.trait}`;
        if (state.recent[recentKey] !== undefined) continue;
        state.recent[recentKey] = c.ts;
        const def = traits.find((t) => t.name === c.trait);
        if (!def) continue;
        state.buckets[c.trait] ??= {};
        const buckets = state.buckets[c.trait];
        const start = String(bucketStart(c.ts, def.bucketMs));
        buckets[start] ??= { c: 0, s: 0 };
        addToBucket(buckets[start], c, event.id);
      }
      if (late !== null) {
        letters.push(
          deadLetterOfEvent(
            event,
            TOO_LATE,
            `traits: event time ${new Date(ts).toISOString()} is older than the customer's newest (${new Date(late).toISOString()}) by more than ${config.allowedLatenessMs} ms; applied to the graph, not counted`,
            now(),
          ),
        );
      }
      if (clockTs > clock) clock = clockTs;
    }

    // Customers whose oldest bucket left a window as the clock advanced.
    if (clock > startClock) {
      const expired: string[] = [];
      for (const [leaves, ids] of [...expiries]) {
        if (leaves > clock) continue;
        expired.push(...ids);
      }
      await prefetch(expired);
    }

    const changed: { id: string; props: Record<string, JsonValue>; state: CustomerTraitState }[] = [];
    const entries: StateEntry[] = [];
    for (const [customerId, state] of states) {
      // Windows end at the process clock: time passes for a customer without events of its own.
      const end = clock;
      for (const t of traits) {
        const buckets = state.buckets[t.name];
        if (!buckets) continue;
        const from = bucketStart(end, t.bucketMs) - t.windowMs + t.bucketMs;
        for (const start of Object.keys(buckets)) if (Number(start) < from) delete buckets[start];
      }
      // The dedupe horizon is the lateness horizon, per customer: an event is either still
      // remembered here or too late to count — never forgotten and counted again on redelivery
      // (the process clock runs ahead with other customers' and other sources' events).
      const horizon = (state.clock ?? end) - config.allowedLatenessMs;
      for (const [key, ts] of Object.entries(state.recent)) {
        if (ts < horizon) delete state.recent[key];
      }
      const props: Record<string, JsonValue> = {};
      let differs = false;
      for (const t of traits) {
        const value = traitValue(t, state.buckets[t.name] ?? {}, end);
        props[t.name] = value;
        if (JSON.stringify(state.written[t.name] ?? null) !== JSON.stringify(value)) differs = true;
      }
      if (differs) changed.push({ id: customerId, props, state });
      else entries.push({ namespace: CUSTOMERS, key: customerId, value: state });
    }

    let written: string[] = [];
    if (changed.length > 0) {
      // A trait write must not resurrect a deleted customer (its upsert would be newer than the tombstone).
      const vertices = await store.getVertices(changed.map((c) => c.id));
      const batch = new BatchBuilder();
      changed.forEach((c, i) => {
        const ref = parseVertexId(c.id);
        if (vertices[i] === null || ref === null) return;
        c.state.rev += 1;
        batch.add({
          op: 'upsertVertex',
          label: ref.label,
          key: ref.key,
          props: c.props,
          version: makeVersion(clock, `traits:${ref.key}:${String(c.state.rev).padStart(12, '0')}`),
        });
        c.state.written = c.props;
        written.push(c.id);
      });
      if (batch.size > 0) await store.apply(batch.build());
      for (const c of changed) entries.push({ namespace: CUSTOMERS, key: c.id, value: c.state });
      written = written.sort();
    }
    if (letters.length > 0) {
      await deadLetters.write(letters);
      logger.warn({ count: letters.length }, 'events too late for computed traits');
    }
    entries.push({ namespace: META, key: CLOCK_KEY, value: clock });
    await stateStore.put(entries);
    for (const [id, state] of states) schedule(id, state);
    if (written.length > 0) deps.onWritten?.(written);
    return written;
  }

  const enqueue = <T>(work: () => Promise<T>): Promise<T> => queue.run(work);

  return {
    onApplied(applied) {
      const done = enqueue(() => evaluate(applied.events)).then(() => undefined);
      done.catch((e: unknown) => logger.error({ err: e }, 'computed traits failed'));
      return done;
    },
    process: (events) => enqueue(() => evaluate(events)),
    async values(customerId) {
      const id = customerId.startsWith('Customer:') ? customerId : `Customer:${customerId}`;
      return (await stateStore.get<CustomerTraitState>(CUSTOMERS, id))?.written ?? {};
    },
    clock: () => (clock === NO_TIME ? null : clock),
    idle: () => queue.idle(),
    async close() {
      await queue.idle();
    },
  };
}
