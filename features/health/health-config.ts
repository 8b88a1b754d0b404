/**
 * Device-health rules as data: which indicator readings make a device AMBER
 * or RED, over which window of event time, and how long a new status must
 * hold before it counts. Defaults use the numbers the demo's degraded devices
 * cross (scripts/demo `DEGRADED_THRESHOLDS`; a unit test keeps them equal).
 */
import { z } from 'zod';
import { ConfigError } from '../../graph-schema';

export const HEALTH_STATUSES = ['GREEN', 'AMBER', 'RED'] as const;
export type DeviceStatus = (typeof HEALTH_STATUSES)[number];

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

const severity = z.enum(['AMBER', 'RED']);
const indicator = z.string().min(1);
const windowMs = z.number().int().positive();

/** The latest value of the indicator (no older than `windowMs`) compared with a threshold. */
const thresholdRule = z.object({
  kind: z.literal('threshold'),
  indicator,
  op: z.enum(['gt', 'gte', 'lt', 'lte']),
  value: z.number(),
  severity,
  windowMs: windowMs.default(DAY_MS),
});

/**
 * A counter that rises by more than `by` within the window. Decreases are
 * counter restarts (a reboot), so the value after one counts from zero.
 */
const increaseRule = z.object({
  kind: z.literal('increase'),
  indicator,
  by: z.number().positive(),
  severity,
  windowMs,
});

/** The indicator went down at least `count` times within the window (e.g. `uptimeSec`: reboots). */
const resetRule = z.object({
  kind: z.literal('reset'),
  indicator,
  count: z.number().int().positive(),
  severity,
  windowMs,
});

export const healthRuleSchema = z.discriminatedUnion('kind', [thresholdRule, increaseRule, resetRule]);
export type HealthRule = z.infer<typeof healthRuleSchema>;

export const healthConfigSchema = z.object({
  rules: z.array(healthRuleSchema).min(1),
  /**
   * A new status takes effect only once readings have shown it for this long
   * (event time): one bad report between good ones is noise, not a trigger.
   * 0 makes every change immediate.
   */
  holdMs: z.number().int().nonnegative(),
  /**
   * A reading older than the device's newest one by more than this is too late
   * to be evaluated (dead-lettered `TOO_LATE`); readings inside it re-run the
   * not-yet-committed part of the device's history in event-time order.
   */
  allowedLatenessMs: z.number().int().nonnegative(),
  /** Readings kept per device as evidence and for windows, at most. */
  maxReadingsPerDevice: z.number().int().min(2),
});
export type HealthConfig = z.infer<typeof healthConfigSchema>;
export type HealthConfigInput = z.input<typeof healthConfigSchema>;

export const DEFAULT_HEALTH_CONFIG: HealthConfig = {
  rules: [
    { kind: 'threshold', indicator: 'packetErrors', op: 'gt', value: 100, severity: 'RED', windowMs: DAY_MS },
    { kind: 'threshold', indicator: 'signalDbm', op: 'lt', value: -70, severity: 'RED', windowMs: DAY_MS },
    // Healthy routers fail a download now and then (the demo: 0.3 % of reports); alone it is a warning.
    {
      kind: 'threshold',
      indicator: 'firmwareDownloadErrors',
      op: 'gte',
      value: 1,
      severity: 'AMBER',
      windowMs: DAY_MS,
    },
    // For devices that report a cumulative counter rather than errors per report.
    { kind: 'increase', indicator: 'packetErrors', by: 1000, severity: 'RED', windowMs: 15 * MINUTE_MS },
    { kind: 'reset', indicator: 'uptimeSec', count: 2, severity: 'AMBER', windowMs: 2 * DAY_MS },
  ],
  holdMs: 10 * MINUTE_MS,
  allowedLatenessMs: 15 * MINUTE_MS,
  maxReadingsPerDevice: 64,
};

/** Options over defaults; a bad value fails fast naming the setting (`health.<path>`). */
export function createHealthConfig(options: Partial<HealthConfigInput> = {}): HealthConfig {
  const parsed = healthConfigSchema.safeParse({ ...DEFAULT_HEALTH_CONFIG, ...options });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`health.${issue.path.join('.')}`, issue.message);
  }
  return parsed.data;
}

/** How far back a device's readings matter: the longest rule window, plus hold and lateness. */
export function healthRetentionMs(config: HealthConfig): number {
  const longest = Math.max(...config.rules.map((r) => r.windowMs));
  return longest + config.holdMs + config.allowedLatenessMs;
}
