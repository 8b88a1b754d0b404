/**
 * API keys: long random secrets that identify a program or a person's tool.
 * The configuration holds SHA-256 hashes (a plain `key` is accepted for local
 * setups and hashed at once); a presented key is hashed and compared with
 * every configured hash in constant time, so neither the comparison nor the
 * number of keys checked leaks which bytes matched.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createPrincipal, type Principal, type Role } from './roles';

export interface ApiKeyConfig {
  /** Who holds it: shown in the audit log and in logs (never the key). */
  readonly name: string;
  readonly roles: readonly Role[];
  /** `sha256:<64 hex>` of the key (preferred: configs then hold no secret). */
  readonly keyHash?: string;
  /** The key itself (hashed at startup); for local setups only. */
  readonly key?: string;
  /** ISO-8601 instant after which the key is refused; absent or null = no expiry. */
  readonly expiresAt?: string | null;
}

/** Keys shorter than this are guessable; the config module refuses them. */
export const MIN_API_KEY_LENGTH = 24;

export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

export function isApiKeyHash(value: string): boolean {
  return /^sha256:[0-9a-f]{64}$/.test(value);
}

interface StoredKey {
  readonly digest: Buffer;
  readonly principal: Principal;
  readonly expiresAtMs: number | null;
}

export type ApiKeyCheck =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly reason: 'unknown' | 'expired' };

export interface ApiKeyVerifier {
  readonly size: number;
  verify(presented: string, nowMs?: number): ApiKeyCheck;
}

export function createApiKeyVerifier(keys: readonly ApiKeyConfig[]): ApiKeyVerifier {
  const stored: StoredKey[] = keys.map((k) => {
    const hash = k.keyHash ?? (k.key === undefined ? null : hashApiKey(k.key));
    if (hash === null || !isApiKeyHash(hash)) {
      throw new TypeError(`API key ${k.name}: needs keyHash (sha256:<64 hex>) or key`);
    }
    const parsed = k.expiresAt ? Date.parse(k.expiresAt) : null;
    const expiresAtMs = parsed !== null && Number.isFinite(parsed) ? parsed : null;
    return {
      digest: Buffer.from(hash.slice('sha256:'.length), 'hex'),
      principal: createPrincipal('apiKey', `apiKey:${k.name}`, k.name, k.roles, expiresAtMs),
      expiresAtMs,
    };
  });
  return {
    size: stored.length,
    verify(presented, nowMs = Date.now()) {
      const digest = createHash('sha256').update(presented, 'utf8').digest();
      let match: StoredKey | null = null;
      // Every stored key is compared, match or not: the time taken does not depend on which one matched.
      for (const s of stored) {
        if (timingSafeEqual(digest, s.digest) && match === null) match = s;
      }
      if (match === null) return { ok: false, reason: 'unknown' };
      if (match.expiresAtMs !== null && nowMs >= match.expiresAtMs) return { ok: false, reason: 'expired' };
      return { ok: true, principal: match.principal };
    },
  };
}
