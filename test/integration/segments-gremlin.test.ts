/**
 * The segment conformance suite with definitions compiled to Gremlin bytecode and run by
 * the real Gremlin Server the integration globalSetup starts, over the Gremlin store's data.
 * The evaluator runs on the store's own `traverse`, as the app wires it: its `V(...ids)`
 * takes c360 ids and the store maps them to the vertex ids it writes.
 */
import '../setup/node-websocket';
import { createGremlinSegmentEvaluator } from '../../features/segments';
import { createGremlinStore, type GremlinGraphStore } from '../../services/graph/gremlin';
import { defineSegmentSuite } from '../conformance/segment-suite';
import { testEndpoints } from '../helpers/infra';

const endpoint = testEndpoints().gremlin;

defineSegmentSuite(
  'Gremlin bytecode on Gremlin Server',
  async () => ({ store: await createGremlinStore({ url: endpoint.url, traversalSource: endpoint.traversalSource }) }),
  (store) => createGremlinSegmentEvaluator({ run: (build) => (store as GremlinGraphStore).traverse(build) }),
  { timeoutMs: 120_000 },
);
