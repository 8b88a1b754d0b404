/**
 * Health transitions on the timeline (issue 19 item 4) on every store: the health
 * monitor writes each transition as a HealthChange over HEALTH_CHANGED through the
 * store it is given, and the customer's timeline — filtered to HealthChange or not —
 * reads the same history back from the embedded store, Gremlin Server, JanusGraph and
 * Neo4j. Keys are unique per run; nothing shared is wiped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createActionBus, type HubAction } from '../../features/actions';
import { createHealthMonitor } from '../../features/health';
import { coalesce, type GraphStore, makeVersion } from '../../graph-schema';
import type { DeadLetterSink, HubEvent } from '../../ingest';
import { createDecoders } from '../../ingest/decoders';
import { createEmbeddedStore } from '../../services/graph';
import { createGremlinStore } from '../../services/graph/gremlin';
import { createNeo4jStore } from '../../services/graph/neo4j';
import { createMemoryStateStore } from '../../services/state';
import { testEndpoints } from '../helpers/infra';
import { uniqueName } from '../helpers/unique';

jest.setTimeout(120_000);

const endpoints = testEndpoints();
const T0 = Date.UTC(2026, 10, 20, 8, 0, 0);
const MIN = 60_000;
const logger = pino({ level: 'silent' });
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const stores: [string, () => Promise<GraphStore>][] = [
  [
    'embedded',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'c360-health-timeline-'));
      dirs.push(dir);
      return createEmbeddedStore({ path: dir });
    },
  ],
  [
    'gremlin',
    async () => createGremlinStore({ url: endpoints.gremlin.url, traversalSource: endpoints.gremlin.traversalSource }),
  ],
  [
    'janusgraph',
    async () =>
      createGremlinStore({ url: endpoints.janusgraph.url, traversalSource: endpoints.janusgraph.traversalSource }),
  ],
  [
    'neo4j',
    async () =>
      createNeo4jStore({
        url: endpoints.neo4j.url,
        user: endpoints.neo4j.user,
        password: endpoints.neo4j.password,
        database: 'neo4j',
      }),
  ],
];

function readings(customer: string, device: string): HubEvent[] {
  const decoder = createDecoders({ maxEventBytes: 32 * 1024 }).telemetry;
  const bad = new Set([5, 10, 15, 20]);
  return [0, 5, 10, 15, 20, 25, 30, 35].flatMap((m) => {
    const outcomes = decoder.decode({
      source: 'telemetry',
      value: Buffer.from(
        JSON.stringify({
          deviceId: device,
          entityId: customer,
          timestamp: new Date(T0 + m * MIN).toISOString(),
          seq: m,
          indicators: { packetErrors: bad.has(m) ? 300 : 1, uptimeSec: 100_000 + m * 60 },
        }),
      ),
      position: { source: 'telemetry', transport: 'test' },
      receivedAtMs: T0 + 60 * MIN,
    });
    return outcomes.flatMap((o) => (o.ok ? [o.event] : []));
  });
}

describe.each(stores)('health transitions on the timeline: %s', (_name, open) => {
  it('each health.changed is a HealthChange on the customer timeline, newest first, with its customer status', async () => {
    const store = await open();
    const published: HubAction[] = [];
    const bus = createActionBus({
      publish: async (actions) => {
        published.push(...actions);
      },
      close: async () => undefined,
    });
    const letters: DeadLetterSink = { write: async () => undefined, close: async () => undefined };
    const monitor = createHealthMonitor({
      stateStore: createMemoryStateStore(),
      store,
      actions: bus,
      deadLetters: letters,
      logger,
    });
    try {
      const customer = uniqueName('htl');
      const customerId = `Customer:${customer}`;
      // The customer exists (ingest writes it from the telemetry's entityId; here, directly).
      await store.apply(
        coalesce([
          {
            op: 'upsertVertex',
            label: 'Customer',
            key: customer,
            props: { name: customer },
            version: makeVersion(T0, 'htl'),
          },
        ]),
      );
      const transitions = await monitor.process(readings(customer, `${customer}-rtr`));
      expect(transitions.map((t) => t.to)).toEqual(['RED', 'GREEN']);

      for (const labels of [['HealthChange' as const], undefined]) {
        const page = await store.timeline({ ownerIds: [customerId], ...(labels ? { labels } : {}), first: 10 });
        expect(
          page.items.map((i) => [
            i.via,
            i.vertex.id,
            i.vertex.props.from,
            i.vertex.props.to,
            i.vertex.props.customerStatus,
          ]),
        ).toEqual(
          [...published]
            .reverse()
            .map((a) => [
              'HEALTH_CHANGED',
              a.id.replace(/^health:/, 'HealthChange:'),
              a.payload.from,
              a.payload.to,
              a.payload.customerStatus,
            ]),
        );
      }
    } finally {
      await monitor.close();
      await bus.close();
      await store.close();
    }
  });
});
