/**
 * Periodic reports from customers' home devices (router, set-top box). Every
 * value is a pure function of (device, report time), so reports can be made
 * for any hour without remembering earlier ones. Degraded devices show what a
 * proactive-care rule should flag RED: packet errors climbing into the
 * hundreds, failed firmware downloads, a weakening signal, frequent reboots —
 * and go back to normal (GREEN) when a technician fixes them.
 */
import { type CustomerProfile, DAY_MS, HOUR_MS, type HomeDevice } from './customer-profile';
import { createPrng, hash32 } from './prng';

export interface TelemetryIndicators {
  packetErrors: number;
  uptimeSec: number;
  firmwareDownloadErrors: number;
  signalDbm: number;
  rebootCount: number;
}

export interface TelemetryReport {
  deviceId: string;
  entityId: string;
  timestamp: string;
  seq: number;
  indicators: TelemetryIndicators;
  deviceType: HomeDevice['type'];
  manufacturer: string;
  model: string;
  firmware: string;
}

/** Thresholds the degraded reports cross and healthy ones never do; health rules can use the same numbers. */
export const DEGRADED_THRESHOLDS = {
  packetErrors: 100,
  firmwareDownloadErrors: 1,
  signalDbm: -70,
} as const;

const FLAKY_REBOOT_EVERY_MS = 8 * HOUR_MS;

export function isDegradedAt(profile: CustomerProfile, ms: number): boolean {
  const d = profile.degradation;
  return d !== null && ms >= d.onsetMs && (d.recoverMs === null || ms < d.recoverMs);
}

export function telemetryReport(
  profile: CustomerProfile,
  device: HomeDevice,
  reportMs: number,
  seq: number,
): TelemetryReport {
  const base = createPrng(device.salt);
  const healthySignal = -base.between(38, 58);
  const rebootPeriodMs = base.between(6, 20) * DAY_MS;
  const rebootPhaseMs = base.int(rebootPeriodMs);
  const noise = createPrng(hash32(device.salt, seq));

  const sinceInstall = reportMs - profile.devicesInstalledMs + rebootPhaseMs;
  let rebootCount = Math.max(0, Math.floor(sinceInstall / rebootPeriodMs));
  let lastRebootMs =
    rebootCount > 0
      ? profile.devicesInstalledMs - rebootPhaseMs + rebootCount * rebootPeriodMs
      : profile.devicesInstalledMs;

  const d = profile.degradation;
  const degraded = isDegradedAt(profile, reportMs);
  if (d !== null && reportMs >= d.onsetMs) {
    const flakyUntil = Math.min(reportMs, d.recoverMs ?? reportMs);
    const flakyReboots = Math.floor((flakyUntil - d.onsetMs) / FLAKY_REBOOT_EVERY_MS);
    rebootCount += flakyReboots;
    if (flakyReboots > 0) lastRebootMs = Math.max(lastRebootMs, d.onsetMs + flakyReboots * FLAKY_REBOOT_EVERY_MS);
    if (d.recoverMs !== null && reportMs >= d.recoverMs) {
      // The technician's visit ends with a reboot onto good firmware.
      rebootCount += 1;
      lastRebootMs = Math.max(lastRebootMs, d.recoverMs);
    }
  }

  let packetErrors = noise.poisson(1.2);
  let firmwareDownloadErrors = noise.chance(0.003) ? 1 : 0;
  let signalDbm = healthySignal + noise.between(-2, 2);
  if (degraded && d !== null) {
    const severity = Math.min(1, Math.max(0.15, (reportMs - d.onsetMs) / (2 * DAY_MS)));
    packetErrors = Math.round((120 + 900 * severity) * noise.range(0.8, 1.25));
    firmwareDownloadErrors = 1 + Math.floor(severity * 5 * noise.next());
    signalDbm = Math.min(-71, healthySignal - Math.round(28 * severity) + noise.between(-3, 3));
  }
  const recovered = d !== null && d.recoverMs !== null && reportMs >= d.recoverMs;
  return {
    deviceId: device.deviceId,
    entityId: profile.id,
    timestamp: new Date(reportMs).toISOString(),
    seq,
    indicators: {
      packetErrors,
      uptimeSec: Math.max(0, Math.floor((reportMs - lastRebootMs) / 1000)),
      firmwareDownloadErrors,
      signalDbm,
      rebootCount,
    },
    deviceType: device.type,
    manufacturer: device.model.manufacturer,
    model: device.model.model,
    firmware: recovered && device.type === 'router' ? '7.60' : device.firmware,
  };
}
