/**
 * Background load for the freshness scenarios: units of work (events posted to
 * the collector, rows committed to PostgreSQL) sent at a target rate while the
 * probes run, so freshness is measured on a busy hub, not an idle one.
 *
 * The pacing is a token bucket refilled at the target rate and drained on a
 * fixed tick, not "as fast as possible": the hub sees a steady arrival rate.
 * When the sender falls behind (every request slot busy), tokens pile up only
 * to the bucket's burst and the rest are dropped, so the achieved rate shows
 * that the target was not reached instead of a catch-up burst hiding it.
 */
import { performance } from 'node:perf_hooks';

export interface TokenBucket {
  /** Whole and fractional units that may be sent now. */
  readonly tokens: number;
  readonly atMs: number;
}

export interface PacingOptions {
  readonly ratePerSecond: number;
  /** Most tokens the bucket holds: how far the sender may catch up after a stall. */
  readonly burst: number;
}

export interface TickPlan {
  readonly bucket: TokenBucket;
  /** Units to send in this tick (whole tokens, at most `maxUnits`). */
  readonly units: number;
  /** Tokens that overflowed the burst since the last tick: load that was due but never sent. */
  readonly dropped: number;
}

export function createTokenBucket(nowMs: number): TokenBucket {
  return { tokens: 0, atMs: nowMs };
}

/**
 * Refills the bucket for the time since its last tick and takes the whole
 * tokens that may go out now. `maxUnits` is 0 when no request slot is free:
 * the tokens then wait in the bucket, up to the burst.
 */
export function planTick(bucket: TokenBucket, nowMs: number, pacing: PacingOptions, maxUnits: number): TickPlan {
  const elapsedMs = Math.max(0, nowMs - bucket.atMs);
  const refilled = bucket.tokens + (elapsedMs * pacing.ratePerSecond) / 1000;
  const kept = Math.min(refilled, pacing.burst);
  // The epsilon: tokens summed from fractional refills land a hair under a whole unit (0.6 × 5 = 2.9999…).
  const units = Math.max(0, Math.min(Math.floor(kept + 1e-9), Math.floor(maxUnits)));
  return { bucket: { tokens: Math.max(0, kept - units), atMs: nowMs }, units, dropped: refilled - kept };
}

/** Item `seq` of the load goes to this index: a fixed stride visits every index before repeating. */
export function spreadIndex(seq: number, count: number): number {
  if (count <= 0) throw new RangeError(`spreadIndex: count must be positive, got ${count}`);
  // 7919 is prime: coprime with any count it does not divide, so the walk covers all indices.
  const stride = count % 7919 === 0 ? 1 : 7919;
  return (seq * stride) % count;
}

export interface PacedLoadOptions {
  readonly ratePerSecond: number;
  /** How often the bucket is drained; one send per tick at most. */
  readonly tickMs?: number;
  /** Largest unit count one send carries (a batch request, a multi-row UPDATE). */
  readonly maxUnitsPerSend: number;
  /** Sends in flight at once; a slow hub makes the generator fall behind instead of queueing. */
  readonly maxInFlight?: number;
  /**
   * Seconds of the target rate the bucket may hold (default 0.2 s, at least 1 unit): enough to
   * absorb a late timer on a busy event loop, too little to hide a hub that cannot keep up.
   */
  readonly burstSeconds?: number;
  /** Sends units [firstSeq, firstSeq + units) and resolves with how many were accepted. */
  readonly send: (firstSeq: number, units: number) => Promise<number>;
}

export interface LoadReport {
  readonly targetPerSecond: number;
  readonly achievedPerSecond: number;
  /** Units the receiver accepted. */
  readonly accepted: number;
  /** Units sent but not accepted (non-2xx answers, failed statements). */
  readonly failed: number;
  /** Units that were due but dropped because every send slot was busy. */
  readonly dropped: number;
  readonly sends: number;
  readonly elapsedMs: number;
  /** First send error, for the notes: a broken load must not look like a slow one. */
  readonly firstError: string | null;
}

export interface PacedLoad {
  /** Stops scheduling, waits for the sends in flight, and reports. */
  stop(): Promise<LoadReport>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function startPacedLoad(options: PacedLoadOptions): PacedLoad {
  if (!(options.ratePerSecond > 0)) throw new RangeError(`startPacedLoad: ratePerSecond must be > 0`);
  const tickMs = options.tickMs ?? 20;
  const maxInFlight = options.maxInFlight ?? 4;
  const pacing: PacingOptions = {
    ratePerSecond: options.ratePerSecond,
    burst: Math.max(1, options.ratePerSecond * (options.burstSeconds ?? 0.2)),
  };
  const startedAt = performance.now();
  let bucket = createTokenBucket(startedAt);
  let stopped = false;
  let seq = 0;
  let accepted = 0;
  let failed = 0;
  let dropped = 0;
  let sends = 0;
  let firstError: string | null = null;
  const inFlight = new Set<Promise<void>>();

  const loop = (async () => {
    while (!stopped) {
      const free = maxInFlight - inFlight.size;
      const plan = planTick(bucket, performance.now(), pacing, free > 0 ? options.maxUnitsPerSend : 0);
      bucket = plan.bucket;
      dropped += plan.dropped;
      if (plan.units > 0) {
        const first = seq;
        const units = plan.units;
        seq += units;
        sends++;
        const sent: Promise<void> = options
          .send(first, units)
          .then(
            (ok) => {
              accepted += ok;
              failed += units - ok;
            },
            (error: unknown) => {
              failed += units;
              firstError ??= error instanceof Error ? error.message : String(error);
            },
          )
          .finally(() => inFlight.delete(sent));
        inFlight.add(sent);
      }
      await sleep(tickMs);
    }
  })();

  return {
    async stop() {
      stopped = true;
      await loop;
      await Promise.all(inFlight);
      const elapsedMs = performance.now() - startedAt;
      return {
        targetPerSecond: options.ratePerSecond,
        achievedPerSecond: elapsedMs > 0 ? (accepted / elapsedMs) * 1000 : 0,
        accepted,
        failed,
        dropped: Math.round(dropped),
        sends,
        elapsedMs,
        firstError,
      };
    },
  };
}

/**
 * A `send` posting Segment track events to the collector's `/v1/batch`, the way
 * server SDKs do (write key as the Basic auth username), one customer per event
 * spread over `userIds`.
 */
export function segmentBatchSender(options: {
  readonly url: string;
  readonly writeKey: string;
  readonly userIds: readonly string[];
  /** Makes message ids unique across runs against the same data dir (dedupe would drop repeats). */
  readonly runId: string;
}): (firstSeq: number, units: number) => Promise<number> {
  if (options.userIds.length === 0) throw new RangeError('segmentBatchSender: userIds is empty');
  const authorization = `Basic ${Buffer.from(`${options.writeKey}:`).toString('base64')}`;
  return async (firstSeq, units) => {
    const now = new Date().toISOString();
    const batch = Array.from({ length: units }, (_, i) => {
      const seq = firstSeq + i;
      return {
        type: 'track',
        messageId: `bench-load-${options.runId}-${seq}`,
        userId: options.userIds[spreadIndex(seq, options.userIds.length)],
        event: 'Bench Load',
        properties: { seq },
        timestamp: now,
      };
    });
    const res = await fetch(`${options.url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ batch, sentAt: now }),
    });
    if (res.status !== 200) throw new Error(`POST /v1/batch answered ${res.status}: ${await res.text()}`);
    const body = (await res.json()) as { rejected?: unknown[] };
    return units - (body.rejected?.length ?? 0);
  };
}
