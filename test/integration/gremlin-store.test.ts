/**
 * The Gremlin store against the real Gremlin Server (TinkerGraph) the integration globalSetup
 * starts: the shared conformance suite (same answers as the embedded store), then what only a
 * remote, concurrent backend has — racing writers and classified errors (gremlin-live-cases.ts).
 */
import '../setup/node-websocket';
import { createGremlinStore } from '../../services/graph/gremlin';
import { defineGraphStoreSuite } from '../conformance';
import { testEndpoints } from '../helpers/infra';
import { defineGremlinLiveCases } from './gremlin-live-cases';

const endpoint = testEndpoints().gremlin;
const open = () => createGremlinStore({ url: endpoint.url, traversalSource: endpoint.traversalSource, connections: 2 });

defineGraphStoreSuite('gremlin', async () => ({ store: await open() }), { timeoutMs: 600_000 });

defineGremlinLiveCases('Gremlin Server (TinkerGraph)', open);

test('a server that is not there fails fast at open with a retriable connection error', async () => {
  await expect(
    createGremlinStore({ url: 'ws://127.0.0.1:1/gremlin', maxAttempts: 1, requestTimeoutMs: 10_000 }),
  ).rejects.toMatchObject({ name: 'GremlinStoreError', code: 'CONNECTION_FAILED', retriable: true });
}, 30_000);
