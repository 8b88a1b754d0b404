import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { AuthError } from './auth-error';
import type { Authenticator } from './authenticator';
import type { Principal } from './roles';

/** Where the HTTP middleware leaves the principal for the GraphQL context and the rate limiter. */
export function principalOf(res: Response): Principal | undefined {
  return res.locals.principal as Principal | undefined;
}

/**
 * Authenticates every request to the GraphQL endpoint before Apollo sees it:
 * a refused credential is a 401 with a GraphQL-shaped body and a
 * `WWW-Authenticate` challenge, and nothing is parsed or executed.
 */
export function createAuthMiddleware(authenticator: Authenticator, logger: Logger) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const principal = await authenticator.authenticate({
        authorization: req.headers.authorization ?? null,
        apiKey: typeof req.headers['x-api-key'] === 'string' ? req.headers['x-api-key'] : null,
      });
      res.locals.principal = principal;
      next();
    } catch (e) {
      if (!(e instanceof AuthError)) return next(e);
      // The reason is logged (never the credential); the client gets the same short message.
      logger.info({ reason: e.message, ip: req.ip }, 'GraphQL request refused: not authenticated');
      res.setHeader('WWW-Authenticate', 'Bearer realm="c360"');
      res.status(e.httpStatus).json({ errors: [{ message: e.message, extensions: { code: e.code } }] });
    }
  };
}
