import type { IntrospectionMode } from './query-limits';

/** What one client may ask of the API; the config module resolves these (C360_GRAPHQL_*, C360_*_RATE_LIMIT_*). */
export interface ApiLimits {
  /** Deepest field nesting of one operation. */
  readonly maxDepth: number;
  /** Highest estimated cost of one operation (page sizes multiply). */
  readonly maxComplexity: number;
  /** Execution time of one HTTP operation before it answers TIMEOUT. */
  readonly timeoutMs: number;
  /** Largest GraphQL request body. */
  readonly maxBodyBytes: number;
  readonly introspection: IntrospectionMode;
  /** GraphQL requests per principal per minute (0 = unlimited). */
  readonly rateLimitPerMinute: number;
  /** Collector requests per write key (or client address) per minute (0 = unlimited). */
  readonly collectorRateLimitPerMinute: number;
  /** Origins allowed to call GraphQL from a browser; empty = same-origin only, `*` = any. */
  readonly corsOrigins: readonly string[];
  /**
   * Refused credentials (API keys, JWTs, write keys) per client address per minute before
   * that address gets 429 for every credentialed request until the minute ends (0 = unlimited).
   */
  readonly authFailuresPerMinute: number;
  /**
   * Which hops may set X-Forwarded-For, so limits by client address see the client and not
   * the load balancer (Express's `trust proxy`): false = none, a hop count, or addresses,
   * CIDR ranges and the names loopback, linklocal, uniquelocal.
   */
  readonly trustedProxies: TrustedProxies;
}

export type TrustedProxies = false | number | readonly string[];

/** Library defaults; app/config resolves the same names from flags and environment. */
export const DEFAULT_API_LIMITS: ApiLimits = {
  maxDepth: 12,
  maxComplexity: 50_000,
  timeoutMs: 15_000,
  maxBodyBytes: 256 * 1024,
  introspection: 'roles',
  rateLimitPerMinute: 1200,
  collectorRateLimitPerMinute: 6000,
  corsOrigins: [],
  authFailuresPerMinute: 30,
  trustedProxies: false,
};
