/**
 * Analytics traits refresh on a schedule (issue 19 item 10), not only when someone
 * queries: the schedule reruns the trait-writing algorithms every period, so customers'
 * `pagerank`, `community`, `component` and `degree` follow the graph. Ticks are driven
 * by the test (no sleeps); the setting is validated at startup.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createConfig } from '../../../app/config';
import {
  type AnalyticsScheduleTimers,
  createAnalyticsSchedule,
  createAnalyticsService,
} from '../../../features/analytics';
import { coalesce, makeVersion } from '../../../graph-schema';
import { createEmbeddedStore } from '../../../services/graph';
import { analyticsFixture } from '../../conformance/analytics-suite';

const logger = pino({ level: 'silent' });

/** Timers the test fires by hand. */
function manualTimers(): AnalyticsScheduleTimers & { fire(): void; periods: number[]; cleared: number } {
  const callbacks: (() => void)[] = [];
  const t = {
    periods: [] as number[],
    cleared: 0,
    setInterval(run: () => void, ms: number) {
      callbacks.push(run);
      t.periods.push(ms);
      return callbacks.length;
    },
    clearInterval() {
      t.cleared++;
    },
    fire() {
      for (const run of callbacks) run();
    },
  };
  return t;
}

describe('analytics traits refresh on a schedule', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'c360-analytics-schedule-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('analytics traits refresh on a schedule: a tick writes the traits nobody queried, and a later tick follows a graph change', async () => {
    const store = await createEmbeddedStore({ path: join(dir, 'graph') });
    const service = createAnalyticsService({ store });
    const f = analyticsFixture('sch');
    try {
      await store.apply(coalesce(f.mutations));
      const timers = manualTimers();
      const schedule = createAnalyticsSchedule({ service, everyMs: 60_000, logger, timers });
      schedule.start();
      expect(timers.periods).toEqual([60_000]);
      timers.fire();
      await schedule.idle();
      await schedule.stop();
      expect(timers.cleared).toBe(1);
      const [c1, c6] = await store.getVertices([f.id('c1'), f.id('c6')]);
      expect(c1?.props).toMatchObject({
        degree: expect.any(Number),
        pagerank: expect.any(Number),
        community: expect.stringMatching(/^Customer:/),
        component: f.id('c1'),
        betweenness: expect.any(Number),
      });
      // c6 stands alone: its own component.
      expect(c6?.props.component).toBe(f.id('c6'));

      // c6 starts using the household's device; the next tick sees it without any query.
      const joined = coalesce([
        {
          op: 'upsertEdge',
          label: 'USES_DEVICE',
          from: { label: 'Customer', key: 'schc6' },
          to: { label: 'Device', key: 'schdA' },
          props: {},
          version: makeVersion(Date.UTC(2026, 0, 5), 'join'),
        },
      ]);
      await store.apply(joined);
      service.onApplied({ vertexIds: [f.id('c6'), f.id('dA')] });
      const next = createAnalyticsSchedule({ service, everyMs: 60_000, logger, timers: manualTimers() });
      const runs = await next.tick();
      expect(runs.map((r) => [r.kind, r.status])).toEqual([
        ['DEGREE', 'SUCCEEDED'],
        ['COMPONENTS', 'SUCCEEDED'],
        ['PAGERANK', 'SUCCEEDED'],
        ['LOUVAIN', 'SUCCEEDED'],
        ['BETWEENNESS', 'SUCCEEDED'],
      ]);
      const [again] = await store.getVertices([f.id('c6')]);
      expect(again?.props.component).toBe(f.id('c1'));
      await next.stop();
    } finally {
      await service.close();
      await store.close();
    }
  });

  test('a tick while a refresh is running is skipped, not queued behind it', async () => {
    const store = await createEmbeddedStore({ path: join(dir, 'graph-2') });
    const service = createAnalyticsService({ store });
    try {
      await store.apply(coalesce(analyticsFixture('skip').mutations));
      const schedule = createAnalyticsSchedule({
        service,
        everyMs: 60_000,
        logger,
        timers: manualTimers(),
        kinds: ['DEGREE'],
      });
      const first = schedule.tick();
      const second = schedule.tick();
      expect(await second).toEqual([]);
      expect((await first).map((r) => r.kind)).toEqual(['DEGREE']);
      await schedule.stop();
      expect(await schedule.tick()).toEqual([]);
    } finally {
      await service.close();
      await store.close();
    }
  });

  test('C360_ANALYTICS_REFRESH_MS is 0 (off, the default) or a period of 10 s to 7 days; anything else fails at startup naming it', () => {
    expect(createConfig({}, {}).analyticsRefreshMs).toBe(0);
    expect(createConfig({}, { C360_ANALYTICS_REFRESH_MS: '600000' }).analyticsRefreshMs).toBe(600_000);
    expect(createConfig({ analyticsRefreshMs: '60000' } as never, {}).analyticsRefreshMs).toBe(60_000);
    for (const bad of ['5', '-1', 'hourly', '1.5', String(8 * 24 * 3_600_000)]) {
      expect(() => createConfig({}, { C360_ANALYTICS_REFRESH_MS: bad })).toThrow(
        expect.objectContaining({ name: 'ConfigError', setting: 'C360_ANALYTICS_REFRESH_MS' }),
      );
    }
    expect(() => createConfig({ analyticsRefreshMs: '5' } as never, {})).toThrow(
      expect.objectContaining({ name: 'ConfigError', setting: '--analyticsRefreshMs' }),
    );
  });
});
