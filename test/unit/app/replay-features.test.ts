/**
 * No telemetry without Kafka (issue 19 item 6): `c360 replay` and `c360 seed` drive the
 * same live features as ingest. After a replay a router's health is what its readings
 * say (not UNKNOWN), with the transition announced and on the timeline; clickstream
 * events count into computed traits; and seeding the demo leaves devices with a health
 * and customers with traits, exactly as the hub's ingest would.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readActionLog } from '../../../features/actions';
import { createEmbeddedStore } from '../../../services/graph';
import { runC360 } from '../../helpers/c360-process';

const c360 = (args: string[]) => runC360(args, { C360_LOG_LEVEL: 'silent' });
const T0 = Date.UTC(2026, 10, 1, 9, 0, 0);
const MIN = 60_000;

describe('c360 replay and seed drive the same live features as ingest', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'c360-replay-features-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('c360 replay drives health (RED, announced, on the timeline) and computed traits', async () => {
    const dir = tempDir();
    const bad = new Set([5, 10, 15, 20]);
    const telemetry = join(dir, 'telemetry.ndjson');
    writeFileSync(
      telemetry,
      [0, 5, 10, 15, 20]
        .map((m) =>
          JSON.stringify({
            deviceId: 'rp-rtr-1',
            entityId: 'rp-C1',
            timestamp: new Date(T0 + m * MIN).toISOString(),
            seq: m,
            indicators: { packetErrors: bad.has(m) ? 300 : 1, signalDbm: -45, uptimeSec: 100_000 + m * 60 },
          }),
        )
        .join('\n'),
    );
    const clicks = join(dir, 'clickstream.ndjson');
    writeFileSync(
      clicks,
      [1, 2, 3]
        .map((i) =>
          JSON.stringify({
            type: 'track',
            event: 'Product Viewed',
            userId: 'rp-C1',
            messageId: `rp-view-${i}`,
            timestamp: new Date(T0 + i * MIN).toISOString(),
            properties: { product_id: `rp-p${i}` },
          }),
        )
        .join('\n'),
    );
    const data = join(dir, 'data');
    for (const [source, file] of [
      ['telemetry', telemetry],
      ['segment', clicks],
    ]) {
      const r = await c360(['replay', '--source', source, file, '--data-dir', data]);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    }

    const actions = await readActionLog(join(data, 'actions.ndjson'));
    expect(actions.map((a) => [a.type, a.subjectId, a.payload.to])).toEqual([
      ['health.changed', 'Customer:rp-C1', 'RED'],
    ]);
    const store = await createEmbeddedStore({ path: join(data, 'graph') });
    try {
      const [device, customer] = await store.getVertices(['Device:rp-rtr-1', 'Customer:rp-C1']);
      expect(device?.props).toMatchObject({ healthStatus: 'RED', healthSince: T0 + 5 * MIN });
      expect(customer?.props).toMatchObject({ views_7d: 3 });
      const timeline = await store.timeline({ ownerIds: ['Customer:rp-C1'], labels: ['HealthChange'], first: 5 });
      expect(timeline.items.map((i) => [i.vertex.props.from, i.vertex.props.to])).toEqual([['GREEN', 'RED']]);
    } finally {
      await store.close();
    }
  }, 120_000);

  it('c360 seed leaves devices with a health and customers with computed traits', async () => {
    const data = join(tempDir(), 'data');
    const r = await c360(['seed', '--customers', '20', '--data-dir', data]);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const store = await createEmbeddedStore({ path: join(data, 'graph') });
    try {
      const devices = await store.search('Device', '', { first: 500 });
      const customers = await store.search('Customer', '', { first: 500 });
      expect(devices.items.some((d) => typeof d.props.healthStatus === 'string')).toBe(true);
      expect(customers.items.some((c) => typeof c.props.views_7d === 'number')).toBe(true);
    } finally {
      await store.close();
    }
  }, 180_000);
});
