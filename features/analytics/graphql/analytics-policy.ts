/** Roles and masks of the analytics module (analytics-type-defs.ts). */

import type { ModulePolicy } from '../../../api/auth/field-policy';
import { maskProps } from '../../../api/auth/pii-mask';
import { isVertexLabel } from '../../../graph-schema';

export const analyticsPolicy: ModulePolicy = {
  roles: {
    // Aggregates over the graph; the customers in them are masked for non-PII roles.
    'Query.analytics': ['analyst', 'marketer', 'admin'],
    // Drawing around one vertex: every role that may open a customer view or run analytics (masked for non-PII roles).
    'Query.neighborhood': ['agent', 'analyst', 'marketer', 'admin'],
  },
  masks: {
    'AnalyticsNode.properties': (v, parent, tools) => {
      const id = String((parent as { id?: unknown } | null)?.id ?? '');
      const label = id.slice(0, Math.max(0, id.indexOf(':')));
      return maskProps(v, isVertexLabel(label) ? label : null, tools.ids);
    },
    'AnalyticsRun.details': null,
    // A run id is a sortable timestamp and counter, not customer data.
    'AnalyticsRun.id': null,
  },
};
