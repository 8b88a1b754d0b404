/**
 * Dead letters can be worked (issue 19 item 7): `c360 dead-letters list|show|replay`
 * on the embedded store, with filters by reason and time. A letter whose cause was
 * fixed is applied on replay; one that is still bad is dead-lettered again (a new
 * letter with its reason) and never lost; a replayed letter is not replayed twice.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedStore } from '../../../services/graph';
import { runC360 } from '../../helpers/c360-process';

const c360 = (args: string[]) => runC360(args, { C360_LOG_LEVEL: 'silent' });

const lines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('c360 dead-letters', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'c360-dlq-cli-'));
    const event = {
      type: 'identify',
      messageId: 'dl-fixed-1',
      userId: 'dl-C1',
      timestamp: '2026-11-01T09:00:00.000Z',
      traits: { email: 'dl@example.com' },
    };
    const letters = [
      // Its cause has since been fixed: replay applies it.
      {
        at: Date.parse('2026-11-01T09:00:01Z'),
        code: 'UNMAPPED_TABLE',
        message: 'no mapping (then)',
        position: { source: 'segment', transport: 'http', index: 0 },
        originalBase64: Buffer.from(JSON.stringify(event)).toString('base64'),
      },
      // Still bad: dead-lettered again on replay.
      {
        at: Date.parse('2026-11-02T09:00:00Z'),
        code: 'INVALID_JSON',
        message: 'not JSON',
        position: { source: 'segment', transport: 'http', index: 0 },
        originalBase64: Buffer.from('{not json').toString('base64'),
      },
    ];
    writeFileSync(join(dir, 'dead-letters.ndjson'), `${letters.map((l) => JSON.stringify(l)).join('\n')}\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists with filters, shows one with its original bytes, replays, and never replays twice', async () => {
    const all = lines((await c360(['dead-letters', 'list', '--data-dir', dir])).stdout);
    expect(all.map((l) => [l.reason, l.replayedAt])).toEqual([
      ['UNMAPPED_TABLE', null],
      ['INVALID_JSON', null],
    ]);
    const recent = lines((await c360(['dead-letters', 'list', '--data-dir', dir, '--since', '2026-11-02'])).stdout);
    expect(recent.map((l) => l.reason)).toEqual(['INVALID_JSON']);

    const shown = await c360(['dead-letters', 'show', String(all[0].id), '--data-dir', dir]);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      reason: 'UNMAPPED_TABLE',
      original: expect.stringContaining('dl-C1'),
    });

    const replay = await c360(['dead-letters', 'replay', '--data-dir', dir]);
    expect({ code: replay.code, stderr: replay.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(replay.stdout)).toEqual({ replayed: 2, applied: 1, deadLetteredAgain: 1, skipped: 0 });

    const store = await createEmbeddedStore({ path: join(dir, 'graph') });
    try {
      expect((await store.getVertices(['Customer:dl-C1']))[0]?.props.email).toBe('dl@example.com');
    } finally {
      await store.close();
    }
    const after = lines((await c360(['dead-letters', 'list', '--data-dir', dir])).stdout);
    expect(after.map((l) => [l.reason, l.replayedAt === null])).toEqual([
      ['UNMAPPED_TABLE', false],
      ['INVALID_JSON', false],
      // The still-bad one, dead-lettered again: nothing is lost.
      ['INVALID_JSON', true],
    ]);
    // A second replay takes only what was not replayed yet: the new letter.
    expect(JSON.parse((await c360(['dead-letters', 'replay', '--data-dir', dir])).stdout)).toEqual({
      replayed: 1,
      applied: 0,
      deadLetteredAgain: 1,
      skipped: 0,
    });
  }, 120_000);

  it('an unknown id is one clear line', async () => {
    const r = await c360(['dead-letters', 'show', 'nope', '--data-dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^c360: .*no dead letter nope/);
  }, 60_000);
});
