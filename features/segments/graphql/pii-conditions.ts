/**
 * Conditions on personal traits are an oracle for principals without PII access:
 * `email startsWith "a"`, `"an"`, `"ann"`… recovered a full phone number in 12
 * previews and an e-mail in 22, one count at a time. Such principals may only ask
 * whether a personal trait is there (`exists`, `notExists`); any comparison of its
 * value — eq, in, startsWith, ranges — is refused before anything is evaluated, in
 * previews and in saved segments alike (a saved segment's size is the same oracle).
 */
import { GraphQLError } from 'graphql';
import type { OpaqueIds } from '../../../api/auth/opaque-ids';
import { isPersonalKey, maskValue } from '../../../api/auth/pii-mask';
import type { Principal } from '../../../api/auth/roles';
import { VERTICES } from '../../../graph-schema';
import { conditionsOf, type PropertyTest, type SegmentDefinition } from '../segment-definition';

const VALUE_FREE_OPS: ReadonlySet<PropertyTest['op']> = new Set(['exists', 'notExists']);

function personal(label: 'Customer' | 'Device', name: string): boolean {
  const declared = VERTICES[label].properties[name as keyof (typeof VERTICES)[typeof label]['properties']] as
    | { pii?: boolean }
    | undefined;
  if (declared) return declared.pii === true;
  return isPersonalKey(name);
}

/** Throws FORBIDDEN naming the first value test on a personal trait, unless the principal may see PII. */
export function refusePiiConditions(definition: SegmentDefinition, principal: Principal | undefined): void {
  if (principal?.pii) return;
  for (const c of conditionsOf(definition)) {
    const tests: [label: 'Customer' | 'Device', test: PropertyTest][] =
      'trait' in c ? [['Customer', c.trait]] : 'device' in c ? c.device.where.map((t) => ['Device', t]) : [];
    for (const [label, test] of tests) {
      if (VALUE_FREE_OPS.has(test.op) || !personal(label, test.name)) continue;
      throw new GraphQLError(
        `'${test.name}' is personal data: a role without PII access may test only whether it exists (exists, notExists), not its value (${test.op})`,
        { extensions: { code: 'FORBIDDEN', argumentName: 'definition' } },
      );
    }
  }
}

function maskTest(label: 'Customer' | 'Device', test: unknown): unknown {
  if (test === null || typeof test !== 'object' || Array.isArray(test)) return test;
  const t = test as Record<string, unknown>;
  if (typeof t.name !== 'string' || !('value' in t) || !personal(label, t.name)) return test;
  const mask = (v: unknown): unknown =>
    typeof v === 'string' ? maskValue(v) : Array.isArray(v) ? v.map(mask) : v === null ? v : '***';
  return { ...t, value: mask(t.value) };
}

/**
 * A saved definition as a role without PII access may read it: values compared with
 * personal traits (an admin's `email eq "ann@…"`) are masked, and a `boughtWith`
 * customer becomes the opaque id the rest of the API shows (accepted back by every
 * argument). Such a principal could not save those conditions anyway, so the masked
 * copy costs it no round trip it could make.
 */
export function maskDefinition(definition: unknown, ids: OpaqueIds | null): unknown {
  const walk = (c: unknown): unknown => {
    if (Array.isArray(c)) return c.map(walk);
    if (c === null || typeof c !== 'object') return c;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(c as Record<string, unknown>)) {
      if (k === 'trait') out[k] = maskTest('Customer', v);
      else if (
        k === 'device' &&
        v !== null &&
        typeof v === 'object' &&
        Array.isArray((v as { where?: unknown }).where)
      ) {
        out[k] = { ...(v as object), where: (v as { where: unknown[] }).where.map((t) => maskTest('Device', t)) };
      } else if (k === 'boughtWith' && v !== null && typeof v === 'object') {
        const customer = (v as { customer?: unknown }).customer;
        const id =
          typeof customer === 'string' ? (customer.startsWith('Customer:') ? customer : `Customer:${customer}`) : null;
        out[k] = { ...(v as object), customer: id === null ? customer : ids ? ids.encode(id) : maskValue(id) };
      } else out[k] = walk(v);
    }
    return out;
  };
  return walk(definition);
}
