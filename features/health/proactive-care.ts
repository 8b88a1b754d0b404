/**
 * Proactive care as one unit a composition root wires in: the device-health
 * monitor and the computed-traits engine over one state store, fed by the
 * pipeline's `onApplied`. The root still owns the action sink, the dead-letter
 * sink and the GraphQL modules (api/graphql/health) built over this.
 */
import type { Logger } from 'pino';
import type { GraphStore } from '../../graph-schema';
import type { AppliedEvents, DeadLetterSink } from '../../ingest';
import type { StateStore } from '../../services/state';
import type { ActionSink } from '../actions';
import { type ComputedTraits, createComputedTraits, type TraitsConfig } from '../traits';
import type { HealthConfig } from './health-config';
import { createHealthMonitor, type HealthMonitor } from './health-monitor';

export interface ProactiveCareDeps {
  readonly store: GraphStore;
  /**
   * Where device health and trait windows live: LMDB in the embedded hub's data dir, the
   * shared graph store in a split deployment (app/wiring decides). Not closed here.
   */
  readonly stateStore: StateStore;
  readonly actions: ActionSink;
  readonly deadLetters: DeadLetterSink;
  readonly logger: Logger;
  readonly health?: HealthConfig;
  readonly traits?: TraitsConfig;
  /** Where a customer's devices are found (see HealthMonitorDeps.devicesOf). */
  readonly devicesOf?: (customerId: string) => Promise<readonly string[]>;
  /** Customers whose computed traits were just written (feed `customerUpdated` subscriptions). */
  readonly onTraitsWritten?: (customerIds: readonly string[]) => void;
}

export interface ProactiveCare {
  readonly health: HealthMonitor;
  readonly traits: ComputedTraits;
  readonly stateStore: StateStore;
  /**
   * Give this to the pipeline (alongside any other listener). Resolves once health and traits
   * have taken these events; rejects if either failed, so they are redelivered, not lost.
   */
  onApplied(applied: AppliedEvents): Promise<void>;
  /** Resolves once everything handed to onApplied so far is evaluated and written. */
  idle(): Promise<void>;
  /** Finish queued work. Close after the pipeline, before the state store and the graph store. */
  close(): Promise<void>;
}

export function createProactiveCare(deps: ProactiveCareDeps): ProactiveCare {
  const { stateStore } = deps;
  const health = createHealthMonitor({
    stateStore,
    store: deps.store,
    actions: deps.actions,
    deadLetters: deps.deadLetters,
    logger: deps.logger,
    ...(deps.health ? { config: deps.health } : {}),
    ...(deps.devicesOf ? { devicesOf: deps.devicesOf } : {}),
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
    async onApplied(applied) {
      await Promise.all([health.onApplied(applied), traits.onApplied(applied)]);
    },
    async idle() {
      await Promise.all([health.idle(), traits.idle()]);
    },
    // The state store belongs to whoever opened it (app/wiring); it closes it after this.
    async close() {
      await Promise.all([health.close(), traits.close()]);
    },
  };
}
