/** Roles, audit and masks of the identity module (identity-type-defs.ts). */
import type { ModulePolicy } from '../../../api/auth/field-policy';
import { maskCustomerKey, maskIdentifier, maskVertexId } from '../../../api/auth/pii-mask';

const idArg = (args: Readonly<Record<string, unknown>>, name: string) =>
  typeof args[name] === 'string' ? maskVertexId(args[name] as string) : null;

export const identityPolicy: ModulePolicy = {
  roles: {
    // Its arguments are raw identifiers and its answer names them.
    'Query.explainMerge': ['agent', 'admin'],
    'Mutation.unlinkIdentity': ['admin'],
    'Mutation.forgetCustomer': ['admin'],
  },
  audit: {
    'Query.explainMerge': {
      kind: 'read',
      describe(args, result) {
        const r = result as { sameProfile?: boolean; profileId?: string | null } | undefined;
        const a = args.a as { type?: unknown } | undefined;
        const b = args.b as { type?: unknown } | undefined;
        return {
          subject: r?.profileId ? maskVertexId(r.profileId) : null,
          details: { types: [String(a?.type), String(b?.type)], sameProfile: r?.sameProfile ?? null },
        };
      },
    },
    'Mutation.unlinkIdentity': {
      kind: 'mutation',
      describe(args, result) {
        const r = result as { removed?: number; profileIds?: string[] } | undefined;
        const identifier = args.identifier as { type?: unknown } | undefined;
        return {
          subject: r?.profileIds?.[0] ? maskVertexId(r.profileIds[0]) : idArg(args, 'from'),
          details: {
            identifierType: String(identifier?.type),
            removed: r?.removed ?? null,
            profileIds: (r?.profileIds ?? []).map(maskVertexId),
          },
        };
      },
    },
    'Mutation.forgetCustomer': {
      kind: 'mutation',
      describe(args, result) {
        const r = result as { auditId?: string } | undefined;
        // The identity audit log (auditId) holds what was erased; this entry binds it to the principal.
        return { subject: idArg(args, 'id'), details: { identityAuditId: r?.auditId ?? null } };
      },
    },
  },
  masks: {
    'IdentifierRef.value': (v, parent) => {
      if (typeof v !== 'string') return v;
      const type = String((parent as { type?: unknown } | null)?.type ?? '');
      return type === 'customer' ? maskCustomerKey(v) : maskIdentifier(type, v);
    },
  },
};
