/**
 * The connectors service against the real Kafka Connect + Debezium + PostgreSQL:
 * applying is idempotent, status reports the task, delete with dropSlot leaves
 * no replication slot or publication behind, and the password never shows in
 * what may be printed.
 */
import type { Client } from 'pg';
import { redactConnectorConfig } from '../../services/connect';
import { connectPostgres, createCdcTestSource } from '../helpers/cdc-postgres';
import { secureRandom } from '../helpers/unique';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(300_000);

let pg: Client;
beforeAll(async () => {
  pg = await connectPostgres();
});
afterAll(async () => {
  await pg.end();
});

describe('c360 connectors against Kafka Connect', () => {
  it('applies idempotently, reports RUNNING, deletes with its slot and publication', async () => {
    const source = await createCdcTestSource(`cdc${secureRandom()}`, pg);
    try {
      const connector = await source.start('crm');
      expect(connector.config['table.include.list']).toBe(
        ['customers', 'addresses', 'accounts', 'products', 'orders', 'order_items', 'support_tickets']
          .map((t) => `${source.schema}.${t}`)
          .join(','),
      );
      expect(connector.config['database.password']).toBe(source.config.postgres.password);
      const printable = redactConnectorConfig(connector.config);
      expect(printable['database.password']).toBe('***');
      expect({ ...printable, 'database.password': connector.config['database.password'] }).toEqual(connector.config);

      const again = await source.service.apply('crm', { name: connector.name });
      expect(again.created).toBe(false);
      const status = await source.service.waitUntilRunning(connector.name);
      expect(status.state).toBe('RUNNING');
      expect(status.tasks.map((t) => t.state)).toEqual(['RUNNING']);

      const slots = async () =>
        (
          await pg.query<{ n: number }>(
            `SELECT (SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1)::int
                  + (SELECT count(*) FROM pg_publication WHERE pubname = $2)::int AS n`,
            [connector.slotName, connector.publicationName],
          )
        ).rows[0].n;
      expect(await slots()).toBe(2);

      const removed = await source.service.remove(connector.name, { dropSlot: true });
      source.connector = null;
      expect(removed).toEqual({ deleted: true, slotDropped: true });
      expect(await slots()).toBe(0);
      // Connect answers DELETE before its herder has removed the connector's status: for a moment
      // it reads UNASSIGNED (seen in CI), then the connector is gone.
      await waitFor(async () => (await source.service.status(connector.name)).state === 'MISSING', {
        description: `${connector.name} to be gone from Connect's status`,
      });
      expect(await source.service.remove(connector.name)).toEqual({ deleted: false, slotDropped: false });
    } finally {
      await source.cleanup();
    }
  });
});
