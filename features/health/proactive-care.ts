/**
 * Proactive care as one unit a composition root wires in: the device-health
 * monitor and the computed-traits engine over one state store, fed by the
 * pipeline's `onApplied`. The root still owns the action sink, the dead-letter
 * sink and the GraphQL modules (api/graphql/health) built over this.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { GraphStore } from '../../graph-schema';
import type { AppliedEvents, DeadLetterSink } from '../../ingest';
import type { ActionSink } from '../actions';
import { type ComputedTraits, createComputedTraits, type TraitsConfig } from '../traits';
import type { HealthConfig } from './health-config';
import { createHealthMonitor, type HealthMonitor } from './health-monitor';
import { createLmdbStateStore, createMemoryStateStore, type StateStore } from './state-store';

export interface ProactiveCareDeps {
  readonly store: GraphStore;
  /** Embedded mode: the state store lives in `<dataDir>/derived-state`; null keeps it in memory. */
  readonly dataDir: string | null;
  readonly actions: ActionSink;
  readonly deadLetters: DeadLetterSink;
  readonly logger: Logger;
  readonly health?: HealthConfig;
  readonly traits?: TraitsConfig;
  /** Customers whose computed traits were just written (feed `customerUpdated` subscriptions). */
  readonly onTraitsWritten?: (customerIds: readonly string[]) => void;
}

export interface ProactiveCare {
  readonly health: HealthMonitor;
  readonly traits: ComputedTraits;
  readonly stateStore: StateStore;
  /** Give this to the pipeline (alongside any other listener). */
  onApplied(applied: AppliedEvents): void;
  /** Resolves once everything handed to onApplied so far is evaluated and written. */
  idle(): Promise<void>;
  /** Finish queued work, then close the state store. Close after the pipeline, before the graph store. */
  close(): Promise<void>;
}

export function createProactiveCare(deps: ProactiveCareDeps): ProactiveCare {
  const stateStore =
    deps.dataDir === null
      ? createMemoryStateStore()
      : createLmdbStateStore({ path: join(deps.dataDir, 'derived-state') });
  const health = createHealthMonitor({
    stateStore,
    actions: deps.actions,
    deadLetters: deps.deadLetters,
    logger: deps.logger,
    ...(deps.health ? { config: deps.health } : {}),
  });
  const traits = createComputedTraits({
    store: deps.store,
    stateStore,
    deadLetters: deps.deadLetters,
    logger: deps.logger,
    ...(deps.traits ? { config: deps.traits } : {}),
    ...(deps.onTraitsWritten ? { onWritten: deps.onTraitsWritten } : {}),
  });
  return {
    health,
    traits,
    stateStore,
    onApplied(applied) {
      health.onApplied(applied);
      traits.onApplied(applied);
    },
    async idle() {
      await Promise.all([health.idle(), traits.idle()]);
    },
    async close() {
      await Promise.all([health.close(), traits.close()]);
      await stateStore.close();
    },
  };
}
