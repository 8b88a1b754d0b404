/**
 * Apply, inspect and remove c360's Debezium connectors: what `c360 connectors`
 * runs, and what tests and benchmarks call directly.
 */

import type { ConnectConfig } from './connect-config';
import { ConnectError } from './connect-error';
import {
  CONNECTOR_DEFINITIONS,
  type ConnectorOverrides,
  findDefinition,
  type ResolvedConnector,
  resolveConnector,
  slotNameFor,
} from './connector-definitions';
import type { ConnectorState, ConnectorStatus, KafkaConnectClient } from './kafka-connect-client';
import { checkCaptureSource, type MappedConnectorOptions, resolveMappedConnector } from './mapped-connector';
import { dropPublication, dropReplicationSlot, withPostgres } from './replication-slot';

export interface ConnectorReport {
  readonly name: string;
  readonly state: ConnectorState | 'MISSING';
  readonly tasks: readonly { readonly id: number; readonly state: ConnectorState; readonly trace?: string }[];
  /** First line of a failed task's or connector's trace. */
  readonly error?: string;
}

export interface ConnectorService {
  apply(id: string, overrides?: ConnectorOverrides): Promise<{ connector: ResolvedConnector; created: boolean }>;
  /**
   * Captures exactly `options.tables` after checking them in PostgreSQL (they exist, REPLICA
   * IDENTITY FULL — or set it with `setReplicaIdentity`); `fixed` lists the tables it set.
   */
  applyMapped(
    options: MappedConnectorOptions & { readonly setReplicaIdentity?: boolean },
  ): Promise<{ connector: ResolvedConnector; created: boolean; fixed: readonly string[] }>;
  /** Resolves once the connector and all its tasks run; throws with the trace if one failed. */
  waitUntilRunning(name: string, timeoutMs?: number): Promise<ConnectorReport>;
  status(name: string): Promise<ConnectorReport>;
  /** Every connector whose name starts with the configured prefix. */
  statusAll(): Promise<ConnectorReport[]>;
  restart(name: string): Promise<void>;
  /** Deletes the connector; with dropSlot also its replication slot and publication. */
  remove(name: string, options?: { dropSlot?: boolean }): Promise<{ deleted: boolean; slotDropped: boolean }>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function report(name: string, status: ConnectorStatus | null): ConnectorReport {
  if (status === null) return { name, state: 'MISSING', tasks: [] };
  const failed = [status.connector, ...status.tasks].find((s) => s.state === 'FAILED' && s.trace);
  return {
    name,
    state: status.connector.state,
    tasks: status.tasks.map((t) => ({ id: t.id, state: t.state, ...(t.trace ? { trace: t.trace } : {}) })),
    ...(failed?.trace ? { error: failed.trace.split('\n')[0] } : {}),
  };
}

export function createConnectorService(config: ConnectConfig, client: KafkaConnectClient): ConnectorService {
  const service: ConnectorService = {
    async apply(id, overrides = {}) {
      const connector = resolveConnector(findDefinition(id), config, overrides);
      const { created } = await client.putConfig(connector.name, connector.config);
      return { connector, created };
    },
    async applyMapped(options) {
      const connector = resolveMappedConnector(config, options);
      const { fixed } = await withPostgres(config.postgres, (pg) =>
        checkCaptureSource(pg, options.tables, { setReplicaIdentity: options.setReplicaIdentity === true }),
      );
      const { created } = await client.putConfig(connector.name, connector.config);
      return { connector, created, fixed };
    },
    async waitUntilRunning(name, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const r = report(name, await client.status(name));
        if (r.state === 'FAILED' || r.tasks.some((t) => t.state === 'FAILED')) {
          throw new ConnectError(`connector ${name} failed: ${r.error ?? 'no trace'}`, {
            status: null,
            code: 'CONNECTOR_FAILED',
          });
        }
        if (r.state === 'RUNNING' && r.tasks.length > 0 && r.tasks.every((t) => t.state === 'RUNNING')) return r;
        if (Date.now() > deadline) {
          throw new ConnectError(`connector ${name} is ${r.state} after ${timeoutMs} ms`, {
            status: null,
            code: 'CONNECTOR_NOT_RUNNING',
          });
        }
        await sleep(250);
      }
    },
    async status(name) {
      return report(name, await client.status(name));
    },
    async statusAll() {
      const names = (await client.list()).filter((n) => n.startsWith(`${config.connectorPrefix}-`));
      return Promise.all(names.map((n) => service.status(n)));
    },
    restart: (name) => client.restart(name),
    async remove(name, options = {}) {
      const deleted = await client.remove(name);
      let slotDropped = false;
      if (options.dropSlot) {
        const slot = slotNameFor(name);
        await withPostgres(config.postgres, async (pg) => {
          slotDropped = await dropReplicationSlot(pg, slot);
          await dropPublication(pg, `${slot}_pub`.slice(0, 63));
        });
      }
      return { deleted, slotDropped };
    },
  };
  return service;
}

export const connectorIds = (): string[] => CONNECTOR_DEFINITIONS.map((d) => d.id);
