/**
 * The segment conformance suite on JanusGraph on Cassandra (started by the integration
 * globalSetup), with the evaluator the app wires for `C360_GRAPH=gremlin`: definitions compiled
 * to Gremlin bytecode and run by the server, except the numeric conditions JanusGraph 1.1's
 * TinkerPop 3.7 cannot run (no `asNumber()`), which fall back to the store-API evaluator.
 * Every answer must be the same as on every other store.
 */
import '../setup/node-websocket';
import { previewEvaluatorFor } from '../../app/wiring';
import { createGremlinStore } from '../../services/graph/gremlin';
import { defineSegmentSuite } from '../conformance/segment-suite';
import { testEndpoints } from '../helpers/infra';

const endpoint = testEndpoints().janusgraph;

defineSegmentSuite(
  'Gremlin bytecode on JanusGraph (as wired)',
  async () => ({
    store: await createGremlinStore({ url: endpoint.url, traversalSource: endpoint.traversalSource, connections: 4 }),
  }),
  (store) => {
    const evaluator = previewEvaluatorFor(store);
    if (!evaluator) throw new Error('the wiring has no Gremlin evaluator');
    return evaluator;
  },
  { timeoutMs: 300_000 },
);
