/**
 * Masking of personal data for principals without a PII role. What is
 * personal comes from graph-schema's `pii: true` marks; values that look like
 * an email or a phone number are masked wherever they appear in free-form
 * JSON (event properties, undeclared traits), because senders put them there.
 *
 *   ann.lee@example.com → a***@example.com   (the domain stays: marketers segment by it)
 *   +447700900100       → +44********00      (country code and last two digits stay)
 *   Ann Lee             → A***               (fixed length: the length leaks nothing)
 */
import { findNumbers, isPossiblePhoneNumber } from 'libphonenumber-js';
import {
  isPlainObject,
  isVertexLabel,
  type JsonValue,
  parseVertexId,
  VERTICES,
  type VertexLabel,
} from '../../graph-schema';
import type { OpaqueIds } from './opaque-ids';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const EMAIL_IN_TEXT = /[^\s@<>()"',;:]+@[^\s@<>()"',;:]+\.[A-Za-z]{2,}/g;
/** An E.164-ish number: optional +, digits with separators, 7..15 digits. */
const PHONE = /^\+?[\d\s().-]{7,20}$/;

/** Property names that are personal whatever the label (free-form JSON carries them under these names). */
const PII_NAMES = new Set([
  'email',
  'phone',
  'name',
  'firstname',
  'lastname',
  'fullname',
  'username',
  'address',
  'line1',
  'line2',
  'street',
  'postalcode',
  'zip',
  'zipcode',
  'birthday',
  'dateofbirth',
  'ip',
  'userid',
  'anonymousid',
  'subject',
]);

export function maskEmail(value: string): string {
  const at = value.lastIndexOf('@');
  if (at < 1) return maskText(value);
  return `${value[0]}***${value.slice(at)}`;
}

export function maskPhone(value: string): string {
  const compact = value.replace(/[\s().-]/g, '');
  if (compact.length < 6) return '***';
  const head = compact.startsWith('+') ? 3 : 2;
  return `${compact.slice(0, head)}${'*'.repeat(compact.length - head - 2)}${compact.slice(-2)}`;
}

export function maskText(value: string): string {
  return value.length === 0 ? value : `${value[0]}***`;
}

function isPhone(value: string): boolean {
  if (!PHONE.test(value)) return false;
  const digits = value.replace(/\D/g, '').length;
  return digits >= 7 && digits <= 15;
}

/** Any personal string, shaped by what it looks like. */
export function maskValue(value: string): string {
  if (EMAIL.test(value)) return maskEmail(value);
  if (isPhone(value)) return maskPhone(value);
  return maskText(value);
}

/** An identifier's value, masked by its type. */
export function maskIdentifier(type: string, value: string): string {
  const t = type.toLowerCase();
  if (t === 'email') return maskEmail(value);
  if (t === 'phone') return maskPhone(value);
  return maskValue(value);
}

/** Emails inside free text (a merge reason, a subject line) are masked; the rest of the text stays. */
export function maskEmailsInText(value: string): string {
  return value.includes('@') ? value.replace(EMAIL_IN_TEXT, (m) => maskEmail(m)) : value;
}

/** `tel:` / `callto:` / `sms:` URIs (RFC 3966): whatever number follows is personal. */
const TEL_URI = /\b(?:tel|callto|sms|whatsapp):[+\d][\d\s().\-/]*\d/gi;
/**
 * Numbers libphonenumber cannot place without a default country: a run of digits with
 * separators that starts with + or a trunk 0 (`07700 900100`), or follows a word that
 * says it is one (`call 7700900100`).
 */
const NATIONAL_PHONE = /(?:\+|\b0)\d[\d\s().-]{6,}\d/g;
const PHONE_AFTER_WORD =
  /\b(?:phone|tel|telephone|mobile|cell|call|sms|whatsapp|fax|ring)\b\D{0,12}?(\d[\d\s().-]{5,}\d)/gi;
/**
 * libphonenumber's own default leniency is VALID: numbers in ranges it holds to be unassigned
 * (the UK's +44 7700 900xxx, kept for fiction and tests) are skipped. For masking, a number that
 * is merely possible is personal enough. (The typings omit the option the finder reads.)
 */
const POSSIBLE_NUMBERS = { leniency: 'POSSIBLE', v2: true } as unknown as { v2: true };
/** 13–19 digits, optionally grouped by spaces or dashes: card-number shaped (Luhn decides). */
const CARD = /\b\d(?:[ -]?\d){12,18}\b/g;

function digitCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) n++;
  return n;
}

/** The Luhn checksum every payment card number carries. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length >= 13 && sum % 10 === 0;
}

/** A card number keeps its last four digits (as receipts print it). */
export function maskCard(value: string): string {
  const digits = value.replace(/\D/g, '');
  return `****${digits.slice(-4)}`;
}

/**
 * Personal data written inside free text — e-mails, phone numbers (libphonenumber's
 * finder, `tel:` URIs, trunk-prefixed national numbers, numbers after "call", "phone",
 * …) and card numbers (Luhn) — masked in place; the rest of the text stays readable.
 */
export function maskPiiInText(value: string): string {
  if (digitCount(value) < 6) return maskEmailsInText(value);
  let out = value.replace(CARD, (m) => (passesLuhn(m.replace(/\D/g, '')) ? maskCard(m) : m));
  out = out.replace(TEL_URI, (m) => `${m.slice(0, m.indexOf(':') + 1)}${maskPhone(m.slice(m.indexOf(':') + 1))}`);
  // libphonenumber: international numbers anywhere in the text, right to left so offsets hold.
  const found = findNumbers(out, POSSIBLE_NUMBERS);
  for (let i = found.length - 1; i >= 0; i--) {
    const f = found[i];
    out = `${out.slice(0, f.startsAt)}${maskPhone(out.slice(f.startsAt, f.endsAt))}${out.slice(f.endsAt)}`;
  }
  const phoneish = (m: string) => {
    const n = digitCount(m);
    return n >= 7 && n <= 15;
  };
  out = out.replace(NATIONAL_PHONE, (m) => (phoneish(m) ? maskPhone(m) : m));
  out = out.replace(PHONE_AFTER_WORD, (m, number: string) =>
    phoneish(number) ? m.slice(0, m.length - number.length) + maskPhone(number) : m,
  );
  return maskEmailsInText(out);
}

/** A JSON number that is a phone (valid with a leading +) or a card number: shown as `***`. */
function personalNumber(value: number): boolean {
  if (!Number.isSafeInteger(value) || value < 1_000_000) return false;
  const digits = String(value);
  if (digits.length >= 13 && passesLuhn(digits)) return true;
  if (digits.length < 10 || digits.length > 15) return false;
  return isPossiblePhoneNumber(`+${digits}`);
}

/** Words that make a key personal on their own (`billing_email`, `recipientPhone`, `dob`). */
const PII_TOKENS = new Set([
  'email',
  'mail',
  'phone',
  'mobile',
  'tel',
  'telephone',
  'cell',
  'msisdn',
  'fax',
  'whatsapp',
  'address',
  'street',
  'postcode',
  'postal',
  'zip',
  'zipcode',
  'birthday',
  'birthdate',
  'dob',
  'ssn',
  'passport',
  'iban',
  'recipient',
  'cardholder',
  'surname',
  'forename',
  'ip',
]);
/** `name` is personal alone or qualified by one of these (`givenName`, `billing_name`); `productName` is not. */
const PERSON_QUALIFIERS = new Set([
  'given',
  'first',
  'last',
  'full',
  'middle',
  'family',
  'maiden',
  'nick',
  'display',
  'billing',
  'shipping',
  'recipient',
  'customer',
  'contact',
  'user',
  'holder',
  'card',
  'sur',
  'fore',
  'person',
  'sender',
  'receiver',
]);

/** `givenName`, `billing_name`, `Recipient-Phone` → [given, name], [billing, name], [recipient, phone]. */
function keyTokens(key: string): string[] {
  return key
    .replace(/([a-z\d])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z\d]+/)
    .filter((t) => t.length > 0);
}

/** Whether a free-form key names personal data. */
export function isPersonalKey(key: string): boolean {
  if (PII_NAMES.has(key.toLowerCase().replace(/[_-]/g, ''))) return true;
  const tokens = keyTokens(key);
  if (tokens.some((t) => PII_TOKENS.has(t))) return true;
  const name = tokens.indexOf('name');
  return name >= 0 && (tokens.length === 1 || tokens.some((t) => PERSON_QUALIFIERS.has(t)));
}

/**
 * Vertex ids carry keys: `Identity:<type>:<value>` holds an identifier value,
 * and a Customer key may be a Segment userId that is an email. Those parts are
 * masked; opaque keys (CRM keys, device ids, order ids) stay, so masked views
 * remain navigable.
 */
export function maskVertexId(id: string): string {
  const ref = parseVertexId(id);
  if (ref === null) return looksPersonal(id) ? maskValue(id) : id;
  if (ref.label === 'Identity') {
    const colon = ref.key.indexOf(':');
    if (colon < 0) return `Identity:${maskValue(ref.key)}`;
    const type = ref.key.slice(0, colon);
    return `Identity:${type}:${maskIdentifier(type, ref.key.slice(colon + 1))}`;
  }
  return looksPersonal(ref.key) ? `${ref.label}:${maskValue(ref.key)}` : id;
}

/**
 * A Customer key (the `customer` identifier type): an opaque CRM key stays, a
 * userId that is an email or a phone number is masked — as in maskVertexId.
 */
export function maskCustomerKey(value: string): string {
  return looksPersonal(value) ? maskValue(value) : value;
}

export function looksPersonal(value: string): boolean {
  return EMAIL.test(value) || isPhone(value);
}

interface LabelMarks {
  /** Declared `pii: true`. */
  readonly pii: ReadonlySet<string>;
  /** Declared without the mark (Account.name is a company, not a person): PII_NAMES does not apply. */
  readonly notPii: ReadonlySet<string>;
}

const FREE_FORM: LabelMarks = { pii: new Set(), notPii: new Set() };
const marksByLabel = new Map<VertexLabel, LabelMarks>();

function marksOf(label: VertexLabel | null): LabelMarks {
  if (label === null || !(label in VERTICES)) return FREE_FORM;
  let marks = marksByLabel.get(label);
  if (!marks) {
    const props = Object.entries(VERTICES[label].properties);
    marks = {
      pii: new Set(props.flatMap(([name, p]) => (p.pii ? [name] : []))),
      notPii: new Set(props.flatMap(([name, p]) => (p.pii ? [] : [name]))),
    };
    marksByLabel.set(label, marks);
  }
  return marks;
}

/**
 * A property bag (traits, a vertex's properties, event properties): declared
 * PII properties of the label and PII-named keys are masked; elsewhere, any
 * string that looks like an email or a phone number is masked, at any depth.
 */
export function maskProps(value: unknown, label: VertexLabel | null = null, ids: OpaqueIds | null = null): unknown {
  return maskJson(value as JsonValue, marksOf(label), 0, ids);
}

/**
 * A string in free-form JSON: a vertex id (an analytics `component` trait is
 * `Customer:<key>`) becomes the same opaque id the ID fields show; anything that
 * looks personal is masked by shape; free text is scanned.
 */
function maskString(value: string, ids: OpaqueIds | null): string {
  if (ids !== null) {
    const ref = parseVertexId(value);
    if (ref !== null && isVertexLabel(ref.label)) return ids.encode(value);
  }
  return looksPersonal(value) ? maskValue(value) : maskPiiInText(value);
}

const MAX_DEPTH = 32;

function maskJson(value: JsonValue, marks: LabelMarks, depth: number, ids: OpaqueIds | null): JsonValue {
  if (depth > MAX_DEPTH) return null;
  if (typeof value === 'string') return maskString(value, ids);
  if (typeof value === 'number') return personalNumber(value) ? '***' : value;
  if (Array.isArray(value)) return value.map((v) => maskJson(v, FREE_FORM, depth + 1, ids));
  if (isPlainObject(value)) {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value as Record<string, JsonValue>)) {
      const personal = marks.pii.has(k) || (!marks.notPii.has(k) && isPersonalKey(k));
      // Below the top level the bag is free-form whatever the label.
      out[k] = personal ? maskWhole(v) : maskJson(v, FREE_FORM, depth + 1, ids);
    }
    return out;
  }
  return value;
}

/** A personal property: strings masked by shape, numbers and nested values hidden. */
function maskWhole(value: JsonValue): JsonValue {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'string') return maskValue(value);
  return '***';
}
