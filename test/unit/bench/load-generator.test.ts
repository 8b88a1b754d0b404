import {
  createTokenBucket,
  type PacingOptions,
  planTick,
  spreadIndex,
  startPacedLoad,
  type TokenBucket,
} from '../../../scripts/bench/load-generator';

/** Drives the bucket over `durationMs` in fixed ticks and sums what it lets out. */
function simulate(
  pacing: PacingOptions,
  durationMs: number,
  tickMs: number,
  maxUnits: (t: number) => number,
): { units: number; dropped: number; perTick: number[] } {
  let bucket: TokenBucket = createTokenBucket(0);
  let units = 0;
  let dropped = 0;
  const perTick: number[] = [];
  for (let t = tickMs; t <= durationMs; t += tickMs) {
    const plan = planTick(bucket, t, pacing, maxUnits(t));
    bucket = plan.bucket;
    units += plan.units;
    dropped += plan.dropped;
    perTick.push(plan.units);
  }
  return { units, dropped, perTick };
}

describe('planTick (token bucket pacing)', () => {
  it('lets out the target rate evenly, one tick at a time, not all at once', () => {
    const r = simulate({ ratePerSecond: 1000, burst: 200 }, 1000, 20, () => 500);
    expect(r.units).toBe(1000);
    expect(new Set(r.perTick)).toEqual(new Set([20]));
    expect(r.dropped).toBe(0);
  });

  it('carries fractional tokens, so a rate below one unit per tick is still met over time', () => {
    const r = simulate({ ratePerSecond: 30, burst: 6 }, 1000, 20, () => 500);
    expect(r.units).toBe(30);
    expect(r.perTick.every((u) => u === 0 || u === 1)).toBe(true);
  });

  it('sends at most maxUnits per tick and keeps the rest for the next ticks', () => {
    const first = planTick(createTokenBucket(0), 100, { ratePerSecond: 1000, burst: 1000 }, 30);
    expect(first.units).toBe(30);
    expect(first.bucket.tokens).toBeCloseTo(70);
    const second = planTick(first.bucket, 100, { ratePerSecond: 1000, burst: 1000 }, 500);
    expect(second.units).toBe(70);
  });

  it('holds at most the burst while no send slot is free and reports the overflow as dropped', () => {
    // Slots busy for the first 500 ms, free afterwards.
    const pacing = { ratePerSecond: 1000, burst: 200 };
    const r = simulate(pacing, 1000, 20, (t) => (t <= 500 ? 0 : 10_000));
    // 520 units were due by the first free tick; the bucket held 200 of them and dropped the rest.
    expect(r.dropped).toBeCloseTo(320);
    expect(r.units).toBe(680);
    expect(r.perTick[25]).toBe(200); // the catch-up is one burst, then the steady 20 per tick
    expect(r.perTick[26]).toBe(20);
  });

  it('ignores a clock that steps back instead of minting negative tokens', () => {
    const plan = planTick({ tokens: 5, atMs: 1000 }, 900, { ratePerSecond: 1000, burst: 100 }, 100);
    expect(plan.units).toBe(5);
    expect(plan.bucket.tokens).toBe(0);
  });
});

describe('spreadIndex', () => {
  it.each([1, 2, 7, 90, 100, 7919, 2 * 7919])('visits each of %i indices once per round', (count) => {
    const seen = new Set(Array.from({ length: count }, (_, seq) => spreadIndex(seq, count)));
    expect(seen.size).toBe(count);
  });

  it('refuses an empty population', () => {
    expect(() => spreadIndex(0, 0)).toThrow(RangeError);
  });
});

describe('startPacedLoad', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('reaches the target rate with a fast receiver and numbers the units without gaps', async () => {
    const seqs: number[] = [];
    const load = startPacedLoad({
      ratePerSecond: 200,
      maxUnitsPerSend: 50,
      send: async (first, units) => {
        for (let i = 0; i < units; i++) seqs.push(first + i);
        return units;
      },
    });
    await sleep(1000);
    const report = await load.stop();
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i));
    expect(report.accepted).toBe(seqs.length);
    // Timers on a shared machine run late, never early: the bucket's burst absorbs that.
    expect(report.achievedPerSecond).toBeGreaterThan(150);
    expect(report.achievedPerSecond).toBeLessThan(230);
    expect(report.failed).toBe(0);
  });

  it('falls behind a slow receiver instead of queueing without bound, and says so', async () => {
    let inFlight = 0;
    let maxSeen = 0;
    const load = startPacedLoad({
      ratePerSecond: 1000,
      maxUnitsPerSend: 10,
      maxInFlight: 2,
      send: async (_first, units) => {
        maxSeen = Math.max(maxSeen, ++inFlight);
        await sleep(100);
        inFlight--;
        return units;
      },
    });
    await sleep(800);
    const report = await load.stop();
    expect(maxSeen).toBeLessThanOrEqual(2);
    // 2 slots × 10 units per 100 ms is at most 200/s of the 1000/s asked.
    expect(report.achievedPerSecond).toBeLessThan(250);
    expect(report.dropped).toBeGreaterThan(300);
  });

  it('counts rejected and failed units and keeps the first error', async () => {
    let calls = 0;
    const load = startPacedLoad({
      ratePerSecond: 100,
      maxUnitsPerSend: 100,
      send: async (_first, units) => {
        calls++;
        if (calls % 2 === 0) throw new Error('collector answered 503');
        return units - 1;
      },
    });
    await sleep(500);
    const report = await load.stop();
    expect(report.sends).toBe(calls);
    expect(report.failed).toBeGreaterThan(0);
    expect(report.accepted + report.failed).toBeGreaterThan(20);
    expect(report.firstError).toBe('collector answered 503');
  });
});
