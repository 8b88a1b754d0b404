/** Roles and audit of the GraphQL subscriptions (subscriptions-module.ts): who may watch which live changes. */
import type { ModulePolicy } from '../../../api/auth/field-policy';
import { maskVertexId } from '../../../api/auth/pii-mask';

export const subscriptionsPolicy: ModulePolicy = {
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
    // Device indicators are not personal data: shown to every role that may subscribe.
    'HealthChange.evidence': null,
    // Segment ids are configuration; the customer in the change is opaque like every customer id.
    'SegmentMembershipChange.segmentId': null,
  },
};
