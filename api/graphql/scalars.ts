import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';

function literalToJson(node: ValueNode, variables: Record<string, unknown> | null | undefined): unknown {
  switch (node.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return node.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return node.values.map((v) => literalToJson(v, variables));
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((f) => [f.name.value, literalToJson(f.value, variables)]));
    case Kind.VARIABLE:
      return variables?.[node.name.value] ?? null;
    case Kind.ENUM:
      return node.value;
    default: {
      const never: never = node;
      throw new GraphQLError(`JSON cannot represent ${JSON.stringify(never)}`);
    }
  }
}

/** Arbitrary JSON: traits and event properties are schemaless by design (schema drift is kept). */
export const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  description: 'Any JSON value: traits and event properties as they were sent.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (node, variables) => literalToJson(node, variables),
});

function toIso(value: unknown): string {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(String(value));
  if (!Number.isFinite(ms)) throw new GraphQLError(`DateTime cannot represent ${JSON.stringify(value)}`);
  return new Date(ms).toISOString();
}

/** The store keeps epoch milliseconds; clients see ISO-8601 UTC strings. */
export const DateTimeScalar = new GraphQLScalarType({
  name: 'DateTime',
  description: 'An instant as an ISO-8601 UTC string, e.g. 2024-05-01T12:00:00.000Z.',
  serialize: toIso,
  parseValue: (value) => {
    if (typeof value !== 'string') throw new GraphQLError('DateTime must be an ISO-8601 string');
    return Date.parse(toIso(value));
  },
  parseLiteral: (node) => {
    if (node.kind !== Kind.STRING) throw new GraphQLError('DateTime must be an ISO-8601 string');
    return Date.parse(toIso(node.value));
  },
});
