/**
 * decode → validate → dedupe → map → batch → store, with dead letters.
 *
 * Many concurrent `submit` calls (HTTP requests, Kafka partitions) share one
 * batcher: their mutations are coalesced into store batches that flush on
 * size or time, and each caller resumes once every batch holding its
 * mutations is durable. Store batches are applied a bounded number at a time
 * (one, or two on the embedded store: see `storeWritesInFlight`); order does
 * not matter for correctness (versioned merges) but bounded concurrency keeps
 * memory and store load predictable.
 */
import type { Logger } from 'pino';
import { BatchBuilder, C360Error, type GraphStore, isRetriable, type Mutation, vertexId } from '../graph-schema';
import type { DeadLetter, DeadLetterSink } from './dead-letter';
import type { DedupeStore } from './dedupe';
import { type DecodeError, MappingError } from './errors';
import type { EventMapper } from './event-mapper';
import { createGraphWriter, type GraphWriter } from './graph-writer';
import type { HubEvent, RawMessage, SourceKind } from './hub-event';
import type { IngestPipeline, RejectedMessage, SubmitResult } from './ingest-pipeline';
import type { PipelineMetrics } from './pipeline-metrics';

export type DecodeOutcome =
  | { readonly ok: true; readonly event: HubEvent }
  | { readonly ok: false; readonly error: DecodeError; readonly index?: number };

/** Structural view of ingest/decoders' Decoder: one raw message may carry several events. */
export interface PipelineDecoder {
  decode(raw: RawMessage): readonly DecodeOutcome[];
}

export interface PipelineOptions {
  readonly store: GraphStore;
  readonly decoders: Readonly<Record<SourceKind, PipelineDecoder>>;
  readonly mapper: EventMapper;
  readonly dedupe: DedupeStore;
  readonly deadLetters: DeadLetterSink;
  readonly logger: Logger;
  readonly metrics?: PipelineMetrics;
  /** Flush a store batch once it holds this many mutations. */
  readonly batchMaxMutations?: number;
  /** …or once the oldest mutation in it has waited this long. */
  readonly batchMaxWaitMs?: number;
  /**
   * Store batches applied at once (default 1). The embedded store takes 2: its write
   * transactions still run one after the other, but the next one is written while the last
   * one's fsync runs (lmdb's overlapping sync), instead of waiting for it. Each submit still
   * resolves only once every batch holding its mutations is durable.
   */
  readonly storeWritesInFlight?: number;
  /** Attempts for a batch that fails with a retriable store error before submit rejects. */
  readonly storeMaxAttempts?: number;
  readonly storeRetryBaseMs?: number;
  /** The process's one write path (default: one over `store` with these retries and metrics). */
  readonly writer?: GraphWriter;
  /**
   * Called after events are durable, with the vertices they touched — live
   * segments, health triggers and subscriptions re-evaluate just those.
   */
  readonly onApplied?: (applied: AppliedEvents) => void | Promise<void>;
  readonly now?: () => number;
}

export interface AppliedEvents {
  readonly events: readonly HubEvent[];
  /** Ids of every vertex the events wrote (including edge endpoints). */
  readonly vertexIds: ReadonlySet<string>;
}

interface PendingBatch {
  readonly builder: BatchBuilder;
  readonly done: Promise<void>;
  resolve(): void;
  reject(e: unknown): void;
  timer: NodeJS.Timeout | null;
}

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A batch nobody awaits yet must not crash the process as an unhandled rejection.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** Submitting to a closing pipeline: retriable, because another worker (or this one restarted) will take it. */
export class PipelineClosedError extends C360Error {
  override name = 'PipelineClosedError';
  constructor() {
    super('IngestPipeline.submit: the pipeline is closed', { code: 'PIPELINE_CLOSED', retriable: true });
  }
}

/** Dedupe entry: this id was applied with some content. */
const claimKey = (id: string) => `${id}#`;
/** Dedupe entry: this id was applied with this content. */
const contentKey = (e: HubEvent) => `${e.id}#${e.digest}`;

/**
 * The event under an identity of its own: `<id>~<digest prefix>`. Deterministic, so a
 * redelivery of the set-apart event is set apart the same way and then deduped; the version
 * tie-breaker gets the suffix too, so its writes never tie with the first event's.
 */
export function setApart(event: HubEvent): HubEvent {
  const suffix = `~${(event.digest ?? '').slice(0, 16)}`;
  const apart = { ...event, id: `${event.id}${suffix}`, version: `${event.version}${suffix}` };
  apartFrom.set(apart, event.id);
  return apart;
}

/** The id each set-apart event was set apart from. */
const apartFrom = new WeakMap<HubEvent, string>();

/** Dedupe entries an applied event leaves. A set-apart event also answers for its content under the first id. */
function seenKeys(e: HubEvent): string[] {
  if (e.digest === undefined) return [e.id];
  const from = apartFrom.get(e);
  return from === undefined ? [claimKey(e.id), contentKey(e)] : [claimKey(e.id), contentKey(e), `${from}#${e.digest}`];
}

export function createPipeline(options: PipelineOptions): IngestPipeline {
  const { store, decoders, mapper, dedupe, deadLetters, logger, metrics } = options;
  const maxMutations = options.batchMaxMutations ?? 5000;
  const maxWaitMs = options.batchMaxWaitMs ?? 10;
  const writer =
    options.writer ??
    createGraphWriter({
      store,
      logger,
      ...(metrics ? { metrics } : {}),
      ...(options.storeMaxAttempts !== undefined ? { maxAttempts: options.storeMaxAttempts } : {}),
      ...(options.storeRetryBaseMs !== undefined ? { retryBaseMs: options.storeRetryBaseMs } : {}),
    });
  const now = options.now ?? Date.now;

  let pending: PendingBatch | null = null;
  const writesInFlight = options.storeWritesInFlight ?? 1;
  if (!Number.isInteger(writesInFlight) || writesInFlight < 1) {
    throw new RangeError(`createPipeline: storeWritesInFlight must be a positive integer, got ${writesInFlight}`);
  }
  /** Store batches being applied (at most `writesInFlight`), and those waiting their turn in order. */
  const applyingNow = new Set<Promise<void>>();
  const waitingToApply: PendingBatch[] = [];
  let closed = false;
  /** Events being applied now: by (first) id, each content digest, how many submits, set apart or not. */
  const inFlight = new Map<string, Map<string, { count: number; apart: boolean }>>();

  function newBatch(): PendingBatch {
    const d = deferred();
    return { builder: new BatchBuilder(), done: d.promise, resolve: d.resolve, reject: d.reject, timer: null };
  }

  async function applyWithRetry(batch: PendingBatch): Promise<void> {
    const graphBatch = batch.builder.build();
    metrics?.batchMutations.observe(batch.builder.size);
    metrics?.batchElements.observe(graphBatch.vertices.length + graphBatch.edges.length);
    await writer.apply(graphBatch);
  }

  /** Starts waiting batches, in order, while fewer than `writesInFlight` are being applied. */
  function startApplies(): void {
    while (applyingNow.size < writesInFlight && waitingToApply.length > 0) {
      const batch = waitingToApply.shift() as PendingBatch;
      const applied: Promise<void> = applyWithRetry(batch)
        .then(batch.resolve, (e) => {
          batch.reject(e);
        })
        .finally(() => {
          applyingNow.delete(applied);
          startApplies();
        });
      applyingNow.add(applied);
    }
  }

  /** Settles once every batch started or waiting now has settled (never rejects). */
  function allApplied(): Promise<void> {
    const batches = [...applyingNow, ...waitingToApply.map((b) => b.done)];
    return Promise.allSettled(batches).then(() => undefined);
  }

  function flushPending(): Promise<void> {
    const batch = pending;
    if (!batch) return allApplied();
    pending = null;
    if (batch.timer) clearTimeout(batch.timer);
    waitingToApply.push(batch);
    startApplies();
    return batch.done;
  }

  /** Add mutations; returns the batches that hold them. */
  function enqueue(mutations: readonly Mutation[], into: Set<Promise<void>>): void {
    for (const m of mutations) {
      if (!pending) {
        pending = newBatch();
        const p = pending;
        p.timer = setTimeout(() => {
          if (pending === p) void flushPending();
        }, maxWaitMs);
      }
      pending.builder.add(m);
      into.add(pending.done);
      if (pending.builder.size >= maxMutations) void flushPending();
    }
  }

  function letter(raw: RawMessage, code: string, message: string, eventId?: string): DeadLetter {
    return {
      at: now(),
      code,
      message,
      position: raw.position,
      originalBase64: raw.value ? raw.value.toString('base64') : null,
      ...(raw.key ? { originalKeyBase64: raw.key.toString('base64') } : {}),
      ...(eventId ? { eventId } : {}),
    };
  }

  async function submit(messages: readonly RawMessage[]): Promise<SubmitResult> {
    if (closed) throw new PipelineClosedError();
    const rejected: RejectedMessage[] = [];
    const letters: DeadLetter[] = [];
    const letterSources: SourceKind[] = [];
    const candidates: { event: HubEvent; index: number }[] = [];
    const ignored = 0;

    messages.forEach((raw, index) => {
      metrics?.received.inc({ source: raw.source });
      const decoder = decoders[raw.source];
      let outcomes: readonly DecodeOutcome[];
      try {
        outcomes = decoder.decode(raw);
      } catch (e) {
        // Decoders are meant never to throw; if one does, the input still must not be lost.
        const message = `decoder failed: ${e instanceof Error ? e.message : String(e)}`;
        rejected.push({ index, code: 'DECODER_FAILED', message });
        letters.push(letter(raw, 'DECODER_FAILED', message));
        letterSources.push(raw.source);
        return;
      }
      for (const o of outcomes) {
        if (o.ok) {
          candidates.push({ event: o.event, index });
        } else {
          rejected.push({ index, code: o.error.code, message: o.error.message });
          const position = o.index === undefined ? raw.position : { ...raw.position, index: o.index };
          letters.push({ ...letter(raw, o.error.code, o.error.message), position });
          letterSources.push(raw.source);
        }
      }
    });

    // Dedupe within the submission, then against what was applied before. An event with a
    // content digest is a duplicate only if the same content was applied under its id; the
    // same id with other content (a reused or forged messageId) is another event, kept apart.
    // One event at a time, each claimed in flight as soon as it is accepted, so the events of
    // this submission and of concurrent ones (other Kafka partitions, other HTTP requests) are
    // judged by one rule: the first content to claim an id keeps it, later other content is set apart.
    let duplicates = 0;
    const accepted = new Set<string>();
    const fresh: { event: HubEvent; index: number }[] = [];
    const claims: (() => void)[] = [];
    const duplicate = (event: HubEvent) => {
      duplicates++;
      metrics?.duplicates.inc({ source: event.body.source });
    };
    try {
      for (const candidate of candidates) {
        let event = candidate.event;
        if (accepted.has(contentKey(event))) {
          duplicate(event);
          continue;
        }
        let verdict = dedupeVerdict(event);
        if (verdict === 'conflict') {
          event = setApart(event);
          logger.warn(
            { eventId: event.id, position: event.position },
            'an event id was reused for other content: kept as a separate event',
          );
          metrics?.idConflicts?.inc({ source: event.body.source });
          verdict = accepted.has(contentKey(event)) ? 'duplicate' : dedupeVerdict(event);
        }
        if (verdict === 'duplicate') {
          duplicate(event);
          continue;
        }
        accepted.add(contentKey(candidate.event));
        accepted.add(contentKey(event));
        fresh.push({ event, index: candidate.index });
        if (event.digest !== undefined) claims.push(claimInFlight(event));
      }
      return await applyFresh(messages, fresh, rejected, letters, letterSources, duplicates, ignored);
    } finally {
      for (const release of claims) release();
    }
  }

  function claimInFlight(event: HubEvent): () => void {
    const id = apartFrom.get(event) ?? event.id;
    const digest = event.digest as string;
    let byDigest = inFlight.get(id);
    if (!byDigest) {
      byDigest = new Map();
      inFlight.set(id, byDigest);
    }
    const claim = byDigest.get(digest) ?? { count: 0, apart: false };
    claim.count++;
    claim.apart ||= apartFrom.has(event);
    byDigest.set(digest, claim);
    return () => {
      claim.count--;
      if (claim.count > 0) return;
      byDigest.delete(digest);
      if (byDigest.size === 0 && inFlight.get(id) === byDigest) inFlight.delete(id);
    };
  }

  /**
   * `duplicate`: this content was applied under this id (or the id predates digests);
   * `conflict`: the id was applied, or is being applied, with other content; `new` otherwise.
   */
  function dedupeVerdict(event: HubEvent): 'new' | 'duplicate' | 'conflict' {
    if (event.digest === undefined) return dedupe.seen([event.id])[0] ? 'duplicate' : 'new';
    // Its id holds its digest: only the same content can have been applied under it.
    if (apartFrom.has(event)) return dedupe.seen([contentKey(event)])[0] ? 'duplicate' : 'new';
    const [content, claim, legacy] = dedupe.seen([contentKey(event), claimKey(event.id), event.id]);
    if (content) return 'duplicate';
    if (claim) return 'conflict';
    // In flight: other content holding this id, or this very content being set apart.
    for (const [digest, running] of inFlight.get(event.id) ?? []) {
      if (digest === event.digest ? running.apart : !running.apart) return 'conflict';
    }
    // Applied before digests were recorded: the old rule (same id, same event) still holds.
    return legacy ? 'duplicate' : 'new';
  }

  async function applyFresh(
    messages: readonly RawMessage[],
    fresh: readonly { event: HubEvent; index: number }[],
    rejected: RejectedMessage[],
    letters: DeadLetter[],
    letterSources: SourceKind[],
    duplicates: number,
    ignored: number,
  ): Promise<SubmitResult> {
    const batches = new Set<Promise<void>>();
    const appliedEvents: HubEvent[] = [];
    const touched = options.onApplied ? new Set<string>() : null;
    for (const { event, index } of fresh) {
      let outcome: ReturnType<EventMapper>;
      try {
        outcome = mapper(event);
      } catch (e) {
        outcome = { ok: false, error: new MappingError('BAD_MAPPING', `mapping failed: ${(e as Error).message}`) };
      }
      if (outcome === 'ignore') {
        ignored++;
        continue;
      }
      if (!outcome.ok) {
        rejected.push({ index, code: outcome.error.code, message: outcome.error.message });
        const raw = messages[index];
        letters.push(letter(raw, outcome.error.code, outcome.error.message, event.id));
        letterSources.push(raw.source);
        continue;
      }
      enqueue(outcome.mutations, batches);
      appliedEvents.push(event);
      if (touched) {
        for (const m of outcome.mutations) {
          if (m.op === 'upsertEdge' || m.op === 'deleteEdge') {
            touched.add(vertexId(m.from));
            touched.add(vertexId(m.to));
          } else touched.add(vertexId(m));
        }
      }
    }

    // Both must be durable before the caller may commit or answer 200.
    await Promise.all([deadLetters.write(letters), ...batches]);
    letters.forEach((l, i) => {
      metrics?.deadLettered.inc({ source: letterSources[i], reason: l.code });
    });
    // Listeners (health, computed traits, live segments) finish before the ids are
    // marked seen: if the process dies in between, the redelivery is not deduped
    // away and derived state catches up. A retriable listener failure fails the
    // submit (the caller retries; everything downstream is idempotent); any other
    // is logged and counted, never allowed to stop ingest.
    if (appliedEvents.length > 0 && options.onApplied && touched) {
      try {
        await options.onApplied({ events: appliedEvents, vertexIds: touched });
      } catch (e) {
        if (isRetriable(e)) throw e;
        metrics?.listenerFailures.inc();
        logger.error({ err: e }, 'onApplied listener failed');
      }
    }
    await dedupe.markSeen(appliedEvents.flatMap(seenKeys));
    for (const e of appliedEvents) metrics?.applied.inc({ source: e.body.source });
    if (letters.length > 0) {
      logger.warn({ count: letters.length, codes: [...new Set(letters.map((l) => l.code))] }, 'inputs dead-lettered');
    }
    return { applied: appliedEvents.length, duplicates, deadLettered: letters.length, ignored, rejected };
  }

  return {
    submit,
    async flush() {
      await flushPending();
      await allApplied();
    },
    async close() {
      closed = true;
      await flushPending().catch(() => undefined);
      await allApplied();
    },
  };
}
