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
import { isPlainObject, type JsonValue, parseVertexId, VERTICES, type VertexLabel } from '../../graph-schema';

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
export function maskProps(value: unknown, label: VertexLabel | null = null): unknown {
  return maskJson(value as JsonValue, marksOf(label), 0);
}

const MAX_DEPTH = 32;

function maskJson(value: JsonValue, marks: LabelMarks, depth: number): JsonValue {
  if (depth > MAX_DEPTH) return null;
  if (typeof value === 'string') return looksPersonal(value) ? maskValue(value) : maskEmailsInText(value);
  if (Array.isArray(value)) return value.map((v) => maskJson(v, FREE_FORM, depth + 1));
  if (isPlainObject(value)) {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value as Record<string, JsonValue>)) {
      const personal =
        marks.pii.has(k) || (!marks.notPii.has(k) && PII_NAMES.has(k.toLowerCase().replace(/[_-]/g, '')));
      // Below the top level the bag is free-form whatever the label.
      out[k] = personal ? maskWhole(v) : maskJson(v, FREE_FORM, depth + 1);
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
