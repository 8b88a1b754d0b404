/**
 * Opaque ids and cursors for principals without PII access. A vertex id such as
 * `Customer:ann.lee@example.com`, or a page cursor that holds one, is the data
 * it indexes; masking it (`Customer:a***@…`) made it unusable as an id and
 * still leaked whatever the mask kept. Instead the API hands such principals
 * an authenticated, deterministic encryption of the raw value:
 *
 *   op_<base64url(iv ‖ tag ‖ AES-256-GCM(raw))>,  iv = HMAC-SHA256(macKey, raw)[0..12)
 *
 * - deterministic (a synthetic IV, as in AES-SIV): the same customer always has the
 *   same opaque id, so clients can compare, cache and draw them; the IV repeats only
 *   for the same plaintext, which is the one thing deterministic encryption leaks;
 * - authenticated: a forged or altered id fails the GCM tag and is refused;
 * - keyed by the hub secret (C360_ID_SECRET), so every API replica with the same
 *   secret issues and accepts the same ids; every path that takes an id or a
 *   cursor accepts them back (secure-schema.ts decodes arguments centrally).
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync } from 'node:crypto';

export const OPAQUE_PREFIX = 'op_';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Shortest secret accepted (bytes of its UTF-8 text). */
export const MIN_ID_SECRET_BYTES = 32;

export interface OpaqueIds {
  encode(raw: string): string;
  /** The raw value of an opaque id; null when `value` is not one this secret issued. */
  decode(value: string): string | null;
}

export function isOpaque(value: string): boolean {
  return value.startsWith(OPAQUE_PREFIX);
}

export function createOpaqueIds(secret: string): OpaqueIds {
  if (Buffer.byteLength(secret, 'utf8') < MIN_ID_SECRET_BYTES) {
    throw new RangeError(`createOpaqueIds: the secret must be at least ${MIN_ID_SECRET_BYTES} bytes`);
  }
  const keys = Buffer.from(hkdfSync('sha256', secret, 'c360', 'opaque-ids/v1', 64));
  const encKey = keys.subarray(0, 32);
  const macKey = keys.subarray(32);
  const cache = new Map<string, string>();

  return {
    encode(raw) {
      const hit = cache.get(raw);
      if (hit !== undefined) return hit;
      const iv = createHmac('sha256', macKey).update(raw, 'utf8').digest().subarray(0, IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', encKey, iv);
      const body = Buffer.concat([cipher.update(raw, 'utf8'), cipher.final()]);
      const out = OPAQUE_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
      // Bounded: agents' views repeat the same few thousand ids.
      if (cache.size >= 10_000) cache.clear();
      cache.set(raw, out);
      return out;
    },
    decode(value) {
      if (!isOpaque(value)) return null;
      const bytes = Buffer.from(value.slice(OPAQUE_PREFIX.length), 'base64url');
      if (bytes.length < IV_BYTES + TAG_BYTES) return null;
      try {
        const decipher = createDecipheriv('aes-256-gcm', encKey, bytes.subarray(0, IV_BYTES));
        decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        const raw = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
        return raw.toString('utf8');
      } catch {
        return null;
      }
    },
  };
}
