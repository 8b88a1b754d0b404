import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createHealthConfig } from '../../features/health';
import { BatchBuilder, makeVersion } from '../../graph-schema';
import {
  type ProactiveCareServer,
  startProactiveCareServer,
  telemetryMessage,
  WRITE_KEY,
} from '../../scripts/bench/subscription-bench';
import { waitFor } from '../helpers/wait-for';

const T = Date.UTC(2026, 9, 31, 10);
const MIN = 60_000;
/** Hang guard only: how long a test waits for a message before failing instead of hanging. */
const HANG_GUARD_MS = 20_000;

interface Received<T> {
  readonly messages: T[];
  readonly errors: unknown[];
  stop(): void;
}

function subscribe<T>(client: Client, query: string, variables?: Record<string, unknown>): Received<T> {
  const messages: T[] = [];
  const errors: unknown[] = [];
  const stop = client.subscribe<T>(
    { query, ...(variables ? { variables } : {}) },
    {
      next: (m) => {
        if (m.errors) errors.push(m.errors);
        if (m.data) messages.push(m.data as T);
      },
      error: (e) => errors.push(e),
      complete: () => undefined,
    },
  );
  return { messages, errors, stop };
}

describe('GraphQL subscriptions over WebSocket', () => {
  let care: ProactiveCareServer;
  let client: Client;
  let closedCodes: number[];

  beforeEach(async () => {
    care = await startProactiveCareServer({ health: createHealthConfig({ holdMs: 10 * MIN }) });
    closedCodes = [];
    client = createClient({ url: care.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
    client.on('closed', (e) => closedCodes.push((e as { code: number }).code));
  });
  afterEach(async () => {
    await client.dispose();
    await care.close();
  });

  /** Subscriptions register on the server asynchronously; events before that are (rightly) not replayed. */
  const live = (n: number) =>
    waitFor(() => care.activeListeners() >= n, { timeoutMs: HANG_GUARD_MS, description: `${n} live listeners` });

  it('healthChanged delivers a transition once telemetry is submitted, and Customer.health serves the persisted state', async () => {
    const all = subscribe<{ healthChanged: Record<string, unknown> }>(
      client,
      'subscription { healthChanged { id deviceId customerId from to since at reasons customerStatus customer { id } } }',
    );
    const other = subscribe<{ healthChanged: { id: string } }>(
      client,
      'subscription($c: ID) { healthChanged(customerId: $c) { id } }',
      { c: 'somebody-else' },
    );
    await live(2);
    const reading = (min: number, seq: number, packetErrors: number) =>
      telemetryMessage({
        deviceId: 'router-ws',
        entityId: 'CWS',
        timestampMs: T + min * MIN,
        seq,
        indicators: { packetErrors, signalDbm: -50, uptimeSec: 10_000 + min * 60 },
      });
    await care.pipeline.submit([reading(0, 1, 2), reading(5, 2, 400)]);
    await care.pipeline.submit([reading(15, 3, 450)]);

    await waitFor(() => all.messages.length >= 1, { timeoutMs: HANG_GUARD_MS, description: 'healthChanged message' });
    expect(all.errors).toEqual([]);
    expect(all.messages[0].healthChanged).toEqual({
      id: expect.stringMatching(/^health:[0-9a-f]{32}$/),
      deviceId: 'Device:router-ws',
      customerId: 'Customer:CWS',
      from: 'GREEN',
      to: 'RED',
      since: new Date(T + 5 * MIN).toISOString(),
      at: new Date(T + 15 * MIN).toISOString(),
      reasons: ['packetErrors 450 > 100'],
      customerStatus: 'RED',
      customer: { id: 'Customer:CWS' },
    });

    const res = await fetch(care.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query:
          '{ customer(id: "Customer:CWS") { health { status since reasons devices { id status since reasons pending evidence { at seq indicators } } } } }',
      }),
    });
    const body = (await res.json()) as { data: unknown; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({
      customer: {
        health: {
          status: 'RED',
          since: new Date(T + 5 * MIN).toISOString(),
          reasons: ['Device:router-ws: packetErrors 450 > 100'],
          devices: [
            {
              id: 'Device:router-ws',
              status: 'RED',
              since: new Date(T + 5 * MIN).toISOString(),
              reasons: ['packetErrors 450 > 100'],
              pending: null,
              evidence: [
                {
                  at: new Date(T + 15 * MIN).toISOString(),
                  seq: '3',
                  indicators: { packetErrors: 450, signalDbm: -50, uptimeSec: 10_000 + 15 * 60 },
                },
              ],
            },
          ],
        },
      },
    });
    // The filtered subscription heard nothing: its customer had no transition.
    expect(other.messages).toEqual([]);
  });

  it('customerUpdated delivers the fresh view after an event arrives through the HTTP collector', async () => {
    const updates = subscribe<{ customerUpdated: { id: string; traits: Record<string, unknown> } | null }>(
      client,
      'subscription($id: ID!) { customerUpdated(id: $id) { id traits } }',
      { id: 'ann-ws' },
    );
    await live(2);
    const res = await fetch(`${care.url}/v1/identify`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`,
      },
      body: JSON.stringify({ userId: 'ann-ws', messageId: 'ws-identify-1', traits: { plan: 'fiber-1000' } }),
    });
    expect(res.status).toBe(200);
    const update = await waitFor(() => updates.messages.find((m) => m.customerUpdated?.traits.plan === 'fiber-1000'), {
      timeoutMs: HANG_GUARD_MS,
      description: 'customerUpdated with the new plan',
    });
    expect(update.customerUpdated?.id).toBe('Customer:ann-ws');
  });

  it('subscribing to a segment nobody saved is an error naming the argument', async () => {
    const sub = subscribe<{ segmentMembershipChanged: Record<string, unknown> }>(
      client,
      'subscription($s: ID!) { segmentMembershipChanged(segmentId: $s) { id } }',
      { s: 'Segment:no-such-segment' },
    );
    await waitFor(() => sub.errors.length > 0, { timeoutMs: HANG_GUARD_MS, description: 'an error' });
    expect(JSON.stringify(sub.errors)).toContain('no saved segment Segment:no-such-segment');
    expect(sub.messages).toEqual([]);
  });

  it('segmentMembershipChanged relays the live-segment actions of its segment only', async () => {
    const saved = new BatchBuilder();
    saved.add({
      op: 'upsertVertex',
      label: 'Segment',
      key: 'at-risk',
      props: { name: 'At risk', definition: { trait: { name: 'plan', op: 'eq', value: 'x' } } },
      version: makeVersion(T, 'test:at-risk'),
    });
    await care.store.apply(saved.build());
    const changes = subscribe<{ segmentMembershipChanged: Record<string, unknown> }>(
      client,
      'subscription($s: ID!) { segmentMembershipChanged(segmentId: $s) { id segmentId customerId entered at } }',
      { s: 'Segment:at-risk' },
    );
    await live(1);
    await care.bus.publish([
      {
        id: 'seg-1',
        type: 'segment.entered',
        subjectId: 'Customer:C7',
        at: T,
        payload: { segmentId: 'at-risk' },
      },
      {
        id: 'seg-2',
        type: 'segment.entered',
        subjectId: 'Customer:C8',
        at: T,
        payload: { segmentId: 'vip' },
      },
      { id: 'seg-3', type: 'segment.left', subjectId: 'Customer:C7', at: T + MIN, payload: { segmentId: 'at-risk' } },
    ]);
    await waitFor(() => changes.messages.length >= 2, { timeoutMs: HANG_GUARD_MS, description: 'two changes' });
    expect(changes.messages.map((m) => m.segmentMembershipChanged)).toEqual([
      {
        id: 'seg-1',
        segmentId: 'Segment:at-risk',
        customerId: 'Customer:C7',
        entered: true,
        at: new Date(T).toISOString(),
      },
      {
        id: 'seg-3',
        segmentId: 'Segment:at-risk',
        customerId: 'Customer:C7',
        entered: false,
        at: new Date(T + MIN).toISOString(),
      },
    ]);
  });

  it('draining the server closes WebSocket subscriptions (Going Away) and releases their listeners', async () => {
    subscribe(client, 'subscription { healthChanged { id } }');
    await live(1);
    await care.server.close();
    await waitFor(() => closedCodes.length > 0, { timeoutMs: HANG_GUARD_MS, description: 'client sees the close' });
    expect(closedCodes[0]).toBe(1001);
    await waitFor(() => care.activeListeners() === 0, { timeoutMs: HANG_GUARD_MS, description: 'listeners released' });
  });
});
