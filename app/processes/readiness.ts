import type { Readiness } from '../../api';

/** Readiness of several parts: ready when all are, with every reason. */
export function combineReadiness(...parts: (() => Readiness)[]): () => Readiness {
  return () => {
    const states = parts.map((p) => p());
    return { ready: states.every((s) => s.ready), reasons: states.flatMap((s) => [...s.reasons]) };
  };
}
