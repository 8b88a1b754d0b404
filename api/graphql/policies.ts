/**
 * Every module's policy, in the order the hub merges the modules. A field a
 * schema does not have is ignored, so one list serves the base schema alone
 * and the full hub; test/unit/security asserts that every root field of the
 * hub's schema has an entry.
 */
import type { ModulePolicy } from '../auth/field-policy';
import { analyticsPolicy } from './analytics/analytics-policy';
import { basePolicy } from './base-policy';
import { healthPolicy } from './health/health-policy';
import { identityPolicy } from './identity/identity-policy';
import { segmentsPolicy } from './segments/segments-policy';

export const MODULE_POLICIES: readonly ModulePolicy[] = [
  basePolicy,
  identityPolicy,
  analyticsPolicy,
  segmentsPolicy,
  healthPolicy,
];

export { analyticsPolicy, basePolicy, healthPolicy, identityPolicy, segmentsPolicy };
