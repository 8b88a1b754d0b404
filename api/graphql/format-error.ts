import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { isRetriable } from '../../graph-schema';
import { ApiError } from '../api-errors';

/**
 * What clients see of an error. ApiErrors and GraphQL's own request errors
 * (parse, validation, variable coercion) are public; everything else — driver
 * errors, bugs — is logged with its cause and replaced by a bare code, so no
 * query text, host name or stack trace reaches a client.
 */
export function createFormatError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof ApiError) {
      const extensions: Record<string, unknown> = { code: original.code };
      if (original.argument !== null) extensions.argumentName = original.argument;
      return { message: original.message, locations: formatted.locations, path: formatted.path, extensions };
    }
    if (original instanceof GraphQLError) {
      const { stacktrace: _drop, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    const retriable = isRetriable(original);
    logger.error({ err: original, path: formatted.path }, 'GraphQL resolver failed');
    return {
      message: retriable ? 'The graph store is temporarily unavailable; retry later.' : 'Internal server error.',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: retriable ? 'SERVICE_UNAVAILABLE' : 'INTERNAL_SERVER_ERROR' },
    };
  };
}
