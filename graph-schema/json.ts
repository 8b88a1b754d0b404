/** Values that may be stored as graph properties: what survives JSON, LMDB, Gremlin and Neo4j alike. */
export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  // Realm-agnostic: an object from another realm (a vm context, jest's sandbox, a
  // worker's structured clone) has that realm's Object.prototype, whose own prototype is null.
  const proto = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}
