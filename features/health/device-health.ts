/**
 * One device's health as a state machine over event time — pure, so tests and
 * the monitor share it and a restart resumes from the persisted state.
 *
 * The committed status changes only when a different status has held for
 * `holdMs` of event time (flapping is damped). Every call re-runs the readings
 * after the last committed transition in event-time order, so a late reading
 * (within `allowedLatenessMs`) lands where it belongs and duplicates change
 * nothing. A committed transition is final: it has been published, and late
 * data cannot take it back — a corrective change simply follows, damped by the
 * same hold. That is what makes "one action per transition" hold under
 * at-least-once delivery: the transition's id is derived from the device, the
 * two statuses and the reading that confirmed it, all of which replay the same.
 */
import { createHash } from 'node:crypto';
import { type DeviceStatus, type HealthConfig, healthRetentionMs } from './health-config';
import { compareReadings, evaluateAt, type Reading, readingKey } from './health-rules';

export interface DeviceHealthState {
  readonly deviceId: string;
  /** `Customer:<key>` when the device reports whose it is. */
  readonly customerId: string | null;
  /** Recent readings, sorted by event time then seq, bounded by the rules' windows. */
  readonly readings: readonly Reading[];
  /** The committed status. */
  readonly status: DeviceStatus;
  /** Event time the committed status started to show (its first reading); null before any reading. */
  readonly since: number | null;
  /** The reading that confirmed the committed status (the replay starts after it); null before any transition. */
  readonly effective: Pick<Reading, 'ts' | 'seq'> | null;
  readonly reasons: readonly string[];
  readonly evidence: readonly Reading[];
  /** A different status seen but not yet held long enough. */
  readonly pending: { readonly status: DeviceStatus; readonly since: number } | null;
  /** Newest reading's event time: readings older than this minus the allowed lateness are too late. */
  readonly maxTs: number;
}

export interface HealthTransition {
  /** Stable across redeliveries and restarts: hash(device, from, to, confirming reading). */
  readonly id: string;
  readonly deviceId: string;
  readonly customerId: string | null;
  readonly from: DeviceStatus;
  readonly to: DeviceStatus;
  /** When the new status started to show (event time). */
  readonly since: number;
  /** The event time it took effect (the confirming reading). */
  readonly at: number;
  readonly reasons: readonly string[];
  readonly evidence: readonly Reading[];
}

export interface AdvanceResult {
  readonly state: DeviceHealthState;
  readonly transitions: readonly HealthTransition[];
  /** Readings older than the device's newest minus the allowed lateness: not evaluated. */
  readonly tooLate: readonly Reading[];
  readonly duplicates: number;
}

/** Earliest representable instant: a device with no readings accepts any reading (and it survives serialization). */
const NO_TIME = -8.64e15;

export function initialDeviceState(deviceId: string, customerId: string | null): DeviceHealthState {
  return {
    deviceId,
    customerId,
    readings: [],
    status: 'GREEN',
    since: null,
    effective: null,
    reasons: [],
    evidence: [],
    pending: null,
    maxTs: NO_TIME,
  };
}

export function transitionId(deviceId: string, from: DeviceStatus, to: DeviceStatus, at: Reading): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([deviceId, from, to, at.ts, at.seq]))
    .digest('hex');
  return `health:${hash.slice(0, 32)}`;
}

/**
 * Add readings (in arrival order) to a device's state and commit every
 * transition the readings now show. `customerId` updates the owner when the
 * telemetry names one.
 */
export function advanceDevice(
  previous: DeviceHealthState,
  incoming: readonly Reading[],
  config: HealthConfig,
  customerId: string | null = previous.customerId,
): AdvanceResult {
  const known = new Set(previous.readings.map(readingKey));
  const readings = [...previous.readings];
  const tooLate: Reading[] = [];
  let duplicates = 0;
  let maxTs = previous.maxTs;
  for (const r of incoming) {
    const key = readingKey(r);
    if (known.has(key)) {
      duplicates++;
      continue;
    }
    if (r.ts < maxTs - config.allowedLatenessMs) {
      tooLate.push(r);
      continue;
    }
    known.add(key);
    readings.push(r);
    if (r.ts > maxTs) maxTs = r.ts;
  }
  readings.sort(compareReadings);

  let status = previous.status;
  let since = previous.since;
  let effective = previous.effective;
  let reasons = previous.reasons;
  let evidence = previous.evidence;
  let pending: { status: DeviceStatus; since: number; start: Reading } | null = null;
  const transitions: HealthTransition[] = [];

  for (let i = 0; i < readings.length; i++) {
    const r = readings[i];
    if (effective !== null && compareReadings(r, { ...effective, values: {} }) <= 0) continue;
    const e = evaluateAt(config.rules, readings, i);
    if (e.status === status) {
      pending = null;
      since ??= r.ts;
      reasons = e.reasons;
      evidence = e.evidence;
      continue;
    }
    if (pending === null || pending.status !== e.status) pending = { status: e.status, since: r.ts, start: r };
    if (r.ts - pending.since < config.holdMs) continue;
    transitions.push({
      id: transitionId(previous.deviceId, status, e.status, r),
      deviceId: previous.deviceId,
      customerId,
      from: status,
      to: e.status,
      since: pending.since,
      at: r.ts,
      reasons: e.reasons,
      evidence: e.evidence,
    });
    status = e.status;
    since = pending.since;
    effective = { ts: r.ts, seq: r.seq };
    reasons = e.reasons;
    evidence = e.evidence;
    pending = null;
  }

  // Readings older than every window (and beyond lateness) can no longer change anything.
  const horizon = maxTs - healthRetentionMs(config);
  let kept = readings.filter((r) => r.ts >= horizon);
  if (kept.length > config.maxReadingsPerDevice) kept = kept.slice(kept.length - config.maxReadingsPerDevice);

  return {
    state: {
      deviceId: previous.deviceId,
      customerId,
      readings: kept,
      status,
      since,
      effective,
      reasons,
      evidence,
      pending: pending ? { status: pending.status, since: pending.since } : null,
      maxTs,
    },
    transitions,
    tooLate,
    duplicates,
  };
}
