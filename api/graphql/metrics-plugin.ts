import type { ApolloServerPlugin } from '@apollo/server';
import type { ApiMetrics } from '../api-metrics';

/** Operation names are chosen by clients: cap distinct label values so a client cannot explode the series count. */
const MAX_OPERATION_LABELS = 200;

export function createMetricsPlugin(metrics: ApiMetrics): ApolloServerPlugin {
  const seen = new Set<string>();
  const label = (name: string | null | undefined): string => {
    if (!name) return 'anonymous';
    const clean = name.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 64);
    if (seen.has(clean)) return clean;
    if (seen.size >= MAX_OPERATION_LABELS) return 'other';
    seen.add(clean);
    return clean;
  };
  return {
    async requestDidStart() {
      const end = metrics.graphqlDuration.startTimer();
      return {
        async willSendResponse({ operationName, response }) {
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          for (const e of errors ?? []) {
            const code = e.extensions?.code;
            metrics.graphqlErrors.inc({ code: typeof code === 'string' ? code : 'UNKNOWN' });
          }
          end({ operation: label(operationName), outcome: errors?.length ? 'error' : 'ok' });
        },
      };
    },
  };
}
