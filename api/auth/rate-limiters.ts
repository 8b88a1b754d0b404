/**
 * Per-credential request budgets (express-rate-limit, one fixed window per
 * minute in memory: per replica). GraphQL is limited per principal; the
 * collector per write key — a hash of the key from Basic auth, or the client
 * address when the key travels in the body (analytics.js), which the limiter
 * cannot read before the collector parses it. Over the budget: 429 with
 * Retry-After, in each endpoint's own error shape.
 */
import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, MemoryStore, rateLimit } from 'express-rate-limit';
import { principalOf } from './authenticate-request';

const WINDOW_MS = 60_000;

function clientAddress(req: Request): string {
  return ipKeyGenerator(req.ip ?? 'unknown');
}

/**
 * One per-principal budget for GraphQL on every transport: HTTP requests and graphql-ws
 * operations count against the same store, so a client cannot escape its limit by
 * switching to the WebSocket.
 */
export interface OperationBudget {
  /** Counts one operation; false when the principal is over its limit for the current minute. */
  take(principalId: string): Promise<boolean>;
}

/** The store is initialized by the HTTP middleware built over it (createGraphQLRateLimit). */
export function createOperationBudget(perMinute: number): { budget: OperationBudget; store: MemoryStore } {
  const store = new MemoryStore();
  return {
    store,
    budget: {
      async take(principalId) {
        if (perMinute <= 0) return true;
        const { totalHits } = await store.increment(principalId);
        return totalHits <= perMinute;
      },
    },
  };
}

export function createGraphQLRateLimit(perMinute: number, store?: MemoryStore): RequestHandler {
  return rateLimit({
    windowMs: WINDOW_MS,
    limit: perMinute,
    ...(store ? { store } : {}),
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req: Request, res: Response) => principalOf(res)?.id ?? `ip:${clientAddress(req)}`,
    handler: (_req, res, _next, options) => {
      res.status(options.statusCode).json({
        errors: [
          { message: 'Too many requests; retry after the Retry-After delay.', extensions: { code: 'RATE_LIMITED' } },
        ],
      });
    },
  });
}

function basicUser(header: string | undefined): string | null {
  const match = header ? /^Basic\s+(\S+)$/i.exec(header.trim()) : null;
  if (!match) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  return user === '' ? null : user;
}

export function createCollectorRateLimit(perMinute: number): RequestHandler {
  return rateLimit({
    windowMs: WINDOW_MS,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // Preflights carry no key and cost nothing.
    skip: (req) => req.method === 'OPTIONS',
    keyGenerator: (req: Request) => {
      const key = basicUser(req.headers.authorization);
      // Hashed: the limiter's memory holds no write key.
      return key === null
        ? `ip:${clientAddress(req)}`
        : `wk:${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
    },
    handler: (_req, res, _next, options) => {
      res.status(options.statusCode).json({
        success: false,
        code: 'RATE_LIMITED',
        message: 'Too many requests for this write key; retry after the Retry-After delay.',
      });
    },
  });
}
