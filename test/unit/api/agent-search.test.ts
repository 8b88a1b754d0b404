/**
 * Agents miss real customers (issue 19 item 9): a full name finds the customer,
 * and an identifier of a type nobody writes is an error that lists the types
 * rather than a silent null.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createConfig } from '../../../app/config';
import { type Hub, startHub } from '../../../app/processes';
import { raw } from '../../helpers/hub-pipeline';

describe('agents find real customers', () => {
  let hub: Hub;
  let dir: string;
  const gql = async (query: string) => {
    const r = await fetch(`${hub.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    });
    return (await r.json()) as {
      data?: Record<string, unknown>;
      errors?: { message: string; extensions: { code: string } }[];
    };
  };
  const ids = (d: unknown) =>
    (d as { customers: { edges: { node: { id: string } }[] } }).customers.edges.map((e) => e.node.id);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'c360-search-'));
    const config = createConfig({ dataDir: dir, port: 0, writeKeys: ['wk'], demo: true, logLevel: 'silent' }, {});
    hub = await startHub(config, { logger: pino({ level: 'silent' }), demo: async () => ({}) });
    const at = new Date(Date.UTC(2026, 10, 1, 9)).toISOString();
    const identify = (userId: string, traits: Record<string, unknown>) =>
      raw('segment', JSON.stringify({ type: 'identify', messageId: `m-${userId}`, userId, timestamp: at, traits }));
    await hub.pipeline.submit([
      identify('s-1', { firstName: 'Aleaume', lastName: 'Colin', email: 'a.colin@example.fr' }),
      identify('s-2', { firstName: 'Aleaume', lastName: 'Dupont' }),
      identify('s-3', { firstName: 'Colin', lastName: 'Aleaume' }),
      identify('s-4', { name: 'Ann Lee' }),
    ]);
  });
  afterAll(async () => {
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds a customer by full name, in either order of the words, ignoring case and extra spaces', async () => {
    expect(ids((await gql('{ customers(search: "Aleaume Colin") { edges { node { id } } } }')).data)).toEqual([
      'Customer:s-1',
      'Customer:s-3',
    ]);
    expect(ids((await gql('{ customers(search: "  aleaume   dup ") { edges { node { id } } } }')).data)).toEqual([
      'Customer:s-2',
    ]);
    expect(ids((await gql('{ customers(search: "ann lee") { edges { node { id } } } }')).data)).toEqual([
      'Customer:s-4',
    ]);
    // Paging a multi-word search: one per page, no repeats.
    const first = await gql(
      '{ customers(search: "Aleaume Colin", first: 1) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }',
    );
    const c = first.data?.customers as {
      edges: { node: { id: string } }[];
      pageInfo: { hasNextPage: boolean; endCursor: string };
    };
    expect(c.edges.map((e) => e.node.id)).toEqual(['Customer:s-1']);
    expect(c.pageInfo.hasNextPage).toBe(true);
    const second = await gql(
      `{ customers(search: "Aleaume Colin", first: 1, after: ${JSON.stringify(c.pageInfo.endCursor)}) { edges { node { id } } pageInfo { hasNextPage } } }`,
    );
    expect(ids(second.data)).toEqual(['Customer:s-3']);
  });

  it('an unknown identifier type is an error that lists the known types; a known type that misses is null', async () => {
    const unknown = await gql('{ customer(identifier: { type: "emial", value: "a.colin@example.fr" }) { id } }');
    expect(unknown.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(unknown.errors?.[0].message).toContain("unknown identifier type 'emial'");
    expect(unknown.errors?.[0].message).toContain('email');
    const miss = await gql('{ customer(identifier: { type: "email", value: "nobody@example.fr" }) { id } }');
    expect(miss).toEqual({ data: { customer: null } });
    const hit = await gql('{ customer(identifier: { type: "email", value: " A.Colin@Example.fr" }) { id } }');
    expect(hit).toEqual({ data: { customer: { id: 'Customer:s-1' } } });
  });
});

describe('phone numbers without a country code (C360_PHONE_REGION)', () => {
  let hub: Hub;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'c360-phone-'));
    const config = createConfig(
      { dataDir: dir, port: 0, writeKeys: ['wk'], demo: true, logLevel: 'silent' },
      { C360_PHONE_REGION: 'de' },
    );
    hub = await startHub(config, { logger: pino({ level: 'silent' }), demo: async () => ({}) });
    await hub.pipeline.submit([
      raw(
        'segment',
        JSON.stringify({
          type: 'identify',
          messageId: 'phone-1',
          userId: 'p-1',
          timestamp: new Date(Date.UTC(2026, 10, 1)).toISOString(),
          traits: { phone: '+49 1511 677784' },
        }),
      ),
    ]);
  });
  afterAll(async () => {
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a national number finds the customer through the configured region', async () => {
    for (const value of ['01511 677784', '+49 1511 677784', '0049-1511-677784']) {
      const r = await fetch(`${hub.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: 'query ($v: String!) { customer(identifier: { type: "phone", value: $v }) { id } }',
          variables: { v: value },
        }),
      });
      expect({ value, body: await r.json() }).toEqual({ value, body: { data: { customer: { id: 'Customer:p-1' } } } });
    }
  });

  it('a bad region is a startup error naming the setting', () => {
    expect(() => createConfig({ dataDir: dir }, { C360_PHONE_REGION: 'XX' })).toThrow(/C360_PHONE_REGION/);
  });
});
