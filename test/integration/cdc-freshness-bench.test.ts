/**
 * The CDC freshness bench against the real PostgreSQL + Kafka Connect + Kafka:
 * samples are measured while a paced background load commits row changes
 * through a second connection, and everything the scenario created is gone.
 */
import { Client } from 'pg';
import { cdcFreshnessScenario } from '../../scripts/bench/cdc-freshness';
import { testEndpoints } from '../helpers/infra';

jest.setTimeout(300_000);

describe('cdcFreshnessScenario under background load', () => {
  it('measures every sample, commits the load at its target rate and cleans up', async () => {
    const endpoints = testEndpoints();
    const pg = new Client({ connectionString: endpoints.postgres.connectionString });
    await pg.connect();
    const benchSchemas = async () =>
      (
        await pg.query<{ name: string }>(`SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE 'crm_bench_%'`)
      ).rows.map((r) => r.name);
    try {
      const before = await benchSchemas();
      const result = await cdcFreshnessScenario({
        samples: 3,
        warmup: 2,
        loadRowsPerSecond: 50,
        loadRows: 100,
        loadSettleMs: 500,
        kafkaBrokers: endpoints.kafka.brokers,
        connectUrl: endpoints.connect.url,
        postgresUrl: endpoints.postgres.connectionString,
      });
      expect(result).toMatchObject({
        name: 'cdc-freshness',
        params: { load: 'background', targetRowChangesPerSecond: 50, loadRows: 100 },
        metrics: { samples: 3, loadFailedRows: 0 },
      });
      expect(result.metrics.p50Ms).toBeGreaterThan(0);
      expect(result.metrics.maxMs).toBeGreaterThanOrEqual(result.metrics.p99Ms);
      // 50 single-digit-row UPDATEs a second is far below what PostgreSQL commits; a miss is a pacing bug.
      expect(result.metrics.achievedRowChangesPerSecond).toBeGreaterThan(40);
      expect(result.notes.some((n) => n.includes('did not keep up'))).toBe(false);
      // Its schema (and with it the load rows) is dropped; other runs' schemas are not ours to judge.
      const created = (await benchSchemas()).filter((s) => !before.includes(s));
      expect(created).toEqual([]);
    } finally {
      await pg.end();
    }
  });

  it('in throughput mode compares what Debezium delivered with what the worker applied, and names the limit', async () => {
    const endpoints = testEndpoints();
    const result = await cdcFreshnessScenario({
      samples: 0,
      warmup: 2,
      loadRowsPerSecond: 200,
      loadRows: 100,
      loadSettleMs: 1000,
      throughputSeconds: 3,
      kafkaBrokers: endpoints.kafka.brokers,
      connectUrl: endpoints.connect.url,
      postgresUrl: endpoints.postgres.connectionString,
    });
    expect(result).toMatchObject({ name: 'cdc-throughput', params: { targetRowChangesPerSecond: 200, seconds: 3 } });
    const m = result.metrics as Record<string, number>;
    // 200 rows/s is far below every layer's limit: each passes on about what it was given.
    expect(m.committedRowsPerSecond).toBeGreaterThan(150);
    expect(m.debeziumRowsPerSecond).toBeGreaterThan(0.6 * m.committedRowsPerSecond);
    expect(m.workerRowsPerSecond).toBeGreaterThan(0.6 * m.debeziumRowsPerSecond);
    expect(m.limitIsWorker + m.limitIsDebezium).toBeLessThanOrEqual(1);
    expect(result.notes.some((n) => n.startsWith('limit: '))).toBe(true);
  });
});
