/**
 * Enforces the declared policy on an executable schema by wrapping resolvers
 * once, when the schema is built (mapSchema), so no resolver can forget a
 * check and HTTP and WebSocket execution behave alike:
 *
 * - every Query, Mutation and Subscription field needs a role list; a root
 *   field without one is denied to everybody (deny by default);
 * - other fields with a role list are checked too;
 * - audited fields append an entry (including refused attempts);
 * - for principals without a PII role, ID, String and JSON values are masked
 *   (see pii-mask.ts; modules may override per field);
 * - resolvers do not start once the operation's deadline has passed, and
 *   those still waiting then answer TIMEOUT.
 */
import { MapperKind, mapSchema } from '@graphql-tools/utils';
import {
  defaultFieldResolver,
  GraphQLError,
  type GraphQLFieldConfig,
  type GraphQLFieldResolver,
  type GraphQLInputType,
  type GraphQLSchema,
  getNamedType,
  isInputObjectType,
} from 'graphql';
import type { Logger } from 'pino';
import { isVertexLabel, VERTICES } from '../../graph-schema';
import { AuthError } from './auth-error';
import type { AuditSpec, MaskRule, MaskTools, SchemaPolicy } from './field-policy';
import { isOpaque, type OpaqueIds } from './opaque-ids';
import { maskPiiInText, maskProps, maskValue, maskVertexId } from './pii-mask';
import { hasAnyRole, type Principal, type Role } from './roles';
import type { SecurityAuditLog } from './security-audit-log';

/** What the security layer reads from each operation's context. */
export interface SecurityContext {
  readonly principal?: Principal;
  /** Epoch ms after which the operation's resolvers stop (its execution timeout); absent = no limit. */
  readonly deadlineMs?: number;
}

export interface SecureSchemaOptions {
  readonly policy: SchemaPolicy;
  /**
   * Principals without PII access get ids and cursors as opaque ids keyed by the hub
   * secret, and every argument that takes an id, a cursor or JSON accepts them back.
   * Absent: ids are masked by shape (`Customer:a***@…`), as before opaque ids existed.
   */
  readonly opaqueIds?: OpaqueIds | null;
  readonly auditLog?: SecurityAuditLog | null;
  readonly logger?: Logger;
}

export const TIMEOUT_CODE = 'TIMEOUT';

function timeoutError(): GraphQLError {
  return new GraphQLError('The operation ran out of time; ask for less (smaller pages, fewer fields).', {
    extensions: { code: TIMEOUT_CODE },
  });
}

/** The Query, Mutation and Subscription fields of a schema as `Type.field`. */
export function rootFieldCoordinates(schema: GraphQLSchema): string[] {
  const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()];
  return roots.flatMap((t) => (t ? Object.keys(t.getFields()).map((f) => `${t.name}.${f}`) : []));
}

export function unpolicedRootFields(schema: GraphQLSchema, policy: SchemaPolicy): string[] {
  return rootFieldCoordinates(schema).filter((c) => !policy.roles.has(c));
}

const isPromise = (v: unknown): v is Promise<unknown> =>
  v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';

function then(value: unknown, f: (v: unknown) => unknown): unknown {
  return isPromise(value) ? value.then(f) : f(value);
}

function mapLeaves(value: unknown, f: (v: unknown) => unknown): unknown {
  if (value === null || value === undefined) return value;
  if (Array.isArray(value)) return value.map((v) => mapLeaves(v, f));
  return f(value);
}

/** Relay cursor fields: they hold store positions, i.e. ids. */
const CURSOR_FIELDS = new Set(['cursor', 'endCursor', 'startCursor']);
/** Arguments that take a cursor back. */
const CURSOR_ARGUMENTS = new Set(['after', 'before']);

/** The default mask of a field by its output type; null when the type carries no personal data. */
function defaultMask(typeName: string, fieldName: string, outputType: string): MaskRule | null {
  switch (outputType) {
    case 'ID':
      return (v, _parent, tools) =>
        mapLeaves(v, (s) => (typeof s !== 'string' ? s : tools.ids ? tools.ids.encode(s) : maskVertexId(s)));
    case 'JSON': {
      const label = isVertexLabel(typeName) ? typeName : null;
      return (v, _parent, tools) => maskProps(v, label, tools.ids);
    }
    case 'String': {
      const marked = isVertexLabel(typeName) && VERTICES[typeName].properties[fieldName]?.pii === true;
      return marked
        ? (v) => mapLeaves(v, (s) => (typeof s === 'string' ? maskValue(s) : s))
        : (v) => mapLeaves(v, (s) => (typeof s === 'string' ? maskPiiInText(s) : s));
    }
    default:
      return null;
  }
}

function badId(argument: string, cursor: boolean): GraphQLError {
  return new GraphQLError(
    cursor ? `${argument} is not a cursor this hub issued` : `${argument} is not an id this hub issued`,
    { extensions: { code: cursor ? 'INVALID_CURSOR' : 'BAD_USER_INPUT', argumentName: argument } },
  );
}

type ArgDecoder = (value: unknown) => unknown;

/**
 * How to turn opaque ids back into raw ones in an argument of this type: ID values,
 * cursors (`after`/`before`), opaque strings anywhere in JSON (a segment condition on a
 * `component` trait), recursively through input objects. Null: nothing to decode.
 */
function argDecoder(
  type: GraphQLInputType,
  name: string,
  ids: OpaqueIds,
  seen: Set<string> = new Set(),
): ArgDecoder | null {
  const named = getNamedType(type);
  const decodeString = (cursor: boolean) => (s: string) => {
    if (!isOpaque(s)) return s;
    const raw = ids.decode(s);
    if (raw === null) throw badId(name, cursor);
    return raw;
  };
  const leaves = (f: (s: string) => string): ArgDecoder => {
    const walk = (v: unknown): unknown => (Array.isArray(v) ? v.map(walk) : typeof v === 'string' ? f(v) : v);
    return walk;
  };
  if (named.name === 'ID') return leaves(decodeString(false));
  if (named.name === 'String' && CURSOR_ARGUMENTS.has(name)) return leaves(decodeString(true));
  if (named.name === 'JSON') {
    const one = decodeString(false);
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return one(v);
      if (Array.isArray(v)) return v.map(walk);
      if (v !== null && typeof v === 'object') {
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) out[k] = walk(x);
        return out;
      }
      return v;
    };
    return walk;
  }
  if (isInputObjectType(named)) {
    if (seen.has(named.name)) return null;
    const inner = new Set(seen).add(named.name);
    const fields = Object.values(named.getFields()).flatMap((f) => {
      const d = argDecoder(f.type, f.name, ids, inner);
      return d ? [[f.name, d] as const] : [];
    });
    if (fields.length === 0) return null;
    const one = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(one);
      if (v === null || typeof v !== 'object') return v;
      const out: Record<string, unknown> = { ...(v as Record<string, unknown>) };
      for (const [k, d] of fields) if (out[k] !== undefined && out[k] !== null) out[k] = d(out[k]);
      return out;
    };
    return one;
  }
  return null;
}

/** Vertex ids written inside an error message (`Customer:ann@…`), for principals without PII access. */
const VERTEX_ID_IN_TEXT = new RegExp(`\\b(?:${Object.keys(VERTICES).join('|')}):[^\\s"'\`,;)]+`, 'g');

/** An error's message as a principal without PII access may read it. */
function scrubError(e: unknown, ids: OpaqueIds | null): unknown {
  if (!(e instanceof Error) || typeof e.message !== 'string') return e;
  let message = ids ? e.message.replace(VERTEX_ID_IN_TEXT, (m) => ids.encode(m)) : e.message;
  message = maskPiiInText(message);
  if (message !== e.message) e.message = message;
  return e;
}

function codeOf(e: unknown): string {
  if (e instanceof AuthError) return e.code;
  const code = (e as { extensions?: { code?: unknown }; code?: unknown } | null)?.extensions?.code;
  if (typeof code === 'string') return code;
  const own = (e as { code?: unknown } | null)?.code;
  return typeof own === 'string' ? own : 'INTERNAL_SERVER_ERROR';
}

export function secureSchema(schema: GraphQLSchema, options: SecureSchemaOptions): GraphQLSchema {
  const { policy, auditLog, logger } = options;
  const ids = options.opaqueIds ?? null;
  const tools: MaskTools = { ids };
  const roots = new Map<string, 'query' | 'mutation' | 'subscription'>();
  if (schema.getQueryType()) roots.set(schema.getQueryType()?.name as string, 'query');
  if (schema.getMutationType()) roots.set(schema.getMutationType()?.name as string, 'mutation');
  if (schema.getSubscriptionType()) roots.set(schema.getSubscriptionType()?.name as string, 'subscription');

  const unpoliced = unpolicedRootFields(schema, policy);
  if (unpoliced.length > 0) {
    logger?.warn({ fields: unpoliced }, 'GraphQL root fields without a policy are denied to everyone');
  }

  const overCap = (
    ctx: object,
    action: string,
    outcome: 'ok' | 'denied' | 'error',
    subject: string | null,
    code: string | null,
    principal: Principal | undefined,
  ): boolean => {
    let acc = operationAudits.get(ctx);
    if (!acc) {
      acc = { written: 0, principal, folded: new Map(), flush: null, timer: null };
      operationAudits.set(ctx, acc);
    }
    if (acc.written < AUDIT_ENTRIES_PER_OPERATION) {
      acc.written++;
      return false;
    }
    const key = `${action}\u0000${outcome}\u0000${code ?? ''}`;
    let fold = acc.folded.get(key);
    if (!fold) {
      fold = { action, outcome, code, count: 0, subjects: [] };
      acc.folded.set(key, fold);
    }
    fold.count++;
    if (subject !== null && fold.subjects.length < AUDIT_SUBJECTS_PER_SUMMARY && !fold.subjects.includes(subject)) {
      fold.subjects.push(subject);
    }
    const state = acc;
    state.flush ??= () => writeSummary(state);
    // HTTP flushes when the response is sent (finishOperationAudit); other transports a moment later.
    state.timer ??= setTimeout(() => state.flush?.(), SUMMARY_FALLBACK_MS).unref();
    return true;
  };

  const writeSummary = (acc: OperationAudit): Promise<void> => {
    if (acc.timer) clearTimeout(acc.timer);
    acc.timer = null;
    const folds = [...acc.folded.values()];
    acc.folded.clear();
    if (!auditLog || folds.length === 0) return Promise.resolve();
    const principal = acc.principal;
    return Promise.all(
      folds.map((f) =>
        auditLog
          .append({
            kind: 'read',
            action: f.action,
            principal: principal ? { id: principal.id, kind: principal.kind } : { id: 'anonymous', kind: 'demo' },
            outcome: f.outcome,
            subject: null,
            ...(f.code === null ? {} : { code: f.code }),
            details: { summary: true, count: f.count, subjects: f.subjects },
          })
          .catch((e) => logger?.error({ err: e, action: f.action }, 'security audit log append failed')),
      ),
    ).then(() => undefined);
  };

  const audit = (
    spec: AuditSpec,
    action: string,
    principal: Principal | undefined,
    args: object,
    result: unknown,
    error: unknown,
    ctx?: object,
  ) => {
    if (!auditLog) return Promise.resolve();
    const code = error === undefined ? null : codeOf(error);
    const outcome = code === null ? 'ok' : code === 'FORBIDDEN' || code === 'UNAUTHENTICATED' ? 'denied' : 'error';
    let described: ReturnType<AuditSpec['describe']>;
    try {
      described = spec.describe(args as Record<string, unknown>, outcome === 'ok' ? result : undefined);
    } catch {
      described = { subject: null };
    }
    // Reads past the per-operation cap fold into one summary entry (a 1,000-alias query is
    // one line, not 1,000); mutations are always recorded one by one.
    if (spec.kind === 'read' && ctx && overCap(ctx, action, outcome, described.subject, code, principal)) {
      return Promise.resolve();
    }
    return auditLog
      .append({
        kind: spec.kind,
        action,
        principal: principal ? { id: principal.id, kind: principal.kind } : { id: 'anonymous', kind: 'demo' },
        outcome,
        subject: described.subject,
        ...(code === null ? {} : { code }),
        ...(described.details ? { details: described.details } : {}),
      })
      .catch((e) => logger?.error({ err: e, action }, 'security audit log append failed'));
  };

  function authorize(
    ctx: SecurityContext | undefined,
    coordinate: string,
    roles: readonly Role[] | undefined,
  ): Principal {
    const principal = ctx?.principal;
    if (!principal) throw new AuthError('UNAUTHENTICATED', 'Authentication required').toGraphQLError();
    if (!roles) throw new AuthError('FORBIDDEN', `${coordinate} is not available to any role`).toGraphQLError();
    if (!hasAnyRole(principal, roles)) {
      throw new AuthError('FORBIDDEN', `${coordinate} requires one of the roles: ${roles.join(', ')}`).toGraphQLError();
    }
    return principal;
  }

  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field, fieldName, typeName) => {
      const coordinate = `${typeName}.${fieldName}`;
      const rootKind = roots.get(typeName);
      const roles = policy.roles.get(coordinate);
      const auditSpec = policy.audit.get(coordinate);
      const explicitMask = policy.masks.get(coordinate);
      const outputType = getNamedType(field.type).name;
      const mask: MaskRule | null =
        ids !== null && outputType === 'String' && CURSOR_FIELDS.has(fieldName)
          ? (v) => mapLeaves(v, (c) => (typeof c === 'string' ? ids.encode(c) : c))
          : explicitMask === undefined
            ? defaultMask(typeName, fieldName, outputType)
            : explicitMask;
      const checksRoles = rootKind !== undefined || roles !== undefined;
      const original: GraphQLFieldResolver<unknown, SecurityContext> = field.resolve ?? defaultFieldResolver;
      const ownResolver = field.resolve !== undefined;
      const decoders =
        ids === null
          ? []
          : Object.entries(field.args ?? {}).flatMap(([name, arg]) => {
              const d = argDecoder(arg.type, name, ids);
              return d ? [[name, d] as const] : [];
            });
      const decodeArgs = (args: Record<string, unknown>): Record<string, unknown> => {
        if (decoders.length === 0) return args;
        const out = { ...args };
        for (const [name, d] of decoders) if (out[name] !== undefined && out[name] !== null) out[name] = d(out[name]);
        return out;
      };
      if (!checksRoles && mask === null && auditSpec === undefined && !ownResolver && decoders.length === 0)
        return field;

      const guarded = (rootKind !== 'subscription' || field.subscribe === undefined) && checksRoles;
      const resolve: GraphQLFieldResolver<unknown, SecurityContext> = (parent, rawArgs, ctx, info) => {
        const deadline = ctx?.deadlineMs;
        if (deadline !== undefined && ownResolver && Date.now() > deadline) throw timeoutError();
        let principal = ctx?.principal;
        let result: unknown;
        let args = rawArgs;
        try {
          if (guarded) principal = authorize(ctx, coordinate, roles);
          args = decodeArgs(rawArgs);
          result = original(parent, args, ctx, info);
        } catch (e) {
          if (auditSpec) void audit(auditSpec, coordinate, principal, args, undefined, e, ctx);
          throw principal?.pii ? e : scrubError(e, ids);
        }
        if (!principal?.pii && isPromise(result)) {
          result = result.catch((e: unknown) => {
            throw scrubError(e, ids);
          });
        }
        if (deadline !== undefined && ownResolver && isPromise(result)) result = raceDeadline(ctx, result, deadline);
        if (auditSpec && rootKind !== 'subscription') {
          result = (isPromise(result) ? result : Promise.resolve(result)).then(
            async (value) => {
              await audit(auditSpec, coordinate, principal, args, value, undefined, ctx);
              return value;
            },
            async (e) => {
              await audit(auditSpec, coordinate, principal, args, undefined, e, ctx);
              throw e;
            },
          );
        }
        // No principal (a context built elsewhere) is treated like one without PII access.
        if (mask && !principal?.pii) result = then(result, (v) => mask(v, parent, tools));
        return result;
      };

      const next: GraphQLFieldConfig<unknown, SecurityContext> = { ...field, resolve };
      if (rootKind === 'subscription' && field.subscribe) {
        const subscribe = field.subscribe;
        next.subscribe = async (parent, rawArgs, ctx, info) => {
          let principal = ctx?.principal;
          let args = rawArgs;
          try {
            principal = authorize(ctx, coordinate, roles);
            args = decodeArgs(rawArgs);
            const iterator = await subscribe(parent, args, ctx, info);
            if (auditSpec) await audit(auditSpec, coordinate, principal, args, null, undefined);
            return iterator;
          } catch (e) {
            if (auditSpec) await audit(auditSpec, coordinate, principal, args, undefined, e);
            throw e;
          }
        };
      }
      return next;
    },
  });
}

/** Audited reads written one by one per operation; the rest are counted into summary entries. */
export const AUDIT_ENTRIES_PER_OPERATION = 20;
const AUDIT_SUBJECTS_PER_SUMMARY = 10;
const SUMMARY_FALLBACK_MS = 1_000;

interface OperationAudit {
  written: number;
  readonly principal: Principal | undefined;
  readonly folded: Map<
    string,
    { action: string; outcome: 'ok' | 'denied' | 'error'; code: string | null; count: number; subjects: string[] }
  >;
  flush: (() => Promise<void>) | null;
  timer: NodeJS.Timeout | null;
}

const operationAudits = new WeakMap<object, OperationAudit>();

/** Writes the operation's folded audit summary now (the HTTP server calls it before answering). */
export function finishOperationAudit(ctx: object): Promise<void> {
  const acc = operationAudits.get(ctx);
  return acc?.flush ? acc.flush() : Promise.resolve();
}

/**
 * One timer per operation, shared by all its resolvers that are running: the first async
 * resolver arms it, every async resolver races it, and the last one to settle clears it.
 * Without the clearing every request left a timer behind that fired 15 s later and built
 * an error with a stack trace for nobody (5 % of the 360° view's CPU).
 */
interface Deadline {
  readonly expired: Promise<never>;
  readonly timer: NodeJS.Timeout;
  racing: number;
}

const deadlines = new WeakMap<object, Deadline>();

function raceDeadline(ctx: SecurityContext, result: Promise<unknown>, deadlineMs: number): Promise<unknown> {
  let deadline = deadlines.get(ctx);
  if (!deadline) {
    let timer!: NodeJS.Timeout;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timeoutError()), Math.max(0, deadlineMs - Date.now()));
      timer.unref();
    });
    expired.catch(() => undefined);
    deadline = { expired, timer, racing: 0 };
    deadlines.set(ctx, deadline);
  }
  const armed = deadline;
  armed.racing++;
  const settle = () => {
    armed.racing--;
    if (armed.racing === 0 && deadlines.get(ctx) === armed) {
      clearTimeout(armed.timer);
      deadlines.delete(ctx);
    }
  };
  result.then(settle, settle);
  return Promise.race([result, armed.expired]);
}
