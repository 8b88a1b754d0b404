/**
 * A replayed letter that is still bad stays a dead letter, never lost (issue 19 item 7),
 * as a property over generated letter sets and replay counts: after every replay each
 * fixed letter's event is in the graph, each still-bad original has exactly one letter
 * not yet replayed (the newest copy), and no letter is replayed twice.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { createFileDeadLetterArchive, type DeadLetter, replayDeadLetters } from '../../../ingest';
import { createTestPipeline } from '../../helpers/hub-pipeline';

interface Generated {
  readonly good: boolean;
  readonly at: number;
}

const BAD_BYTES = ['{not json', '[]', '{"type":"track","messageId":"no-ids"}', ''];

describe('replaying dead letters', () => {
  let run = 0;
  it('a replayed letter that is still bad stays a dead letter, never lost; a fixed one is applied; none is replayed twice', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ good: fc.boolean(), at: fc.integer({ min: 0, max: 1_000_000 }) }), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.integer({ min: 1, max: 3 }),
        async (generated: Generated[], replays: number) => {
          run++;
          const dir = mkdtempSync(join(tmpdir(), 'c360-dl-replay-'));
          const userOf = (i: number) => `dlr${run}-u${i}`;
          const originals: DeadLetter[] = generated.map((g, i) => ({
            at: Date.UTC(2026, 10, 1) + g.at,
            code: g.good ? 'UNMAPPED_TABLE' : 'INVALID_JSON',
            message: 'generated',
            position: { source: 'segment', transport: 'http', index: i },
            originalBase64: Buffer.from(
              g.good
                ? JSON.stringify({
                    type: 'identify',
                    messageId: `dlr${run}-m${i}`,
                    userId: userOf(i),
                    timestamp: '2026-11-01T09:00:00.000Z',
                    traits: { plan: `p${i}` },
                  })
                : BAD_BYTES[i % BAD_BYTES.length],
            ).toString('base64'),
          }));
          writeFileSync(join(dir, 'dead-letters.ndjson'), originals.map((l) => `${JSON.stringify(l)}\n`).join(''));
          const tp = await createTestPipeline({ dir });
          const archive = createFileDeadLetterArchive(tp.deadLetterPath, join(dir, 'dead-letters.replayed.ndjson'));
          const goods = generated.filter((g) => g.good).length;
          const bads = generated.length - goods;
          try {
            for (let r = 1; r <= replays; r++) {
              const pending = await archive.list({ includeReplayed: false });
              const result = await replayDeadLetters(pending, tp.pipeline, archive);
              expect(result).toEqual({
                replayed: pending.length,
                applied: r === 1 ? goods : 0,
                deadLetteredAgain: bads,
                skipped: 0,
              });
              const all = await archive.list();
              // Every letter ever written is still there; only the newest copy of each bad one is unreplayed.
              expect(all).toHaveLength(generated.length + bads * r);
              expect(all.filter((l) => l.replayedAt === null)).toHaveLength(bads);
              expect(new Set(all.map((l) => l.id)).size).toBe(all.length);
            }
            const ids = generated.flatMap((g, i) => (g.good ? [`Customer:${userOf(i)}`] : []));
            const customers = await tp.store.getVertices(ids);
            expect(customers.every((c) => c !== null)).toBe(true);
          } finally {
            await tp.close();
          }
        },
      ),
      { numRuns: 15 },
    );
  });
});
