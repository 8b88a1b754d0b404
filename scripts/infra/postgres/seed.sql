-- A few rows so the CRM is not empty on first start (Debezium's snapshot and the demo read them).
-- Idempotent: c360 infra runs it on every start; rows a test deleted come back, edited rows are left alone.
INSERT INTO crm.customers (id, first_name, last_name, email, phone, country, plan, lifetime_value) VALUES
  ('C000001', 'Ada', 'Lovelace', 'ada@example.com', '+44 20 7946 0001', 'GB', 'pro', 1280.00),
  ('C000002', 'Grace', 'Hopper', 'grace@example.com', '+1 202 555 0102', 'US', 'enterprise', 9400.50),
  ('C000003', 'Alan', 'Turing', 'alan@example.com', NULL, 'GB', 'free', 0.00)
ON CONFLICT (id) DO NOTHING;

INSERT INTO crm.addresses (id, customer_id, kind, line1, city, postal_code, country) VALUES
  (1, 'C000001', 'billing', '12 St James''s Square', 'London', 'SW1Y 4JH', 'GB'),
  (2, 'C000002', 'shipping', '1600 Pennsylvania Ave', 'Washington', '20500', 'US')
ON CONFLICT (id) DO NOTHING;
SELECT setval('crm.addresses_id_seq', GREATEST((SELECT max(id) FROM crm.addresses), 1));

INSERT INTO crm.accounts (id, customer_id, name, status, plan) VALUES
  ('00000000-0000-4000-8000-000000000001', 'C000001', 'Analytical Engines Ltd', 'active', 'pro'),
  ('00000000-0000-4000-8000-000000000002', 'C000002', 'COBOL Works', 'active', 'enterprise')
ON CONFLICT (id) DO NOTHING;

INSERT INTO crm.products (sku, name, category, price) VALUES
  ('SKU-ROUTER', 'Home Router', 'devices', 129.00),
  ('SKU-FIBER', 'Fiber 1 Gbit/s', 'plans', 49.90),
  ('SKU-CAM', 'Security Camera', 'devices', 89.00)
ON CONFLICT (sku) DO NOTHING;

INSERT INTO crm.orders (id, customer_id, status, total, currency) VALUES
  (1001, 'C000001', 'delivered', 178.90, 'EUR'),
  (1002, 'C000002', 'placed', 89.00, 'USD')
ON CONFLICT (id) DO NOTHING;

INSERT INTO crm.order_items (order_id, sku, quantity, unit_price) VALUES
  (1001, 'SKU-ROUTER', 1, 129.00),
  (1001, 'SKU-FIBER', 1, 49.90),
  (1002, 'SKU-CAM', 1, 89.00)
ON CONFLICT (order_id, sku) DO NOTHING;

INSERT INTO crm.support_tickets (id, customer_id, channel, subject, status, priority) VALUES
  (1, 'C000001', 'email', 'Router keeps rebooting', 'open', 'high')
ON CONFLICT (id) DO NOTHING;
SELECT setval('crm.support_tickets_id_seq', GREATEST((SELECT max(id) FROM crm.support_tickets), 1));
