/**
 * The Debezium connectors c360 ships, as JSON files in ./connectors with
 * `${name}` placeholders that are filled from `ConnectConfig` when applied.
 * Placeholders this module does not know (Kafka Connect config providers,
 * e.g. `${file:/run/secrets/pg:password}`) are left for Connect to resolve,
 * so a password need not pass through c360 at all.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../graph-schema';
import type { ConnectConfig } from './connect-config';

export interface ConnectorDefinition {
  /** Appended to the connector prefix to name the connector. */
  readonly id: string;
  readonly file: string;
  readonly description: string;
}

export const CONNECTOR_DEFINITIONS: readonly ConnectorDefinition[] = [
  {
    id: 'crm',
    file: 'crm.json',
    description: 'CRM tables, JSON with the schema wrapper (exact decimals and temporal types from the schema)',
  },
  {
    id: 'crm-schemaless',
    file: 'crm-schemaless.json',
    description: 'CRM tables, bare JSON payloads (smaller records; decimals as strings, times in ms)',
  },
];

/** `apply` with no name applies only this one: two connectors on one prefix would write every change twice. */
export const DEFAULT_CONNECTOR_ID = 'crm';

export interface ResolvedConnector {
  readonly name: string;
  readonly definition: ConnectorDefinition;
  /** The config to PUT; holds the password. */
  readonly config: Readonly<Record<string, string>>;
  readonly slotName: string;
  readonly publicationName: string;
  readonly topicPrefix: string;
}

export interface ConnectorOverrides {
  /** Full connector name (tests use unique ones); default `<connectorPrefix>-<id>`. */
  readonly name?: string;
  /** Extra or replaced config entries (e.g. `snapshot.mode`). */
  readonly extra?: Readonly<Record<string, string>>;
}

export function findDefinition(id: string): ConnectorDefinition {
  const d = CONNECTOR_DEFINITIONS.find((c) => c.id === id);
  if (!d) {
    throw new ConfigError(
      'connector',
      `unknown connector '${id}'; known: ${CONNECTOR_DEFINITIONS.map((c) => c.id).join(', ')}`,
    );
  }
  return d;
}

/** Slot and publication names are PostgreSQL identifiers: lower case, digits, underscores. */
export function slotNameFor(connectorName: string): string {
  return connectorName
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 63);
}

export function resolveConnector(
  definition: ConnectorDefinition,
  config: ConnectConfig,
  overrides: ConnectorOverrides = {},
): ResolvedConnector {
  const name = overrides.name ?? `${config.connectorPrefix}-${definition.id}`;
  const slotName = slotNameFor(name);
  const publicationName = `${slotName}_pub`.slice(0, 63);
  const values: Record<string, string> = {
    'postgres.host': config.postgres.host,
    'postgres.port': String(config.postgres.port),
    'postgres.database': config.postgres.database,
    'postgres.user': config.postgres.user,
    'postgres.password': config.postgres.password,
    'cdc.prefix': config.cdcPrefix,
    'crm.schema': config.crmSchema,
    'slot.name': slotName,
    'publication.name': publicationName,
  };
  const raw = JSON.parse(readFileSync(join(__dirname, 'connectors', definition.file), 'utf8')) as Record<
    string,
    unknown
  >;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') {
      throw new ConfigError(`connectors/${definition.file}`, `'${key}' must be a string (Connect configs are strings)`);
    }
    out[key] = value.replace(/\$\{([a-z.]+)\}/g, (whole, placeholder: string) =>
      Object.hasOwn(values, placeholder) ? values[placeholder] : whole,
    );
  }
  Object.assign(out, overrides.extra ?? {});
  return {
    name,
    definition,
    config: out,
    slotName,
    publicationName,
    topicPrefix: out['topic.prefix'] ?? config.cdcPrefix,
  };
}

/** The config as it may be printed or logged. */
export function redactConnectorConfig(config: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) out[k] = /password|secret/i.test(k) ? '***' : v;
  return out;
}
