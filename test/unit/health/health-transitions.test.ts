import { join } from 'node:path';
import { createHealthConfig, DEFAULT_HEALTH_CONFIG, type HealthRule, TOO_LATE } from '../../../features/health';
import { createFileDeadLetterArchive, deadLetterId, replayDeadLetters } from '../../../ingest';
import { DEGRADED_THRESHOLDS } from '../../../scripts/demo';
import { makeTempDir } from '../../helpers/unique';
import {
  BAD,
  GOOD,
  type HealthHarness,
  MIN,
  type ScriptedReading,
  startHealthHarness,
  T0,
  telemetryBatchMessage,
  telemetryMessage,
} from './health-harness';

const config = createHealthConfig({ holdMs: 10 * MIN, allowedLatenessMs: 15 * MIN });

/**
 * One router, a reading every 5 minutes: GREEN, RED for 15 minutes (held → one
 * GREEN→RED), one GREEN blip and one RED blip (damped), then GREEN for 10
 * minutes (held → one RED→GREEN).
 */
const story: ScriptedReading[] = [
  [0, GOOD],
  [5, BAD],
  [10, BAD],
  [15, BAD],
  [20, GOOD],
  [25, BAD],
  [30, GOOD],
  [35, GOOD],
  [40, GOOD],
].map(([min, indicators], i) => ({
  device: 'router-1',
  customer: 'C1',
  min: min as number,
  seq: i + 1,
  indicators: indicators as Record<string, number>,
}));

const expected = [
  { from: 'GREEN', to: 'RED', since: T0 + 5 * MIN, at: T0 + 15 * MIN },
  { from: 'RED', to: 'GREEN', since: T0 + 30 * MIN, at: T0 + 40 * MIN },
];

const byMinute = (mins: number[]) => mins.map((m) => story.find((r) => r.min === m) as ScriptedReading);

const deliveries: [string, ScriptedReading[][]][] = [
  ['in order, one reading per request', story.map((r) => [r])],
  [
    'every reading twice, in one request and again in the next',
    story.map((r, i) => [r, r, ...(i > 0 ? [story[i - 1]] : [])]),
  ],
  [
    // 5 arrives after 10 and 15 (it moves the RED onset back); 30 after 35 (it completes the GREEN hold).
    'reordered inside the allowed lateness',
    [byMinute([0]), byMinute([10, 15]), byMinute([5]), byMinute([20, 25, 35]), byMinute([30]), byMinute([40])],
  ],
  [
    'requests shuffled inside, with duplicates',
    [byMinute([10, 0, 5, 10]), byMinute([20, 15, 25, 15]), byMinute([35, 30, 40, 30])],
  ],
];

function summary(actions: { type: string; subjectId: string; at: number; payload: Record<string, unknown> }[]) {
  return actions.map((a) => ({
    from: a.payload.from,
    to: a.payload.to,
    since: a.payload.since,
    at: a.at,
  }));
}

describe('device health transitions through the real pipeline', () => {
  let h: HealthHarness;
  afterEach(async () => {
    await h.close();
  });

  it.each(deliveries)('%s: exactly one action per transition', async (_name, requests) => {
    h = await startHealthHarness(config);
    for (const request of requests) await h.submit(request);
    const actions = await h.actions();
    expect(summary(actions)).toEqual(expected);
    expect(actions.every((a) => a.type === 'health.changed' && a.subjectId === 'Customer:C1')).toBe(true);
    expect(new Set(actions.map((a) => a.id)).size).toBe(2);
    const red = actions[0].payload;
    expect(red.deviceId).toBe('Device:router-1');
    expect(red.reasons).toEqual(['packetErrors 300 > 100']);
    expect(red.evidence).toEqual([
      { ts: T0 + 15 * MIN, seq: '4', indicators: { uptimeSec: 100_000 + 15 * 60, ...BAD } },
    ]);
    expect(await h.monitor.device('router-1')).toMatchObject({ status: 'GREEN', since: T0 + 30 * MIN, pending: null });
  });

  it('health reports the right state: a batch holding RED and the later GREEN announces each with the customer status of its moment', async () => {
    h = await startHealthHarness(config);
    // A second device of the same customer stays GREEN throughout.
    const other = story.map((r) => ({ ...r, device: 'stb-1', indicators: GOOD }));
    await h.submit([...story, ...other]);
    const actions = await h.actions();
    expect(actions.map((a) => [a.payload.deviceId, a.payload.to, a.payload.customerStatus])).toEqual([
      ['Device:router-1', 'RED', 'RED'],
      ['Device:router-1', 'GREEN', 'GREEN'],
    ]);
    expect(await h.monitor.customer('Customer:C1')).toMatchObject({ status: 'GREEN' });
  });

  it('gives a transition the same id whatever the delivery order, so consumers can dedupe across redeliveries', async () => {
    const ids: string[][] = [];
    for (const [, requests] of [deliveries[0], deliveries[2]]) {
      h = await startHealthHarness(config);
      for (const request of requests) await h.submit(request);
      ids.push((await h.actions()).map((a) => a.id));
      await h.close();
    }
    h = await startHealthHarness(config);
    expect(ids[1]).toEqual(ids[0]);
  });

  it('a transition whose publish failed is not lost: the submit fails, and the redelivery announces it once', async () => {
    h = await startHealthHarness(config, { failingPublishes: 1 });
    const messages = story.map(telemetryMessage);
    // Kafka would not commit these offsets: the pipeline left the events unseen.
    await expect(h.test.pipeline.submit(messages)).rejects.toMatchObject({ retriable: true });
    expect(await h.actions()).toEqual([]);
    await h.test.pipeline.submit(messages);
    await h.monitor.idle();
    expect(summary(await h.actions())).toEqual(expected);
    expect(await h.monitor.device('router-1')).toMatchObject({ status: 'GREEN', since: T0 + 30 * MIN });
  });

  it('ignores readings replayed past the pipeline dedupe (same device, time and seq)', async () => {
    h = await startHealthHarness(config);
    await h.submit(story);
    const again = await h.monitor.process(h.applied.flatMap((a) => a.events));
    expect(again).toEqual([]);
    expect(summary(await h.actions())).toEqual(expected);
  });

  it('dead-letters a reading later than the allowed lateness, still applies it to the graph, and emits nothing for it', async () => {
    h = await startHealthHarness(config);
    await h.submit(story);
    // 30 minutes older than the newest reading (lateness: 15): would have been RED.
    const late: ScriptedReading = { device: 'router-1', customer: 'C1', min: 10, seq: 99, indicators: BAD };
    await h.submit([late]);
    expect(h.applied.at(-1)?.events).toHaveLength(1);
    const letters = await h.deadLetters();
    expect(letters.map((l) => l.code)).toEqual([TOO_LATE]);
    expect(letters[0].eventId).toBe(h.applied.at(-1)?.events[0].id);
    expect(summary(await h.actions())).toEqual(expected);
    const [device] = await h.test.store.getVertices(['Device:router-1']);
    expect(device?.props.ind_packetErrors).toBe(GOOD.packetErrors);
  });

  it('dead letters can be worked: a TOO_LATE letter keeps the wire bytes of its batch, so a replay decodes it', async () => {
    h = await startHealthHarness(config);
    await h.submit(story);
    const late: ScriptedReading = { device: 'router-1', customer: 'C1', min: 10, seq: 99, indicators: BAD };
    const onTime: ScriptedReading = { device: 'router-2', customer: 'C2', min: 40, seq: 1, indicators: GOOD };
    const wire = telemetryBatchMessage([onTime, late]);
    await h.test.pipeline.submit([wire]);
    await h.monitor.idle();
    const [letter] = await h.deadLetters();
    expect(letter).toMatchObject({ code: TOO_LATE, position: { source: 'telemetry', index: 1 } });
    expect(letter.originalBase64).toBe(wire.value?.toString('base64'));

    const marks = await makeTempDir('c360-replay-');
    try {
      const stored = [{ ...letter, id: deadLetterId(letter), replayedAt: null }];
      const archive = createFileDeadLetterArchive(
        join(marks.path, 'letters.ndjson'),
        join(marks.path, 'replayed.ndjson'),
      );
      const result = await replayDeadLetters(stored, h.test.pipeline, archive);
      // The batch decodes again, both readings (already applied: duplicates); none is dead-lettered
      // again as undecodable, which is what the decoded body written as the letter got.
      expect(result).toEqual({ replayed: 1, applied: 2, deadLetteredAgain: 0, skipped: 0 });
      expect(await h.deadLetters()).toHaveLength(1);
    } finally {
      await marks.cleanup();
    }
  });

  it('damps flapping: a status that never holds for holdMs emits nothing', async () => {
    h = await startHealthHarness(config);
    const flapping: ScriptedReading[] = Array.from({ length: 24 }, (_, i) => ({
      device: 'stb-7',
      customer: 'C2',
      min: i * 5,
      seq: i,
      indicators: i % 2 === 1 ? BAD : GOOD,
    }));
    await h.submit(flapping);
    expect(await h.actions()).toEqual([]);
    expect(await h.monitor.device('stb-7')).toMatchObject({ status: 'GREEN', pending: { status: 'RED' } });
  });

  it('without a hold time every flip is a transition (the hold is what damps)', async () => {
    h = await startHealthHarness(createHealthConfig({ holdMs: 0, allowedLatenessMs: 15 * MIN }));
    const flapping: ScriptedReading[] = Array.from({ length: 6 }, (_, i) => ({
      device: 'stb-8',
      customer: 'C2',
      min: i * 5,
      seq: i,
      indicators: i % 2 === 1 ? BAD : GOOD,
    }));
    for (const r of flapping) await h.submit([r]);
    expect(summary(await h.actions()).map((a) => `${a.from}->${a.to}`)).toEqual([
      'GREEN->RED',
      'RED->GREEN',
      'GREEN->RED',
      'RED->GREEN',
      'GREEN->RED',
    ]);
  });

  it('rolls a customer up to its worst device and keeps state across a restart of the monitor', async () => {
    h = await startHealthHarness(config);
    const router = (min: number, seq: number, indicators: Record<string, number>): ScriptedReading => ({
      device: 'router-9',
      customer: 'C9',
      min,
      seq,
      indicators,
    });
    const stb = (min: number, seq: number): ScriptedReading => ({
      device: 'stb-9',
      customer: 'C9',
      min,
      seq,
      indicators: GOOD,
    });
    await h.submit([stb(0, 1), router(0, 1, GOOD), router(5, 2, { ...GOOD, signalDbm: -80 })]);
    await h.reopenMonitor();
    await h.submit([router(20, 3, { ...GOOD, signalDbm: -82, firmwareDownloadErrors: 2 }), stb(20, 2)]);
    const customer = await h.monitor.customer('Customer:C9');
    expect(customer).toMatchObject({
      status: 'RED',
      since: T0 + 5 * MIN,
      reasons: ['Device:router-9: signalDbm -82 < -70', 'Device:router-9: firmwareDownloadErrors 2 ≥ 1'],
    });
    expect(customer.devices.map((d) => [d.id, d.status])).toEqual([
      ['Device:router-9', 'RED'],
      ['Device:stb-9', 'GREEN'],
    ]);
    const actions = await h.actions();
    expect(actions).toHaveLength(1);
    expect(actions[0].payload).toMatchObject({ from: 'GREEN', to: 'RED', customerStatus: 'RED' });
    expect(await h.monitor.customer('Customer:nobody')).toMatchObject({ status: 'UNKNOWN', devices: [] });
  });

  it('counts uptime resets within the window (reboots) as AMBER', async () => {
    h = await startHealthHarness(createHealthConfig({ holdMs: 0, allowedLatenessMs: 15 * MIN }));
    const uptimes = [5000, 6000, 100, 900, 50];
    await h.submit(
      uptimes.map((uptimeSec, i) => ({
        device: 'router-r',
        customer: 'CR',
        min: i * 60,
        seq: i,
        indicators: { ...GOOD, uptimeSec },
      })),
    );
    expect(await h.monitor.device('router-r')).toMatchObject({
      status: 'AMBER',
      reasons: ['uptimeSec reset 2 times (≥ 2) within 2d'],
    });
  });
});

describe('health configuration', () => {
  it('defaults to the thresholds the demo degrades across', () => {
    const threshold = (indicator: string) =>
      DEFAULT_HEALTH_CONFIG.rules.find(
        (r): r is Extract<HealthRule, { kind: 'threshold' }> => r.kind === 'threshold' && r.indicator === indicator,
      );
    expect(threshold('packetErrors')).toMatchObject({ op: 'gt', value: DEGRADED_THRESHOLDS.packetErrors });
    expect(threshold('signalDbm')).toMatchObject({ op: 'lt', value: DEGRADED_THRESHOLDS.signalDbm });
    expect(threshold('firmwareDownloadErrors')).toMatchObject({
      op: 'gte',
      value: DEGRADED_THRESHOLDS.firmwareDownloadErrors,
    });
  });

  it('rejects an invalid rule naming the setting', () => {
    expect(() =>
      createHealthConfig({
        rules: [{ kind: 'reset', indicator: 'uptimeSec', count: 0, severity: 'RED', windowMs: 1 }],
      }),
    ).toThrow(expect.objectContaining({ name: 'ConfigError', setting: 'health.rules.0.count' }));
    expect(() => createHealthConfig({ holdMs: -1 })).toThrow(expect.objectContaining({ code: 'BAD_CONFIG' }));
  });
});
