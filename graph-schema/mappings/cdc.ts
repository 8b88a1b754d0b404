/**
 * Debezium CDC rows of the sample CRM (scripts/infra/postgres/crm-schema.sql) → graph.
 * Scope: `row` (the `after` image, or `before` for deletes), `ts` (commit time).
 * Keys are strings whatever the column type, so a bigint id and its text form meet.
 */
import type { Template } from '../mapping';
import { evidence, identity } from './helpers';

const customerRef = { as: 'customer', label: 'Customer', key: { path: 'row.customer_id', as: 'string' } } as const;

export const cdcMappings: Readonly<Record<string, Template>> = {
  'crm.customers': {
    vertices: [
      {
        as: 'customer',
        label: 'Customer',
        key: { path: 'row.id', as: 'string' },
        owned: true,
        props: {
          firstName: 'row.first_name',
          lastName: 'row.last_name',
          email: { path: 'row.email', as: 'email' },
          phone: { path: 'row.phone', as: 'phone' },
          country: 'row.country',
          plan: 'row.plan',
          lifetimeValue: { path: 'row.lifetime_value', as: 'number' },
          createdAt: { path: 'row.created_at', as: 'timestamp' },
        },
      },
      identity('crmId', 'crmId', 'row.id'),
      identity('emailId', 'email', 'row.email', 'email'),
      identity('phoneId', 'phone', 'row.phone', 'phone'),
    ],
    edges: [
      evidence('customer', 'crmId', 'crm', 'sourceId'),
      evidence('customer', 'emailId', 'crm', 'sourceId'),
      evidence('customer', 'phoneId', 'crm', 'sourceId'),
    ],
  },
  'crm.addresses': {
    vertices: [
      customerRef,
      {
        as: 'address',
        label: 'Address',
        key: { path: 'row.id', as: 'string' },
        owned: true,
        props: { line1: 'row.line1', city: 'row.city', postalCode: 'row.postal_code', country: 'row.country' },
      },
    ],
    edges: [{ label: 'HAS_ADDRESS', from: 'customer', to: 'address', props: { kind: 'row.kind' } }],
  },
  'crm.accounts': {
    vertices: [
      customerRef,
      {
        as: 'account',
        label: 'Account',
        key: { path: 'row.id', as: 'string' },
        owned: true,
        props: {
          name: 'row.name',
          status: 'row.status',
          plan: 'row.plan',
          createdAt: { path: 'row.created_at', as: 'timestamp' },
        },
      },
    ],
    edges: [{ label: 'OWNS', from: 'customer', to: 'account' }],
  },
  'crm.products': {
    vertices: [
      {
        as: 'product',
        label: 'Product',
        key: { path: 'row.sku', as: 'string' },
        owned: true,
        props: { name: 'row.name', category: 'row.category', price: { path: 'row.price', as: 'number' } },
      },
    ],
  },
  'crm.orders': {
    vertices: [
      customerRef,
      {
        as: 'order',
        label: 'Order',
        key: { path: 'row.id', as: 'string' },
        owned: true,
        props: {
          ts: { path: 'row.placed_at', as: 'timestamp' },
          status: 'row.status',
          total: { path: 'row.total', as: 'number' },
          currency: 'row.currency',
        },
      },
    ],
    edges: [{ label: 'PLACED', from: 'customer', to: 'order' }],
  },
  'crm.order_items': {
    // A line item is an edge, not a vertex: deleting the row deletes the edge.
    vertices: [
      { as: 'order', label: 'Order', key: { path: 'row.order_id', as: 'string' } },
      { as: 'product', label: 'Product', key: { path: 'row.sku', as: 'string' } },
    ],
    edges: [
      {
        label: 'CONTAINS',
        from: 'order',
        to: 'product',
        props: { quantity: { path: 'row.quantity', as: 'number' }, price: { path: 'row.unit_price', as: 'number' } },
      },
    ],
  },
  'crm.support_tickets': {
    vertices: [
      customerRef,
      {
        as: 'ticket',
        label: 'Interaction',
        key: { path: 'row.id', as: 'string' },
        owned: true,
        props: {
          ts: { path: 'row.opened_at', as: 'timestamp' },
          channel: 'row.channel',
          subject: 'row.subject',
          status: 'row.status',
          priority: 'row.priority',
        },
      },
    ],
    edges: [{ label: 'CONTACTED', from: 'customer', to: 'ticket' }],
  },
};
