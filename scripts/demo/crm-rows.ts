/**
 * Rows of the sample CRM (scripts/infra/postgres/crm-schema.sql) as Debezium
 * renders them: numeric as strings (decimal.handling.mode=string), timestamptz
 * as ZonedTimestamp strings, bigint/integer as numbers. Column names must match
 * the schema file exactly; test/unit/demo.test.ts checks that.
 */
import type { CustomerProfile } from './customer-profile';
import { centsToDecimalString } from './demo-vocabulary';

export type CrmTable =
  | 'customers'
  | 'addresses'
  | 'accounts'
  | 'products'
  | 'orders'
  | 'order_items'
  | 'support_tickets';

export interface CustomerRow {
  id: string;
  first_name: string;
  last_name: string;
  email: string;
  phone: string;
  country: string;
  plan: string;
  lifetime_value: string;
  created_at: string;
  updated_at: string;
}

export interface AddressRow {
  id: number;
  customer_id: string;
  kind: string;
  line1: string;
  city: string;
  postal_code: string;
  country: string;
}

export interface AccountRow {
  id: string;
  customer_id: string;
  name: string;
  status: string;
  plan: string;
  created_at: string;
}

export interface ProductRow {
  sku: string;
  name: string;
  category: string;
  price: string;
}

export interface OrderRow {
  id: number;
  customer_id: string;
  status: string;
  total: string;
  currency: string;
  placed_at: string;
}

export interface OrderItemRow {
  order_id: number;
  sku: string;
  quantity: number;
  unit_price: string;
}

export interface SupportTicketRow {
  id: number;
  customer_id: string;
  channel: string;
  subject: string;
  status: string;
  priority: string;
  opened_at: string;
}

export type CrmRow = CustomerRow | AddressRow | AccountRow | ProductRow | OrderRow | OrderItemRow | SupportTicketRow;

/** Primary key columns per table: Debezium puts exactly these in the Kafka key. */
export const PRIMARY_KEYS: Readonly<Record<CrmTable, readonly string[]>> = {
  customers: ['id'],
  addresses: ['id'],
  accounts: ['id'],
  products: ['sku'],
  orders: ['id'],
  order_items: ['order_id', 'sku'],
  support_tickets: ['id'],
};

/**
 * Debezium's ZonedTimestamp: ISO-8601 in UTC with only as many fraction digits
 * as needed (`…T10:00:00Z`, `…T10:00:00.12Z`), unlike `toISOString()`'s fixed `.000Z`.
 */
export function zonedTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.replace(/\.(\d*?)0*Z$/, (_, digits: string) => (digits ? `.${digits}Z` : 'Z'));
}

export function customerRow(
  profile: CustomerProfile,
  overrides: { plan?: string; updatedAtMs?: number } = {},
): CustomerRow {
  return {
    id: profile.id,
    first_name: profile.firstName,
    last_name: profile.lastName,
    email: profile.email,
    phone: profile.phone,
    country: profile.country.code,
    plan: overrides.plan ?? profile.plan,
    lifetime_value: centsToDecimalString(profile.lifetimeValueCents),
    created_at: zonedTimestamp(profile.createdAtMs),
    updated_at: zonedTimestamp(overrides.updatedAtMs ?? profile.updatedAtMs),
  };
}

/** The billing address of customer i has id i+1: bigserial order equals customer creation order. */
export function addressRow(
  profile: CustomerProfile,
  override: { id: number; line1: string; city: string; postalCode: string } | null = null,
): AddressRow {
  return {
    id: override?.id ?? profile.index + 1,
    customer_id: profile.id,
    kind: 'billing',
    line1: override?.line1 ?? profile.address.line1,
    city: override?.city ?? profile.address.city,
    postal_code: override?.postalCode ?? profile.address.postalCode,
    country: profile.country.code,
  };
}

export function accountRow(profile: CustomerProfile): AccountRow {
  return {
    id: profile.accountId,
    customer_id: profile.id,
    name: profile.business ? profile.business.company : `${profile.lastName} household`,
    status: profile.accountStatus,
    plan: profile.plan,
    created_at: zonedTimestamp(profile.createdAtMs),
  };
}

export function primaryKeyOf(table: CrmTable, row: CrmRow): Record<string, string | number> {
  const key: Record<string, string | number> = {};
  const values = row as unknown as Record<string, string | number>;
  for (const column of PRIMARY_KEYS[table]) key[column] = values[column];
  return key;
}
