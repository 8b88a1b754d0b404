import type { JsonObject, JsonValue } from '../../graph-schema';
import type { PropertyTest, Scalar } from './segment-definition';

/**
 * The reference semantics of a property test; the Gremlin and Cypher compilers
 * must agree with it (the conformance suite checks they do):
 * - `exists` holds for any visible value (objects and lists too); `notExists` is its negation.
 * - Every other test only ever holds for a scalar value of the right type: `gt`
 *   on a string is false, not an error, and `neq`/`notIn` are false when the
 *   property is missing (test for that with `notExists`).
 */
export function testProperty(props: JsonObject, test: PropertyTest): boolean {
  const value: JsonValue | undefined = props[test.name];
  const present = value !== undefined && value !== null;
  switch (test.op) {
    case 'exists':
      return present;
    case 'notExists':
      return !present;
    case 'eq':
      return isScalar(value) && value === test.value;
    case 'neq':
      return isScalar(value) && value !== test.value;
    case 'in':
      return isScalar(value) && test.value.includes(value);
    case 'notIn':
      return isScalar(value) && !test.value.includes(value);
    case 'gt':
      return typeof value === 'number' && value > test.value;
    case 'gte':
      return typeof value === 'number' && value >= test.value;
    case 'lt':
      return typeof value === 'number' && value < test.value;
    case 'lte':
      return typeof value === 'number' && value <= test.value;
    case 'startsWith':
      return typeof value === 'string' && value.startsWith(test.value);
    default: {
      const never: never = test;
      throw new TypeError(`testProperty: unknown op ${JSON.stringify(never)}`);
    }
  }
}

function isScalar(value: JsonValue | undefined): value is Scalar {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
