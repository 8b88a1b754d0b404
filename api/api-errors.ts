import { GraphQLError } from 'graphql';
import { C360Error } from '../graph-schema';

/**
 * Every `extensions.code` a client can see. Apollo adds its own request-level
 * codes (GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, BAD_REQUEST, …); the
 * resolvers raise only these. Anything else becomes INTERNAL_SERVER_ERROR.
 */
export const API_ERROR_CODES = [
  'BAD_USER_INPUT',
  'PAGE_TOO_LARGE',
  'INVALID_CURSOR',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_SERVER_ERROR',
] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/** An error whose message is safe to show to API clients (it names the argument, never internals). */
export class ApiError extends C360Error {
  override name = 'ApiError';
  declare readonly code: ApiErrorCode;
  readonly argument: string | null;
  constructor(code: ApiErrorCode, message: string, options: { argument?: string; cause?: unknown } = {}) {
    super(message, { code, retriable: code === 'SERVICE_UNAVAILABLE', cause: options.cause });
    this.argument = options.argument ?? null;
  }

  toGraphQLError(): GraphQLError {
    const extensions: Record<string, unknown> = { code: this.code };
    if (this.argument !== null) extensions.argumentName = this.argument;
    return new GraphQLError(this.message, { extensions });
  }
}
