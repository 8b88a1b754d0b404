import type { Vertex } from '../../graph-schema';

export type HealthStatus = 'GREEN' | 'AMBER' | 'RED' | 'UNKNOWN';

export interface Health {
  readonly status: HealthStatus;
  readonly reasons: readonly string[];
}

const RANK: Record<HealthStatus, number> = { UNKNOWN: 0, GREEN: 1, AMBER: 2, RED: 3 };

/** Telemetry property names that carry a device's traffic-light health, most specific first. */
const HEALTH_PROPS = ['health', 'healthStatus', 'status'] as const;

function deviceStatus(device: Vertex): HealthStatus | null {
  for (const name of HEALTH_PROPS) {
    const raw = device.props[name];
    if (typeof raw !== 'string') continue;
    const upper = raw.toUpperCase();
    if (upper === 'GREEN' || upper === 'AMBER' || upper === 'RED') return upper;
  }
  return null;
}

/**
 * Interim health: the worst traffic-light indicator any device's telemetry
 * reports, UNKNOWN when none reports one. The proactive-care issue replaces
 * this with rules over indicator thresholds and history.
 */
export function deriveHealth(devices: readonly Vertex[]): Health {
  let status: HealthStatus = 'UNKNOWN';
  const reasons: string[] = [];
  for (const device of devices) {
    const s = deviceStatus(device);
    if (s === null) continue;
    if (RANK[s] > RANK[status]) status = s;
    if (s !== 'GREEN') reasons.push(`${device.id} reports ${s}`);
  }
  return { status, reasons };
}
