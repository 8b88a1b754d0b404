/** Roles and audit of proactive care (health-module.ts) and the subscriptions (subscriptions-module.ts). */
import type { ModulePolicy } from '../../auth/field-policy';
import { maskVertexId } from '../../auth/pii-mask';

export const healthPolicy: ModulePolicy = {
  roles: {
    // A live 360° view of one customer: the agent's screen.
    'Subscription.customerUpdated': ['agent', 'admin'],
    'Subscription.healthChanged': ['agent', 'admin'],
    'Subscription.segmentMembershipChanged': ['marketer', 'admin'],
  },
  audit: {
    'Subscription.customerUpdated': {
      kind: 'read',
      describe(args) {
        const id = typeof args.id === 'string' ? (args.id.includes(':') ? args.id : `Customer:${args.id}`) : null;
        return { subject: id ? maskVertexId(id) : null, details: { subscription: true } };
      },
    },
  },
  masks: {
    'HealthChange.evidence': null,
    'HealthReading.indicators': null,
  },
};
