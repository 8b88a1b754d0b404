/**
 * Kafka Connect as a distributed worker (what bin/connect-distributed.sh runs)
 * with the Debezium PostgreSQL connector plugin unpacked into its plugin.path.
 * Connectors are added through its REST API (`c360 connectors apply`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InfraEndpoints } from '../config';
import { jvmFlags, markerFlag, type ServerDefinition } from '../server-definition';
import { versions } from '../versions';

const log4jConfig = join(__dirname, '..', 'kafka', 'log4j.properties');
export const debeziumPostgresConnectorClass = 'io.debezium.connector.postgresql.PostgresConnector';

function address(endpoints: InfraEndpoints): { host: string; port: number } {
  const url = new URL(endpoints.connect.url);
  return { host: url.hostname, port: Number(url.port || 8083) };
}

function workerProperties(endpoints: InfraEndpoints, pluginPath: string): string {
  const { host, port } = address(endpoints);
  return [
    `bootstrap.servers=${endpoints.kafka.brokers.join(',')}`,
    'group.id=c360-connect',
    // Debezium's envelopes go to Kafka as JSON; each connector may override the converters.
    'key.converter=org.apache.kafka.connect.json.JsonConverter',
    'value.converter=org.apache.kafka.connect.json.JsonConverter',
    'key.converter.schemas.enable=true',
    'value.converter.schemas.enable=true',
    'config.storage.topic=c360-connect-configs',
    'offset.storage.topic=c360-connect-offsets',
    'status.storage.topic=c360-connect-status',
    'config.storage.replication.factor=1',
    'offset.storage.replication.factor=1',
    'status.storage.replication.factor=1',
    'offset.storage.partitions=5',
    'status.storage.partitions=1',
    'offset.flush.interval.ms=2000',
    `listeners=http://${host}:${port}`,
    `rest.advertised.host.name=${host}`,
    `rest.advertised.port=${port}`,
    `plugin.path=${pluginPath}`,
    // Only the Debezium plugin directory is scanned; service-loader discovery keeps startup fast.
    'plugin.discovery=hybrid_warn',
    '',
  ].join('\n');
}

interface ConnectorPlugin {
  readonly class: string;
  readonly type: string;
  readonly version?: string;
}

export const connectServer: ServerDefinition = {
  name: 'connect',
  title: `Kafka Connect ${versions.kafka} + Debezium PostgreSQL ${versions.debezium}`,
  marker: (cacheDir) => markerFlag('connect', cacheDir),
  dependsOn: ['kafka'],
  module: {
    id: `connect-${versions.kafka}-debezium-${versions.debezium}`,
    dependencies: [
      { groupId: 'org.apache.kafka', artifactId: 'connect-runtime', version: versions.kafka },
      { groupId: 'org.slf4j', artifactId: 'slf4j-reload4j', version: versions.slf4jReload4j },
    ],
    unpack: [
      {
        groupId: 'io.debezium',
        artifactId: 'debezium-connector-postgres',
        version: versions.debezium,
        type: 'tar.gz',
        classifier: 'plugin',
      },
    ],
  },
  ports: (endpoints) => [address(endpoints)],
  // The first start creates three internal topics and scans the plugin; on two busy cores that takes a while.
  startTimeoutMs: 180_000,
  stopSignal: 'SIGTERM',
  stopGraceMs: 30_000,
  async prepare(ctx) {
    mkdirSync(ctx.paths.confDir, { recursive: true });
    writeFileSync(
      join(ctx.paths.confDir, 'connect-distributed.properties'),
      workerProperties(ctx.endpoints, ctx.lib.plugins),
    );
  },
  launch(ctx) {
    const marker = markerFlag('connect', ctx.cacheDir);
    return {
      command: ctx.java,
      args: [
        ...jvmFlags('768m', marker),
        `-Dlog4j.configuration=file:${log4jConfig}`,
        '-cp',
        join(ctx.lib.jars, '*'),
        'org.apache.kafka.connect.cli.ConnectDistributed',
        join(ctx.paths.confDir, 'connect-distributed.properties'),
      ],
      marker,
    };
  },
  async probe(endpoints) {
    const response = await fetch(`${endpoints.connect.url}/connector-plugins`, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`GET /connector-plugins: HTTP ${response.status}`);
    const plugins = (await response.json()) as ConnectorPlugin[];
    const debezium = plugins.find((p) => p.class === debeziumPostgresConnectorClass);
    if (!debezium) throw new Error(`GET /connector-plugins does not list ${debeziumPostgresConnectorClass}`);
    return `${debeziumPostgresConnectorClass} ${debezium.version ?? ''}`.trim();
  },
};
