/** Opaque paging cursors: base64url JSON of the position after which the next page starts. */
import { decodePageCursor, encodePageCursor } from '../../../graph-schema';
import { Neo4jStoreError } from './neo4j-store-error';

export function encodeCursor(parts: readonly (string | number)[]): string {
  return encodePageCursor(parts);
}

export function decodeCursor(cursor: string, shape: readonly ('string' | 'number')[]): (string | number)[] {
  return decodePageCursor(
    cursor,
    shape,
    (cause) =>
      new Neo4jStoreError(
        'BAD_CURSOR',
        'Neo4jStore: the cursor is not one this store handed out',
        cause === undefined ? undefined : { cause },
      ),
  );
}
