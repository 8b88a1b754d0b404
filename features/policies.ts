/**
 * Every feature's GraphQL policy, in the order the wiring merges the modules
 * (app/wiring). The modules carry these themselves; the list is for tests and
 * tools that reason about the whole schema's policy without starting a hub.
 */
import type { ModulePolicy } from '../api/auth/field-policy';
import { basePolicy } from '../api/graphql/policies';
import { subscriptionsPolicy } from './actions/graphql/subscriptions-policy';
import { analyticsPolicy } from './analytics/graphql/analytics-policy';
import { deadLettersPolicy } from './dead-letters/graphql/dead-letters-policy';
import { healthPolicy } from './health/graphql/health-policy';
import { identityPolicy } from './identity/graphql/identity-policy';
import { segmentsPolicy } from './segments/graphql/segments-policy';

export const MODULE_POLICIES: readonly ModulePolicy[] = [
  basePolicy,
  identityPolicy,
  analyticsPolicy,
  segmentsPolicy,
  healthPolicy,
  subscriptionsPolicy,
  deadLettersPolicy,
];
