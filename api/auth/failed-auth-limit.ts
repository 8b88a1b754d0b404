/**
 * Throttles credential guessing: refused credentials (401 from GraphQL or the
 * collector) are counted per client address, and an address over the budget
 * gets 429 with Retry-After for every credentialed request until its window
 * ends — right keys included, so a guesser cannot tell a hit from the throttle.
 * One counter for both endpoints: switching from API keys to write keys does
 * not reset it. Only refusals count (a busy client with a good key never
 * notices). The client address is Express's `req.ip`, which follows the
 * trusted-proxy setting (ApiLimits.trustedProxies): behind a trusted load
 * balancer each client is its own bucket, and a client that is not behind one
 * cannot pick its address with X-Forwarded-For.
 */
import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';

const WINDOW_MS = 60_000;
/** Addresses remembered at once; past it, expired windows are dropped first. */
const MAX_ADDRESSES = 100_000;

/** Mount each before authentication on its endpoint; they share one count per address. */
export interface FailedAuthLimit {
  /** GraphQL: 429 in GraphQL's error shape. */
  readonly graphql: RequestHandler;
  /** The collector: 429 in the collector's `{ success, code, message }` shape. */
  readonly collector: RequestHandler;
}

export function createFailedAuthLimit(perMinute: number, now: () => number = Date.now): FailedAuthLimit {
  const windows = new Map<string, { failures: number; resetAt: number }>();

  const prune = (t: number) => {
    for (const [k, w] of windows) if (w.resetAt <= t) windows.delete(k);
    // Still full of live windows: forget the oldest (Map iterates in insertion order).
    for (const k of windows.keys()) {
      if (windows.size < MAX_ADDRESSES) break;
      windows.delete(k);
    }
  };

  const middleware =
    (shape: 'graphql' | 'collector'): RequestHandler =>
    (req: Request, res, next) => {
      if (perMinute <= 0 || req.method === 'OPTIONS') return next();
      const address = ipKeyGenerator(req.ip ?? 'unknown');
      const t = now();
      const current = windows.get(address);
      if (current && current.resetAt > t && current.failures >= perMinute) {
        const retryAfter = Math.ceil((current.resetAt - t) / 1000);
        res.setHeader('Retry-After', String(retryAfter));
        const message = 'Too many refused credentials from this address; retry after the Retry-After delay.';
        if (shape === 'graphql') {
          res.status(429).json({ errors: [{ message, extensions: { code: 'RATE_LIMITED' } }] });
        } else {
          res.status(429).json({ success: false, code: 'RATE_LIMITED', message });
        }
        return;
      }
      res.on('finish', () => {
        if (res.statusCode !== 401) return;
        const at = now();
        let w = windows.get(address);
        if (!w || w.resetAt <= at) {
          if (windows.size >= MAX_ADDRESSES) prune(at);
          w = { failures: 0, resetAt: at + WINDOW_MS };
          windows.set(address, w);
        }
        w.failures++;
      });
      next();
    };
  return { graphql: middleware('graphql'), collector: middleware('collector') };
}
