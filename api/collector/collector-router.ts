/**
 * Segment HTTP Tracking API, so existing SDKs send to c360 unchanged. See README.md
 * in this folder for the endpoints, limits and answers.
 */
import { createHash } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { isPlainObject } from '../../graph-schema';
import { parseJsonBytes } from '../../ingest/decoders/safe-json';
import { SENDER_FIELD } from '../../ingest/decoders/segment-decoder';
import { DecodeError } from '../../ingest/errors';
import type { RawMessage, SegmentType } from '../../ingest/hub-event';
import type { IngestPipeline } from '../../ingest/ingest-pipeline';
import type { ApiMetrics } from '../api-metrics';

export interface CollectorOptions {
  readonly pipeline: IngestPipeline;
  readonly logger: Logger;
  readonly metrics: ApiMetrics;
  /** Accepted write keys; empty accepts any key (a warning is logged once). */
  readonly writeKeys: readonly string[];
  readonly maxEventBytes: number;
  readonly maxBatchBytes: number;
}

export type CollectorErrorCode =
  | 'NOT_FOUND'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'INVALID_JSON'
  | 'INVALID_BODY'
  | 'EVENT_TOO_LARGE'
  | 'BATCH_TOO_LARGE'
  | 'UNAUTHORIZED'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR';

/** Full names and the one-letter paths analytics.js (analytics-next) posts to. */
const SINGLE_ENDPOINTS: Readonly<Record<string, SegmentType>> = {
  identify: 'identify',
  i: 'identify',
  track: 'track',
  t: 'track',
  page: 'page',
  p: 'page',
  screen: 'screen',
  s: 'screen',
  group: 'group',
  g: 'group',
  alias: 'alias',
  a: 'alias',
};
/** `/v1/batch` (analytics-node and most server SDKs), `/v1/b` (analytics.js batching), `/v1/import` (legacy). */
const BATCH_ENDPOINTS = new Set(['batch', 'b', 'import']);

/** Seconds an SDK should wait before retrying when the store is down. */
const RETRY_AFTER_SECONDS = 5;

type Endpoint =
  | { readonly kind: 'batch' }
  | { readonly kind: 'single'; readonly type: SegmentType }
  /** Device telemetry readings (c360's own, not Segment's): one reading or `{ readings: [...] }`. */
  | { readonly kind: 'telemetry' };

class CollectorHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: CollectorErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

function endpointOf(name: string): Endpoint | null {
  if (BATCH_ENDPOINTS.has(name)) return { kind: 'batch' };
  if (name === 'telemetry') return { kind: 'telemetry' };
  const type = SINGLE_ENDPOINTS[name];
  return type ? { kind: 'single', type } : null;
}

/** The metric label: the canonical name, so `/v1/t` and `/v1/track` count together. */
function endpointLabel(e: Endpoint): string {
  return e.kind === 'single' ? e.type : e.kind;
}

/** Segment SDKs put the write key in Basic auth (username, empty password) or in the body. */
function basicAuthUser(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Basic\s+(\S+)$/i.exec(header.trim());
  if (!match) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  return user === '' ? null : user;
}

function acceptedContentType(req: Request): boolean {
  const type = req.headers['content-type'];
  // analytics.js posts JSON as text/plain so browsers skip the CORS preflight.
  return type === undefined || req.is(['application/json', 'text/plain', 'application/*+json']) !== false;
}

export function createCollectorRouter(options: CollectorOptions): express.Router {
  const { pipeline, logger, metrics, maxEventBytes, maxBatchBytes } = options;
  const writeKeys = new Set(options.writeKeys);
  if (writeKeys.size === 0) {
    logger.warn('collector: no write keys configured, accepting events with any write key');
  }
  // Type-agnostic raw parsers: the content type is checked separately, and JSON is parsed
  // here so that a malformed body is a collector error with a code, not Express's HTML page.
  const readBatch = express.raw({ type: () => true, limit: maxBatchBytes });
  const readEvent = express.raw({ type: () => true, limit: maxEventBytes });

  const router = express.Router();

  router.use('/v1', (req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization, Content-Encoding');
      res.setHeader('Access-Control-Max-Age', '86400');
      res.status(204).end();
      return;
    }
    next();
  });

  router.post(
    '/v1/:endpoint',
    (req: Request, res: Response, next: NextFunction) => {
      const endpoint = endpointOf(String(req.params.endpoint));
      if (endpoint === null) {
        return next(new CollectorHttpError(404, 'NOT_FOUND', `Unknown collector endpoint /v1/${req.params.endpoint}`));
      }
      res.locals.endpoint = endpoint;
      res.locals.receivedAtMs = Date.now();
      if (!acceptedContentType(req)) {
        return next(
          new CollectorHttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json or text/plain'),
        );
      }
      return (endpoint.kind === 'single' ? readEvent : readBatch)(req, res, next);
    },
    async (req: Request, res: Response, next: NextFunction) => {
      const endpoint = res.locals.endpoint as Endpoint;
      try {
        const body = parseBody(req.body);
        const writeKey = basicAuthUser(req.headers.authorization) ?? bodyWriteKey(body);
        authorize(writeKeys, writeKey);
        const receivedAtMs = res.locals.receivedAtMs as number;
        const messages =
          endpoint.kind === 'telemetry'
            ? toMessages(readingsOf(body), maxEventBytes, receivedAtMs, 'telemetry', null)
            : toMessages(
                endpoint.kind === 'batch' ? eventsOfBatch(body) : [{ ...body, type: endpoint.type }],
                maxEventBytes,
                receivedAtMs,
                'segment',
                writeKey === null ? null : senderOf(writeKey),
              );
        metrics.collectorEvents.inc({ endpoint: endpointLabel(endpoint) }, messages.length);
        const result = messages.length ? await pipeline.submit(messages) : { rejected: [] };
        res.status(200).json({
          success: true,
          rejected: result.rejected.map((r) => ({ index: r.index, code: r.code, message: r.message })),
        });
      } catch (error) {
        next(error);
      }
    },
  );

  router.use('/v1', (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const endpoint = res.locals.endpoint as Endpoint | undefined;
    const httpError = toHttpError(error, endpoint);
    if (httpError.status >= 500) logger.error({ err: error }, 'collector: could not accept events');
    metrics.collectorRejectedRequests.inc({
      endpoint: endpoint ? endpointLabel(endpoint) : 'unknown',
      code: httpError.code,
    });
    if (httpError.status === 503) res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    res
      .status(httpError.status)
      .json({ success: false, code: httpError.code, message: httpError.message, ...httpError.details });
  });

  return router;
}

/**
 * Deepest nesting of a request body: a batch envelope (2 levels) around events the decoder
 * accepts up to 32 deep, with room so that a too-deep event is dead-lettered on its own.
 * Deeper bodies are refused before anything recursive (JSON.stringify, the decoder) sees them.
 */
const MAX_BODY_DEPTH = 64;

function parseBody(raw: unknown): Record<string, unknown> {
  if (!Buffer.isBuffer(raw) || raw.length === 0) {
    throw new CollectorHttpError(400, 'INVALID_JSON', 'The request body is empty; send a JSON object');
  }
  let parsed: unknown;
  try {
    // Strict UTF-8 and a depth scan before JSON.parse: invalid bytes are refused, never replaced with U+FFFD.
    parsed = parseJsonBytes(raw, { maxBytes: raw.length, maxDepth: MAX_BODY_DEPTH });
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    switch (e.reason) {
      case 'INVALID_UTF8':
        throw new CollectorHttpError(400, 'INVALID_BODY', `The request body is not valid UTF-8 (${e.message})`);
      case 'TOO_DEEP':
        throw new CollectorHttpError(400, 'INVALID_BODY', `The request body is nested too deeply (${e.message})`);
      case 'FORBIDDEN_KEY':
      case 'INVALID_VALUE':
        throw new CollectorHttpError(400, 'INVALID_BODY', `The request body is not accepted: ${e.message}`);
      default:
        throw new CollectorHttpError(400, 'INVALID_JSON', 'The request body is not valid JSON');
    }
  }
  if (!isPlainObject(parsed))
    throw new CollectorHttpError(400, 'INVALID_BODY', 'The request body must be a JSON object');
  return parsed;
}

function bodyWriteKey(body: Record<string, unknown>): string | null {
  return typeof body.writeKey === 'string' && body.writeKey !== '' ? body.writeKey : null;
}

function authorize(writeKeys: ReadonlySet<string>, key: string | null): void {
  if (writeKeys.size === 0) return;
  if (key === null) {
    throw new CollectorHttpError(
      401,
      'UNAUTHORIZED',
      'Missing write key: send it as the Basic auth username or as writeKey',
    );
  }
  if (!writeKeys.has(key)) throw new CollectorHttpError(401, 'UNAUTHORIZED', 'Invalid write key');
}

/**
 * Splits a batch envelope so each event is its own message: a bad event is then
 * dead-lettered alone, with its index. Envelope `context` and `integrations` are
 * merged under each event's own (the event wins key by key, one level deep) and the
 * envelope `sentAt` applies unless the event has one — Segment's semantics, and the
 * same rule the segment decoder applies to envelopes that reach it unsplit (replays).
 */
function eventsOfBatch(body: Record<string, unknown>): unknown[] {
  if (!Array.isArray(body.batch)) throw new CollectorHttpError(400, 'INVALID_BODY', 'batch must be an array of events');
  return body.batch.map((event) => {
    if (!isPlainObject(event)) return event;
    const merged: Record<string, unknown> = { ...event };
    for (const field of ['context', 'integrations'] as const) {
      const outer = body[field];
      const inner = event[field];
      if (isPlainObject(outer)) merged[field] = isPlainObject(inner) ? { ...outer, ...inner } : (inner ?? outer);
    }
    if (merged.sentAt === undefined && body.sentAt !== undefined) merged.sentAt = body.sentAt;
    return merged;
  });
}

/** `{ readings: [...] }` or one reading; each reading is validated by the telemetry decoder (bad ones dead-lettered). */
function readingsOf(body: Record<string, unknown>): unknown[] {
  if (!('readings' in body)) return [body];
  if (!Array.isArray(body.readings)) {
    throw new CollectorHttpError(400, 'INVALID_BODY', 'readings must be an array of telemetry readings');
  }
  return body.readings;
}

/**
 * The sender an event's identity is scoped by: a short hash of the write key that
 * authenticated it (the key itself is a credential and is never stored). Same key, same
 * sender on every replica, so retries and replays keep their ids.
 */
export function senderOf(writeKey: string): string {
  return `wk_${createHash('sha256').update(writeKey, 'utf8').digest('hex').slice(0, 12)}`;
}

function toMessages(
  events: readonly unknown[],
  maxEventBytes: number,
  receivedAtMs: number,
  source: 'segment' | 'telemetry',
  sender: string | null,
): RawMessage[] {
  return events.map((event, index) => {
    // The write key is a credential of the sender, not part of the event: never store it. The
    // sender stamp is the collector's: whatever the client wrote there is replaced (or removed).
    const clean = isPlainObject(event) ? { ...event, writeKey: undefined, [SENDER_FIELD]: sender ?? undefined } : event;
    // "Original bytes" of one event inside a batch are its re-serialization: the envelope's
    // bytes cannot be sliced per event, and JSON.stringify of the parsed value is lossless for JSON.
    const value = Buffer.from(JSON.stringify(clean), 'utf8');
    if (value.length > maxEventBytes) {
      throw new CollectorHttpError(
        400,
        'EVENT_TOO_LARGE',
        `Event ${index} is ${value.length} bytes; the limit is ${maxEventBytes}`,
        {
          index,
          limitBytes: maxEventBytes,
        },
      );
    }
    return { source, value, position: { source, transport: 'http', index }, receivedAtMs };
  });
}

function toHttpError(error: unknown, endpoint: Endpoint | undefined): CollectorHttpError {
  if (error instanceof CollectorHttpError) return error;
  const type = (error as { type?: unknown } | null)?.type;
  if (type === 'entity.too.large') {
    const limit = (error as { limit?: number }).limit;
    return endpoint !== undefined && endpoint.kind !== 'single'
      ? new CollectorHttpError(400, 'BATCH_TOO_LARGE', `The batch exceeds the ${limit} byte limit`, {
          limitBytes: limit,
        })
      : new CollectorHttpError(400, 'EVENT_TOO_LARGE', `The event exceeds the ${limit} byte limit`, {
          limitBytes: limit,
        });
  }
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new CollectorHttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported Content-Encoding or charset');
  }
  if (isDecompressionError(error)) {
    return new CollectorHttpError(400, 'INVALID_BODY', 'The request body could not be decompressed (Content-Encoding)');
  }
  if (typeof type === 'string') {
    // Other body-parser failures (aborted, bad length): the request itself was broken.
    return new CollectorHttpError(400, 'INVALID_BODY', 'The request body could not be read');
  }
  // The pipeline rejects only when nothing was made durable: the SDK must retry the same events.
  return new CollectorHttpError(503, 'SERVICE_UNAVAILABLE', 'Events could not be stored right now; retry later');
}

/** zlib's errors for a corrupt gzip/deflate/brotli body: the sender's bytes are broken, retrying cannot help. */
function isDecompressionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('Z_') || code.startsWith('ERR_BROTLI'));
}
