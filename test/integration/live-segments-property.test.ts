/**
 * Live segment membership equals a fresh preview on the remote stores too (the
 * embedded run is in the unit project). Fewer runs: each one is a few dozen
 * round trips to a shared server; every run uses its own customers and segments.
 */
import { createGremlinStore } from '../../services/graph/gremlin';
import { createNeo4jStore } from '../../services/graph/neo4j';
import { defineLiveSegmentsProperty } from '../conformance/live-segments-property';
import { testEndpoints } from '../helpers/infra';

const endpoints = testEndpoints();

defineLiveSegmentsProperty(
  'neo4j',
  async () => {
    const store = await createNeo4jStore({
      url: endpoints.neo4j.url,
      user: endpoints.neo4j.user,
      password: endpoints.neo4j.password,
      database: 'neo4j',
    });
    return { store, close: () => store.close() };
  },
  { numRuns: 8, timeoutMs: 300_000 },
);

defineLiveSegmentsProperty(
  'gremlin',
  async () => {
    const store = await createGremlinStore({
      url: endpoints.gremlin.url,
      traversalSource: endpoints.gremlin.traversalSource,
      connections: 2,
    });
    return { store, close: () => store.close() };
  },
  { numRuns: 8, timeoutMs: 300_000 },
);
