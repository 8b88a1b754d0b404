/**
 * The dead-letter trap of issue 21, against the real broker: a batch of letters larger
 * than the topic's max.message.bytes used to go out as one produce request, which the
 * broker refuses for good (MESSAGE_TOO_LARGE) — the partition was retried forever. The
 * sink now sends size-bounded requests and truncates an original too large for one
 * record, marking its full size. The topic here has a small limit so the test is quick;
 * the default bound sits under the broker's default 1 MiB the same way.
 */
import type { Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { DeadLetter } from '../../ingest';
import { createKafkaDeadLetterSink, HEADERS, headerText } from '../../services/kafka';
import { createTopic } from '../helpers/infra';
import { connectProducer, testKafka } from '../helpers/kafka-test-kit';
import { uniqueName, uniqueTopic } from '../helpers/unique';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(120_000);

let kafka: Kafka;
let producer: Producer;
beforeAll(async () => {
  kafka = testKafka();
  producer = await connectProducer(kafka);
});
afterAll(async () => {
  await producer?.disconnect();
});

const TOPIC_LIMIT = 64 * 1024;

function letter(i: number, bytes: number): DeadLetter {
  return {
    at: Date.now(),
    code: 'BAD_JSON',
    message: `letter ${i}`,
    position: { source: 'cdc', transport: 'kafka', topic: 'c360.shop.orders', partition: 0, offset: String(i) },
    originalBase64: Buffer.alloc(bytes, 0x61 + (i % 26)).toString('base64'),
  };
}

async function readTopic(topic: string, expected: number): Promise<KafkaMessage[]> {
  const consumer: Consumer = kafka.consumer({ groupId: uniqueName('c360-dlq-size-reader') });
  const seen: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message);
      },
    });
    await waitFor(() => seen.length >= expected, { description: `${expected} records on ${topic}`, timeoutMs: 30_000 });
    return seen;
  } finally {
    await consumer.disconnect();
  }
}

test('a batch of letters over the topic limit is delivered in bounded requests; an oversized original is truncated and marked', async () => {
  const topic = await createTopic({
    topic: uniqueTopic('c360-dlq-size'),
    config: { 'max.message.bytes': String(TOPIC_LIMIT) },
  });
  const letters = [...Array.from({ length: 40 }, (_, i) => letter(i, 4_000)), letter(40, 200_000)];

  // The trap: one request with every letter is refused by the broker, for good.
  const unbounded = createKafkaDeadLetterSink(producer, topic, { maxRequestBytes: Number.MAX_SAFE_INTEGER });
  const refused = await unbounded.write(letters).catch((e: unknown) => e);
  expect(refused).toMatchObject({ name: 'KafkaUnavailableError', retriable: false });
  expect(String((refused as Error).message)).toMatch(/too large|larger than/i);

  const sink = createKafkaDeadLetterSink(producer, topic, { maxRequestBytes: TOPIC_LIMIT - 4 * 1024 });
  await sink.write(letters);
  await sink.close();
  const records = await readTopic(topic, letters.length);
  expect(records).toHaveLength(letters.length);
  const offsets = records.map((r) => headerText(r.headers, HEADERS.originalOffset));
  expect(offsets).toEqual(letters.map((l) => l.position.offset));
  for (const r of records.slice(0, 40)) {
    expect(r.value?.length).toBe(4_000);
    expect(headerText(r.headers, HEADERS.originalBytes)).toBeNull();
  }
  const big = records[40];
  expect(headerText(big.headers, HEADERS.originalBytes)).toBe('200000');
  expect(headerText(big.headers, HEADERS.reason)).toBe('BAD_JSON');
  expect(big.value?.length).toBeGreaterThan(TOPIC_LIMIT / 2);
  expect(big.value?.length).toBeLessThan(TOPIC_LIMIT);
  expect(big.value?.equals(Buffer.alloc(big.value.length, 0x61 + (40 % 26)))).toBe(true);
});
