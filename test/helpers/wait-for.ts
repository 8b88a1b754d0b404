/**
 * Polls until a condition holds — the replacement for sleeps in tests
 * (kafkajs testHelpers `waitFor`). `fn` succeeds by returning a value other
 * than false/undefined/null; throwing counts as "not yet" and the last error is
 * reported if time runs out.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitForOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /** Names the condition in the timeout error. */
  readonly description?: string;
}

export class WaitForTimeoutError extends Error {
  override name = 'WaitForTimeoutError';
}

export async function waitFor<T>(
  fn: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 50, description = 'condition' }: WaitForOptions = {},
): Promise<Exclude<T, false | null | undefined>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== false && value !== undefined && value !== null)
        return value as Exclude<T, false | null | undefined>;
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const why = lastError === undefined ? '' : `; last error: ${(lastError as Error).message ?? String(lastError)}`;
      throw new WaitForTimeoutError(`waitFor: ${description} not met within ${timeoutMs} ms${why}`, {
        cause: lastError,
      });
    }
    await sleep(intervalMs);
  }
}
