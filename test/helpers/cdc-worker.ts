/**
 * Runs test/helpers/cdc-worker-process.ts as a child process (so a test can
 * SIGKILL it) and reads its graph over HTTP while it runs.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { GraphDump } from './graph-dump';
import { testEndpoints } from './infra';
import { uniqueName } from './unique';

export interface CdcWorkerChild {
  readonly ready: Promise<string>;
  readonly exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
  dump(): Promise<GraphDump>;
  output(): string;
}

/** Environment of one test's worker: its own topics, group and data directory. */
export function cdcWorkerEnv(
  cdcPrefix: string,
  dataDir: string,
  groupId = uniqueName('cdc-group'),
): Record<string, string> {
  return {
    C360_KAFKA_BROKERS: testEndpoints().kafka.brokers.join(','),
    C360_DATA_DIR: dataDir,
    C360_CDC_PREFIX: cdcPrefix,
    C360_TOPIC_CLICKSTREAM: `${cdcPrefix}-clickstream`,
    C360_TOPIC_TELEMETRY: `${cdcPrefix}-telemetry`,
    C360_TOPIC_DLQ: `${cdcPrefix}-dlq`,
    C360_TOPIC_ACTIONS: `${cdcPrefix}-actions`,
    C360_KAFKA_TOPIC_PARTITIONS: '1',
    C360_KAFKA_ACTIONS_PARTITIONS: '1',
    C360_KAFKA_GROUP_ID: groupId,
    // A new table's first change creates its topic; look for it often.
    C360_KAFKA_TOPIC_REFRESH_MS: '1000',
    // The broker's minimum: a killed worker's partitions are reassigned soon.
    C360_KAFKA_SESSION_TIMEOUT_MS: '6000',
    C360_TEST_CDC_ALIAS: 'crm',
    C360_LOG_LEVEL: process.env['C360_TEST_WORKER_LOG'] ?? 'warn',
  };
}

export function spawnCdcWorker(env: Readonly<Record<string, string>>): CdcWorkerChild {
  const root = join(__dirname, '..', '..');
  // tsx as a loader of this node process: the tsx CLI would run the script in a grandchild SIGKILL misses.
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'cdc-worker-process.ts')], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const m = /READY (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.stderr.on('data', (d: Buffer) => {
      out = (out + d.toString('utf8')).slice(-20_000);
    });
    void exited.then((code) => reject(new Error(`cdc worker exited (${code}) before it was ready:\n${out}`)));
  });
  ready.catch(() => undefined);
  return {
    ready,
    exited,
    kill: (signal) => {
      child.kill(signal);
    },
    async dump() {
      const url = await ready;
      const res = await fetch(`${url}/graph-dump`);
      if (!res.ok) throw new Error(`graph-dump: HTTP ${res.status}`);
      return (await res.json()) as GraphDump;
    },
    output: () => out,
  };
}
