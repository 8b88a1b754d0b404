/**
 * The local servers are the real thing: each answers its production client
 * (kafkajs, gremlin, neo4j-driver, pg, Connect's REST API) doing real work on
 * names no other test uses.
 */
import '../setup/node-websocket';
import * as gremlin from 'gremlin';
import type { EachMessagePayload } from 'kafkajs';
import neo4j from 'neo4j-driver';
import { Client } from 'pg';
import { createInfraConfig, debeziumPostgresConnectorClass, infraStatus } from '../../scripts/infra';
import { createTestKafka, createTopic, testEndpoints } from '../helpers/infra';
import { uniqueGroupId, uniqueLabel, uniqueName } from '../helpers/unique';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(60_000);

const endpoints = testEndpoints();

describe('Kafka', () => {
  it('delivers a produced message to a consumer group on a fresh topic', async () => {
    const topic = await createTopic();
    const kafka = createTestKafka();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: uniqueGroupId() });
    const received: EachMessagePayload[] = [];
    try {
      await producer.connect();
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        eachMessage: async (payload) => {
          received.push(payload);
        },
      });
      const value = uniqueName('hello');
      await producer.send({ topic, messages: [{ key: 'k1', value }] });
      await waitFor(() => received.length > 0, { timeoutMs: 30_000, description: `a message on ${topic}` });
      expect(received[0]!.topic).toBe(topic);
      expect(received[0]!.message.key?.toString()).toBe('k1');
      expect(received[0]!.message.value?.toString()).toBe(value);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
    }
  });
});

describe('Gremlin Server', () => {
  let connection: gremlin.driver.DriverRemoteConnection;
  let g: gremlin.process.GraphTraversalSource;

  beforeAll(() => {
    connection = new gremlin.driver.DriverRemoteConnection(endpoints.gremlin.url, {
      traversalSource: endpoints.gremlin.traversalSource,
      // The driver builds its user agent with a dynamic import() that jest's VM refuses; the server needs none.
      enableUserAgentOnConnect: false,
    });
    g = gremlin.process.AnonymousTraversalSource.traversal().withRemote(connection);
  });

  afterAll(async () => {
    await connection.close();
  });

  it('adds vertices and counts them by label through bytecode', async () => {
    const label = uniqueLabel('InfraTest');
    await g.addV(label).property('name', 'a').iterate();
    await g.addV(label).property('name', 'b').iterate();
    const count = await g.V().hasLabel(label).count().next();
    expect(Number(count.value)).toBe(2);
    const names = await g.V().hasLabel(label).values('name').toList();
    expect([...names].sort()).toEqual(['a', 'b']);
  });
});

describe('Neo4j', () => {
  const driver = neo4j.driver(endpoints.neo4j.url, neo4j.auth.basic(endpoints.neo4j.user, endpoints.neo4j.password));

  afterAll(async () => {
    await driver.close();
  });

  it('creates and matches nodes with a unique label over Bolt', async () => {
    const label = uniqueLabel('InfraTest');
    await driver.executeQuery(`UNWIND $names AS name CREATE (:${label} {name: name})`, { names: ['a', 'b'] });
    const { records } = await driver.executeQuery(`MATCH (n:${label}) RETURN n.name AS name ORDER BY name`);
    expect(records.map((r) => r.get('name'))).toEqual(['a', 'b']);
    await driver.executeQuery(`MATCH (n:${label}) DELETE n`);
  });
});

describe('PostgreSQL', () => {
  const client = new Client({ connectionString: endpoints.postgres.connectionString });

  beforeAll(async () => {
    await client.connect();
  });

  afterAll(async () => {
    await client.end();
  });

  it('serves the CRM schema with logical decoding enabled', async () => {
    const id = uniqueName('T');
    await client.query('INSERT INTO crm.customers (id, first_name, email, country) VALUES ($1, $2, $3, $4)', [
      id,
      'Test',
      `${id}@example.com`,
      'DE',
    ]);
    const { rows } = await client.query<{ email: string }>('SELECT email FROM crm.customers WHERE id = $1', [id]);
    expect(rows).toEqual([{ email: `${id}@example.com` }]);
    const wal = await client.query<{ wal_level: string }>('SHOW wal_level');
    expect(wal.rows[0]!.wal_level).toBe('logical');
    await client.query('DELETE FROM crm.customers WHERE id = $1', [id]);
  });

  it('lets the c360 user replicate, as Debezium does', async () => {
    const { rows } = await client.query<{ rolreplication: boolean }>(
      'SELECT rolreplication FROM pg_roles WHERE rolname = current_user',
    );
    expect(rows).toEqual([{ rolreplication: true }]);
  });
});

describe('Kafka Connect', () => {
  it('lists the Debezium PostgreSQL connector plugin', async () => {
    const response = await fetch(`${endpoints.connect.url}/connector-plugins`);
    expect(response.status).toBe(200);
    const plugins = (await response.json()) as { class: string; type: string }[];
    expect(plugins).toContainEqual(expect.objectContaining({ class: debeziumPostgresConnectorClass, type: 'source' }));
  });
});

describe('infraStatus', () => {
  it('reports every server healthy', async () => {
    const statuses = await infraStatus({ config: createInfraConfig(process.env) });
    // The five every setup starts, then JanusGraph on Cassandra when the test setup (or --with janusgraph) started them.
    const names = statuses.map((s) => s.name);
    expect(names.slice(0, 5)).toEqual(['kafka', 'gremlin', 'neo4j', 'postgres', 'connect']);
    expect(names.slice(5).every((n) => n === 'cassandra' || n === 'janusgraph')).toBe(true);
    expect(statuses.filter((s) => !s.healthy).map((s) => s.name)).toEqual([]);
  });
});
