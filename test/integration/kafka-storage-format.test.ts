/**
 * Issue 25 end to end: the provisioned Kafka's own StorageTool formats a scratch log directory
 * with a cluster id that starts with "-" (one id in 64 did before the fix, and the tool read it
 * as an option). Runs the real tool from the cached Kafka jars; no broker is started.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInfraConfig } from '../../scripts/infra';
import { moduleDirs, provisionModules } from '../../scripts/infra/maven';
import { formatKafkaStorage, kafkaServer, serverProperties } from '../../scripts/infra/servers/kafka';
import { findJava } from '../../scripts/infra/tools';
import { makeTempDir, type TempDir } from '../helpers/unique';

jest.setTimeout(120_000);

const config = createInfraConfig(process.env);
const kafkaModule = kafkaServer.module!;
let dir: TempDir;

beforeAll(async () => {
  // A no-op when globalSetup provisioned Kafka (local mode); with C360_INFRA=external it fetches the jars.
  await provisionModules(config.cacheDir, [kafkaModule], () => undefined);
  dir = await makeTempDir('c360-kafka-format-');
});

afterAll(async () => {
  await dir.cleanup();
});

it('formats storage with a cluster id that starts with "-"', () => {
  // 0xf8… encodes to "-" followed by 21 more base64url characters: a valid 16-byte Kafka Uuid.
  const clusterId = Buffer.from('f8a1b2c3d4e54f608a1b2c3d4e5f6071', 'hex').toString('base64url');
  expect(clusterId.startsWith('-')).toBe(true);
  const properties = join(dir.path, 'server.properties');
  writeFileSync(properties, serverProperties(dir.path, '127.0.0.1:9092'));
  const { java } = findJava(config.javaHome);
  const result = formatKafkaStorage(java, moduleDirs(config.cacheDir, kafkaModule).jars, properties, clusterId);
  expect({ status: result.status, output: result.output }).toEqual({ status: 0, output: expect.any(String) });
  const meta = readFileSync(join(dir.path, 'kraft-logs', 'meta.properties'), 'utf8');
  expect(meta).toContain(`cluster.id=${clusterId}`);
});
