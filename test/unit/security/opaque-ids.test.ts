/**
 * Opaque ids (api/auth/opaque-ids.ts) are keyed by the hub secret: replicas
 * that share C360_ID_SECRET issue the same id for the same customer and accept
 * each other's; a forged or foreign id is refused, never decoded to garbage.
 */
import { createOpaqueIds } from '../../../api/auth/opaque-ids';
import { createConfig, redactConfig } from '../../../app/config';
import { requireSharedIdSecret } from '../../../app/id-secret';
import { ANN, API_KEYS, type SecuredHub, seedAnn, startSecuredHub } from './security-kit';

const SECRET = 'opaque-ids-test-secret-0123456789abcdef';

describe('opaque ids', () => {
  it('round-trip, are deterministic, and refuse forgeries and other secrets', () => {
    const ids = createOpaqueIds(SECRET);
    const id = ids.encode('Customer:ann.lee@example.com');
    expect(id).toMatch(/^op_[\w-]+$/);
    expect(id).not.toContain('ann');
    expect(ids.encode('Customer:ann.lee@example.com')).toBe(id);
    expect(ids.decode(id)).toBe('Customer:ann.lee@example.com');
    expect(ids.encode('Customer:ann.lee@example.co')).not.toBe(id);
    const flipped = `${id.slice(0, -2)}${id.endsWith('A') ? 'B' : 'A'}${id.at(-1)}`;
    expect(ids.decode(flipped)).toBeNull();
    expect(createOpaqueIds(`${SECRET}-other`).decode(id)).toBeNull();
    expect(ids.decode('Customer:ann')).toBeNull();
    expect(() => createOpaqueIds('short')).toThrow(RangeError);
  });

  it('C360_ID_SECRET is validated, never logged, and required by c360 api', () => {
    expect(() => createConfig({}, { C360_ID_SECRET: 'too-short' })).toThrow(
      expect.objectContaining({ name: 'ConfigError', setting: 'C360_ID_SECRET' }),
    );
    const config = createConfig({}, { C360_ID_SECRET: SECRET });
    expect(config.idSecret).toBe(SECRET);
    expect(JSON.stringify(redactConfig(config))).not.toContain(SECRET);
    expect(() => requireSharedIdSecret(config)).not.toThrow();
    expect(() => requireSharedIdSecret(createConfig({}, {}))).toThrow(
      expect.objectContaining({ name: 'ConfigError', setting: 'C360_ID_SECRET' }),
    );
  });
});

describe('two replicas with one secret', () => {
  const hubs: SecuredHub[] = [];
  afterAll(async () => {
    for (const h of hubs) await h.close();
  });

  it('hand out the same opaque id and accept each other’s; a third with another secret refuses it', async () => {
    for (const secret of [SECRET, SECRET, `${SECRET}-other`]) {
      const h = await startSecuredHub({ env: { C360_ID_SECRET: secret } });
      hubs.push(h);
      await seedAnn(h);
    }
    const q = 'query ($id: ID!) { customer(id: $id) { id traits } }';
    const idOf = async (h: SecuredHub) =>
      ((await h.gql<{ customer: { id: string } }>(API_KEYS.marketer, q, { id: `Customer:${ANN.userId}` })).body.data
        ?.customer.id ?? null) as string | null;
    const [a, b, c] = hubs;
    const fromA = await idOf(a);
    expect(fromA).toMatch(/^op_/);
    expect(await idOf(b)).toBe(fromA);
    const onB = await b.gql<{ customer: { id: string } }>(API_KEYS.marketer, q, { id: fromA });
    expect(onB.body.data?.customer.id).toBe(fromA);
    const onC = await c.gql(API_KEYS.marketer, q, { id: fromA });
    expect(onC.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(onC.body)).not.toContain(ANN.email);
  });
});
