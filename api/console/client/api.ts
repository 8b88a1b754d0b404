/**
 * The console's only way to the hub: the public GraphQL API — POST /graphql
 * for queries and mutations, graphql-ws on the same path for subscriptions —
 * with the tab's own API key (sessionStorage: gone when the tab closes), or
 * none in demo mode. Roles and PII masking are the API's; the console shows
 * what it is given.
 */
import { type Client, createClient } from 'graphql-ws';

const KEY_ITEM = 'c360.apiKey';
export const GRAPHQL_PATH = '/graphql';

export interface GqlError {
  readonly message: string;
  readonly path?: readonly (string | number)[];
  readonly extensions?: {
    readonly code?: string;
    readonly definitionPath?: string;
    readonly issues?: readonly { path?: string; message?: string }[];
  };
}

/** A GraphQL answer that carried errors (and maybe partial data). */
export class GraphQLRequestError extends Error {
  override readonly name = 'GraphQLRequestError';
  constructor(
    readonly errors: readonly GqlError[],
    readonly status: number,
  ) {
    super(errors.map((e) => e.message).join('; ') || `HTTP ${status}`);
  }
  get code(): string | undefined {
    return this.errors[0]?.extensions?.code;
  }
}

export function apiKey(): string | null {
  return sessionStorage.getItem(KEY_ITEM);
}

function authHeaders(): Record<string, string> {
  const key = apiKey();
  return key ? { authorization: `Bearer ${key}` } : {};
}

export interface Answer<T> {
  readonly data: T | null;
  readonly errors: readonly GqlError[];
  readonly status: number;
}

/** One operation over HTTP; never throws for GraphQL errors (they come back with the partial data). */
export async function request<T>(query: string, variables: Record<string, unknown> = {}): Promise<Answer<T>> {
  const res = await fetch(GRAPHQL_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...authHeaders() },
    body: JSON.stringify({ query, variables }),
  });
  let body: { data?: T | null; errors?: GqlError[] };
  try {
    body = await res.json();
  } catch {
    body = { errors: [{ message: `HTTP ${res.status} ${res.statusText}`, extensions: { code: 'NOT_JSON' } }] };
  }
  return { data: body.data ?? null, errors: body.errors ?? [], status: res.status };
}

/** One operation over HTTP; rejects with GraphQLRequestError unless it fully succeeded. */
export async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const answer = await request<T>(query, variables);
  if (answer.errors.length > 0 || answer.data === null) throw new GraphQLRequestError(answer.errors, answer.status);
  return answer.data;
}

export type SessionMode = { kind: 'key' } | { kind: 'demo' } | { kind: 'signed-out'; reason: string };

/** Who the tab is: a key it holds (checked), demo mode (the hub takes requests without credentials), or neither. */
export async function probeSession(): Promise<SessionMode> {
  const answer = await request<{ __typename: string }>('{ __typename }');
  if (answer.status === 401) {
    const reason = apiKey() ? (answer.errors[0]?.message ?? 'The key was refused') : 'Sign in with an API key';
    return { kind: 'signed-out', reason };
  }
  return apiKey() ? { kind: 'key' } : { kind: 'demo' };
}

let ws: Client | null = null;
type LiveState = 'connecting' | 'connected' | 'closed';
const liveListeners = new Set<(s: LiveState) => void>();

/** Called with the WebSocket's state (the card shows it; tests wait for 'connected'). */
export function onLiveState(listener: (s: LiveState) => void): () => void {
  liveListeners.add(listener);
  return () => liveListeners.delete(listener);
}

function wsClient(): Client {
  if (ws) return ws;
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${GRAPHQL_PATH}`;
  ws = createClient({
    url,
    // Read at every (re)connect: a key entered later is used by the next connection.
    connectionParams: () => authHeaders(),
    lazy: true,
    retryAttempts: 5,
  });
  const emit = (s: LiveState) => {
    for (const l of liveListeners) l(s);
  };
  ws.on('connecting', () => emit('connecting'));
  ws.on('connected', () => emit('connected'));
  ws.on('closed', () => emit('closed'));
  return ws;
}

/** Signing in or out changes who the socket speaks for: close it; the next subscription reconnects. */
export function setApiKey(key: string | null): void {
  if (key) sessionStorage.setItem(KEY_ITEM, key);
  else sessionStorage.removeItem(KEY_ITEM);
  const old = ws;
  ws = null;
  void old?.dispose();
}

/** A subscription over graphql-ws; returns its unsubscribe function. */
export function subscribe<T>(
  query: string,
  variables: Record<string, unknown>,
  onData: (data: T) => void,
  onError: (error: GraphQLRequestError) => void,
): () => void {
  return wsClient().subscribe<T>(
    { query, variables },
    {
      next: (msg) => {
        if (msg.errors?.length) onError(new GraphQLRequestError(msg.errors as GqlError[], 200));
        if (msg.data) onData(msg.data as T);
      },
      error: (e) => {
        const errors = Array.isArray(e)
          ? (e as GqlError[])
          : [{ message: e instanceof Error ? e.message : 'The live connection closed' }];
        onError(new GraphQLRequestError(errors, 0));
      },
      complete: () => undefined,
    },
  );
}

/** The message to show for a failed call: the API's own message, with what to do about a refused role. */
export function describeError(e: unknown): string {
  if (e instanceof GraphQLRequestError) {
    if (e.code === 'FORBIDDEN') return `${e.message} — this needs a key with another role.`;
    if (e.code === 'UNAUTHENTICATED') return `${e.message} — sign in again.`;
    return e.message;
  }
  return e instanceof Error ? e.message : String(e);
}

/** The API's error code of a failed call (FORBIDDEN, BAD_USER_INPUT, …), if it has one. */
export function errorCode(e: unknown): string | null {
  return e instanceof GraphQLRequestError ? (e.code ?? null) : null;
}
