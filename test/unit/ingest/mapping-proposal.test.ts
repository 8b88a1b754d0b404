/**
 * `c360 cdc map`'s proposal from a catalog (pure; the integration test reads a real
 * one): the Debezium tutorial's `inventory` database, and a schema with a join table
 * and a composite key.
 */
import { type CatalogTable, compileMappingFile, proposeMapping } from '../../../graph-schema';

const col = (name: string, type = 'text') => ({ name, type, notNull: true });
const fk = (name: string, columns: string[], refTable: string, refColumns = ['id']) => ({
  name,
  columns,
  refSchema: 'inventory',
  refTable,
  refColumns,
});
const table = (name: string, p: Partial<CatalogTable>): CatalogTable => ({
  name,
  replicaIdentity: 'full',
  columns: [],
  primaryKey: [],
  foreignKeys: [],
  ...p,
});

const inventory = {
  schema: 'inventory',
  tables: [
    table('customers', {
      columns: [col('id', 'integer'), col('first_name'), col('email', 'character varying(255)')],
      primaryKey: ['id'],
    }),
    table('addresses', {
      columns: [col('id', 'integer'), col('customer_id', 'integer'), col('city')],
      primaryKey: ['id'],
      foreignKeys: [fk('addresses_customer_id_fkey', ['customer_id'], 'customers')],
    }),
    table('orders', {
      columns: [
        col('id', 'integer'),
        col('order_date', 'date'),
        col('purchaser', 'integer'),
        col('product_id', 'integer'),
      ],
      primaryKey: ['id'],
      foreignKeys: [fk('o_purchaser', ['purchaser'], 'customers'), fk('o_product', ['product_id'], 'products')],
      replicaIdentity: 'default',
    }),
    table('products', {
      columns: [col('id', 'integer'), col('name'), col('weight', 'double precision')],
      primaryKey: ['id'],
    }),
    table('products_on_hand', {
      columns: [col('product_id', 'integer'), col('quantity', 'integer')],
      primaryKey: ['product_id'],
      foreignKeys: [fk('poh_product', ['product_id'], 'products')],
    }),
    table('audit_log', { columns: [col('at', 'timestamp with time zone')] }),
  ],
};

describe('proposeMapping', () => {
  it('maps inventory so customers come with their orders, addresses and ordered products', () => {
    const { file, skipped, notFull } = proposeMapping(inventory);
    expect(file.tables['inventory.customers']).toEqual({
      vertex: {
        label: 'Customer',
        key: ['id'],
        properties: { firstName: 'first_name', email: { column: 'email', as: 'email' } },
      },
      identities: [
        { type: 'crmId', column: 'id', owned: true },
        { type: 'email', column: 'email', as: 'email' },
      ],
    });
    expect(file.tables['inventory.addresses'].edges).toEqual([
      { label: 'HAS_ADDRESS', from: { label: 'Customer', key: ['customer_id'] }, to: 'row' },
    ]);
    expect(file.tables['inventory.orders'].edges).toEqual([
      { label: 'PLACED', from: { label: 'Customer', key: ['purchaser'] }, to: 'row' },
      { label: 'CONTAINS', from: 'row', to: { label: 'Product', key: ['product_id'] } },
    ]);
    expect(file.tables['inventory.orders'].vertex?.properties).toEqual({
      orderDate: { column: 'order_date', as: 'timestamp' },
    });
    expect(file.tables['inventory.products_on_hand']).toMatchObject({
      propertiesOf: {
        label: 'Product',
        key: ['product_id'],
        properties: { quantity: { column: 'quantity', as: 'number' } },
      },
    });
    expect(skipped).toEqual([{ table: 'audit_log', reason: expect.stringMatching(/primary key/) }]);
    expect(notFull).toEqual(['inventory.orders']);
    // And it compiles: every table has a template.
    expect(Object.keys(compileMappingFile(file).cdc).sort()).toEqual(Object.keys(file.tables).sort());
  });

  it('turns a join table into an edge, names relations from their columns, and keeps composite keys', () => {
    const { file } = proposeMapping(
      {
        schema: 'inventory',
        tables: [
          table('members', { columns: [col('member_no', 'bigint'), col('mobile_phone')], primaryKey: ['member_no'] }),
          table('clubs', {
            columns: [col('club_code'), col('region'), col('title')],
            primaryKey: ['club_code', 'region'],
          }),
          table('memberships', {
            columns: [col('member_no', 'bigint'), col('club_code'), col('region'), col('since', 'date')],
            primaryKey: ['member_no', 'club_code', 'region'],
            foreignKeys: [
              fk('m_member', ['member_no'], 'members', ['member_no']),
              fk('m_club', ['club_code', 'region'], 'clubs', ['club_code', 'region']),
            ],
          }),
          table('visits', {
            columns: [col('id', 'integer'), col('host_member', 'bigint')],
            primaryKey: ['id'],
            foreignKeys: [fk('v_host', ['host_member'], 'members', ['member_no'])],
          }),
        ],
      },
      { customerTable: 'members' },
    );
    expect(file.tables['inventory.memberships']).toMatchObject({
      edge: {
        label: 'MEMBERSHIP',
        from: { label: 'Customer', key: ['member_no'] },
        to: { label: 'Club', key: ['club_code', 'region'] },
        properties: { since: { column: 'since', as: 'timestamp' } },
      },
    });
    expect(file.tables['inventory.clubs'].vertex).toEqual({
      label: 'Club',
      key: ['club_code', 'region'],
      properties: { title: 'title' },
    });
    expect(file.tables['inventory.visits'].edges).toEqual([
      { label: 'HOST_MEMBER', from: 'row', to: { label: 'Customer', key: ['host_member'] } },
    ]);
    expect(file.tables['inventory.members'].identities).toEqual([
      { type: 'crmId', column: 'member_no', owned: true },
      { type: 'phone', column: 'mobile_phone', as: 'phone' },
    ]);
  });
});
