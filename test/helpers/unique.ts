/**
 * Unique names for everything a test creates on a shared server (kafkajs
 * testHelpers' `secureRandom` and neo4j/graphql's `createUniqueType`), so tests
 * never see each other's data and need no cleanup to stay independent.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** 12 hex characters: enough that parallel runs on one server never collide. */
export function secureRandom(): string {
  return randomBytes(6).toString('hex');
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${secureRandom()}`;
}

export function uniqueTopic(prefix = 'test-topic'): string {
  return uniqueName(prefix);
}

export function uniqueGroupId(prefix = 'test-group'): string {
  return uniqueName(prefix);
}

/** A graph label (Gremlin, Cypher) — letters, digits and underscores only, starting with a letter. */
export function uniqueLabel(prefix = 'Test'): string {
  return `${prefix}_${secureRandom()}`;
}

export interface TempDir {
  readonly path: string;
  readonly cleanup: () => Promise<void>;
}

/** A fresh directory under os.tmpdir(); call cleanup() in afterEach/afterAll. */
export async function makeTempDir(prefix = 'c360-test-'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}
