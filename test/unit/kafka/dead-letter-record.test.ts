/**
 * Dead letters can be worked in Kafka mode: what the dead-letter sink writes as a record
 * (original bytes as the value, the key, reason and position as headers) reads back as
 * the same letter, with the same id — so `c360 dead-letters` and the admin's GraphQL see
 * on the topic exactly what the file would hold. A truncated original is listed, never
 * replayed.
 */
import fc from 'fast-check';
import type { KafkaMessage } from 'kafkajs';
import { type DeadLetter, deadLetterId } from '../../../ingest';
import { boundedDeadLetterRecord, fromDeadLetterRecord, toDeadLetterRecord } from '../../../services/kafka';

function asConsumed(record: ReturnType<typeof toDeadLetterRecord>): KafkaMessage {
  const headers = Object.fromEntries(Object.entries(record.headers ?? {}).map(([k, v]) => [k, Buffer.from(String(v))]));
  return {
    key: (record.key as Buffer | null) ?? null,
    value: (record.value as Buffer | null) ?? null,
    headers,
    timestamp: '0',
    attributes: 0,
    offset: '0',
  } as KafkaMessage;
}

const letters: fc.Arbitrary<DeadLetter> = fc.record(
  {
    at: fc.integer({ min: 0, max: 4_102_444_800_000 }),
    code: fc.constantFrom('INVALID_JSON', 'MISSING_FIELD', 'UNMAPPED_TABLE', 'TOO_LATE'),
    message: fc.string({ maxLength: 200 }),
    position: fc.record(
      {
        source: fc.constantFrom('segment' as const, 'cdc' as const, 'telemetry' as const),
        transport: fc.constantFrom('kafka' as const, 'http' as const, 'file' as const),
        topic: fc.stringMatching(/^[a-z][a-z0-9.]{0,20}$/),
        partition: fc.nat(64),
        offset: fc.nat().map(String),
        index: fc.nat(500),
      },
      { requiredKeys: ['source', 'transport'] },
    ),
    originalBase64: fc.option(fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('base64'))),
    originalKeyBase64: fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => Buffer.from(b).toString('base64')),
    eventId: fc.string({ minLength: 1, maxLength: 60 }),
  },
  { requiredKeys: ['at', 'code', 'message', 'position', 'originalBase64'] },
);

describe('dead-letter records on the Kafka topic', () => {
  it('dead letters can be worked in Kafka mode: a record reads back as the letter it was written from, with the same id', () => {
    fc.assert(
      fc.property(letters, (letter) => {
        const back = fromDeadLetterRecord(asConsumed(toDeadLetterRecord(letter)));
        expect(back).toEqual(letter);
        expect(deadLetterId(back)).toBe(deadLetterId(letter));
      }),
      { numRuns: 300 },
    );
  });

  it('a truncated original is listed with its reason and position but has no bytes to replay', () => {
    const letter: DeadLetter = {
      at: 1,
      code: 'INVALID_JSON',
      message: 'too big',
      position: { source: 'segment', transport: 'kafka', topic: 'c360.clickstream', partition: 0, offset: '9' },
      originalBase64: Buffer.alloc(5000, 120).toString('base64'),
    };
    const back = fromDeadLetterRecord(asConsumed(boundedDeadLetterRecord(letter, 2000)));
    expect(back).toMatchObject({ code: 'INVALID_JSON', position: letter.position, originalBase64: null });
    expect(back.message).toContain('5000 bytes truncated');
  });
});
