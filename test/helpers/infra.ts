/**
 * What integration tests need from the servers that test/setup's globalSetup
 * started (or that C360_INFRA=external points at): endpoints and a few
 * kafkajs-testHelpers-style conveniences. Tests build their own clients from
 * these endpoints and close them in afterAll.
 */
import { Kafka, logLevel } from 'kafkajs';
import { createInfraConfig, type InfraEndpoints, infraEndpoints } from '../../scripts/infra';
import { uniqueName, uniqueTopic } from './unique';

/** The endpoints of the servers the integration tests run against. */
export function testEndpoints(): InfraEndpoints {
  return infraEndpoints(createInfraConfig(process.env));
}

/** A kafkajs client for tests; quiet unless C360_TEST_KAFKA_LOG is set. */
export function createTestKafka(clientId = uniqueName('test-client')): Kafka {
  return new Kafka({
    clientId,
    brokers: [...testEndpoints().kafka.brokers],
    logLevel: process.env['C360_TEST_KAFKA_LOG'] ? logLevel.INFO : logLevel.NOTHING,
  });
}

/** Creates a topic (a unique one unless named) and waits until its leaders are elected; returns its name. */
export async function createTopic({
  topic = uniqueTopic(),
  partitions = 1,
  config = {},
}: {
  topic?: string;
  partitions?: number;
  config?: Record<string, string>;
} = {}): Promise<string> {
  const admin = createTestKafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: partitions,
          replicationFactor: 1,
          configEntries: Object.entries(config).map(([name, value]) => ({ name, value })),
        },
      ],
    });
    return topic;
  } finally {
    await admin.disconnect();
  }
}
