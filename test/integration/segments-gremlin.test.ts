/**
 * The segment conformance suite with definitions compiled to Gremlin bytecode and run by
 * the real Gremlin Server the integration globalSetup starts, over the Gremlin store's data.
 */
import * as gremlin from 'gremlin';
import { createGremlinSegmentEvaluator } from '../../features/segments';
import { createInfraConfig } from '../../scripts/infra/config';
import { createGremlinStore } from '../../services/graph/gremlin';
import { defineSegmentSuite } from '../conformance/segment-suite';

const endpoint = createInfraConfig().endpoints.gremlin;
const connections: gremlin.driver.DriverRemoteConnection[] = [];

afterAll(async () => {
  await Promise.all(connections.map((c) => c.close()));
});

defineSegmentSuite(
  'Gremlin bytecode on Gremlin Server',
  async () => ({ store: await createGremlinStore({ url: endpoint.url, traversalSource: endpoint.traversalSource }) }),
  () => {
    const connection = new gremlin.driver.DriverRemoteConnection(endpoint.url, {
      traversalSource: endpoint.traversalSource,
      // The user-agent probe does a dynamic import that jest's VM refuses, and the connection then never opens.
      enableUserAgentOnConnect: false,
    });
    connections.push(connection);
    const g = gremlin.process.AnonymousTraversalSource.traversal().withRemote(connection);
    return createGremlinSegmentEvaluator({ run: async (build) => (await build(g).toList()) as never[] });
  },
  { timeoutMs: 120_000 },
);
