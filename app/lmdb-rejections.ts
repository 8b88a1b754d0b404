/**
 * lmdb-js rejects one internal promise of a failed commit that nobody can reach (besides the
 * promise the caller awaits, which the stores turn into a retriable error). Unhandled, that
 * duplicate killed the hub on a full disk, and again on every write after a restart: a crash
 * loop over a condition the stores handle. Only those duplicates — errors carrying lmdb's
 * `commitError` — are absorbed here; any other unhandled rejection still ends the process as
 * Node's default would (rethrown as an uncaught exception) unless someone else listens.
 */
import type { Logger } from 'pino';

let installed = false;

export function absorbLmdbCommitDuplicates(logger: Logger): void {
  if (installed) return;
  installed = true;
  process.on('unhandledRejection', (reason) => {
    const commitError = (reason as { commitError?: Promise<unknown> } | null)?.commitError;
    if (reason instanceof Error && commitError && typeof commitError.then === 'function') {
      commitError.catch(() => undefined);
      logger.debug({ err: reason }, 'lmdb: duplicate rejection of a failed commit (already handled by its caller)');
      return;
    }
    // Node's default for everything else (another listener, if any, has its own say).
    if (process.listenerCount('unhandledRejection') === 1) throw reason;
  });
}
