import { GraphQLError } from 'graphql';
import { C360Error } from '../../graph-schema';

export type AuthErrorCode = 'UNAUTHENTICATED' | 'FORBIDDEN';

/**
 * A refused request. The message is safe for clients: it says what is missing
 * (credentials, a role), never why a token failed in detail beyond a short
 * reason, and never echoes the credential.
 */
export class AuthError extends C360Error {
  override name = 'AuthError';
  declare readonly code: AuthErrorCode;
  constructor(code: AuthErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, { code, retriable: false, cause: options.cause });
  }

  get httpStatus(): 401 | 403 {
    return this.code === 'UNAUTHENTICATED' ? 401 : 403;
  }

  toGraphQLError(): GraphQLError {
    return new GraphQLError(this.message, { extensions: { code: this.code } });
  }
}
