/**
 * Proactive care: telemetry in (after the pipeline made it durable), device
 * health state machines advanced, `health.changed` actions out, state kept in
 * a StateStore so a restart resumes where it stopped.
 *
 * Order per batch: actions are published (durable) before the new state is
 * stored. A crash in between re-derives the same transitions with the same
 * ids on redelivery — consumers dedupe on the id — while the opposite order
 * could lose a transition.
 */
import type { Logger } from 'pino';
import { BatchBuilder, type GraphStore, type JsonObject, makeVersion, parseVertexId } from '../../graph-schema';
import {
  type AppliedEvents,
  createSerialQueue,
  type DeadLetter,
  type DeadLetterSink,
  deadLetterOfEvent,
  type HubEvent,
  type TelemetryEvent,
} from '../../ingest';
import type { StateEntry, StateStore } from '../../services/state';
import type { ActionSink, HubAction } from '../actions';
import { advanceDevice, type DeviceHealthState, type HealthTransition, initialDeviceState } from './device-health';
import { DEFAULT_HEALTH_CONFIG, type DeviceStatus, type HealthConfig } from './health-config';
import { type Reading, readingKey, statusRank, worstStatus } from './health-rules';

export const HEALTH_CHANGED = 'health.changed';
export const TOO_LATE = 'TOO_LATE';

const DEVICES = 'health.device';
/**
 * One record per (customer, device) pair, `<customerId>|<deviceId>`: two workers adding
 * two devices of one customer write two records instead of racing on one list.
 */
const CUSTOMER_DEVICES = 'health.customer-device';

export interface DeviceHealthView {
  /** `Device:<key>`. */
  readonly id: string;
  readonly customerId: string | null;
  readonly status: DeviceStatus;
  readonly since: number | null;
  readonly reasons: readonly string[];
  readonly evidence: readonly Reading[];
  readonly pending: DeviceHealthState['pending'];
}

export interface CustomerHealthView {
  readonly customerId: string;
  /** The worst device's status; UNKNOWN when no device of the customer has reported. */
  readonly status: DeviceStatus | 'UNKNOWN';
  /** Since when the customer has been at that status: the earliest `since` among its worst devices. */
  readonly since: number | null;
  /** `<device>: <reason>` for every device that is not GREEN. */
  readonly reasons: readonly string[];
  readonly devices: readonly DeviceHealthView[];
}

export interface HealthMonitorDeps {
  readonly stateStore: StateStore;
  /**
   * Where the Device's `healthStatus` / `healthSince` are written on a change (through the
   * process's write path), so segments on every store can select by health.
   */
  readonly store?: GraphStore;
  /** Where transitions go: the action bus (durable sink + subscriptions). */
  readonly actions: ActionSink;
  /** Readings too late to evaluate are dead-lettered here with reason TOO_LATE. */
  readonly deadLetters: DeadLetterSink;
  readonly logger: Logger;
  readonly config?: HealthConfig;
  readonly now?: () => number;
  /**
   * Where a customer's devices are found (default: the state's customer→device records, a
   * key-prefix scan). On a shared graph store the composition passes the customer's
   * `USES_DEVICE` neighbours instead: a prefix scan of `State` vertices has no index on
   * JanusGraph and read every vertex (a 360° view's health timed out). The telemetry mapping
   * writes that edge with every reading that names its customer, before health sees it.
   */
  readonly devicesOf?: (customerId: string) => Promise<readonly string[]>;
}

export interface HealthMonitor {
  /**
   * The pipeline's `onApplied` hook: queues the telemetry among the events. Never throws;
   * resolves once they are evaluated, published and stored, and rejects if that failed, so
   * the pipeline does not mark the events seen (nor Kafka commit them) and a redelivery
   * evaluates them again — a transition is never lost to a store hiccup.
   */
  onApplied(applied: AppliedEvents): Promise<void>;
  /** Evaluates events now (after what is queued); resolves with the committed transitions. */
  process(events: readonly HubEvent[]): Promise<readonly HealthTransition[]>;
  device(deviceId: string): Promise<DeviceHealthView | null>;
  customer(customerId: string): Promise<CustomerHealthView>;
  /** Resolves once everything queued so far is evaluated, published and stored. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

function readingOf(body: TelemetryEvent): Reading {
  const values: Record<string, number> = {};
  for (const [name, v] of Object.entries(body.indicators)) {
    if (typeof v === 'number' && Number.isFinite(v)) values[name] = v;
    else if (typeof v === 'boolean') values[name] = v ? 1 : 0;
  }
  return { ts: body.timestampMs, seq: body.seq ?? '', values };
}

function readingJson(r: Reading): JsonObject {
  return { ts: r.ts, seq: r.seq, indicators: { ...r.values } };
}

function viewOf(state: DeviceHealthState): DeviceHealthView {
  return {
    id: state.deviceId,
    customerId: state.customerId,
    status: state.status,
    since: state.since,
    reasons: state.reasons,
    evidence: state.evidence,
    pending: state.pending,
  };
}

export function rollUp(customerId: string, devices: readonly DeviceHealthView[]): CustomerHealthView {
  const reporting = devices.filter((d) => d.since !== null);
  if (reporting.length === 0) return { customerId, status: 'UNKNOWN', since: null, reasons: [], devices };
  const status = reporting.map((d) => d.status).reduce(worstStatus);
  let since: number | null = null;
  for (const d of reporting) {
    if (d.status === status && d.since !== null && (since === null || d.since < since)) since = d.since;
  }
  const reasons = [...reporting]
    .filter((d) => d.status !== 'GREEN')
    .sort((a, b) => statusRank(b.status) - statusRank(a.status) || (a.id < b.id ? -1 : 1))
    .flatMap((d) => d.reasons.map((r) => `${d.id}: ${r}`));
  return { customerId, status, since, reasons, devices };
}

export function createHealthMonitor(deps: HealthMonitorDeps): HealthMonitor {
  const { stateStore, actions, deadLetters } = deps;
  const config = deps.config ?? DEFAULT_HEALTH_CONFIG;
  const logger = deps.logger.child({ component: 'health' });
  const now = deps.now ?? Date.now;
  const queue = createSerialQueue();

  const loadDevice = async (id: string) => (await stateStore.get<DeviceHealthState>(DEVICES, id)) ?? null;
  const loadCustomerDevices = async (customerId: string): Promise<readonly string[]> => {
    if (deps.devicesOf) return deps.devicesOf(customerId);
    const ids: string[] = [];
    const prefix = `${customerId}|`;
    for await (const [key] of stateStore.entries<true>(CUSTOMER_DEVICES, prefix)) ids.push(key.slice(prefix.length));
    return ids;
  };

  async function customerView(
    customerId: string,
    overrides?: ReadonlyMap<string, DeviceHealthState>,
  ): Promise<CustomerHealthView> {
    const ids = new Set(await loadCustomerDevices(customerId));
    if (overrides) for (const s of overrides.values()) if (s.customerId === customerId) ids.add(s.deviceId);
    const sorted = [...ids].sort();
    const missing = sorted.filter((id) => !overrides?.has(id));
    const loaded = new Map<string, DeviceHealthState | undefined>();
    const found = await stateStore.getMany<DeviceHealthState>(DEVICES, missing);
    for (const [i, id] of missing.entries()) loaded.set(id, found[i]);
    const devices: DeviceHealthView[] = [];
    for (const id of sorted) {
      const s = overrides?.get(id) ?? loaded.get(id);
      if (s && s.customerId === customerId) devices.push(viewOf(s));
    }
    return rollUp(customerId, devices);
  }

  async function evaluate(events: readonly HubEvent[]): Promise<readonly HealthTransition[]> {
    const byDevice = new Map<string, { customerId: string | null; items: { reading: Reading; event: HubEvent }[] }>();
    for (const event of events) {
      const body = event.body;
      if (body.source !== 'telemetry') continue;
      const id = `Device:${body.deviceId}`;
      let group = byDevice.get(id);
      if (!group) {
        group = { customerId: null, items: [] };
        byDevice.set(id, group);
      }
      if (body.entityId !== null) group.customerId = `Customer:${body.entityId}`;
      group.items.push({ reading: readingOf(body), event });
    }
    if (byDevice.size === 0) return [];

    const states = new Map<string, DeviceHealthState>();
    const entries: StateEntry[] = [];
    const transitions: HealthTransition[] = [];
    const letters: DeadLetter[] = [];
    const deviceIds = [...byDevice.keys()];
    const stored = await stateStore.getMany<DeviceHealthState>(DEVICES, deviceIds);
    const storedOf = new Map(deviceIds.map((id, i) => [id, stored[i]]));

    for (const [deviceId, group] of byDevice) {
      const previous = storedOf.get(deviceId) ?? initialDeviceState(deviceId, group.customerId);
      const owner = group.customerId ?? previous.customerId;
      const result = advanceDevice(
        previous,
        group.items.map((i) => i.reading),
        config,
        owner,
      );
      states.set(deviceId, result.state);
      entries.push({ namespace: DEVICES, key: deviceId, value: result.state });
      transitions.push(...result.transitions);
      // The customer→device records are the default `devicesOf`; with another, nobody reads them
      // (and on a shared graph store each would be one more State write per device per batch).
      if (!deps.devicesOf) {
        if (previous.customerId !== null && previous.customerId !== owner) {
          entries.push({ namespace: CUSTOMER_DEVICES, key: `${previous.customerId}|${deviceId}`, value: undefined });
        }
        // Written every time (not only when new): idempotent, and it repairs a record a crash left unwritten.
        if (owner !== null) entries.push({ namespace: CUSTOMER_DEVICES, key: `${owner}|${deviceId}`, value: true });
      }
      if (result.tooLate.length > 0) {
        const late = new Set(result.tooLate.map(readingKey));
        for (const { reading, event } of group.items) {
          if (!late.has(readingKey(reading))) continue;
          letters.push(
            deadLetterOfEvent(
              event,
              TOO_LATE,
              `health: reading at ${new Date(reading.ts).toISOString()} is older than the device's newest (${new Date(result.state.maxTs).toISOString()}) by more than ${config.allowedLatenessMs} ms`,
              now(),
            ),
          );
          late.delete(readingKey(reading));
        }
      }
    }
    // The customer's status as of each transition, not as of the end of the batch: a batch
    // holding a device's RED and its later GREEN must announce RED with the customer RED.
    const statusAfter = new Map<HealthTransition, DeviceStatus>();
    if (transitions.length > 0) {
      const byCustomer = new Map<string, HealthTransition[]>();
      for (const t of transitions) {
        if (t.customerId) byCustomer.set(t.customerId, [...(byCustomer.get(t.customerId) ?? []), t]);
      }
      for (const [customerId, ts] of byCustomer) {
        const end = await customerView(customerId, states);
        const current = new Map<string, DeviceStatus>();
        for (const d of end.devices) {
          // Before this batch: the stored state of the batch's devices, the end state of the others.
          const before = byDevice.has(d.id) ? storedOf.get(d.id) : d;
          if (before && before.since !== null) current.set(d.id, before.status);
        }
        for (const t of [...ts].sort((x, y) => x.at - y.at || (x.deviceId < y.deviceId ? -1 : 1))) {
          current.set(t.deviceId, t.to);
          statusAfter.set(t, [...current.values()].reduce(worstStatus));
        }
      }
      const out: HubAction[] = transitions.map((t) => {
        return {
          id: t.id,
          type: HEALTH_CHANGED,
          subjectId: t.customerId ?? t.deviceId,
          at: t.at,
          payload: {
            deviceId: t.deviceId,
            customerId: t.customerId,
            from: t.from,
            to: t.to,
            since: t.since,
            reasons: [...t.reasons],
            evidence: t.evidence.map(readingJson),
            customerStatus: statusAfter.get(t) ?? null,
          },
        };
      });
      await actions.publish(out);
      logger.info({ transitions: out.map((a) => ({ id: a.id, ...a.payload, evidence: undefined })) }, 'health changed');
    }
    if (letters.length > 0) {
      await deadLetters.write(letters);
      logger.warn({ count: letters.length }, 'telemetry too late for health evaluation');
    }
    await writeDeviceHealth(storedOf, states, transitions, statusAfter);
    await stateStore.put(entries);
    return transitions;
  }

  /**
   * Status and since on the Device vertex, versioned by its newest reading, whenever they
   * changed; and each transition as a HealthChange on the customer's timeline (keyed by the
   * action id, so a redelivery rewrites the same vertex).
   */
  async function writeDeviceHealth(
    before: ReadonlyMap<string, DeviceHealthState | undefined>,
    after: ReadonlyMap<string, DeviceHealthState>,
    transitions: readonly HealthTransition[],
    customerStatus: ReadonlyMap<HealthTransition, DeviceStatus>,
  ): Promise<void> {
    if (!deps.store) return;
    const batch = new BatchBuilder();
    for (const t of transitions) {
      if (t.customerId === null) continue;
      const customer = parseVertexId(t.customerId);
      if (!customer) continue;
      const change = { label: 'HealthChange' as const, key: t.id.replace(/^health:/, '') };
      const version = makeVersion(t.at, `health:${change.key}`);
      batch.add({
        op: 'upsertVertex',
        ...change,
        props: {
          ts: t.at,
          deviceId: t.deviceId,
          from: t.from,
          to: t.to,
          since: t.since,
          reasons: [...t.reasons],
          customerStatus: customerStatus.get(t) ?? null,
        },
        version,
      });
      batch.add({ op: 'upsertEdge', label: 'HEALTH_CHANGED', from: customer, to: change, props: {}, version });
    }
    for (const [id, state] of after) {
      const prev = before.get(id);
      if (state.since === null) continue;
      if (prev && prev.status === state.status && prev.since === state.since) continue;
      const ref = parseVertexId(id);
      if (!ref) continue;
      batch.add({
        op: 'upsertVertex',
        label: ref.label,
        key: ref.key,
        props: { healthStatus: state.status, healthSince: state.since },
        version: makeVersion(state.maxTs, `health:${ref.key}`),
      });
    }
    if (batch.size > 0) await deps.store.apply(batch.build());
  }

  const enqueue = <T>(work: () => Promise<T>): Promise<T> => queue.run(work);

  return {
    onApplied(applied) {
      if (!applied.events.some((e) => e.body.source === 'telemetry')) return Promise.resolve();
      const done = enqueue(() => evaluate(applied.events)).then(() => undefined);
      done.catch((e: unknown) => logger.error({ err: e }, 'health evaluation failed'));
      return done;
    },
    process: (events) => enqueue(() => evaluate(events)),
    async device(deviceId) {
      const s = await loadDevice(deviceId.startsWith('Device:') ? deviceId : `Device:${deviceId}`);
      return s ? viewOf(s) : null;
    },
    customer: (customerId) => customerView(customerId.startsWith('Customer:') ? customerId : `Customer:${customerId}`),
    idle: () => queue.idle(),
    async close() {
      await queue.idle();
    },
  };
}
