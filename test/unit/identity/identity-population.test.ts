/**
 * A generated population through the real pipeline, scored against the
 * generator's ground truth: pairwise precision and recall of the profiles, and
 * 100% precision on the traps (family tablets shared by two userIds, junk
 * values such as test@test.com and "unknown").
 *
 * Ground truth: demo customer i owns its CRM key/userId, its CRM email and
 * phone, its own app/web anonymousIds and every anonymousId the stream shows
 * with its userId; a family tablet's anonymousId is shared (owned by both); an
 * anonymous visitor owns its anonymousId and the email it left. Identifiers
 * several people own (the tablet, test@test.com, an email two customers
 * happen to share) are left out of the pair counts and checked as traps.
 */

import { createIdentityResolver, createIdentityRules } from '../../../features/identity';
import { normalizeEmail, normalizePhone } from '../../../graph-schema';
import { createDemoPlan, createProfile, generateDemo } from '../../../scripts/demo';
import { createTestPipeline, type TestPipeline } from '../../helpers/hub-pipeline';

const OPTIONS = {
  customers: 240,
  seed: 20_260_901,
  startMs: Date.UTC(2026, 8, 1),
  days: 14,
  telemetryIntervalHours: 168,
} as const;

type Owner = string;
const JUNK_EMAIL = 'Identity:email:test@test.com';

function pairs(n: number): number {
  return (n * (n - 1)) / 2;
}

/** Pairwise precision and recall of a clustering against the truth (both: id → cluster). */
function pairScores(truth: ReadonlyMap<string, Owner>, predicted: ReadonlyMap<string, string>) {
  const joint = new Map<string, number>();
  const byTruth = new Map<string, number>();
  const byPredicted = new Map<string, number>();
  for (const [id, owner] of truth) {
    const profile = predicted.get(id);
    if (profile === undefined) continue;
    const key = JSON.stringify([owner, profile]);
    joint.set(key, (joint.get(key) ?? 0) + 1);
    byTruth.set(owner, (byTruth.get(owner) ?? 0) + 1);
    byPredicted.set(profile, (byPredicted.get(profile) ?? 0) + 1);
  }
  const tp = [...joint.values()].reduce((s, n) => s + pairs(n), 0);
  const predictedPairs = [...byPredicted.values()].reduce((s, n) => s + pairs(n), 0);
  const truePairs = [...byTruth.values()].reduce((s, n) => s + pairs(n), 0);
  return {
    precision: predictedPairs === 0 ? 1 : tp / predictedPairs,
    recall: truePairs === 0 ? 1 : tp / truePairs,
    identifiers: [...byTruth.values()].reduce((s, n) => s + n, 0),
    truePairs,
  };
}

describe('identity resolution on a generated population', () => {
  let t: TestPipeline;
  jest.setTimeout(300_000);

  beforeAll(async () => {
    t = await createTestPipeline({ overrides: { batchMaxWaitMs: 5 } });
  });
  afterAll(async () => {
    await t.close();
  });

  test('profiles match the ground truth; family tablets and junk values never merge two people', async () => {
    const plan = createDemoPlan(OPTIONS);
    const owners = new Map<string, Set<Owner>>();
    const own = (id: string | null, owner: Owner) => {
      if (id === null) return;
      const set = owners.get(id) ?? new Set<Owner>();
      set.add(owner);
      owners.set(id, set);
    };
    const identity = (type: string, value: string | undefined) => (value ? `Identity:${type}:${value}` : null);
    const tablets = new Set<string>();
    const families: [string, string][] = [];
    const junkPeople = new Set<string>();
    for (let i = 0; i < OPTIONS.customers; i++) {
      const c = createProfile(plan, i);
      own(`Customer:${c.id}`, c.id);
      own(identity('crmId', c.id), c.id);
      own(identity('userId', c.id), c.id);
      own(identity('email', normalizeEmail(c.email)), c.id);
      own(identity('phone', normalizePhone(c.phone)), c.id);
      own(identity('anonymousId', c.web.anonymousId), c.id);
      if (c.app) own(identity('anonymousId', c.app.anonymousId), c.id);
      if (c.sharedTablet) {
        own(identity('anonymousId', c.sharedTablet.anonymousId), c.id);
        tablets.add(`Identity:anonymousId:${c.sharedTablet.anonymousId}`);
        if (c.partnerIndex !== null && c.partnerIndex > i)
          families.push([c.id, createProfile(plan, c.partnerIndex).id]);
      }
      if (c.email === 'test@test.com' || c.phone === 'unknown') junkPeople.add(c.id);
    }

    const anonymous = new Map<string, string[]>();
    const tabletUsers = new Map<string, Set<string>>();
    let batch: Parameters<typeof t.pipeline.submit>[0][number][] = [];
    const flush = async () => {
      const result = await t.pipeline.submit(batch);
      expect(result.rejected).toEqual([]);
      batch = [];
    };
    for (const message of generateDemo(OPTIONS)) {
      if (message.source === 'segment' && message.value) {
        const e = JSON.parse(message.value.toString('utf8')) as Record<string, unknown>;
        const anon = typeof e.anonymousId === 'string' ? e.anonymousId : null;
        const user = typeof e.userId === 'string' ? e.userId : null;
        const anonId = identity('anonymousId', anon ?? undefined);
        if (user !== null && anonId !== null && !tablets.has(anonId)) own(anonId, user);
        if (user !== null && anonId !== null && tablets.has(anonId)) {
          tabletUsers.set(anonId, (tabletUsers.get(anonId) ?? new Set()).add(user));
        }
        if (user === null && anonId !== null) {
          const traits = (e.traits ?? {}) as Record<string, unknown>;
          const email = typeof traits.email === 'string' ? normalizeEmail(traits.email) : undefined;
          const known = anonymous.get(anonId) ?? [];
          if (email) known.push(`Identity:email:${email}`);
          anonymous.set(anonId, known);
        }
      }
      batch.push(message);
      if (batch.length >= 1000) await flush();
    }
    await flush();
    await t.pipeline.flush();
    // An anonymousId never seen with a userId is a visitor's, and so is the email the visitor left
    // (test@test.com, left by many, becomes a shared trap).
    for (const [anonId, emails] of anonymous) {
      if (owners.has(anonId)) continue;
      own(anonId, `visitor:${anonId}`);
      for (const email of emails) own(email, `visitor:${anonId}`);
    }

    // Identifiers nobody wrote (an app never opened) cannot be scored; those several people own are traps.
    const ids = [...owners.keys()];
    const present = await t.store.getVertices(ids);
    const resolver = createIdentityResolver({ store: t.store, rules: createIdentityRules() });
    const predicted = new Map<string, string>();
    const status = new Map<string, string>();
    const profileMembers = new Map<string, Set<string>>();
    const live = ids.filter((_, k) => present[k] !== null);
    for (let k = 0; k < live.length; k += 200) {
      const chunk = live.slice(k, k + 200);
      const profiles = await resolver.profilesOf(chunk);
      chunk.forEach((id, j) => {
        const profile = profiles[j];
        if (!profile) return;
        predicted.set(id, profile.id);
        status.set(id, profile.identifiers.find((x) => x.id === id)?.status ?? 'unknown');
        profileMembers.set(profile.id, new Set(profile.identifiers.map((x) => x.id)));
      });
    }
    // An identifier owned by two people whose profiles resolve to its own singleton is the correct answer.
    const truth = new Map<string, Owner>();
    const shared: string[] = [];
    for (const id of live) {
      const set = owners.get(id) as Set<Owner>;
      // The generator's junk values are nobody's identifier, however few people typed them.
      if (set.size === 1 && id !== JUNK_EMAIL) truth.set(id, [...set][0]);
      else shared.push(id);
    }
    const scores = pairScores(truth, predicted);
    const trapPeople = new Set([...families.flat(), ...junkPeople]);
    const trapTruth = new Map([...truth].filter(([, owner]) => trapPeople.has(owner)));
    const trapScores = pairScores(trapTruth, predicted);
    process.stdout.write(
      `identity population: ${OPTIONS.customers} customers, ${scores.identifiers} scored identifiers, ` +
        `${shared.length} shared (traps), ${families.length} families, ${junkPeople.size} CRM junk values\n` +
        `  precision ${(scores.precision * 100).toFixed(2)}%  recall ${(scores.recall * 100).toFixed(2)}%\n` +
        `  traps: precision ${(trapScores.precision * 100).toFixed(2)}%  recall ${(trapScores.recall * 100).toFixed(2)}%\n`,
    );

    expect(families.length).toBeGreaterThan(5);
    expect(shared).toContain(JUNK_EMAIL);
    expect(trapScores.precision).toBe(1);
    // Each family member keeps their own profile, and the shared tablet joins neither.
    for (const [a, b] of families) {
      expect(predicted.get(`Customer:${a}`)).toBe(`Customer:${a}`);
      expect(predicted.get(`Customer:${b}`)).toBe(`Customer:${b}`);
      expect(profileMembers.get(`Customer:${a}`)?.has(`Customer:${b}`)).toBe(false);
    }
    for (const id of shared) {
      // No profile holding a shared identifier as a member holds two owners' Customer vertices.
      const members = profileMembers.get(predicted.get(id) as string) ?? new Set();
      const customers = [...members].filter((m) => m.startsWith('Customer:'));
      expect(customers.length).toBeLessThanOrEqual(1);
    }
    // A tablet both family members used is contested; one only one of them used so far is simply theirs.
    const usedByBoth = [...tabletUsers].filter(([, users]) => users.size === 2).map(([id]) => id);
    expect(usedByBoth.length).toBeGreaterThan(3);
    for (const id of usedByBoth) expect(status.get(id)).toBe('contested');
    for (const [id, users] of tabletUsers) {
      if (users.size === 1) expect(predicted.get(id)).toBe(`Customer:${[...users][0]}`);
    }
    expect(status.get(JUNK_EMAIL)).toBe('blocked');
    expect(scores.precision).toBeGreaterThan(0.99);
    expect(scores.recall).toBeGreaterThan(0.9);
  });
});
