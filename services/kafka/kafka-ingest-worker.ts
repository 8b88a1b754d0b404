/**
 * The ingest worker: one member of a consumer group that feeds the hub's topics
 * through the ingest pipeline into the graph store.
 *
 * Guarantees, and how:
 * - Nothing is lost: offsets are committed only after `pipeline.submit` resolved,
 *   i.e. after the batch's events are durable in the store and its poison inputs
 *   are durable dead letters. A crash before the commit redelivers the batch.
 * - Nothing is applied twice: redelivered events are skipped by the pipeline's
 *   dedupe and, below it, every write is a versioned merge (applying twice
 *   changes nothing).
 * - Order per partition: kafkajs hands out one batch per partition at a time and
 *   the next batch is fetched from the resolved offset, which only moves forward
 *   once the batch is durable.
 * - Never spins, never crashes on data: poison inputs are the pipeline's dead
 *   letters; a batch that keeps failing (store or broker down) is retried with
 *   backoff a bounded number of times, then its partition is paused, shown in
 *   readiness and metrics, and resumed by a probe later. A partition whose probes
 *   keep failing (`stalledAfterPauses` rounds without a batch getting through) is
 *   stalled: logged as an error that says so on every round, counted in
 *   `c360_kafka_stalled_partitions`, and named in readiness — never a quiet loop.
 */
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { isRetriable } from '../../graph-schema';
import type { IngestPipeline, RawMessage, SourceKind } from '../../ingest';
import { isKafkaJsError } from './errors';
import { HEADERS, headerText } from './kafka-headers';
import { createKafkaMetrics } from './kafka-metrics';

export interface KafkaIngestWorkerOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topics: { readonly clickstream: string; readonly telemetry: string; readonly cdcPattern: RegExp };
  readonly pipeline: IngestPipeline;
  readonly logger: Logger;
  readonly registry: Registry;
  /** Partitions processed at once; their submits share the pipeline's store batches. Default 3 (2 cores). */
  readonly partitionsConsumedConcurrently?: number;
  readonly sessionTimeoutMs?: number;
  /** Attempts per poll batch before its partition is paused. Default 5. */
  readonly maxRetries?: number;
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /** How long a paused partition rests before a probe resumes it. Default 10 s. */
  readonly pauseMs?: number;
  /** Pause rounds without progress after which a partition counts as stalled. Default 3. */
  readonly stalledAfterPauses?: number;
  /** Consumer lag sampling period; 0 disables it. Default 15 s. */
  readonly lagSampleIntervalMs?: number;
  /** How often to look for new CDC topics (a new table's first change creates one); 0 disables. Default 60 s. */
  readonly topicRefreshMs?: number;
  /** Largest fetch per partition; bounds one poll batch (hence one submit). Default 1 MiB. */
  readonly maxBytesPerPartition?: number;
}

export type WorkerState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

export interface PausedPartition {
  readonly topic: string;
  readonly partition: number;
  readonly sinceMs: number;
  readonly attempts: number;
  readonly error: string;
}

export interface KafkaIngestWorker {
  /** Provision the consumer, subscribe and start consuming; resolves before the group is joined. */
  start(): Promise<void>;
  /** Finish in-flight batches (committing what became durable), leave the group, disconnect. Idempotent. */
  stop(): Promise<void>;
  state(): WorkerState;
  /** Partitions assigned at the last rebalance, by topic. */
  assignment(): Readonly<Record<string, readonly number[]>>;
  paused(): readonly PausedPartition[];
  /** The topics the consumer is subscribed to. */
  subscribedTopics(): readonly string[];
  readiness(): { ready: boolean; reasons: string[] };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A partition's batch is applied as one submission: one store commit and sync, one offset
 * commit, then the next fetch. Debezium envelopes with schemas are 4–10 KB a row, so 1 MiB
 * was ~150 rows a batch and the fixed costs capped one table's CDC at ~4.7k rows/s; 8 MiB
 * applies what Debezium delivers (kafkajs caps a whole fetch at 10 MiB).
 */
export const DEFAULT_MAX_BYTES_PER_PARTITION = 8 * 1024 * 1024;

export function createKafkaIngestWorker(options: KafkaIngestWorkerOptions): KafkaIngestWorker {
  const { kafka, groupId, topics, pipeline } = options;
  const logger = options.logger.child({ component: 'kafka-worker', groupId });
  const metrics = createKafkaMetrics(options.registry);
  const concurrency = options.partitionsConsumedConcurrently ?? 3;
  const sessionTimeout = options.sessionTimeoutMs ?? 30_000;
  // kafkajs sends at most one heartbeat per interval; a third of the session leaves room for two misses.
  const heartbeatInterval = Math.max(500, Math.min(3_000, Math.floor(sessionTimeout / 3)));
  const maxRetries = options.maxRetries ?? 5;
  const retryBaseMs = options.retryBaseMs ?? 200;
  const retryMaxMs = options.retryMaxMs ?? 5_000;
  const pauseMs = options.pauseMs ?? 10_000;
  const stalledAfterPauses = options.stalledAfterPauses ?? 3;
  const lagSampleIntervalMs = options.lagSampleIntervalMs ?? 15_000;
  const topicRefreshMs = options.topicRefreshMs ?? 60_000;
  const admin = kafka.admin();

  let state: WorkerState = 'idle';
  let consumer: Consumer | null = null;
  let subscribed: string[] = [];
  let joined = false;
  let assignment: Record<string, number[]> = {};
  let crash: string | null = null;
  const pausedMap = new Map<string, PausedPartition & { timer: NodeJS.Timeout }>();
  /** Pause rounds per partition since its last batch got through. */
  const stalls = new Map<string, { sinceMs: number; pauses: number }>();
  const timers = new Set<NodeJS.Timeout>();
  /** Serializes consumer restarts (topic refresh, crash recovery) with start/stop. */
  let lifecycle: Promise<void> = Promise.resolve();

  const sourceOf = (topic: string): SourceKind | null => {
    if (topic === topics.clickstream) return 'segment';
    if (topic === topics.telemetry) return 'telemetry';
    if (topics.cdcPattern.test(topic)) return 'cdc';
    return null;
  };

  function toRaw(m: KafkaMessage, source: SourceKind, topic: string, partition: number): RawMessage {
    const header = headerText(m.headers, HEADERS.receivedAtMs);
    const fromHeader = header === null ? Number.NaN : Number(header);
    return {
      source,
      value: m.value,
      key: m.key,
      position: { source, transport: 'kafka', topic, partition, offset: m.offset },
      // The collector's receipt time travels in a header; a record from another producer was received when Kafka got it.
      receivedAtMs: Number.isSafeInteger(fromHeader) ? fromHeader : Number(m.timestamp),
    };
  }

  const partitionKey = (topic: string, partition: number) => `${topic}[${partition}]`;

  function updatePausedGauge(): void {
    metrics.pausedPartitions.set({ group: groupId }, pausedMap.size);
    let stalled = 0;
    for (const s of stalls.values()) if (s.pauses >= stalledAfterPauses) stalled++;
    metrics.stalledPartitions.set({ group: groupId }, stalled);
  }

  function progressed(topic: string, partition: number): void {
    if (stalls.delete(partitionKey(topic, partition))) updatePausedGauge();
  }

  function pausePartition(payload: EachBatchPayload, attempts: number, error: unknown): void {
    const { topic, partition } = payload.batch;
    const resume = payload.pause();
    const key = partitionKey(topic, partition);
    const message = error instanceof Error ? error.message : String(error);
    const stall = stalls.get(key) ?? { sinceMs: Date.now(), pauses: 0 };
    stall.pauses++;
    stalls.set(key, stall);
    metrics.partitionPauses.inc({ group: groupId });
    if (stall.pauses >= stalledAfterPauses) {
      logger.error(
        { err: error, topic, partition, pauses: stall.pauses, stalledSince: new Date(stall.sinceMs).toISOString() },
        `partition ${key} cannot progress: its batch failed through ${stall.pauses} pause rounds; fix the cause (the error) — it is retried every ${pauseMs} ms`,
      );
    } else {
      logger.error(
        { err: error, topic, partition, attempts, resumeInMs: pauseMs },
        'batch keeps failing: partition paused, a probe resumes it later',
      );
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      pausedMap.delete(key);
      updatePausedGauge();
      logger.info({ topic, partition }, 'probing paused partition');
      // resume() of this generation's consumer group; after a rebalance the pause is gone anyway.
      try {
        resume();
        consumer?.resume([{ topic, partitions: [partition] }]);
      } catch (e) {
        logger.warn({ err: e, topic, partition }, 'resuming paused partition failed');
      }
    }, pauseMs);
    timers.add(timer);
    pausedMap.set(key, { topic, partition, sinceMs: Date.now(), attempts, error: message, timer });
    updatePausedGauge();
  }

  /** Waits, heartbeating so the group does not evict us while we back off. */
  async function backoff(ms: number, heartbeat: () => Promise<void>, isActive: () => boolean): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end && isActive()) {
      await sleep(Math.min(250, end - Date.now()));
      await heartbeat();
    }
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, isRunning, isStale, resolveOffset, commitOffsetsIfNecessary } = payload;
    const { topic, partition } = batch;
    if (batch.messages.length === 0) return;
    const source = sourceOf(topic);
    if (source === null) {
      // Cannot happen (we subscribe by these names); never throw non-Kafka errors into kafkajs.
      logger.error({ topic }, 'message from a topic that is no source; pausing it');
      pausePartition(payload, 0, new Error(`topic ${topic} is not a c360 source`));
      return;
    }
    const messages = batch.messages.map((m) => toRaw(m, source, topic, partition));
    metrics.batchMessages.observe({ group: groupId }, messages.length);
    const active = () => isRunning() && !isStale();

    for (let attempt = 1; ; attempt++) {
      // A rebalance or stop took the partition (or a seek moved it): drop the batch, commit nothing.
      if (!active()) return;
      try {
        await submitWithHeartbeat(messages, heartbeat);
        break;
      } catch (e) {
        if (isKafkaJsError(e)) throw e;
        if (!isRetriable(e) || attempt > maxRetries) {
          pausePartition(payload, attempt, e);
          return;
        }
        metrics.submitRetries.inc({ group: groupId });
        const delay = Math.min(retryMaxMs, retryBaseMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
        logger.warn({ err: e, topic, partition, attempt, delayMs: Math.round(delay) }, 'batch failed, retrying');
        await backoff(delay, heartbeat, active);
      }
    }

    // Durable now. A seek means someone else decided where this partition continues.
    progressed(topic, partition);
    if (isStale()) return;
    const last = batch.lastOffset();
    resolveOffset(last);
    const end = metrics.commitSeconds.startTimer({ group: groupId });
    // Explicit offsets: commit now, not "if necessary" by kafkajs' autocommit rules, which are off.
    await commitOffsetsIfNecessary({
      topics: [{ topic, partitions: [{ partition, offset: (BigInt(last) + 1n).toString() }] }],
    });
    end();
  }

  /**
   * A submit may wait on a slow store for longer than a session timeout; heartbeats
   * meanwhile keep the partition ours. A heartbeat failure (rebalance) does not stop
   * the submit — it is already in the pipeline — and the commit after it tells.
   */
  async function submitWithHeartbeat(messages: readonly RawMessage[], heartbeat: () => Promise<void>): Promise<void> {
    const timer = setInterval(() => {
      heartbeat().catch((e) => logger.debug({ err: e }, 'heartbeat during submit failed'));
    }, heartbeatInterval);
    try {
      await pipeline.submit(messages);
    } finally {
      clearInterval(timer);
    }
  }

  async function resolveTopics(): Promise<string[]> {
    const all = await admin.listTopics();
    const cdc = all.filter((t) => topics.cdcPattern.test(t)).sort();
    return [topics.clickstream, topics.telemetry, ...cdc];
  }

  async function startConsumer(): Promise<void> {
    subscribed = await resolveTopics();
    const c = kafka.consumer({
      groupId,
      sessionTimeout,
      heartbeatInterval,
      rebalanceTimeout: Math.max(60_000, sessionTimeout * 2),
      maxBytesPerPartition: options.maxBytesPerPartition ?? DEFAULT_MAX_BYTES_PER_PARTITION,
      maxWaitTimeInMs: 500,
      allowAutoTopicCreation: false,
    });
    c.on(c.events.GROUP_JOIN, (e) => {
      joined = true;
      crash = null;
      assignment = Object.fromEntries(
        Object.entries(e.payload.memberAssignment).map(([t, ps]) => [t, [...ps].sort((a, b) => a - b)]),
      );
      // Pauses live in the consumer group generation; whatever is not paused any more is not ours to report.
      const stillPaused = new Set(c.paused().flatMap((tp) => tp.partitions.map((p) => partitionKey(tp.topic, p))));
      for (const [key, p] of pausedMap) {
        if (!stillPaused.has(key)) {
          clearTimeout(p.timer);
          timers.delete(p.timer);
          pausedMap.delete(key);
        }
      }
      // A partition that moved to another worker is that worker's to report.
      const assigned = new Set(Object.entries(assignment).flatMap(([t, ps]) => ps.map((p) => partitionKey(t, p))));
      for (const key of stalls.keys()) if (!assigned.has(key)) stalls.delete(key);
      updatePausedGauge();
      logger.info({ assignment, memberId: e.payload.memberId }, 'joined consumer group');
    });
    c.on(c.events.REBALANCING, () => {
      joined = false;
    });
    c.on(c.events.CRASH, (e) => {
      joined = false;
      crash = e.payload.error.message;
      if (e.payload.restart) {
        logger.warn({ err: e.payload.error }, 'kafka consumer crashed; kafkajs restarts it');
        return;
      }
      // kafkajs gives up on non-retriable errors; the worker does not: a fresh consumer after a pause.
      logger.error({ err: e.payload.error, restartInMs: pauseMs }, 'kafka consumer stopped; restarting it');
      schedule(pauseMs, () => restartConsumer('crash'));
    });
    consumer = c;
    await c.connect();
    await c.subscribe({ topics: subscribed, fromBeginning: true });
    await c.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: concurrency,
      eachBatch,
    });
    logger.info({ topics: subscribed, concurrency }, 'consuming');
  }

  async function stopConsumer(): Promise<void> {
    const c = consumer;
    consumer = null;
    joined = false;
    assignment = {};
    if (c) await c.disconnect().catch((e) => logger.warn({ err: e }, 'consumer disconnect failed'));
  }

  function schedule(ms: number, fn: () => Promise<void>): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn().catch((e) => logger.warn({ err: e }, 'scheduled worker task failed'));
    }, ms);
    timers.add(timer);
  }

  function restartConsumer(why: string): Promise<void> {
    lifecycle = lifecycle.then(async () => {
      if (state !== 'running') return;
      logger.info({ why }, 'restarting kafka consumer');
      await stopConsumer();
      try {
        await startConsumer();
      } catch (e) {
        crash = e instanceof Error ? e.message : String(e);
        logger.error({ err: e, retryInMs: pauseMs }, 'kafka consumer could not start; retrying');
        schedule(pauseMs, () => restartConsumer('start failed'));
      }
    });
    return lifecycle;
  }

  /** A new table's first change creates its CDC topic; regex subscriptions only match at subscribe time. */
  async function refreshTopics(): Promise<void> {
    if (state !== 'running') return;
    try {
      const now = await resolveTopics();
      if (now.join('\n') !== subscribed.join('\n')) {
        logger.info({ added: now.filter((t) => !subscribed.includes(t)) }, 'new CDC topics');
        await restartConsumer('new topics');
      }
    } catch (e) {
      logger.debug({ err: e }, 'topic refresh failed');
    } finally {
      if (state === 'running') schedule(topicRefreshMs, refreshTopics);
    }
  }

  async function sampleLag(): Promise<void> {
    if (state !== 'running') return;
    try {
      const list = subscribed;
      const committed = await admin.fetchOffsets({ groupId, topics: list });
      const byKey = new Map<string, string>();
      for (const t of committed) for (const p of t.partitions) byKey.set(partitionKey(t.topic, p.partition), p.offset);
      metrics.consumerLag.reset();
      for (const topic of list) {
        for (const p of await admin.fetchTopicOffsets(topic)) {
          const c = byKey.get(partitionKey(topic, p.partition));
          const from = c === undefined || BigInt(c) < 0n ? BigInt(p.low) : BigInt(c);
          const lag = BigInt(p.high) - from;
          metrics.consumerLag.set(
            { group: groupId, topic, partition: String(p.partition) },
            Number(lag < 0n ? 0n : lag),
          );
        }
      }
    } catch (e) {
      logger.debug({ err: e }, 'lag sampling failed');
    } finally {
      if (state === 'running') schedule(lagSampleIntervalMs, sampleLag);
    }
  }

  return {
    start() {
      lifecycle = lifecycle.then(async () => {
        if (state !== 'idle') return;
        state = 'starting';
        await admin.connect();
        await startConsumer();
        state = 'running';
        if (lagSampleIntervalMs > 0) schedule(lagSampleIntervalMs, sampleLag);
        if (topicRefreshMs > 0) schedule(topicRefreshMs, refreshTopics);
      });
      return lifecycle;
    },
    stop() {
      const wasRunning = state !== 'idle' && state !== 'stopped';
      if (wasRunning) state = 'stopping';
      for (const t of timers) clearTimeout(t);
      timers.clear();
      lifecycle = lifecycle.then(async () => {
        if (!wasRunning) return;
        // kafkajs' disconnect waits for in-flight batches, which commit what became durable, then leaves the group.
        await stopConsumer();
        await admin.disconnect().catch(() => undefined);
        for (const p of pausedMap.values()) clearTimeout(p.timer);
        pausedMap.clear();
        updatePausedGauge();
        state = 'stopped';
        logger.info('kafka worker stopped');
      });
      return lifecycle;
    },
    state: () => state,
    assignment: () => assignment,
    paused: () => [...pausedMap.values()].map(({ timer: _t, ...p }) => p),
    subscribedTopics: () => subscribed,
    readiness() {
      const reasons: string[] = [];
      if (state !== 'running') reasons.push(`kafka worker is ${state}`);
      else if (crash !== null) reasons.push(`kafka consumer crashed (${crash}); restarting`);
      else if (!joined) reasons.push(`kafka consumer has not joined group ${groupId} yet`);
      for (const p of pausedMap.values()) {
        const key = partitionKey(p.topic, p.partition);
        const stall = stalls.get(key);
        const stalled =
          stall && stall.pauses >= stalledAfterPauses
            ? ` (stalled: ${stall.pauses} pause rounds since ${new Date(stall.sinceMs).toISOString()})`
            : '';
        reasons.push(`partition ${key} paused after ${p.attempts} failed attempts${stalled}: ${p.error}`);
      }
      return { ready: reasons.length === 0, reasons };
    },
  };
}
