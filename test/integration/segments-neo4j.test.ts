/**
 * The segment conformance suite with definitions compiled to parameterized Cypher and run
 * by the real Neo4j the integration globalSetup starts, over the Neo4j store's data.
 */
import neo4j, { type Driver } from 'neo4j-driver';
import { type CypherReader, createCypherSegmentEvaluator } from '../../features/segments';
import { createNeo4jStore } from '../../services/graph/neo4j';
import { defineSegmentSuite } from '../conformance/segment-suite';
import { testEndpoints } from '../helpers/infra';

const endpoint = testEndpoints().neo4j;
const drivers: Driver[] = [];

afterAll(async () => {
  await Promise.all(drivers.map((d) => d.close()));
});

defineSegmentSuite(
  'Cypher on Neo4j',
  async () => ({
    store: await createNeo4jStore({
      url: endpoint.url,
      user: endpoint.user,
      password: endpoint.password,
      database: 'neo4j',
    }),
  }),
  () => {
    const driver = neo4j.driver(endpoint.url, neo4j.auth.basic(endpoint.user, endpoint.password));
    drivers.push(driver);
    const read: CypherReader = async (query) => {
      const result = await driver.executeQuery(query.text, query.params, {
        database: 'neo4j',
        routing: neo4j.routing.READ,
      });
      return result.records.map((r) => r.toObject());
    };
    return createCypherSegmentEvaluator({ read });
  },
  { timeoutMs: 180_000 },
);
