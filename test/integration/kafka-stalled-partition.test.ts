/**
 * A partition that cannot progress is loud (issue 21): when a batch keeps failing
 * through several pause-and-probe rounds, the worker counts the partition in
 * `c360_kafka_stalled_partitions`, logs that it cannot progress, and names it in
 * readiness; once a batch gets through, the partition is no longer stalled.
 * Real broker; the pipeline is a stand-in that refuses until told otherwise.
 */
import pino from 'pino';
import { Registry } from 'prom-client';
import { C360Error } from '../../graph-schema';
import type { IngestPipeline, SubmitResult } from '../../ingest';
import { createTopic } from '../helpers/infra';
import { connectProducer, testKafka, testWorker, uniqueTopics } from '../helpers/kafka-test-kit';
import { uniqueGroupId } from '../helpers/unique';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(120_000);

test('a partition whose batch keeps failing is reported stalled, with a metric, until it progresses', async () => {
  const topics = uniqueTopics();
  await createTopic({ topic: topics.clickstream });
  await createTopic({ topic: topics.telemetry });
  const kafka = testKafka();
  const producer = await connectProducer(kafka);
  const registry = new Registry();
  const lines: string[] = [];
  let refuse = true;
  let applied = 0;
  const pipeline: IngestPipeline = {
    async submit(messages): Promise<SubmitResult> {
      if (refuse) throw new C360Error('the dead-letter topic refuses the letters', { code: 'STUCK', retriable: false });
      applied += messages.length;
      return { applied: messages.length, duplicates: 0, deadLettered: 0, ignored: 0, rejected: [] };
    },
    flush: async () => undefined,
    close: async () => undefined,
  };
  const worker = testWorker(kafka, uniqueGroupId('c360-stall'), topics, pipeline, registry, {
    pauseMs: 300,
    maxRetries: 0,
    stalledAfterPauses: 3,
    logger: pino({ level: 'error' }, { write: (l: string) => lines.push(l) }),
  });
  const stalled = async () =>
    (await registry.getSingleMetric('c360_kafka_stalled_partitions')?.get())?.values.find(
      (v) => v.labels['group'] !== undefined,
    )?.value ?? 0;
  try {
    await worker.start();
    await producer.send({ topic: topics.clickstream, acks: -1, messages: [{ value: '{"type":"track"}' }] });
    await waitFor(async () => (await stalled()) === 1, {
      description: 'partition counted as stalled',
      timeoutMs: 60_000,
    });
    expect(lines.some((l) => l.includes(`${topics.clickstream}[0] cannot progress`))).toBe(true);
    expect(worker.readiness().reasons.join('\n')).toMatch(/stalled: \d+ pause rounds since/);
    const pauses = (await registry.getSingleMetric('c360_kafka_partition_pauses_total')?.get())?.values[0]?.value;
    expect(pauses).toBeGreaterThanOrEqual(3);

    refuse = false;
    await waitFor(async () => applied === 1 && (await stalled()) === 0, {
      description: 'the partition progressed and is no longer stalled',
      timeoutMs: 60_000,
    });
    await waitFor(() => worker.readiness().ready, { description: 'worker ready again', timeoutMs: 30_000 });
  } finally {
    await worker.stop();
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topics.clickstream, topics.telemetry] }).catch(() => undefined);
    await admin.disconnect();
  }
});
