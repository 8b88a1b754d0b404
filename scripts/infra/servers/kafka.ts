/**
 * Apache Kafka in KRaft mode: one process that is both broker and controller,
 * storage formatted once with kafka.tools.StorageTool, started with kafka.Kafka
 * — what bin/kafka-server-start.sh does, without the distribution tarball.
 */

import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { localInternalPorts } from '../config';
import { StartError } from '../errors';
import { jvmFlags, markerFlag, type ServerDefinition } from '../server-definition';
import { versions } from '../versions';

const log4jConfig = join(__dirname, '..', 'kafka', 'log4j.properties');

function hostPort(broker: string): { host: string; port: number } {
  const i = broker.lastIndexOf(':');
  return { host: broker.slice(0, i), port: Number(broker.slice(i + 1)) };
}

/** The settings of a single-node KRaft cluster; every replication factor is 1 because there is one broker. */
export function serverProperties(dataDir: string, broker: string): string {
  const { host, port } = hostPort(broker);
  const controller = `${host}:${localInternalPorts.kafkaController}`;
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${controller}`,
    `listeners=PLAINTEXT://${host}:${port},CONTROLLER://${controller}`,
    `advertised.listeners=PLAINTEXT://${host}:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${join(dataDir, 'kraft-logs')}`,
    'num.partitions=1',
    'default.replication.factor=1',
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    // Tests create topics explicitly, but Debezium and kafkajs producers rely on auto-creation like a stock broker.
    'auto.create.topics.enable=true',
    // A joining consumer should not wait 3 s for others that will never come.
    'group.initial.rebalance.delay.ms=0',
    'num.network.threads=2',
    'num.io.threads=4',
    'log.retention.hours=168',
    '',
  ].join('\n');
}

/**
 * A cluster id as `kafka-storage random-uuid` makes it (org.apache.kafka.common.Uuid.randomUuid):
 * a random version-4 UUID in URL-safe base64 without padding, drawn again while it starts with
 * "-", because an id like "-Xy…" is read as an option by command-line parsers (issue 25: one
 * fresh `infra up` in 64 failed with "argument --cluster-id/-t: expected one argument").
 */
export function kafkaClusterId(uuid: () => string = randomUUID): string {
  for (;;) {
    const id = Buffer.from(uuid().replace(/-/g, ''), 'hex').toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/**
 * StorageTool's arguments. Values are attached with "=" so that no value — a cluster id that
 * starts with "-" from an older cache or another tool, a path — can ever be taken for an option.
 */
export function storageFormatArgs(clusterId: string, propertiesFile: string): string[] {
  return ['format', `--cluster-id=${clusterId}`, `--config=${propertiesFile}`];
}

/** Runs `kafka.tools.StorageTool format` once; exported so a test can format a scratch directory. */
export function formatKafkaStorage(
  java: string,
  jarsDir: string,
  propertiesFile: string,
  clusterId: string,
): { status: number | null; output: string } {
  const result = spawnSync(
    java,
    [
      '-Xmx256m',
      `-Dlog4j.configuration=file:${log4jConfig}`,
      '-cp',
      join(jarsDir, '*'),
      'kafka.tools.StorageTool',
      ...storageFormatArgs(clusterId, propertiesFile),
    ],
    { encoding: 'utf8' },
  );
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

export const kafkaServer: ServerDefinition = {
  name: 'kafka',
  title: `Apache Kafka ${versions.kafka} (KRaft)`,
  marker: (cacheDir) => markerFlag('kafka', cacheDir),
  dependsOn: [],
  module: {
    id: `kafka-${versions.kafka}`,
    dependencies: [
      { groupId: 'org.apache.kafka', artifactId: `kafka_${versions.scala}`, version: versions.kafka },
      // The distribution ships this binding in libs/; the kafka pom leaves it out.
      { groupId: 'org.slf4j', artifactId: 'slf4j-reload4j', version: versions.slf4jReload4j },
    ],
  },
  ports: (endpoints) => [
    hostPort(endpoints.kafka.brokers[0]!),
    { host: hostPort(endpoints.kafka.brokers[0]!).host, port: localInternalPorts.kafkaController },
  ],
  startTimeoutMs: 90_000,
  // SIGTERM runs Kafka's shutdown hook: controlled shutdown, logs flushed, clean restart without recovery.
  stopSignal: 'SIGTERM',
  stopGraceMs: 30_000,
  async prepare(ctx) {
    const properties = join(ctx.paths.confDir, 'server.properties');
    mkdirSync(ctx.paths.confDir, { recursive: true });
    writeFileSync(properties, serverProperties(ctx.paths.dataDir, ctx.endpoints.kafka.brokers[0]!));
    if (existsSync(join(ctx.paths.dataDir, 'kraft-logs', 'meta.properties'))) return;
    mkdirSync(ctx.paths.dataDir, { recursive: true });
    const clusterId = kafkaClusterId();
    ctx.log(`formatting Kafka storage (cluster id ${clusterId})`);
    const result = formatKafkaStorage(ctx.java, ctx.lib.jars, properties, clusterId);
    if (result.status !== 0) {
      throw new StartError(
        'kafka',
        `kafka.tools.StorageTool format failed (exit ${result.status}):\n${result.output}`,
        ctx.paths.logFile,
      );
    }
  },
  launch(ctx) {
    const marker = markerFlag('kafka', ctx.cacheDir);
    return {
      command: ctx.java,
      args: [
        ...jvmFlags('1g', marker),
        `-Dlog4j.configuration=file:${log4jConfig}`,
        `-Dkafka.logs.dir=${join(ctx.paths.dataDir, 'server-logs')}`,
        '-cp',
        join(ctx.lib.jars, '*'),
        'kafka.Kafka',
        join(ctx.paths.confDir, 'server.properties'),
      ],
      marker,
    };
  },
  async probe(endpoints) {
    const kafka = new Kafka({
      clientId: 'c360-infra-probe',
      brokers: [...endpoints.kafka.brokers],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 2000,
      requestTimeout: 5000,
      retry: { retries: 0 },
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const topics = await admin.listTopics();
      return `${topics.length} topics`;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  },
};
