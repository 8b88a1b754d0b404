/**
 * The Gremlin store on JanusGraph with its CQL backend on a single-node Cassandra (both started
 * by the integration globalSetup from Maven Central jars): the whole GraphStore conformance
 * suite, the same answers as every other store, with concurrent traversals (4 connections, no
 * one-at-a-time restriction), then racing writers whose lock conflicts must be retried, not lost.
 */
import '../setup/node-websocket';
import { createGremlinStore } from '../../services/graph/gremlin';
import { defineGraphStoreSuite } from '../conformance';
import { testEndpoints } from '../helpers/infra';
import { defineGremlinLiveCases } from './gremlin-live-cases';

const endpoint = testEndpoints().janusgraph;
const open = () => createGremlinStore({ url: endpoint.url, traversalSource: endpoint.traversalSource, connections: 4 });

defineGraphStoreSuite('janusgraph', async () => ({ store: await open() }), { timeoutMs: 600_000, propertyRuns: 10 });

defineGremlinLiveCases('JanusGraph on Cassandra', open);
