/**
 * Health reports the right state (issue #19, item 4), on the hub as people use it:
 * readings posted one request at a time, `customer { health { status } }` read after
 * each. The status read is never a transition behind, every `health.changed` carries the
 * customer's status as of that transition, and the transitions are the customer's
 * history on the timeline (HealthTransition items, HealthChange vertices), in the GraphQL timeline as in the actions.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import pino from 'pino';
import { createConfig } from '../../../app/config';
import { type Hub, startHub } from '../../../app/processes';
import { type HubAction, readActionLog } from '../../../features/actions';

const WRITE_KEY = 'health-state-key';
const T0 = Date.UTC(2026, 10, 20, 8, 0, 0);
const MIN = 60_000;
const RANK: Record<string, number> = { GREEN: 0, AMBER: 1, RED: 2 };

interface Step {
  /** Which of the customer's two routers reports. */
  readonly device: 0 | 1;
  readonly bad: boolean;
}

interface HealthRead {
  customer: {
    health: { status: string };
    timeline: {
      edges: { node: { id: string; deviceId: string; from: string; to: string; customerStatus: string } }[];
    };
  };
}

describe('health reports the right state, and its history is on the timeline', () => {
  let hub: Hub;
  let dir: string;
  let run = 0;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'c360-health-state-'));
    const config = createConfig({ dataDir: dir, port: 0, writeKeys: [WRITE_KEY], demo: true, logLevel: 'silent' }, {});
    hub = await startHub(config, { logger: pino({ level: 'silent' }), demo: async () => ({}) });
  });
  afterAll(async () => {
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = async (body: unknown) => {
    const res = await fetch(`${hub.url}/v1/telemetry`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`,
      },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
  };
  const read = async (customerId: string): Promise<HealthRead> => {
    const res = await fetch(`${hub.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: `query($id: ID!) { customer(id: $id) {
          health { status }
          timeline(first: 100, types: [HEALTH]) { edges { node {
            id ... on HealthTransition { deviceId from to customerStatus } } } }
        } }`,
        variables: { id: customerId },
      }),
    });
    const body = (await res.json()) as { data: HealthRead; errors?: unknown };
    expect(body.errors).toBeUndefined();
    return body.data;
  };
  const actionsOf = async (customerId: string): Promise<HubAction[]> =>
    (await readActionLog(join(dir, 'actions.ndjson'))).filter(
      (a) => a.type === 'health.changed' && a.subjectId === customerId,
    );

  it('health reports the right state: read one reading at a time, customer { health { status } } is never a transition behind', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ device: fc.constantFrom(0 as const, 1 as const), bad: fc.boolean() }), {
          minLength: 1,
          maxLength: 10,
        }),
        async (steps: Step[]) => {
          run++;
          const customer = `hs${run}-C`;
          const customerId = `Customer:${customer}`;
          // The model: a device's committed status (GREEN before any transition) and whether it has
          // reported it yet (a reading showing the committed status, or a transition); a device whose
          // only readings disagree with it is pending, and the customer is UNKNOWN until one reports.
          const committed = new Map<string, string>();
          const reporting = new Set<string>();
          const worst = () =>
            [...reporting].map((d) => committed.get(d) ?? 'GREEN').reduce((x, y) => (RANK[y] > RANK[x] ? y : x));
          let seen = 0;
          for (const [i, step] of steps.entries()) {
            const device = `Device:hs${run}-rtr-${step.device}`;
            await post({
              deviceId: `hs${run}-rtr-${step.device}`,
              entityId: customer,
              timestamp: new Date(T0 + i * 5 * MIN).toISOString(),
              seq: i + 1,
              indicators: { packetErrors: step.bad ? 300 : 1, signalDbm: -45, uptimeSec: 100_000 + i * 300 },
            });
            // The answer to the POST came after the features ran: what is read now is current.
            const actions = await actionsOf(customerId);
            if ((step.bad ? 'RED' : 'GREEN') === (committed.get(device) ?? 'GREEN')) reporting.add(device);
            for (const a of actions.slice(seen)) {
              committed.set(a.payload.deviceId as string, a.payload.to as string);
              reporting.add(a.payload.deviceId as string);
              // Each action: the customer's status as of that transition, not of the end of the request.
              expect(a.payload.customerStatus).toBe(worst());
            }
            seen = actions.length;
            const expected = reporting.size === 0 ? 'UNKNOWN' : worst();
            const now = await read(customerId);
            expect(now.customer.health.status).toBe(expected);
            // The history: one HealthChange per action, newest first, with the same statuses.
            expect(
              now.customer.timeline.edges.map(({ node }) => ({
                id: node.id.replace(/^HealthChange:/, 'health:'),
                deviceId: node.deviceId,
                from: node.from,
                to: node.to,
                customerStatus: node.customerStatus,
              })),
            ).toEqual(
              [...actions].reverse().map((a) => ({
                id: a.id,
                deviceId: a.payload.deviceId,
                from: a.payload.from,
                to: a.payload.to,
                customerStatus: a.payload.customerStatus,
              })),
            );
          }
        },
      ),
      { numRuns: 12 },
    );
  });

  it('health transitions on the timeline: a batch holding RED and the later GREEN leaves both, each with its moment’s customer status', async () => {
    const customerId = 'Customer:hs-batch-C';
    const reading = (min: number, bad: boolean, device = 'hs-batch-rtr') => ({
      deviceId: device,
      entityId: 'hs-batch-C',
      timestamp: new Date(T0 + min * MIN).toISOString(),
      seq: min,
      indicators: { packetErrors: bad ? 300 : 1, signalDbm: -45, uptimeSec: 100_000 + min * 60 },
    });
    // One request: GREEN, RED held 15 minutes, GREEN held 10 minutes; a second router stays GREEN.
    const bad = new Set([5, 10, 15, 20]);
    await post({
      readings: [0, 5, 10, 15, 20, 25, 30, 35].flatMap((m) => [
        reading(m, bad.has(m)),
        reading(m, false, 'hs-batch-stb'),
      ]),
    });
    const actions = await actionsOf(customerId);
    expect(actions.map((a) => [a.payload.to, a.payload.customerStatus])).toEqual([
      ['RED', 'RED'],
      ['GREEN', 'GREEN'],
    ]);
    const now = await read(customerId);
    expect(now.customer.health.status).toBe('GREEN');
    expect(now.customer.timeline.edges.map(({ node }) => [node.from, node.to, node.customerStatus])).toEqual([
      ['RED', 'GREEN', 'GREEN'],
      ['GREEN', 'RED', 'RED'],
    ]);
  });
});
