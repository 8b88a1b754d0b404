/**
 * Opaque paging cursors shared by every store: base64url JSON of the position
 * after which the next page starts. Each store raises its own typed error for
 * a cursor it did not hand out (`fail`), so callers still see `BAD_CURSOR`
 * from the store they called.
 */
export type CursorPart = string | number;

export function encodePageCursor(parts: readonly CursorPart[]): string {
  return Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');
}

export function decodePageCursor(
  cursor: string,
  shape: readonly ('string' | 'number')[],
  fail: (cause?: unknown) => Error,
): CursorPart[] {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    throw fail(error);
  }
  if (!Array.isArray(parts) || parts.length !== shape.length || parts.some((p, i) => typeof p !== shape[i])) {
    throw fail();
  }
  return parts as CursorPart[];
}
