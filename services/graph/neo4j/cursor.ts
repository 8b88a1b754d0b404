/** Opaque paging cursors: base64url JSON of the position after which the next page starts. */
import { Neo4jStoreError } from './neo4j-store-error';

export function encodeCursor(parts: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, shape: readonly ('string' | 'number')[]): (string | number)[] {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    throw new Neo4jStoreError('BAD_CURSOR', 'Neo4jStore: the cursor is not one this store handed out', {
      cause: error,
    });
  }
  if (!Array.isArray(parts) || parts.length !== shape.length || parts.some((p, i) => typeof p !== shape[i])) {
    throw new Neo4jStoreError('BAD_CURSOR', 'Neo4jStore: the cursor is not one this store handed out');
  }
  return parts as (string | number)[];
}
