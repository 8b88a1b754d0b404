import { normalizeEmail, normalizePhone, vertexId } from '../../graph-schema';
import { ApiError } from '../api-errors';

/**
 * The Identity vertex id an identifier lives at (`Identity:<type>:<value>`),
 * normalized exactly as the mappings normalize it when they write (graph-schema
 * normalize.ts) — otherwise `Ann@Example.com ` would miss `ann@example.com`.
 */
export function identityVertexId(type: string, value: string): string {
  const t = type.trim();
  if (t === '' || t.includes(':')) {
    throw new ApiError('BAD_USER_INPUT', 'identifier.type must be a non-empty word without ":"', {
      argument: 'identifier',
    });
  }
  const v = normalizeIdentifierValue(t, value);
  if (v === undefined) {
    throw new ApiError('BAD_USER_INPUT', `identifier.value is not a valid ${t}`, { argument: 'identifier' });
  }
  return vertexId({ label: 'Identity', key: `${t}:${v}` });
}

/** The normalized value, or undefined when it cannot be one of that type (an empty value, a malformed email). */
export function normalizeIdentifierValue(type: string, value: string): string | undefined {
  switch (type) {
    case 'email':
      return normalizeEmail(value);
    case 'phone':
      return normalizePhone(value);
    default:
      // userId, anonymousId, crmId, … are keyed as sent (the mappings' 'string' normalizer).
      return value === '' ? undefined : value;
  }
}
