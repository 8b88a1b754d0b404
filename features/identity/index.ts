/** Identity resolution: profiles from evidence (explainable, reversible, guarded) and forgetting a customer. */
export { type AuditEntry, type AuditLog, createFileAuditLog, createMemoryAuditLog } from './audit-log';
export {
  CUSTOMER_TYPE,
  EVIDENCE_EDGE_LABELS,
  type EvidenceGraph,
  type EvidenceLink,
  type EvidenceNode,
  loadEvidenceGraph,
} from './evidence-graph';
export {
  CUSTOMER_FORGOTTEN,
  type CustomerForgetter,
  type CustomerForgetterDeps,
  createCustomerForgetter,
  type ForgetRequest,
  type ForgetResult,
  forgetVersion,
  forgottenActionId,
} from './forget-customer';
export { identifierVertexId } from './identifier-id';
export { IdentityError, type IdentityErrorCode } from './identity-error';
export {
  createIdentityResolver,
  type IdentifierRef,
  type IdentityResolver,
  type IdentityResolverDeps,
  type MergeExplanation,
  type Profile,
  type ProfileEvidence,
  type ProfileIdentifier,
  type UnlinkResult,
} from './identity-resolver';
export {
  createIdentityRules,
  DEFAULT_IDENTITY_RULES,
  type IdentifierTypeRule,
  type IdentityRules,
  type IdentityRulesInput,
  identityRulesSchema,
} from './identity-rules';
export { createProfileCache, type ProfileCache, type ProfileCacheSlots } from './profile-cache';
export { type LinkStatus, type NodeStatus, type Resolution, resolveEvidence } from './resolve-evidence';
