/**
 * A demo customer, computed from (seed, index) alone: nothing per customer is
 * stored, so the generator can recompute a profile whenever a session, a
 * telemetry report or a ticket needs it.
 */
import {
  ANDROID_PHONES,
  COUNTRIES,
  type CountryProfile,
  DESKTOPS,
  type DemoVocabulary,
  type DeviceModel,
  IOS_PHONES,
  PLANS_BUSINESS,
  PLANS_RESIDENTIAL,
  ROUTER_MODELS,
  SET_TOP_BOX_MODELS,
  TABLETS,
} from './demo-vocabulary';
import { createPrng, hash32, type Prng } from './prng';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** Everything about the run that profiles depend on. */
export interface DemoPlan {
  readonly seed: number;
  readonly customers: number;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  /** Customers [0, snapshotCount) exist before the window (Debezium snapshot); the rest sign up during it. */
  readonly snapshotCount: number;
  /** Which pairs (2k, 2k+1) are families and which customers' routers degrade; seed-dependent offsets. */
  readonly familyOffset: number;
  readonly degradedOffset: number;
  readonly vocabulary: DemoVocabulary;
}

/** One in FAMILY_EVERY customer pairs shares a tablet; one in DEGRADED_EVERY customers gets a failing router. */
export const FAMILY_EVERY = 8;
export const DEGRADED_EVERY = 25;

export interface WebClient {
  readonly kind: 'web';
  readonly deviceId: string;
  readonly anonymousId: string;
  readonly type: 'desktop';
  readonly manufacturer: string;
  readonly model: string;
  readonly userAgent: string;
}

export interface AppClient {
  readonly kind: 'app';
  readonly platform: 'ios' | 'android';
  readonly deviceId: string;
  readonly anonymousId: string;
  readonly manufacturer: string;
  readonly model: string;
  readonly osVersion: string;
  readonly appVersion: string;
  /** Some phones' clocks are off: Segment's sentAt/receivedAt correction has something to fix. */
  readonly clockSkewMs: number;
}

export interface HomeDevice {
  readonly deviceId: string;
  readonly type: 'router' | 'set-top-box';
  readonly model: DeviceModel;
  readonly firmware: string;
  /** Numeric id for hashing per-report randomness. */
  readonly salt: number;
}

export interface Degradation {
  readonly onsetMs: number;
  /** A technician fixes it (health goes GREEN again); null when it stays broken. */
  readonly recoverMs: number | null;
  /** When the customer calls support about it; null when they never do. */
  readonly ticketMs: number | null;
}

export interface CustomerProfile {
  readonly index: number;
  readonly id: string;
  readonly country: CountryProfile;
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
  readonly phone: string;
  readonly plan: string;
  readonly business: { readonly company: string; readonly industry: string; readonly employees: number } | null;
  readonly lifetimeValueCents: number;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  /** Null for customers that already exist when the window starts. */
  readonly signupMs: number | null;
  readonly address: { readonly line1: string; readonly city: string; readonly postalCode: string };
  readonly accountId: string;
  readonly accountStatus: 'active' | 'suspended';
  /** Relative session rate in (0, 1]. */
  readonly activity: number;
  readonly homeIp: string;
  readonly web: WebClient;
  readonly app: AppClient | null;
  /** The family tablet shared with the partner customer (same device id and anonymousId). */
  readonly sharedTablet: AppClient | null;
  readonly partnerIndex: number | null;
  readonly devices: readonly HomeDevice[];
  readonly devicesInstalledMs: number;
  readonly degradation: Degradation | null;
}

export function customerId(index: number): string {
  return `C${String(index + 1).padStart(7, '0')}`;
}

const COUNTRY_WEIGHTS = COUNTRIES.map((c) => [c, c.weight] as const);
/** Names come from bounded pools, so their email-safe forms are worth remembering. */
const asciiCache = new Map<string, string>();

function asciiLocal(value: string): string {
  let ascii = asciiCache.get(value);
  if (ascii === undefined) {
    ascii = toAscii(value);
    if (asciiCache.size < 50_000) asciiCache.set(value, ascii);
  }
  return ascii;
}

function toAscii(value: string): string {
  return value
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

function emailFor(prng: Prng, first: string, last: string, domains: readonly string[]): string {
  const f = asciiLocal(first) || 'user';
  const l = asciiLocal(last) || 'mail';
  const local = prng.pick([`${f}.${l}`, `${f[0]}.${l}`, `${f}${l}`, `${l}.${f}`, `${f}_${l}`]);
  const suffix = prng.chance(0.45) ? String(prng.between(1, 99)) : '';
  return `${local}${suffix}@${prng.pick(domains)}`;
}

function phoneFor(prng: Prng, prefixes: readonly string[]): string {
  return `${prng.pick(prefixes)} ${String(prng.between(1000000, 9999999))}`;
}

function deviceIdFor(prng: Prng): string {
  return prng.uuid().toUpperCase();
}

function appClient(prng: Prng, model: DeviceModel, platform: 'ios' | 'android', skewed: boolean): AppClient {
  return {
    kind: 'app',
    platform,
    deviceId: deviceIdFor(prng),
    anonymousId: prng.uuid(),
    manufacturer: model.manufacturer,
    model: model.model,
    osVersion: platform === 'ios' ? prng.pick(['17.4.1', '17.5', '16.7.8']) : prng.pick(['14', '13', '12']),
    appVersion: prng.pick(['5.12.0', '5.11.2', '5.10.1']),
    clockSkewMs: skewed ? (prng.chance(0.5) ? 1 : -1) * prng.between(2 * 60_000, 3 * HOUR_MS) : 0,
  };
}

function sharedTabletFor(plan: DemoPlan, familyIndex: number): AppClient {
  const prng = createPrng(hash32(plan.seed, 0x7ab, familyIndex));
  const model = prng.pick(TABLETS);
  return appClient(prng, model, model.manufacturer === 'Apple' ? 'ios' : 'android', false);
}

/** Signup times rise with the index, so the generator finds this hour's signups with a pointer. */
export function signupTimeMs(plan: DemoPlan, index: number): number | null {
  if (index < plan.snapshotCount) return null;
  const newcomers = plan.customers - plan.snapshotCount;
  const j = index - plan.snapshotCount;
  const jitter = 0.25 + 0.5 * createPrng(hash32(plan.seed, 0x516, index)).next();
  const span = (plan.windowEndMs - plan.windowStartMs) * 0.97;
  return Math.floor(plan.windowStartMs + ((j + jitter) / newcomers) * span);
}

export function isDegraded(plan: DemoPlan, index: number): boolean {
  return (index + plan.degradedOffset) % DEGRADED_EVERY === 0;
}

export function familyPartner(plan: DemoPlan, index: number): number | null {
  const family = index >> 1;
  const partner = index ^ 1;
  if (partner >= plan.customers || (family + plan.familyOffset) % FAMILY_EVERY !== 0) return null;
  return partner;
}

export function createProfile(plan: DemoPlan, index: number): CustomerProfile {
  const prng = createPrng(hash32(plan.seed, 0xc05, index));
  const country = prng.weighted(COUNTRY_WEIGHTS);
  const words = plan.vocabulary.countries[country.code];
  const firstName = prng.pick(words.firstNames);
  const lastName = prng.pick(words.lastNames);
  const isBusiness = prng.chance(0.08);
  const business = isBusiness
    ? {
        company: prng.pick(plan.vocabulary.companies),
        industry: prng.pick(plan.vocabulary.industries),
        employees: prng.pick([3, 8, 15, 40, 120]),
      }
    : null;
  const plan_ = prng.weighted(isBusiness ? PLANS_BUSINESS : PLANS_RESIDENTIAL);
  // Junk the identity resolver must not merge on: a placeholder email or phone typed into the CRM.
  const email = prng.chance(0.004) ? 'test@test.com' : emailFor(prng, firstName, lastName, country.emailDomains);
  const phone = prng.chance(0.004) ? 'unknown' : phoneFor(prng, country.phonePrefixes);

  const signupMs = signupTimeMs(plan, index);
  const createdAtMs = signupMs ?? plan.windowStartMs - prng.between(20, 2500) * DAY_MS - prng.between(0, DAY_MS - 1);
  const updatedAtMs = signupMs ?? createdAtMs + Math.floor(prng.next() * (plan.windowStartMs - createdAtMs - HOUR_MS));

  const desktop = prng.pick(DESKTOPS);
  const web: WebClient = {
    kind: 'web',
    deviceId: deviceIdFor(prng),
    anonymousId: prng.uuid(),
    type: 'desktop',
    manufacturer: desktop.manufacturer,
    model: desktop.model,
    userAgent: desktop.userAgent,
  };
  let app: AppClient | null = null;
  if (prng.chance(0.65)) {
    const ios = prng.chance(0.45);
    app = appClient(prng, prng.pick(ios ? IOS_PHONES : ANDROID_PHONES), ios ? 'ios' : 'android', prng.chance(0.03));
  }

  const partnerIndex = familyPartner(plan, index);
  const family = index >> 1;
  // A household shares its public IP: one more weak signal that ties family members together.
  const ipPrng = createPrng(hash32(plan.seed, 0x1b, partnerIndex === null ? index : family + 0x40000000));
  const homeIp = `${ipPrng.between(31, 217)}.${ipPrng.between(0, 255)}.${ipPrng.between(0, 255)}.${ipPrng.between(1, 254)}`;

  const router: HomeDevice = {
    deviceId: `rtr-${prng.hex(12)}`,
    type: 'router',
    model: prng.pick(ROUTER_MODELS),
    firmware: prng.pick(['7.57', '7.56', '7.39']),
    salt: hash32(plan.seed, 0xd0, index),
  };
  const devices: HomeDevice[] = [router];
  if (plan_.includes('TV') || prng.chance(0.3)) {
    devices.push({
      deviceId: `stb-${prng.hex(12)}`,
      type: 'set-top-box',
      model: prng.pick(SET_TOP_BOX_MODELS),
      firmware: prng.pick(['3.2.1', '3.1.9']),
      salt: hash32(plan.seed, 0xd1, index),
    });
  }
  const devicesInstalledMs =
    signupMs === null
      ? Math.min(createdAtMs + 2 * DAY_MS, plan.windowStartMs - HOUR_MS)
      : signupMs + prng.between(1, 3) * DAY_MS;

  let degradation: Degradation | null = null;
  if (isDegraded(plan, index)) {
    const windowMs = plan.windowEndMs - plan.windowStartMs;
    let onsetMs = plan.windowStartMs + Math.floor(windowMs * prng.range(0.35, 0.8));
    onsetMs = Math.max(onsetMs, devicesInstalledMs + DAY_MS);
    if (onsetMs < plan.windowEndMs - 12 * HOUR_MS) {
      degradation = {
        onsetMs,
        recoverMs: prng.chance(0.5) ? onsetMs + Math.floor(prng.range(2, 6) * DAY_MS) : null,
        ticketMs: prng.chance(0.8) ? onsetMs + Math.floor(prng.range(6, 36) * HOUR_MS) : null,
      };
    }
  }

  return {
    index,
    id: customerId(index),
    country,
    firstName,
    lastName,
    email,
    phone,
    plan: plan_,
    business,
    lifetimeValueCents: prng.between(0, 400_000),
    createdAtMs,
    updatedAtMs,
    signupMs,
    address: {
      line1: `${prng.pick(words.streets)} ${prng.between(1, 180)}`,
      city: prng.pick(words.cities),
      postalCode: prng.pick(words.postalCodes),
    },
    accountId: prng.uuid(),
    accountStatus: prng.chance(0.02) ? 'suspended' : 'active',
    activity: prng.range(0.15, 1),
    homeIp,
    web,
    app,
    sharedTablet: partnerIndex === null ? null : sharedTabletFor(plan, family),
    partnerIndex,
    devices,
    devicesInstalledMs,
    degradation,
  };
}
