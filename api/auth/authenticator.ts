/**
 * Turns what a request brings (an `Authorization: Bearer …` header, an
 * `X-Api-Key` header, or the same in a graphql-ws `connection_init` payload)
 * into a Principal. Bearer tokens shaped like a JWT are verified as JWTs;
 * other bearer tokens are API keys. Collector write keys are not API
 * credentials: they are never looked up here.
 *
 * Demo mode admits requests that bring no credentials as DEMO_PRINCIPAL; a
 * request that brings credentials is verified in every mode, so a wrong or
 * expired key is refused even in demo mode.
 */
import { type ApiKeyConfig, createApiKeyVerifier } from './api-keys';
import { AuthError } from './auth-error';
import { createJwtVerifier, type JwtConfig, looksLikeJwt } from './jwt-verifier';
import { DEMO_PRINCIPAL, type Principal } from './roles';

export interface AuthConfig {
  /** Admit requests without credentials as the all-roles demo principal. */
  readonly demo: boolean;
  readonly apiKeys: readonly ApiKeyConfig[];
  readonly jwt: JwtConfig | null;
}

export interface Credentials {
  readonly authorization?: string | null;
  readonly apiKey?: string | null;
}

export interface Authenticator {
  readonly mode: 'demo' | 'required';
  /** @throws AuthError UNAUTHENTICATED when credentials are missing (outside demo mode) or not valid. */
  authenticate(credentials: Credentials): Promise<Principal>;
}

const MAX_CREDENTIAL_LENGTH = 8192;

/** Header-like values from a graphql-ws connection_init payload (clients spell them in several ways). */
export function credentialsFromParams(params: Readonly<Record<string, unknown>> | undefined | null): Credentials {
  const pick = (...names: string[]) => {
    for (const n of names) {
      const v = params?.[n];
      if (typeof v === 'string') return v;
    }
    return null;
  };
  const headers = params?.headers;
  const nested =
    headers !== null && typeof headers === 'object'
      ? (headers as Record<string, unknown>)
      : ({} as Record<string, unknown>);
  const fromNested = (...names: string[]) => {
    for (const n of names) if (typeof nested[n] === 'string') return nested[n] as string;
    return null;
  };
  return {
    authorization: pick('authorization', 'Authorization') ?? fromNested('authorization', 'Authorization'),
    apiKey: pick('apiKey', 'x-api-key', 'X-Api-Key') ?? fromNested('x-api-key', 'X-Api-Key'),
  };
}

export function createAuthenticator(config: AuthConfig): Authenticator {
  const keys = createApiKeyVerifier(config.apiKeys);
  const jwt = config.jwt ? createJwtVerifier(config.jwt) : null;

  function apiKey(token: string): Principal {
    const check = keys.verify(token);
    if (check.ok) return check.principal;
    throw new AuthError(
      'UNAUTHENTICATED',
      check.reason === 'expired' ? 'Invalid API key: the key has expired' : 'Invalid API key',
    );
  }

  return {
    mode: config.demo ? 'demo' : 'required',
    async authenticate(credentials) {
      const authorization = credentials.authorization?.trim() || null;
      const headerKey = credentials.apiKey?.trim() || null;
      if (authorization === null && headerKey === null) {
        if (config.demo) return DEMO_PRINCIPAL;
        throw new AuthError(
          'UNAUTHENTICATED',
          'Authentication required: send Authorization: Bearer <token or API key> or X-Api-Key',
        );
      }
      if ((authorization?.length ?? 0) > MAX_CREDENTIAL_LENGTH || (headerKey?.length ?? 0) > MAX_CREDENTIAL_LENGTH) {
        throw new AuthError('UNAUTHENTICATED', 'Credentials too long');
      }
      if (authorization !== null && headerKey !== null) {
        throw new AuthError('UNAUTHENTICATED', 'Send one credential: Authorization or X-Api-Key, not both');
      }
      if (headerKey !== null) return apiKey(headerKey);
      const match = /^Bearer\s+(\S+)$/i.exec(authorization as string);
      if (!match) {
        // Basic auth is how collector write keys travel; GraphQL never takes them.
        throw new AuthError('UNAUTHENTICATED', 'Unsupported Authorization scheme: use Bearer');
      }
      const token = match[1];
      if (looksLikeJwt(token)) {
        if (jwt === null) throw new AuthError('UNAUTHENTICATED', 'Invalid bearer token: JWTs are not accepted here');
        return jwt.verify(token);
      }
      return apiKey(token);
    },
  };
}
