/**
 * What a device's status is at one reading, given the readings before it —
 * pure, so the monitor can re-run any stretch of history in event-time order.
 */
import type { DeviceStatus, HealthRule } from './health-config';

/** One telemetry report, reduced to its numeric indicators. */
export interface Reading {
  /** Event time, epoch ms. */
  readonly ts: number;
  /** Producer sequence number ('' when none): two reports at the same ms stay distinct. */
  readonly seq: string;
  readonly values: Readonly<Record<string, number>>;
}

export interface Evaluation {
  readonly status: DeviceStatus;
  /** One human-readable line per rule that fired, worst first. */
  readonly reasons: readonly string[];
  /** The readings the fired rules looked at (the evidence an agent or a trigger consumer can check). */
  readonly evidence: readonly Reading[];
}

export function compareReadings(a: Reading, b: Reading): number {
  if (a.ts !== b.ts) return a.ts - b.ts;
  return a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0;
}

export function readingKey(r: Pick<Reading, 'ts' | 'seq'>): string {
  return `${r.ts}:${r.seq}`;
}

const RANK: Record<DeviceStatus, number> = { GREEN: 0, AMBER: 1, RED: 2 };

export function worstStatus(a: DeviceStatus, b: DeviceStatus): DeviceStatus {
  return RANK[a] >= RANK[b] ? a : b;
}

export function statusRank(s: DeviceStatus): number {
  return RANK[s];
}

function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms}ms`;
}

const OP_TEXT = { gt: '>', gte: '≥', lt: '<', lte: '≤' } as const;

function compare(op: keyof typeof OP_TEXT, value: number, threshold: number): boolean {
  switch (op) {
    case 'gt':
      return value > threshold;
    case 'gte':
      return value >= threshold;
    case 'lt':
      return value < threshold;
    case 'lte':
      return value <= threshold;
    default: {
      const never: never = op;
      throw new TypeError(`unknown comparison ${String(never)}`);
    }
  }
}

interface Fired {
  readonly severity: DeviceStatus;
  readonly reason: string;
  readonly evidence: readonly Reading[];
}

/** Readings within [at − windowMs, at] that carry the indicator, oldest first. */
function windowOf(readings: readonly Reading[], end: number, indicator: string, windowMs: number): Reading[] {
  const at = readings[end].ts;
  const out: Reading[] = [];
  for (let i = end; i >= 0; i--) {
    const r = readings[i];
    if (r.ts < at - windowMs) break;
    if (indicator in r.values) out.push(r);
  }
  return out.reverse();
}

function evaluateRule(rule: HealthRule, readings: readonly Reading[], end: number): Fired | null {
  const window = windowOf(readings, end, rule.indicator, rule.windowMs);
  if (window.length === 0) return null;
  switch (rule.kind) {
    case 'threshold': {
      const latest = window[window.length - 1];
      const value = latest.values[rule.indicator];
      if (!compare(rule.op, value, rule.value)) return null;
      return {
        severity: rule.severity,
        reason: `${rule.indicator} ${value} ${OP_TEXT[rule.op]} ${rule.value}`,
        evidence: [latest],
      };
    }
    case 'increase': {
      let rise = 0;
      for (let i = 1; i < window.length; i++) {
        const prev = window[i - 1].values[rule.indicator];
        const cur = window[i].values[rule.indicator];
        rise += cur >= prev ? cur - prev : cur;
      }
      if (rise <= rule.by) return null;
      return {
        severity: rule.severity,
        reason: `${rule.indicator} rose by ${rise} (> ${rule.by}) within ${formatDuration(rule.windowMs)}`,
        evidence: window,
      };
    }
    case 'reset': {
      let resets = 0;
      for (let i = 1; i < window.length; i++) {
        if (window[i].values[rule.indicator] < window[i - 1].values[rule.indicator]) resets++;
      }
      if (resets < rule.count) return null;
      return {
        severity: rule.severity,
        reason: `${rule.indicator} reset ${resets} times (≥ ${rule.count}) within ${formatDuration(rule.windowMs)}`,
        evidence: window,
      };
    }
    default: {
      const never: never = rule;
      throw new TypeError(`unknown health rule ${JSON.stringify(never)}`);
    }
  }
}

/** The device's status at `readings[end]`; `readings` sorted by `compareReadings`. */
export function evaluateAt(rules: readonly HealthRule[], readings: readonly Reading[], end: number): Evaluation {
  const fired: Fired[] = [];
  for (const rule of rules) {
    const f = evaluateRule(rule, readings, end);
    if (f) fired.push(f);
  }
  if (fired.length === 0) return { status: 'GREEN', reasons: [], evidence: [readings[end]] };
  fired.sort((a, b) => RANK[b.severity] - RANK[a.severity]);
  const evidence = new Map<string, Reading>();
  for (const f of fired) for (const r of f.evidence) evidence.set(readingKey(r), r);
  return {
    status: fired[0].severity,
    reasons: fired.map((f) => f.reason),
    evidence: [...evidence.values()].sort(compareReadings),
  };
}
