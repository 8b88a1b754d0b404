/**
 * Conditions on personal traits are an oracle for principals without PII access:
 * `email startsWith "a"`, `"an"`, `"ann"`… recovered a full phone number in 12
 * previews and an e-mail in 22, one count at a time. Such principals may only ask
 * whether a personal trait is there (`exists`, `notExists`); any comparison of its
 * value — eq, in, startsWith, ranges — is refused before anything is evaluated, in
 * previews and in saved segments alike (a saved segment's size is the same oracle).
 */
import { GraphQLError } from 'graphql';
import { isPersonalKey } from '../../../api/auth/pii-mask';
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
