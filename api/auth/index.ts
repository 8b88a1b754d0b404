export {
  type ApiKeyCheck,
  type ApiKeyConfig,
  type ApiKeyVerifier,
  createApiKeyVerifier,
  hashApiKey,
  isApiKeyHash,
  MIN_API_KEY_LENGTH,
} from './api-keys';
export { type ApiLimits, DEFAULT_API_LIMITS } from './api-limits';
export { AuthError, type AuthErrorCode } from './auth-error';
export { createAuthMiddleware, principalOf } from './authenticate-request';
export {
  type AuthConfig,
  type Authenticator,
  type Credentials,
  createAuthenticator,
  credentialsFromParams,
} from './authenticator';
export { createCorsMiddleware } from './cors';
export {
  type AuditSpec,
  type FieldCoordinate,
  type MaskRule,
  type ModulePolicy,
  mergePolicies,
  type SchemaPolicy,
} from './field-policy';
export {
  createHeavyWorkLimiter,
  DEFAULT_HEAVY_WORK_LIMITS,
  HEAVY_WORK_REFUSED,
  type HeavyWorkLimiter,
  type HeavyWorkLimits,
} from './heavy-work';
export {
  createJwtVerifier,
  JWT_ALGORITHMS,
  type JwtAlgorithm,
  type JwtConfig,
  type JwtVerifier,
  looksLikeJwt,
  rolesFromClaim,
} from './jwt-verifier';
export { LOG_REDACT_PATHS } from './log-redaction';
export {
  maskCustomerKey,
  maskEmail,
  maskEmailsInText,
  maskIdentifier,
  maskPhone,
  maskProps,
  maskText,
  maskValue,
  maskVertexId,
} from './pii-mask';
export {
  createQueryLimitsPlugin,
  depthLimitRule,
  INTROSPECTION_ROLES,
  type IntrospectionMode,
  mayIntrospect,
  operationCost,
  pageCostEstimator,
  type QueryLimits,
  safeOperationCost,
  tooComplexError,
} from './query-limits';
export {
  createCollectorRateLimit,
  createGraphQLRateLimit,
  createOperationBudget,
  type OperationBudget,
} from './rate-limiters';
export {
  createPrincipal,
  DEMO_PRINCIPAL,
  hasAnyRole,
  isRole,
  PII_ROLES,
  type Principal,
  type PrincipalKind,
  ROLES,
  type Role,
} from './roles';
export {
  rootFieldCoordinates,
  type SecureSchemaOptions,
  type SecurityContext,
  secureSchema,
  TIMEOUT_CODE,
  unpolicedRootFields,
} from './secure-schema';
export {
  type AuditOutcome,
  createFileSecurityAuditLog,
  createMemorySecurityAuditLog,
  type SecurityAuditEntry,
  type SecurityAuditLog,
} from './security-audit-log';
export { createSubscriptionSecurity, type SubscriptionSecurityDeps } from './subscription-security';
