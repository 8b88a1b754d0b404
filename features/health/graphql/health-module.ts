/**
 * Customer.health served from the proactive-care state (services/health): the
 * persisted, hold-damped status per device rolled up to the customer, instead
 * of the base schema's interim derivation from device properties.
 */

import type { CustomerView } from '../../../api/graphql/resolvers';
import type { GraphQLModule } from '../../../api/http-app';
import { healthPolicy } from './health-policy';

type Status = 'GREEN' | 'AMBER' | 'RED';

/** Structural view of services/health's CustomerHealthView: the API depends on no service implementation. */
export interface CustomerHealthRecord {
  readonly status: Status | 'UNKNOWN';
  readonly since: number | null;
  readonly reasons: readonly string[];
  readonly devices: readonly {
    readonly id: string;
    readonly status: Status;
    readonly since: number | null;
    readonly reasons: readonly string[];
    readonly pending: { readonly status: Status; readonly since: number } | null;
    readonly evidence: readonly {
      readonly ts: number;
      readonly seq: string;
      readonly values: Record<string, number>;
    }[];
  }[];
}

export interface HealthReader {
  /** By vertex id, `Customer:<key>`. */
  customer(customerId: string): Promise<CustomerHealthRecord>;
}

const typeDefs = /* GraphQL */ `
  extend type Health {
    "Since when (event time) the customer has been at this status; null when no device has reported."
    since: DateTime
    "Each reporting device's own health, ordered by id."
    devices: [DeviceHealth!]!
  }

  "One device's health as the proactive-care rules see it."
  type DeviceHealth {
    "Device id: Device:<key>."
    id: ID!
    "The device's status; a change takes effect only after it has held for the configured hold time."
    status: HealthStatus!
    "Since when (event time) the device has shown this status."
    since: DateTime
    "Why, one line per rule that fires."
    reasons: [String!]!
    "A different status seen in the latest readings but not held long enough yet."
    pending: HealthStatus
    "The readings the firing rules looked at."
    evidence: [HealthReading!]!
  }

  "One telemetry reading kept as evidence."
  type HealthReading {
    "Event time of the reading."
    at: DateTime!
    "The producer's sequence number, when it sends one."
    seq: String
    "The numeric indicators of the reading."
    indicators: JSON!
  }
`;

export function createHealthModule(deps: { readonly health: HealthReader }): GraphQLModule {
  return {
    name: 'health',
    policy: healthPolicy,
    typeDefs,
    resolvers: {
      Customer: {
        health: (view: CustomerView) =>
          view.anonymous
            ? { status: 'UNKNOWN', since: null, reasons: [], devices: [] }
            : deps.health.customer(view.root.id),
      },
      DeviceHealth: {
        pending: (d: CustomerHealthRecord['devices'][number]) => d.pending?.status ?? null,
        evidence: (d: CustomerHealthRecord['devices'][number]) =>
          d.evidence.map((r) => ({ at: r.ts, seq: r.seq === '' ? null : r.seq, indicators: r.values })),
      },
    },
  };
}
