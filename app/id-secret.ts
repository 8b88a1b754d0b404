/**
 * The hub secret that keys opaque ids (api/auth/opaque-ids.ts). Configured with
 * C360_ID_SECRET; a single `c360 start` without one keeps a generated secret in
 * its data dir, so the ids it hands out survive restarts. `c360 api` replicas
 * must be given the same secret (checked in api-process.ts): ids issued by one
 * replica are then accepted by every other.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIN_ID_SECRET_BYTES } from '../api/auth/opaque-ids';
import { ConfigError } from '../graph-schema';
import type { C360Config } from './config';

const FILE = 'id-secret';

export function resolveIdSecret(config: C360Config): string {
  if (config.idSecret !== null) return config.idSecret;
  const path = join(config.dataDir, FILE);
  try {
    const existing = readFileSync(path, 'utf8').trim();
    if (Buffer.byteLength(existing, 'utf8') >= MIN_ID_SECRET_BYTES) return existing;
    throw new ConfigError(
      'C360_ID_SECRET',
      `${path} holds fewer than ${MIN_ID_SECRET_BYTES} bytes; delete it or set C360_ID_SECRET`,
    );
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const secret = randomBytes(48).toString('base64url');
  mkdirSync(config.dataDir, { recursive: true });
  // wx: two processes racing on one data dir cannot both write (the data-dir lock prevents it anyway).
  writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return secret;
}

/** `c360 api` runs as several replicas that must agree on ids: the secret is required. */
export function requireSharedIdSecret(config: C360Config): void {
  if (config.idSecret !== null) return;
  throw new ConfigError(
    'C360_ID_SECRET',
    'c360 api replicas must share the secret that keys opaque ids; set the same C360_ID_SECRET (at least 32 bytes, e.g. openssl rand -base64 48) on every replica',
  );
}
