import { normalizeEmail, normalizePhone, vertexId } from '../../graph-schema';

/**
 * The vertex an identifier lives at, normalized exactly as the mappings
 * normalize it when they write; undefined when the value cannot be one of that
 * type. `customer` names the Customer vertex itself (a CRM key or userId).
 */
export function identifierVertexId(type: string, value: string): string | undefined {
  const t = type.trim();
  if (t === '' || t.includes(':')) return undefined;
  if (t === 'customer') return value === '' ? undefined : vertexId({ label: 'Customer', key: value });
  const v =
    t === 'email' ? normalizeEmail(value) : t === 'phone' ? normalizePhone(value) : value === '' ? undefined : value;
  return v === undefined ? undefined : vertexId({ label: 'Identity', key: `${t}:${v}` });
}
