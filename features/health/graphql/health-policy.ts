/** Masks of proactive care's fields (health-module.ts): device readings are not personal data. */
import type { ModulePolicy } from '../../../api/auth/field-policy';

export const healthPolicy: ModulePolicy = {
  roles: {},
  masks: {
    'HealthReading.indicators': null,
  },
};
