import type { NextFunction, Request, Response } from 'express';

/**
 * CORS for the GraphQL endpoint: only the configured origins (none by
 * default: same-origin only). Credentials travel in headers, never cookies,
 * so `Access-Control-Allow-Credentials` is never sent. The collector keeps its
 * own open CORS (any site may embed analytics.js with a write key).
 */
export function createCorsMiddleware(origins: readonly string[]) {
  const allowed = new Set(origins);
  const any = allowed.has('*');
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.headers.origin;
    if (origin && (any || allowed.has(origin))) {
      res.setHeader('Access-Control-Allow-Origin', any ? '*' : origin);
      res.append('Vary', 'Origin');
      if (req.method === 'OPTIONS') {
        res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
        res.setHeader(
          'Access-Control-Allow-Headers',
          'Content-Type, Authorization, X-Api-Key, Apollo-Require-Preflight',
        );
        res.setHeader('Access-Control-Max-Age', '600');
        res.status(204).end();
        return;
      }
    } else if (req.method === 'OPTIONS' && origin) {
      res.status(403).json({ errors: [{ message: 'Origin not allowed', extensions: { code: 'FORBIDDEN' } }] });
      return;
    }
    next();
  };
}
