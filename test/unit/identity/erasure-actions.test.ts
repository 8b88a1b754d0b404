/**
 * Erasure is told downstream: forgetCustomer on the real hub publishes a
 * `segment.left` for every saved segment the customer was in (ad and e-mail
 * audiences drop the person) and one `customer.forgotten`, with stable ids.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createConfig } from '../../../app/config';
import { type Hub, startHub } from '../../../app/processes';
import { readActionLog } from '../../../features/actions';
import { forgottenActionId } from '../../../features/identity';
import { raw } from '../../helpers/hub-pipeline';
import { waitFor } from '../../helpers/wait-for';

describe('erasure is not told downstream (issue 19 item 2)', () => {
  let hub: Hub;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'c360-erasure-'));
    const config = createConfig({ dataDir: dir, port: 0, writeKeys: ['wk'], demo: true, logLevel: 'silent' }, {});
    hub = await startHub(config, { logger: pino({ level: 'silent' }), demo: async () => ({}) });
  });
  afterAll(async () => {
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const gql = async (query: string, variables: Record<string, unknown> = {}) => {
    const r = await fetch(`${hub.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await r.json()) as { data?: Record<string, unknown>; errors?: unknown };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data as Record<string, unknown>;
  };

  it('forgetCustomer publishes segment.left for each segment and one customer.forgotten', async () => {
    const at = new Date(Date.UTC(2026, 10, 1, 9)).toISOString();
    await hub.pipeline.submit([
      raw(
        'segment',
        JSON.stringify({
          type: 'identify',
          messageId: 'erase-1',
          userId: 'erase-C1',
          timestamp: at,
          traits: { email: 'erase@example.com', plan: 'gold', country: 'DE' },
        }),
      ),
    ]);
    for (const [id, d] of [
      ['gold', { trait: { name: 'plan', op: 'eq', value: 'gold' } }],
      ['germany', { trait: { name: 'country', op: 'eq', value: 'DE' } }],
    ] as const) {
      await gql(
        'mutation ($id: ID!, $n: String!, $d: JSON!) { saveSegment(id: $id, name: $n, definition: $d) { id } }',
        {
          id,
          n: id,
          d,
        },
      );
    }
    const entered = await waitFor(async () => {
      const a = await readActionLog(join(dir, 'actions.ndjson'));
      return a.filter((x) => x.type === 'segment.entered').length === 2 ? a : null;
    });
    expect(entered.map((a) => a.subjectId)).toEqual(['Customer:erase-C1', 'Customer:erase-C1']);

    const forgotten = await gql(
      'mutation { forgetCustomer(id: "Customer:erase-C1", requestedBy: "dpo@example.com", reason: "art. 17") { auditId } }',
    );
    const auditId = (forgotten.forgetCustomer as { auditId: string }).auditId;
    const after = (await readActionLog(join(dir, 'actions.ndjson'))).slice(entered.length);
    expect(after.map((a) => [a.type, a.subjectId, a.payload.segmentId ?? null]).sort()).toEqual([
      ['customer.forgotten', 'Customer:erase-C1', null],
      ['segment.left', 'Customer:erase-C1', 'Segment:germany'],
      ['segment.left', 'Customer:erase-C1', 'Segment:gold'],
    ]);
    const gone = after.find((a) => a.type === 'customer.forgotten');
    expect(gone?.id).toBe(forgottenActionId('Customer:erase-C1', auditId));
    // The action names what was erased by counts only, never the erased data.
    expect(JSON.stringify(gone)).not.toContain('erase@example.com');
    expect(await gql('{ customer(id: "Customer:erase-C1") { id } }')).toEqual({ customer: null });
  });
});
