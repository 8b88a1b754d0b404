import express, { type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

export interface Readiness {
  readonly ready: boolean;
  /** Why not ready (store not opened, consumer not joined, draining, …); empty when ready. */
  readonly reasons: readonly string[];
}

export interface OperationsOptions {
  readonly registry: Registry;
  readonly readiness: () => Readiness;
  readonly logger: Logger;
}

/**
 * Liveness, readiness and metrics for orchestrators and Prometheus. Liveness
 * says only that the process answers: restarting a live process because a
 * dependency is down would not help, so dependencies belong to readiness.
 */
export function createOperationsRouter({ registry, readiness, logger }: OperationsOptions): express.Router {
  const router = express.Router();
  router.get('/healthz', (_req: Request, res: Response) => {
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).json({ status: 'ok' });
  });
  router.get('/readyz', (_req: Request, res: Response) => {
    res.setHeader('Cache-Control', 'no-store');
    let state: Readiness;
    try {
      state = readiness();
    } catch (err) {
      logger.error({ err }, 'readiness check failed');
      state = { ready: false, reasons: ['readiness check failed'] };
    }
    res
      .status(state.ready ? 200 : 503)
      .json({ status: state.ready ? 'ready' : 'not ready', reasons: [...state.reasons] });
  });
  router.get('/metrics', async (_req: Request, res: Response) => {
    res.setHeader('Content-Type', registry.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.send(await registry.metrics());
  });
  return router;
}
