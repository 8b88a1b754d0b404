/**
 * Who may do what: the roles a principal (an API key or a JWT subject) holds.
 * Roles are coarse on purpose — one per job — and every GraphQL root field
 * declares which of them it admits (see each module's policy file).
 */
export const ROLES = ['agent', 'marketer', 'analyst', 'admin', 'ingest'] as const;
export type Role = (typeof ROLES)[number];

/** Roles that see personal data unmasked: agents serve one customer at a time, admins answer for the data. */
export const PII_ROLES: readonly Role[] = ['agent', 'admin'];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export type PrincipalKind = 'apiKey' | 'jwt' | 'demo';

export interface Principal {
  /** Stable and safe to log: `apiKey:<name>`, `jwt:<issuer>|<sub>` or `demo`. Never the credential. */
  readonly id: string;
  /** A display name: the key's name or the token's subject. */
  readonly name: string;
  readonly kind: PrincipalKind;
  readonly roles: ReadonlySet<Role>;
  /** True when the principal may see raw personal data (holds a PII role). */
  readonly pii: boolean;
  /** When the credential stops being valid (API key expiresAt, JWT exp); null: it does not expire. */
  readonly expiresAtMs: number | null;
}

export function createPrincipal(
  kind: PrincipalKind,
  id: string,
  name: string,
  roles: Iterable<Role>,
  expiresAtMs: number | null = null,
): Principal {
  const set = new Set(roles);
  return { id, name, kind, roles: set, pii: PII_ROLES.some((r) => set.has(r)), expiresAtMs };
}

/**
 * Demo mode runs without credentials: requests that bring none act as this
 * principal, which holds every role. Startup says so loudly.
 */
export const DEMO_PRINCIPAL: Principal = createPrincipal('demo', 'demo', 'demo (no authentication)', ROLES);

export function hasAnyRole(principal: Principal, roles: readonly Role[]): boolean {
  return roles.some((r) => principal.roles.has(r));
}
