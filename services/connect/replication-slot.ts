/**
 * Cleanup Debezium leaves to the operator: deleting a connector keeps its
 * replication slot (and the WAL the slot pins) and its publication, so that a
 * re-created connector can resume. `c360 connectors delete --drop-slot` and
 * the tests remove them for good.
 */
import { Client } from 'pg';
import { C360Error } from '../../graph-schema';
import type { PostgresSource } from './connect-config';

export class ReplicationSlotError extends C360Error {
  override name = 'ReplicationSlotError';
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'REPLICATION_SLOT', retriable: true, cause });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function withPostgres<T>(source: PostgresSource, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({
    host: source.local.host,
    port: source.local.port,
    database: source.database,
    user: source.user,
    password: source.password,
  });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Drops the slot once its walsender is gone. A deleted connector's task may
 * still hold the slot for a moment; after `timeoutMs` its backend is terminated.
 * Returns false when there was no such slot.
 */
export async function dropReplicationSlot(
  client: Client,
  slotName: string,
  { timeoutMs = 15_000 }: { timeoutMs?: number } = {},
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await client.query<{ active_pid: number | null }>(
      'SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1',
      [slotName],
    );
    if (rows.length === 0) return false;
    const pid = rows[0].active_pid;
    if (pid === null) {
      try {
        await client.query('SELECT pg_drop_replication_slot($1)', [slotName]);
        return true;
      } catch (e) {
        // Taken again between the two statements (a restarting task): look again.
        if (Date.now() > deadline) throw new ReplicationSlotError(`dropReplicationSlot: ${slotName} stays in use`, e);
      }
    } else if (Date.now() > deadline) {
      await client.query('SELECT pg_terminate_backend($1)', [pid]);
    }
    await sleep(200);
  }
}

export async function dropPublication(client: Client, publicationName: string): Promise<void> {
  // Identifiers cannot be parameters; the name is checked to be a plain identifier first.
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(publicationName)) {
    throw new ReplicationSlotError(`dropPublication: '${publicationName}' is not a plain identifier`);
  }
  await client.query(`DROP PUBLICATION IF EXISTS ${publicationName}`);
}
