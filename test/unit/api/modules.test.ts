import { customerView } from '../../../api';
import { BatchBuilder, makeVersion } from '../../../graph-schema';
import { startApi } from './api-harness';

describe('GraphQL feature modules', () => {
  it('extend the schema and take over a base placeholder resolver', async () => {
    const api = await startApi({
      modules: [
        {
          name: 'probe',
          // Root fields without a policy are denied to everyone; a module declares its own.
          policy: { roles: { 'Query.probe': ['admin'] } },
          typeDefs: /* GraphQL */ `
            extend type Query {
              "A field only this module serves."
              probe: String!
            }
          `,
          resolvers: {
            Query: { probe: () => 'from the module' },
            Customer: {
              similar: () => [
                customerView({ id: 'Customer:twin', label: 'Customer', key: 'twin', props: {}, version: '0' }),
              ],
            },
          },
        },
      ],
    });
    try {
      const b = new BatchBuilder();
      b.add({ op: 'upsertVertex', label: 'Customer', key: 'M1', props: { name: 'Mo' }, version: makeVersion(1, 'm') });
      await api.store.apply(b.build());
      const { status, body } = await api.gql<{ probe: string; customer: { similar: { id: string }[] } }>(
        '{ probe customer(id: "Customer:M1") { similar { id } } }',
      );
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
      expect(body.data).toEqual({ probe: 'from the module', customer: { similar: [{ id: 'Customer:twin' }] } });
    } finally {
      await api.close();
    }
  });
});
