-- The sample CRM that Debezium streams into the customer graph.
-- Column names are what graph-schema/mappings/cdc.ts maps; change both together.
CREATE SCHEMA IF NOT EXISTS crm;

CREATE TABLE IF NOT EXISTS crm.customers (
  id           text PRIMARY KEY,              -- CRM customer key, e.g. 'C000123'
  first_name   text,
  last_name    text,
  email        text,
  phone        text,
  country      char(2),
  plan         text,
  lifetime_value numeric(12,2),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS crm.addresses (
  id           bigserial PRIMARY KEY,
  customer_id  text NOT NULL REFERENCES crm.customers(id) ON DELETE CASCADE,
  kind         text NOT NULL DEFAULT 'billing',
  line1        text,
  city         text,
  postal_code  text,
  country      char(2)
);

CREATE TABLE IF NOT EXISTS crm.accounts (
  id           uuid PRIMARY KEY,
  customer_id  text NOT NULL REFERENCES crm.customers(id) ON DELETE CASCADE,
  name         text,
  status       text NOT NULL DEFAULT 'active',
  plan         text,
  created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS crm.products (
  sku          text PRIMARY KEY,
  name         text NOT NULL,
  category     text,
  price        numeric(10,2)
);

CREATE TABLE IF NOT EXISTS crm.orders (
  id           bigint PRIMARY KEY,
  customer_id  text NOT NULL REFERENCES crm.customers(id) ON DELETE CASCADE,
  status       text NOT NULL DEFAULT 'placed',
  total        numeric(12,2),
  currency     char(3) NOT NULL DEFAULT 'EUR',
  placed_at    timestamptz NOT NULL DEFAULT now()
);

-- Composite primary key on purpose: mappings must handle composite keys.
CREATE TABLE IF NOT EXISTS crm.order_items (
  order_id     bigint NOT NULL REFERENCES crm.orders(id) ON DELETE CASCADE,
  sku          text NOT NULL REFERENCES crm.products(sku),
  quantity     integer NOT NULL DEFAULT 1,
  unit_price   numeric(10,2),
  PRIMARY KEY (order_id, sku)
);

CREATE TABLE IF NOT EXISTS crm.support_tickets (
  id           bigserial PRIMARY KEY,
  customer_id  text NOT NULL REFERENCES crm.customers(id) ON DELETE CASCADE,
  channel      text NOT NULL DEFAULT 'email',
  subject      text,
  status       text NOT NULL DEFAULT 'open',
  priority     text NOT NULL DEFAULT 'normal',
  opened_at    timestamptz NOT NULL DEFAULT now()
);

-- Debezium needs the old row on updates/deletes to map key changes and deletes of non-key columns.
ALTER TABLE crm.customers REPLICA IDENTITY FULL;
ALTER TABLE crm.addresses REPLICA IDENTITY FULL;
ALTER TABLE crm.accounts REPLICA IDENTITY FULL;
ALTER TABLE crm.products REPLICA IDENTITY FULL;
ALTER TABLE crm.orders REPLICA IDENTITY FULL;
ALTER TABLE crm.order_items REPLICA IDENTITY FULL;
ALTER TABLE crm.support_tickets REPLICA IDENTITY FULL;
