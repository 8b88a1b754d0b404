/**
 * Dead letters can be worked by admins over GraphQL (issue 19 item 7), on the hub: list
 * with filters, show one with its original bytes, replay — a letter that is still bad is
 * dead-lettered again and never lost, a TOO_LATE letter replays from its wire bytes —
 * and every other role is refused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createConfig } from '../../../app/config';
import { type Hub, startHub } from '../../../app/processes';
import { API_KEYS, TEST_API_KEYS } from './api-harness';

const WRITE_KEY = 'dead-letters-gql-key';
const T0 = Date.UTC(2026, 10, 20, 8, 0, 0);
const MIN = 60_000;

interface Letter {
  id: string;
  reason: string;
  source: string;
  original: string | null;
  position: { index?: number };
  replayedAt: string | null;
}

describe('dead letters over GraphQL for admins', () => {
  let hub: Hub;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'c360-dead-letters-gql-'));
    const config = createConfig(
      { dataDir: dir, port: 0, writeKeys: [WRITE_KEY], apiKeys: [...TEST_API_KEYS], logLevel: 'silent' },
      {},
    );
    hub = await startHub(config, { logger: pino({ level: 'silent' }) });
  });
  afterAll(async () => {
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = async (body: unknown) => {
    const res = await fetch(`${hub.url}/v1/telemetry`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`,
      },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
  };
  const gql = async <T>(key: string, query: string, variables: Record<string, unknown> = {}) => {
    const res = await fetch(`${hub.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as { data?: T; errors?: { extensions?: { code?: string } }[] };
  };
  const reading = (min: number, packetErrors: number) => ({
    deviceId: 'dlg-rtr',
    entityId: 'dlg-C1',
    timestamp: new Date(T0 + min * MIN).toISOString(),
    seq: min,
    indicators: { packetErrors, signalDbm: -45, uptimeSec: 100_000 + min * 60 },
  });
  const LIST = `query($reason: String, $since: DateTime) {
    deadLetters(reason: $reason, since: $since) { id reason source original position replayedAt }
  }`;

  it('dead letters can be worked: an admin lists, shows and replays; still-bad letters stay, TOO_LATE ones decode', async () => {
    // One invalid reading (no timestamp) and, after the router's newest at minute 40, one 30 minutes too late.
    await post({ readings: [reading(0, 1), { deviceId: 'dlg-rtr', indicators: { packetErrors: 1 } }] });
    await post(reading(40, 1));
    await post(reading(10, 300));

    const all = await gql<{ deadLetters: Letter[] }>(API_KEYS.admin, LIST);
    expect(all.errors).toBeUndefined();
    expect(all.data?.deadLetters.map((l) => [l.reason, l.source, l.replayedAt])).toEqual([
      ['MISSING_FIELD', 'telemetry', null],
      ['TOO_LATE', 'telemetry', null],
    ]);
    const [missing, late] = all.data?.deadLetters ?? [];
    expect(missing.position.index).toBe(1);
    // The original bytes of each reading (the endpoint takes a batch apart, keeping each reading's index).
    expect(JSON.parse(missing.original ?? '')).toEqual({ deviceId: 'dlg-rtr', indicators: { packetErrors: 1 } });
    expect(JSON.parse(late.original ?? '')).toEqual(reading(10, 300));

    const filtered = await gql<{ deadLetters: Letter[] }>(API_KEYS.admin, LIST, { reason: 'TOO_LATE' });
    expect(filtered.data?.deadLetters.map((l) => l.id)).toEqual([late.id]);
    const future = await gql<{ deadLetters: Letter[] }>(API_KEYS.admin, LIST, { since: '2100-01-01T00:00:00Z' });
    expect(future.data?.deadLetters).toEqual([]);
    const one = await gql<{ deadLetter: Letter }>(
      API_KEYS.admin,
      'query($id: ID!) { deadLetter(id: $id) { id reason } }',
      {
        id: late.id,
      },
    );
    expect(one.data?.deadLetter).toEqual({ id: late.id, reason: 'TOO_LATE' });

    const REPLAY = `mutation($reason: String) {
      replayDeadLetters(reason: $reason) { replayed applied deadLetteredAgain skipped }
    }`;
    const stillBad = await gql<{ replayDeadLetters: unknown }>(API_KEYS.admin, REPLAY, { reason: 'MISSING_FIELD' });
    expect(stillBad.data?.replayDeadLetters).toEqual({ replayed: 1, applied: 0, deadLetteredAgain: 1, skipped: 0 });
    const tooLate = await gql<{ replayDeadLetters: unknown }>(API_KEYS.admin, REPLAY, { reason: 'TOO_LATE' });
    expect(tooLate.data?.replayDeadLetters).toEqual({ replayed: 1, applied: 1, deadLetteredAgain: 0, skipped: 0 });
    const again = await gql<{ replayDeadLetters: unknown }>(API_KEYS.admin, REPLAY, { reason: 'TOO_LATE' });
    expect(again.data?.replayDeadLetters).toEqual({ replayed: 0, applied: 0, deadLetteredAgain: 0, skipped: 0 });

    const after = await gql<{ deadLetters: Letter[] }>(API_KEYS.admin, LIST);
    expect(after.data?.deadLetters.map((l) => [l.reason, l.replayedAt === null])).toEqual([
      ['MISSING_FIELD', false],
      ['TOO_LATE', false],
      // Still bad: a new letter, nothing lost.
      ['MISSING_FIELD', true],
    ]);
  });

  it('only admins: every other role is refused with FORBIDDEN', async () => {
    for (const role of ['agent', 'marketer', 'analyst', 'ingest'] as const) {
      const list = await gql(API_KEYS[role], '{ deadLetters { id } }');
      expect([role, list.errors?.[0]?.extensions?.code]).toEqual([role, 'FORBIDDEN']);
      const replay = await gql(API_KEYS[role], 'mutation { replayDeadLetters { replayed } }');
      expect([role, replay.errors?.[0]?.extensions?.code]).toEqual([role, 'FORBIDDEN']);
    }
  });
});
