/**
 * Telemetry without Kafka: `POST /v1/telemetry` on the hub (write key in Basic
 * auth, like the Segment endpoints) feeds the same pipeline and live features
 * as the Kafka topic — a router's readings turn the customer RED, with an action.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createConfig } from '../../../app/config';
import { type Hub, startHub } from '../../../app/processes';
import { readActionLog } from '../../../features/actions';
import { waitFor } from '../../helpers/wait-for';

const WRITE_KEY = 'telemetry-test-key';
const T0 = Date.UTC(2026, 10, 20, 8, 0, 0);
const MIN = 60_000;

describe('POST /v1/telemetry on the hub', () => {
  let hub: Hub;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'c360-telemetry-http-'));
    const config = createConfig({ dataDir: dir, port: 0, writeKeys: [WRITE_KEY], demo: true, logLevel: 'silent' }, {});
    hub = await startHub(config, { logger: pino({ level: 'silent' }), demo: async () => ({}) });
  });
  afterAll(async () => {
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (body: unknown, key: string | null = WRITE_KEY) =>
    fetch(`${hub.url}/v1/telemetry`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(key ? { authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` } : {}),
      },
      body: JSON.stringify(body),
    });
  const reading = (min: number, packetErrors: number) => ({
    deviceId: 'http-rtr-1',
    entityId: 'http-C1',
    timestamp: new Date(T0 + min * MIN).toISOString(),
    seq: min,
    indicators: { packetErrors, signalDbm: -45, uptimeSec: 100_000 + min * 60 },
  });

  it('no telemetry without Kafka: readings posted over HTTP turn the customer RED and publish the transition', async () => {
    expect((await post(reading(0, 1))).status).toBe(200);
    const batch = await post({ readings: [5, 10, 15, 20].map((m) => reading(m, 300)) });
    expect(batch.status).toBe(200);
    expect(await batch.json()).toEqual({ success: true, rejected: [] });

    const r = await fetch(`${hub.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: '{ customer(id: "Customer:http-C1") { health { status } devices(first: 5) { edges { node { id } } } } }',
      }),
    });
    expect(await r.json()).toEqual({
      data: {
        customer: { health: { status: 'RED' }, devices: { edges: [{ node: { id: 'Device:http-rtr-1' } }] } },
      },
    });
    const actions = await waitFor(async () => {
      const all = await readActionLog(join(dir, 'actions.ndjson'));
      return all.length > 0 ? all : null;
    });
    expect(actions.map((a) => [a.type, a.subjectId, a.payload.to])).toEqual([
      ['health.changed', 'Customer:http-C1', 'RED'],
    ]);
  });

  it('segments select by device health: { health: { status: RED } } finds the customer, on the Device too', async () => {
    const r = await fetch(`${hub.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: `{
          previewSegment(definition: { health: { status: RED } }) { count members(first: 5) { edges { node { id } } } }
          green: previewSegment(definition: { health: { status: GREEN } }) { count }
          customer(id: "Customer:http-C1") { devices(first: 1) { edges { node { properties } } } }
        }`,
      }),
    });
    const body = (await r.json()) as { data: Record<string, unknown> };
    expect(body.data.previewSegment).toEqual({
      count: 1,
      members: { edges: [{ node: { id: 'Customer:http-C1' } }] },
    });
    expect(body.data.green).toEqual({ count: 0 });
    const device = (body.data.customer as { devices: { edges: { node: { properties: Record<string, unknown> } }[] } })
      .devices.edges[0].node.properties;
    expect(device).toMatchObject({ healthStatus: 'RED', healthSince: T0 + 5 * MIN });
  });

  it('a reading too late for health is dead-lettered TOO_LATE and counted in the metrics like every dead letter', async () => {
    // The device's newest reading is at minute 20; minute 1 is beyond the 15-minute lateness.
    expect((await post(reading(1, 300))).status).toBe(200);
    const metrics = await waitFor(async () => {
      const text = await (await fetch(`${hub.url}/metrics`)).text();
      return /c360_events_dead_lettered_total\{source="telemetry",reason="TOO_LATE"\} 1/.test(text) ? text : null;
    });
    expect(metrics).toContain('reason="TOO_LATE"');
  });

  it('segment language gaps: previews warn about traits nobody writes and boughtWith customers that do not exist', async () => {
    const r = await fetch(`${hub.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: `{
          bad: previewSegment(definition: { and: [
            { trait: { name: "lifetimeValu", op: "gt", value: 5 } },
            { boughtWith: { customer: "Customer:nobody-here" } }
          ] }) { count warnings }
          good: previewSegment(definition: { or: [
            { trait: { name: "plan", op: "eq", value: "x" } },
            { trait: { name: "views_7d", op: "gt", value: 1 } },
            { trait: { name: "pagerank", op: "gt", value: 0.1 } }
          ] }) { warnings }
        }`,
      }),
    });
    const body = (await r.json()) as {
      data: { bad: { count: number; warnings: string[] }; good: { warnings: string[] } };
    };
    expect(body.data.bad.count).toBe(0);
    expect(body.data.bad.warnings).toEqual([
      expect.stringContaining("trait 'lifetimeValu' is neither a declared Customer property"),
      expect.stringContaining('boughtWith names Customer:nobody-here, which does not exist'),
    ]);
    expect(body.data.good.warnings).toEqual([]);
  });

  it('Customer.neighbors reaches any relation by edge label, with the edge properties; an unknown label is an error', async () => {
    const q = async (query: string) =>
      (await (
        await fetch(`${hub.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query }),
        })
      ).json()) as { data?: Record<string, unknown>; errors?: { extensions: { code: string } }[] };
    const ok = await q(
      '{ customer(id: "Customer:http-C1") { neighbors(edge: "USES_DEVICE", label: "Device") { edges { node { id label edgeLabel edgeProperties } } } } }',
    );
    const customer = ok.data?.customer as { neighbors: { edges: { node: Record<string, unknown> }[] } };
    const edges = customer.neighbors.edges;
    expect(edges.map((e) => [e.node.id, e.node.label, e.node.edgeLabel])).toEqual([
      ['Device:http-rtr-1', 'Device', 'USES_DEVICE'],
    ]);
    expect(edges[0].node.edgeProperties).toHaveProperty('lastSeen');
    const bad = await q('{ customer(id: "Customer:http-C1") { neighbors(edge: "NOPE") { edges { cursor } } } }');
    expect(bad.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('refuses a missing or wrong write key, and a readings field that is not a list', async () => {
    expect((await post(reading(30, 1), null)).status).toBe(401);
    expect((await post(reading(30, 1), 'wrong')).status).toBe(401);
    const bad = await post({ readings: { deviceId: 'x' } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ success: false, code: 'INVALID_BODY' });
  });

  it('dead-letters an invalid reading with its index and keeps the others', async () => {
    const res = await post({ readings: [reading(40, 1), { deviceId: 'http-rtr-1', indicators: { a: 1 } }] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { rejected: { index: number; code: string }[] };
    expect(body.rejected.map((x) => x.index)).toEqual([1]);
    expect(body.rejected[0].code).toBe('MISSING_FIELD');
  });
});
