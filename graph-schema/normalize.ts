import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js';
/**
 * Value normalizers the mappings name declaratively. Identifiers are
 * normalized before they become keys so that `Ann@Example.com ` and
 * `ann@example.com` are one Identity vertex whichever source saw it.
 */
import type { JsonValue } from './json';

export type Normalizer = 'string' | 'number' | 'timestamp' | 'email' | 'phone' | 'lower' | 'json';

export function normalizeEmail(value: string): string | undefined {
  const v = value.trim().toLowerCase();
  // One '@' with something on both sides; anything else is not an email worth keying on.
  return /^[^\s@]+@[^\s@]+$/.test(v) ? v : undefined;
}

/**
 * The country a phone number without a country code belongs to (`C360_PHONE_REGION`, ISO
 * 3166 alpha-2). Process-wide on purpose: every writer and reader of one deployment must key
 * phones alike, and the normalizer runs deep inside pure mapping evaluation; app/wiring sets
 * it once at startup from the config.
 */
let defaultPhoneRegion: CountryCode | undefined;

export function setDefaultPhoneRegion(region: string | null): void {
  if (region !== null && !isSupportedCountry(region)) {
    throw new TypeError(`setDefaultPhoneRegion: ${region} is not a supported ISO 3166 country code`);
  }
  defaultPhoneRegion = region === null ? undefined : (region as CountryCode);
}

export function isPhoneRegion(region: string): boolean {
  return isSupportedCountry(region);
}

/**
 * Phone numbers keyed as `+` and digits (E.164). A national number (no `+`/`00`) is put in
 * E.164 with the configured default region (libphonenumber-js knows each country's trunk
 * prefix: `01511 677784` in DE is `+491511677784`); without a region it stays its digits.
 */
export function normalizePhone(value: string): string | undefined {
  const trimmed = value.trim();
  const digits = trimmed.replace(/[^\d]/g, '');
  if (digits.length < 5 || digits.length > 15) return undefined;
  if (trimmed.startsWith('+') || trimmed.startsWith('00'))
    return `+${trimmed.startsWith('00') ? digits.slice(2) : digits}`;
  if (defaultPhoneRegion) {
    const parsed = parsePhoneNumberFromString(trimmed, defaultPhoneRegion);
    if (parsed?.isPossible()) return parsed.number;
  }
  return digits;
}

export function toTimestampMs(value: JsonValue | undefined): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === 'string' && value.trim() !== '') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/**
 * Apply a normalizer. Returns undefined when the value cannot be normalized,
 * which mappings treat as "absent" (the vertex or property is skipped).
 */
export function normalizeValue(value: JsonValue | undefined, as: Normalizer): JsonValue | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  switch (as) {
    case 'json':
      return value;
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return undefined;
    case 'lower':
      return typeof value === 'string' ? value.trim().toLowerCase() : undefined;
    case 'number': {
      // Debezium sends decimals as strings with decimal.handling.mode=string.
      const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
      return Number.isFinite(n) ? n : undefined;
    }
    case 'timestamp':
      return toTimestampMs(value);
    case 'email':
      return typeof value === 'string' ? normalizeEmail(value) : undefined;
    case 'phone':
      return typeof value === 'string' || typeof value === 'number' ? normalizePhone(String(value)) : undefined;
    default: {
      const never: never = as;
      throw new TypeError(`normalizeValue: unknown normalizer ${String(never)}`);
    }
  }
}
