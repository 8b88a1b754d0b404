/**
 * JWT bearer tokens from an identity provider, verified with `jose`: the
 * signature against the provider's JWKS (a URL, fetched and cached by jose, or
 * a local file), then issuer, audience, expiry and the algorithm allow-list.
 * Roles come from one configurable claim. `alg: none` and symmetric algorithms
 * are never accepted: the allow-list holds asymmetric algorithms only.
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JSONWebKeySet,
  type JWTPayload,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import { AuthError } from './auth-error';
import type { JwtAlgorithm } from './jwt-algorithms';
import { createPrincipal, isRole, type Principal, type Role } from './roles';

export { JWT_ALGORITHMS, type JwtAlgorithm } from './jwt-algorithms';

export interface JwtConfig {
  /** Exactly one of jwksUrl and jwks. */
  readonly jwksUrl?: string | null;
  readonly jwks?: JSONWebKeySet | null;
  readonly issuer: string;
  readonly audience: string;
  readonly algorithms: readonly JwtAlgorithm[];
  /** Claim holding the roles (an array of strings or a space-separated string); a dotted path reaches nested claims. */
  readonly rolesClaim: string;
  /** Leeway for exp/nbf between clocks. */
  readonly clockToleranceSec: number;
}

export interface JwtVerifier {
  verify(token: string): Promise<Principal>;
}

/** A compact JWS: three base64url parts. Anything else presented as a bearer token is an API key. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/.test(token);
}

function claimAt(payload: JWTPayload, path: string): unknown {
  if (path in payload) return payload[path];
  let value: unknown = payload;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

export function rolesFromClaim(value: unknown): Role[] {
  const items = typeof value === 'string' ? value.split(/\s+/) : Array.isArray(value) ? value : [];
  return items.filter(isRole);
}

/** Why a token was refused, in words safe for a client (no token content). */
function reasonOf(e: unknown): string {
  if (e instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (e instanceof joseErrors.JWTClaimValidationFailed) return `the token's ${e.claim} claim is not accepted`;
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return "the token's algorithm is not accepted";
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return "the token's signature is not valid";
  if (e instanceof joseErrors.JWKSNoMatchingKey) return 'the token was not signed by a known key';
  return 'the token is not valid';
}

export function createJwtVerifier(config: JwtConfig): JwtVerifier {
  const keys = config.jwksUrl
    ? createRemoteJWKSet(new URL(config.jwksUrl))
    : config.jwks
      ? createLocalJWKSet(config.jwks)
      : null;
  if (keys === null) throw new TypeError('createJwtVerifier: needs jwksUrl or jwks');
  return {
    async verify(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: config.issuer,
          audience: config.audience,
          algorithms: [...config.algorithms],
          clockTolerance: config.clockToleranceSec,
          requiredClaims: ['exp', 'sub'],
        }));
      } catch (e) {
        throw new AuthError('UNAUTHENTICATED', `Invalid bearer token: ${reasonOf(e)}`, { cause: e });
      }
      const sub = String(payload.sub);
      return createPrincipal(
        'jwt',
        `jwt:${payload.iss}|${sub}`,
        sub,
        rolesFromClaim(claimAt(payload, config.rolesClaim)),
        typeof payload.exp === 'number' ? payload.exp * 1000 : null,
      );
    },
  };
}
