/**
 * The shape of the policy each GraphQL module declares next to its schema:
 * which roles may use which field, which uses are audited, and how values are
 * masked for principals without a PII role. `secureSchema` enforces all three
 * centrally when the schema is built.
 */
import type { JsonObject } from '../../graph-schema';
import type { OpaqueIds } from './opaque-ids';
import type { Role } from './roles';

/** `Type.field`, e.g. `Query.customer`. */
export type FieldCoordinate = `${string}.${string}`;

export interface AuditSpec {
  readonly kind: 'read' | 'mutation';
  /**
   * What the entry records: the subject id and safe details. Gets the field's
   * arguments and, when it succeeded, its result. Must not copy personal values.
   */
  describe(args: Readonly<Record<string, unknown>>, result: unknown): { subject: string | null; details?: JsonObject };
}

/** What a mask rule may use besides the value: the hub's opaque ids (null: ids are masked by shape). */
export interface MaskTools {
  readonly ids: OpaqueIds | null;
}

/** Masks one field's value (already resolved, lists included) for a principal without PII access. */
export type MaskRule = (value: unknown, parent: unknown, tools: MaskTools) => unknown;

export interface ModulePolicy {
  /** Roles admitted per field. Every Query, Mutation and Subscription field needs an entry; others may have one. */
  readonly roles: Readonly<Record<FieldCoordinate, readonly Role[]>>;
  readonly audit?: Readonly<Record<FieldCoordinate, AuditSpec>>;
  /** Overrides of the default masking (by output type: ID, String, JSON). `null` = never masked. */
  readonly masks?: Readonly<Record<FieldCoordinate, MaskRule | null>>;
}

export interface SchemaPolicy {
  readonly roles: ReadonlyMap<string, readonly Role[]>;
  readonly audit: ReadonlyMap<string, AuditSpec>;
  readonly masks: ReadonlyMap<string, MaskRule | null>;
}

/**
 * Merges module policies; a later module's entry for the same coordinate wins,
 * as its resolver does when modules are merged.
 */
export function mergePolicies(policies: readonly ModulePolicy[]): SchemaPolicy {
  const roles = new Map<string, readonly Role[]>();
  const audit = new Map<string, AuditSpec>();
  const masks = new Map<string, MaskRule | null>();
  for (const p of policies) {
    for (const [k, v] of Object.entries(p.roles)) roles.set(k, v);
    for (const [k, v] of Object.entries(p.audit ?? {})) audit.set(k, v);
    for (const [k, v] of Object.entries(p.masks ?? {})) masks.set(k, v);
  }
  return { roles, audit, masks };
}
