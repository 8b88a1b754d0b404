import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';

/**
 * Subscriptions live on the WebSocket (graphql-ws on the same path). Sent as an HTTP
 * POST, Apollo would run the subscribe resolver once and fail deep inside it; the client
 * gets a clear 400 with a code that says where to go instead.
 */
export function createSubscriptionsOverHttpPlugin(graphqlPath: string): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation !== 'subscription') return;
          throw new GraphQLError(
            `Subscriptions are served over WebSocket (graphql-ws protocol) on ${graphqlPath}, not over HTTP POST.`,
            { extensions: { code: 'SUBSCRIPTION_OVER_HTTP', http: { status: 400 } } },
          );
        },
      };
    },
  };
}
