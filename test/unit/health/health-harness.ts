/**
 * The real ingest pipeline over the real embedded store, with a health
 * monitor on its `onApplied` hook, an LMDB state store and file sinks for
 * actions and dead letters — all in one fresh temp dir.
 */
import { join } from 'node:path';
import pino from 'pino';
import {
  type ActionBus,
  createActionBus,
  createFileActionSink,
  type HubAction,
  readActionLog,
} from '../../../features/actions';
import { createHealthMonitor, type HealthConfig, type HealthMonitor } from '../../../features/health';
import { C360Error } from '../../../graph-schema';
import type { AppliedEvents, RawMessage } from '../../../ingest';
import { createFileDeadLetterSink, readDeadLetterFile } from '../../../ingest';
import { createLmdbStateStore, type StateStore } from '../../../services/state';
import { createTestPipeline, raw, type TestPipeline } from '../../helpers/hub-pipeline';
import { makeTempDir } from '../../helpers/unique';

export const T0 = Date.UTC(2026, 9, 31, 10, 0, 0);
export const MIN = 60_000;
/** Receipt time for every message: after all scripted readings, so none is "in the future". */
const RECEIVED_AT = Date.UTC(2026, 10, 1);

export interface ScriptedReading {
  readonly device: string;
  readonly customer: string | null;
  /** Minutes after T0. */
  readonly min: number;
  readonly seq: number;
  readonly indicators: Readonly<Record<string, number>>;
}

export const GOOD = { packetErrors: 1, signalDbm: -45, firmwareDownloadErrors: 0 } as const;
export const BAD = { packetErrors: 300, signalDbm: -45, firmwareDownloadErrors: 0 } as const;

function readingJson(r: ScriptedReading) {
  return {
    deviceId: r.device,
    ...(r.customer ? { entityId: r.customer } : {}),
    timestamp: new Date(T0 + r.min * MIN).toISOString(),
    seq: r.seq,
    // Uptime grows with event time, so no reboot rule fires unless a test wants it to.
    indicators: { uptimeSec: 100_000 + r.min * 60, ...r.indicators },
  };
}

export function telemetryMessage(r: ScriptedReading): RawMessage {
  return raw('telemetry', JSON.stringify(readingJson(r)), RECEIVED_AT);
}

/** One message holding several readings: `{readings: [...]}`, as routers batch them. */
export function telemetryBatchMessage(readings: readonly ScriptedReading[]): RawMessage {
  return raw('telemetry', JSON.stringify({ readings: readings.map(readingJson) }), RECEIVED_AT);
}

export interface HealthHarness {
  readonly test: TestPipeline;
  readonly monitor: HealthMonitor;
  readonly bus: ActionBus;
  /** Every batch the pipeline handed to onApplied. */
  readonly applied: AppliedEvents[];
  submit(readings: readonly ScriptedReading[]): Promise<void>;
  actions(): Promise<HubAction[]>;
  deadLetters(): ReturnType<typeof readDeadLetterFile>;
  /** Close the monitor and its state store only (the pipeline stays), then open them again. */
  reopenMonitor(): Promise<void>;
  close(): Promise<void>;
}

export interface HealthHarnessOptions {
  /** The first n publishes fail as a broker outage would (retriable). */
  readonly failingPublishes?: number;
}

export async function startHealthHarness(
  config: HealthConfig,
  options: HealthHarnessOptions = {},
): Promise<HealthHarness> {
  const dir = await makeTempDir('c360-health-');
  const actionsPath = join(dir.path, 'actions.ndjson');
  const lettersPath = join(dir.path, 'health-dead-letters.ndjson');
  const file = createFileActionSink(actionsPath);
  let failing = options.failingPublishes ?? 0;
  const bus = createActionBus({
    publish: (actions) =>
      failing-- > 0
        ? Promise.reject(new C360Error('actions topic unavailable', { code: 'KAFKA_UNAVAILABLE', retriable: true }))
        : file.publish(actions),
    close: () => file.close(),
  });
  const deadLetters = createFileDeadLetterSink(lettersPath);
  const logger = pino({ level: 'silent' });
  const applied: AppliedEvents[] = [];
  let stateStore: StateStore = createLmdbStateStore({ path: join(dir.path, 'state') });
  const open = () => createHealthMonitor({ stateStore, actions: bus, deadLetters, logger, config });
  let monitor = open();
  const test = await createTestPipeline({
    dir: join(dir.path, 'pipeline'),
    overrides: {
      // Awaited, as the composition does: a failed evaluation fails the submit.
      onApplied: (a) => {
        applied.push(a);
        return monitor.onApplied(a);
      },
    },
  });
  return {
    test,
    get monitor() {
      return monitor;
    },
    bus,
    applied,
    async submit(readings) {
      await test.pipeline.submit(readings.map(telemetryMessage));
      await monitor.idle();
    },
    actions: () => readActionLog(actionsPath),
    deadLetters: () => readDeadLetterFile(lettersPath),
    async reopenMonitor() {
      await monitor.close();
      await stateStore.close();
      stateStore = createLmdbStateStore({ path: join(dir.path, 'state') });
      monitor = open();
    },
    async close() {
      await test.close();
      await monitor.close();
      await stateStore.close();
      await bus.close();
      await deadLetters.close();
      await dir.cleanup();
    },
  };
}
