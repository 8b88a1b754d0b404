/**
 * Limits on what one GraphQL operation may ask for, so that no client can
 * make the hub do unbounded work: nesting depth (a validation rule), an
 * estimated cost (graphql-query-complexity, with page sizes as multipliers),
 * and who may introspect the schema. Page sizes are capped by the resolvers
 * (100) and the execution time by the operation's deadline (secure-schema.ts).
 */
import type { ApolloServerPlugin } from '@apollo/server';
import {
  type ASTVisitor,
  type DocumentNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLSchema,
  getNamedType,
  isListType,
  isNonNullType,
  Kind,
  type SelectionSetNode,
  TypeInfo,
  type ValidationContext,
  type ValueNode,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { type ComplexityEstimator, getComplexity } from 'graphql-query-complexity';
import { hasAnyRole, type Principal, type Role } from './roles';
import { finishOperationAudit, type SecurityContext } from './secure-schema';

export type IntrospectionMode = 'on' | 'off' | 'roles';

/** Roles that may read the schema when introspection follows roles (marketers use the segment UI, not raw GraphQL). */
export const INTROSPECTION_ROLES: readonly Role[] = ['agent', 'analyst', 'admin'];

export interface QueryLimits {
  readonly maxDepth: number;
  readonly maxComplexity: number;
  readonly introspection: IntrospectionMode;
}

/** A connection without `first` costs its default page; a plain list is guessed at this many items. */
const DEFAULT_PAGE = 20;
const MAX_PAGE = 100;
const LIST_GUESS = 10;
/** Documents with more nodes than this are refused before their cost is computed. */
const MAX_QUERY_NODES = 5_000;
const TOO_MANY_NODES = 'Query exceeds the maximum allowed number of nodes.';

/**
 * The operation's estimated cost; Infinity when it has too many nodes to
 * evaluate; null when the cost cannot be computed for another reason (bad
 * variables): execution then refuses the operation with its own error.
 */
export function safeOperationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined,
): number | null {
  // Apollo and graphql-ws hand the same parsed DocumentNode for the same query text, and an
  // agent's client sends the same query again and again with another customer id: computing
  // the cost once per (document, operation, variables' shape) took 5 % of a 360° view's CPU
  // off. Strings never change a cost (page sizes are Ints, directives Booleans), so they are
  // left out of the key; a cost that could not be computed (null) is never cached.
  let byRequest = costCache.get(schema)?.get(document);
  const key = `${operationName ?? ''}\u0000${variables ? JSON.stringify(variables, costShape) : ''}`;
  const cached = byRequest?.get(key);
  if (cached !== undefined) return cached;
  let cost: number | null;
  try {
    cost = operationCost(schema, document, variables, operationName);
  } catch (e) {
    cost = e instanceof Error && e.message === TOO_MANY_NODES ? Number.POSITIVE_INFINITY : null;
  }
  if (cost === null) return cost;
  if (!byRequest) {
    let bySchema = costCache.get(schema);
    if (!bySchema) {
      bySchema = new WeakMap();
      costCache.set(schema, bySchema);
    }
    byRequest = new Map();
    bySchema.set(document, byRequest);
  }
  // Variables vary without bound (ids): keep a few per document, forget the oldest.
  if (byRequest.size >= COST_CACHE_PER_DOCUMENT) byRequest.delete(byRequest.keys().next().value as string);
  byRequest.set(key, cost);
  return cost;
}

const COST_CACHE_PER_DOCUMENT = 64;
const costShape = (_key: string, value: unknown) => (typeof value === 'string' ? '\u0001' : value);
const costCache = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, number | null>>>();

export function tooComplexError(cost: number, max: number): GraphQLError {
  const message = Number.isFinite(cost)
    ? `The operation would cost ${cost}; at most ${max} is allowed (ask for smaller pages or fewer fields).`
    : 'The operation has too many fields to evaluate.';
  return new GraphQLError(message, {
    extensions: { code: 'QUERY_TOO_COMPLEX', maxCost: max, http: { status: 400 } },
  });
}

function depthOf(
  set: SelectionSetNode | undefined,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  visiting: Set<string>,
): number {
  if (!set) return 0;
  let deepest = 0;
  for (const s of set.selections) {
    let d = 0;
    if (s.kind === Kind.FIELD) {
      // Introspection is bounded by the schema, not by the client; its own nesting does not count.
      if (s.name.value.startsWith('__')) continue;
      d = 1 + depthOf(s.selectionSet, fragments, visiting);
    } else if (s.kind === Kind.INLINE_FRAGMENT) {
      d = depthOf(s.selectionSet, fragments, visiting);
    } else {
      const name = s.name.value;
      const fragment = fragments.get(name);
      // A cycle is reported by graphql-js's own NoFragmentCycles rule.
      if (!fragment || visiting.has(name)) continue;
      visiting.add(name);
      d = depthOf(fragment.selectionSet, fragments, visiting);
      visiting.delete(name);
    }
    if (d > deepest) deepest = d;
  }
  return deepest;
}

/** Refuses operations nested deeper than maxDepth fields. */
export function depthLimitRule(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const d of context.getDocument().definitions) {
      if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
    }
    return {
      OperationDefinition(node) {
        const depth = depthOf(node.selectionSet, fragments, new Set());
        if (depth > maxDepth) {
          context.reportError(
            new GraphQLError(`The operation is ${depth} levels deep; at most ${maxDepth} are allowed.`, {
              nodes: [node],
              extensions: { code: 'QUERY_TOO_DEEP' },
            }),
          );
        }
      },
    };
  };
}

/**
 * Fields whose work grows with the whole graph, not with what they return: a preview (or a
 * save, which recounts the segment) evaluates the definition over every customer. Costed so
 * that the default limit (50,000) admits four of them in one operation; the heavy-work
 * limiter (heavy-work.ts) bounds them across operations.
 */
export const WHOLE_GRAPH_FIELD_COST = 10_000;
const WHOLE_GRAPH_FIELDS: ReadonlySet<string> = new Set(['Query.previewSegment', 'Mutation.saveSegment']);

/**
 * Each field costs 1 plus its children times the number of items it returns:
 * `first` (or the default page) for paged fields, a guess for other lists,
 * 1 for `edges` (the connection already multiplied) and for single objects.
 */
export const pageCostEstimator: ComplexityEstimator = ({ type: parent, field, args, childComplexity }) => {
  if (WHOLE_GRAPH_FIELDS.has(`${parent.name}.${field.name}`)) return WHOLE_GRAPH_FIELD_COST + childComplexity;
  if (field.args.some((a) => a.name === 'first')) {
    const first = typeof args.first === 'number' && args.first > 0 ? Math.min(args.first, MAX_PAGE) : DEFAULT_PAGE;
    return 1 + first * childComplexity;
  }
  const type = isNonNullType(field.type) ? field.type.ofType : field.type;
  if (isListType(type) && field.name !== 'edges') return 1 + LIST_GUESS * childComplexity;
  return 1 + childComplexity;
};

export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined,
): number {
  return getComplexity({
    schema,
    query: document,
    variables,
    operationName,
    estimators: [pageCostEstimator],
    maxQueryNodes: MAX_QUERY_NODES,
  });
}

const introspecting = new WeakMap<DocumentNode, boolean>();

/** Whether the document asks for `__schema` or `__type`; remembered per parsed document (Apollo reuses them). */
export function usesIntrospection(document: DocumentNode): boolean {
  const known = introspecting.get(document);
  if (known !== undefined) return known;
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') found = true;
    },
  });
  introspecting.set(document, found);
  return found;
}

export function mayIntrospect(mode: IntrospectionMode, principal: Principal | undefined): boolean {
  if (mode === 'on') return true;
  if (mode === 'off' || !principal) return false;
  return hasAnyRole(principal, INTROSPECTION_ROLES);
}

/** graphql-js appends "Did you mean …?" to validation and coercion errors: it names schema members. */
const SUGGESTION = /\s*Did you mean [\s\S]*\?\s*$/;

/** Removes schema suggestions from errors for a principal that may not read the schema. */
export function withoutSuggestions(errors: readonly Error[] | undefined): void {
  for (const e of errors ?? []) {
    if (SUGGESTION.test(e.message)) e.message = e.message.replace(SUGGESTION, '');
  }
}

/** Longest ID argument: store keys are bounded (ingest accepts ids up to 512 bytes; opaque ids are longer). */
export const MAX_ID_ARGUMENT_CHARS = 2048;

/** Where a document puts ID values: literal strings, and variables, each under the argument or field name. */
interface IdPositions {
  readonly literals: readonly { readonly name: string; readonly value: string }[];
  readonly variables: readonly { readonly name: string; readonly variable: string }[];
}

/**
 * Per schema and parsed document: walking the document with type information on every
 * request was 3 % of a 360° view's CPU, for an answer that only the variables can change.
 */
const idPositionCache = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, IdPositions>>();

function idPositions(schema: GraphQLSchema, document: DocumentNode): IdPositions {
  let bySchema = idPositionCache.get(schema);
  const known = bySchema?.get(document);
  if (known !== undefined) return known;
  const typeInfo = new TypeInfo(schema);
  const literals: { name: string; value: string }[] = [];
  const variables: { name: string; variable: string }[] = [];
  const note = (name: string, value: ValueNode) => {
    const type = typeInfo.getInputType();
    if (!type || getNamedType(type).name !== 'ID') return;
    const collect = (node: ValueNode) => {
      if (node.kind === Kind.STRING) literals.push({ name, value: node.value });
      else if (node.kind === Kind.VARIABLE) variables.push({ name, variable: node.name.value });
      else if (node.kind === Kind.LIST) node.values.forEach(collect);
    };
    collect(value);
  };
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Argument(node) {
        note(node.name.value, node.value);
      },
      ObjectField(node) {
        note(node.name.value, node.value);
      },
    }),
  );
  const positions = { literals, variables };
  if (bySchema === undefined) {
    bySchema = new WeakMap();
    idPositionCache.set(schema, bySchema);
  }
  bySchema.set(document, positions);
  return positions;
}

/** The first ID-typed argument or input field (literal or variable) longer than the limit, as a path. */
export function overlongIdArgument(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
): string | null {
  const tooLong = (v: unknown): boolean =>
    typeof v === 'string' ? v.length > MAX_ID_ARGUMENT_CHARS : Array.isArray(v) && v.some(tooLong);
  const { literals, variables: used } = idPositions(schema, document);
  // Document order between literals and variables does not matter: any overlong one refuses the request.
  for (const l of literals) if (tooLong(l.value)) return l.name;
  for (const u of used) if (tooLong(variables?.[u.variable])) return u.name;
  return null;
}

/** Checks cost and introspection once the operation is known, before anything executes. */
export function createQueryLimitsPlugin(limits: QueryLimits): ApolloServerPlugin<SecurityContext> {
  return {
    async requestDidStart({ contextValue }) {
      const hideSchema = !mayIntrospect(limits.introspection, contextValue.principal);
      return {
        async validationDidStart() {
          return async (errors) => {
            if (hideSchema) withoutSuggestions(errors);
          };
        },
        async didEncounterErrors({ errors }) {
          if (hideSchema) withoutSuggestions(errors);
        },
        async willSendResponse({ contextValue }) {
          await finishOperationAudit(contextValue);
        },
        async didResolveOperation({ document, schema, request, operationName, contextValue }) {
          if (usesIntrospection(document) && !mayIntrospect(limits.introspection, contextValue.principal)) {
            throw new GraphQLError('Introspection is not available to this principal.', {
              extensions: { code: 'FORBIDDEN', http: { status: 403 } },
            });
          }
          const overlong = overlongIdArgument(schema, document, request.variables);
          if (overlong !== null) {
            throw new GraphQLError(
              `Argument ${overlong} is longer than ${MAX_ID_ARGUMENT_CHARS} characters; no id is.`,
              {
                extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
              },
            );
          }
          const cost = safeOperationCost(schema, document, request.variables, operationName ?? undefined);
          if (cost !== null && cost > limits.maxComplexity) throw tooComplexError(cost, limits.maxComplexity);
        },
      };
    },
  };
}
