/**
 * Identity resolution rules as configuration: which identifier types may join
 * profiles, in which order they are trusted, how many of each one profile may
 * hold, which values are junk, and when an identifier is a supernode. Every
 * default lives here; callers pass overrides that are validated (zod) and fail
 * fast with the setting's name.
 */
import { z } from 'zod';
import { ConfigError } from '../../graph-schema';

const typeRuleSchema = z.object({
  /** May evidence through this identifier type join profiles at all? */
  merge: z.boolean(),
  /** Lower is trusted first: profiles form around strong keys before weak ones are attached. */
  priority: z.number().int().min(0),
  /** Most identifiers of this type one profile may hold; null is unlimited. */
  maxPerProfile: z.number().int().positive().nullable(),
  /** Supernode guard: an identifier with more evidence links than this stops merging and is flagged. */
  maxLinks: z.number().int().positive(),
});
export type IdentifierTypeRule = z.infer<typeof typeRuleSchema>;

export const identityRulesSchema = z.object({
  /**
   * Per identifier type. `customer` is the Customer vertex itself (keyed by the
   * CRM key or userId): the anchor every profile prefers as its id.
   */
  types: z.record(z.string().min(1), typeRuleSchema),
  /** Types not listed (e.g. `context.externalIds` types). */
  defaultType: typeRuleSchema,
  /** Values that never join anything, whatever their type; compared trimmed and lower-cased. */
  blocklist: z.array(z.string()),
  /** Values blocked for one type only (e.g. a device id every shared kiosk reports). */
  blocklistByType: z.record(z.string(), z.array(z.string())),
  /** Evidence read per resolution stops after this many identifiers (the answer is then marked truncated). */
  maxComponentNodes: z.number().int().positive(),
});
export type IdentityRules = z.infer<typeof identityRulesSchema>;

export const DEFAULT_IDENTITY_RULES: IdentityRules = {
  types: {
    customer: { merge: true, priority: 0, maxPerProfile: null, maxLinks: 10_000 },
    crmId: { merge: true, priority: 0, maxPerProfile: 1, maxLinks: 20 },
    userId: { merge: true, priority: 0, maxPerProfile: 1, maxLinks: 20 },
    email: { merge: true, priority: 1, maxPerProfile: 5, maxLinks: 20 },
    phone: { merge: true, priority: 2, maxPerProfile: 5, maxLinks: 20 },
    anonymousId: { merge: true, priority: 4, maxPerProfile: 50, maxLinks: 20 },
    // Weak signals: shared by households and offices; recorded, never merged.
    ip: { merge: false, priority: 9, maxPerProfile: null, maxLinks: 20 },
  },
  defaultType: { merge: true, priority: 3, maxPerProfile: 10, maxLinks: 20 },
  blocklist: [
    '',
    '-',
    '0',
    'n/a',
    'na',
    'none',
    'null',
    'nil',
    'undefined',
    'unknown',
    'anonymous',
    'guest',
    'test',
    'shared',
    'shared-device',
    'test@test.com',
    'test@example.com',
    'email@example.com',
    'noreply@example.com',
    'no@email.com',
    'none@none.com',
    '00000000-0000-0000-0000-000000000000',
    '00000',
    '000000',
    '0000000',
    '00000000',
    '000000000',
    '0000000000',
    '1234567890',
  ],
  blocklistByType: {},
  maxComponentNodes: 2_000,
};

/** A partial override: type rules replace per type, lists replace whole. */
export type IdentityRulesInput = Partial<Omit<IdentityRules, 'types'>> & {
  readonly types?: Readonly<Record<string, Partial<IdentifierTypeRule>>>;
};

/** Defaults overlaid with `input`, validated; a bad value is a ConfigError naming the setting. */
export function createIdentityRules(input: IdentityRulesInput = {}): IdentityRules {
  const types: Record<string, unknown> = { ...DEFAULT_IDENTITY_RULES.types };
  for (const [name, rule] of Object.entries(input.types ?? {})) {
    types[name] = { ...(DEFAULT_IDENTITY_RULES.types[name] ?? DEFAULT_IDENTITY_RULES.defaultType), ...rule };
  }
  const parsed = identityRulesSchema.safeParse({ ...DEFAULT_IDENTITY_RULES, ...input, types });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`identity.rules.${issue.path.join('.')}`, issue.message);
  }
  return parsed.data;
}

export function ruleFor(rules: IdentityRules, type: string): IdentifierTypeRule {
  return Object.hasOwn(rules.types, type) ? rules.types[type] : rules.defaultType;
}

export function isBlocked(rules: IdentityRules, type: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (rules.blocklist.includes(v)) return true;
  const byType = Object.hasOwn(rules.blocklistByType, type) ? rules.blocklistByType[type] : undefined;
  return byType?.includes(v) ?? false;
}
