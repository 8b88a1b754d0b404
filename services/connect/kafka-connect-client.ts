/**
 * Kafka Connect's REST API (https://kafka.apache.org/documentation/#connect_rest),
 * the calls c360 needs. `putConfig` is the idempotent way to register: PUT
 * /connectors/<name>/config creates the connector or updates its config, and
 * applying the same config twice changes nothing. A 409 means the Connect
 * cluster is rebalancing; those calls are retried a few times.
 */
import { ConnectError } from './connect-error';

export type ConnectorState = 'UNASSIGNED' | 'RUNNING' | 'PAUSED' | 'FAILED' | 'RESTARTING' | 'STOPPED';

export interface ConnectorStatus {
  readonly name: string;
  readonly connector: { readonly state: ConnectorState; readonly worker_id: string; readonly trace?: string };
  readonly tasks: readonly {
    readonly id: number;
    readonly state: ConnectorState;
    readonly worker_id: string;
    readonly trace?: string;
  }[];
  readonly type?: string;
}

export interface KafkaConnectClient {
  /** Creates or updates; `created` tells which. */
  putConfig(name: string, config: Readonly<Record<string, string>>): Promise<{ created: boolean }>;
  /** null when there is no such connector. */
  status(name: string): Promise<ConnectorStatus | null>;
  list(): Promise<string[]>;
  /** Restarts the connector and all its tasks (Debezium resumes from its committed offsets). */
  restart(name: string): Promise<void>;
  /** false when there was nothing to delete. */
  remove(name: string): Promise<boolean>;
}

export interface KafkaConnectClientOptions {
  readonly url: string;
  readonly attempts?: number;
  readonly retryDelayMs?: number;
  readonly timeoutMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createKafkaConnectClient(options: KafkaConnectClientOptions): KafkaConnectClient {
  const base = options.url.replace(/\/+$/, '');
  const attempts = options.attempts ?? 8;
  const retryDelayMs = options.retryDelayMs ?? 500;
  const timeoutMs = options.timeoutMs ?? 30_000;

  async function call(
    operation: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> {
    let lastError: ConnectError | null = null;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let response: Response;
      try {
        response = await fetch(`${base}${path}`, {
          method,
          headers: {
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (e) {
        lastError = new ConnectError(`KafkaConnect.${operation}: ${base} unreachable (${(e as Error).message})`, {
          status: null,
          cause: e,
          code: 'CONNECT_UNAVAILABLE',
        });
        await sleep(retryDelayMs * attempt);
        continue;
      }
      const text = await response.text();
      let json: unknown = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        json = text;
      }
      if (response.status === 409 || response.status >= 500) {
        // Connect's error body carries its message, never the config: safe to show.
        lastError = new ConnectError(`KafkaConnect.${operation}: HTTP ${response.status} ${messageOf(json)}`, {
          status: response.status,
        });
        await sleep(retryDelayMs * attempt);
        continue;
      }
      return { status: response.status, json };
    }
    throw lastError ?? new ConnectError(`KafkaConnect.${operation}: failed`, { status: null });
  }

  function fail(operation: string, status: number, json: unknown): never {
    throw new ConnectError(`KafkaConnect.${operation}: HTTP ${status} ${messageOf(json)}`, {
      status,
      code: status === 400 ? 'CONNECT_BAD_CONFIG' : 'CONNECT_FAILED',
    });
  }

  const named = (name: string) => `/connectors/${encodeURIComponent(name)}`;

  return {
    async putConfig(name, config) {
      const { status, json } = await call('putConfig', 'PUT', `${named(name)}/config`, { ...config, name });
      if (status !== 200 && status !== 201) fail('putConfig', status, json);
      return { created: status === 201 };
    },
    async status(name) {
      const { status, json } = await call('status', 'GET', `${named(name)}/status`);
      if (status === 404) return null;
      if (status !== 200) fail('status', status, json);
      return json as ConnectorStatus;
    },
    async list() {
      const { status, json } = await call('list', 'GET', '/connectors');
      if (status !== 200) fail('list', status, json);
      return [...(json as string[])].sort();
    },
    async restart(name) {
      const { status, json } = await call(
        'restart',
        'POST',
        `${named(name)}/restart?includeTasks=true&onlyFailed=false`,
      );
      if (status !== 200 && status !== 202 && status !== 204) fail('restart', status, json);
    },
    async remove(name) {
      const { status, json } = await call('remove', 'DELETE', named(name));
      if (status === 404) return false;
      if (status !== 204 && status !== 200) fail('remove', status, json);
      return true;
    },
  };
}

function messageOf(json: unknown): string {
  if (json && typeof json === 'object' && 'message' in json) return String((json as { message: unknown }).message);
  return typeof json === 'string' ? json.slice(0, 300) : '';
}
