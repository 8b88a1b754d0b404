/**
 * The one config module: explicit options over environment over defaults,
 * every default in one place, names carry units. An invalid value is a
 * startup error naming the setting and what is allowed — never a silent default.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import type { JSONWebKeySet } from 'jose';
import { type ApiKeyConfig, hashApiKey, isApiKeyHash, MIN_API_KEY_LENGTH } from '../../api/auth/api-keys';
import { type ApiLimits, DEFAULT_API_LIMITS, type TrustedProxies } from '../../api/auth/api-limits';
import { DEFAULT_HEAVY_WORK_LIMITS, type HeavyWorkLimits } from '../../api/auth/heavy-work';
import { JWT_ALGORITHMS, type JwtAlgorithm } from '../../api/auth/jwt-algorithms';
import { MIN_ID_SECRET_BYTES } from '../../api/auth/opaque-ids';
import type { IntrospectionMode } from '../../api/auth/query-limits';
import { isRole } from '../../api/auth/roles';
import {
  ConfigError,
  isPhoneRegion,
  type MappingFile,
  MappingFileError,
  parseMappingFile,
  type StoreKind,
} from '../../graph-schema';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** JWT verification: keys from a JWKS URL or file, the claims a token must carry, where its roles are. */
export interface JwtSettings {
  readonly jwksUrl: string | null;
  /** The parsed key set of C360_JWT_JWKS_FILE. */
  readonly jwks: JSONWebKeySet | null;
  readonly issuer: string;
  readonly audience: string;
  readonly algorithms: readonly JwtAlgorithm[];
  readonly rolesClaim: string;
  readonly clockToleranceSec: number;
}

export interface C360Config {
  readonly graph: StoreKind;
  readonly graphUrl: string | null;
  readonly graphUser: string | null;
  readonly graphPassword: string | null;
  readonly kafkaBrokers: readonly string[];
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  readonly writeKeys: readonly string[];
  /** GraphQL API keys (hashes preferred); never collector write keys. */
  readonly apiKeys: readonly ApiKeyConfig[];
  /** JWT bearer tokens, when an identity provider is configured. */
  readonly jwt: JwtSettings | null;
  /** Depth, cost, time, body size, introspection, rate limits and CORS of the HTTP API. */
  readonly apiLimits: ApiLimits;
  /** Serve GraphiQL at GET /graphql (default: only in demo mode). */
  readonly playground: boolean;
  /**
   * Keys the opaque ids and cursors of principals without PII access (C360_ID_SECRET).
   * Null: `c360 start` keeps a generated one in the data dir; `c360 api` refuses to start.
   */
  readonly idSecret: string | null;
  readonly demo: boolean;
  readonly demoCustomers: number;
  readonly demoSeed: number;
  readonly logLevel: LogLevel;
  /** ISO 3166 country for phone numbers written without a country code (null: keep their digits). */
  readonly phoneRegion: string | null;
  readonly batchMaxMutations: number;
  readonly batchMaxWaitMs: number;
  readonly dedupeMaxEntries: number;
  readonly maxEventBytes: number;
  readonly maxBatchBytes: number;
  readonly shutdownTimeoutMs: number;
  /**
   * Every this often the processes that serve GraphQL rerun the trait-writing analytics
   * (degree, components, pagerank, louvain, betweenness) so customers' analytics traits
   * follow the graph without anyone asking; 0 (the default) runs them only when queried.
   */
  readonly analyticsRefreshMs: number;
  /**
   * Whole-graph requests (segment previews and saves): at most `running` at once in the
   * process (also the embedded hub's evaluation worker threads), `perPrincipal` of them per
   * principal, a few more waiting; past that RATE_LIMITED.
   */
  readonly heavyWork: HeavyWorkLimits;
  readonly topics: {
    readonly clickstream: string;
    readonly telemetry: string;
    readonly dlq: string;
    readonly actions: string;
    /** Internal change notices (vertex ids written) that API replicas follow. */
    readonly changes: string;
    /** Debezium topic prefix: topics are `<prefix>.<schema>.<table>`. */
    readonly cdcPrefix: string;
  };
  /** The CDC mapping file (C360_MAPPINGS), validated; null: the demo CRM's (graph-schema/mappings/crm.mapping.json). */
  readonly mappings: { readonly path: string; readonly file: MappingFile } | null;
  /** Kafka mode (when kafkaBrokers is set): the ingest consumer group and the topics it provisions. */
  readonly kafka: {
    readonly clientId: string;
    readonly groupId: string;
    /** Partitions one worker processes at once; their submits share the pipeline's store batches. */
    readonly partitionsConsumedConcurrently: number;
    /** A killed worker's partitions move to the others after this long without heartbeats. */
    readonly sessionTimeoutMs: number;
    /** Attempts to submit one poll batch before its partition is paused. */
    readonly maxRetries: number;
    readonly retryBaseMs: number;
    /** How long a paused partition waits before a probe resumes it. */
    readonly pauseMs: number;
    /** Partitions of the clickstream and telemetry topics when they are created. */
    readonly topicPartitions: number;
    readonly actionsPartitions: number;
    /** How often consumer lag is sampled into metrics. */
    readonly lagSampleIntervalMs: number;
    /** How often new CDC topics matching the pattern are looked for. */
    readonly topicRefreshMs: number;
    /** Largest fetch per partition: bounds one poll batch, hence one pipeline submit. */
    readonly maxBytesPerPartition: number;
  };
}

/** Each setting: its environment variable, its default, how to parse it. */
interface Setting<T> {
  readonly env: string;
  readonly default: T;
  readonly parse: (raw: string, name: string) => T;
}

function oneOf<T extends string>(allowed: readonly T[]) {
  return (raw: string, name: string): T => {
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    throw new ConfigError(name, `'${raw}' is not one of ${allowed.join(', ')}`);
  };
}

/** 0 (off) or a period in [min, max] ms. */
function periodOrOff(min: number, max: number) {
  return (raw: string, name: string): number => {
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || (n !== 0 && (n < min || n > max))) {
      throw new ConfigError(name, `'${raw}' is neither 0 (off) nor a period in ms between ${min} and ${max}`);
    }
    return n;
  };
}

function integer(min: number, max: number) {
  return (raw: string, name: string): number => {
    const n = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new ConfigError(name, `'${raw}' is not an integer between ${min} and ${max}`);
    }
    return n;
  };
}

const text = (raw: string) => raw;
const nullableText = (raw: string) => (raw === '' ? null : raw);

function phoneRegion(raw: string, name: string): string | null {
  if (raw.trim() === '') return null;
  const region = raw.trim().toUpperCase();
  if (!isPhoneRegion(region)) {
    throw new ConfigError(
      name,
      `must be an ISO 3166 alpha-2 country code with a phone numbering plan (e.g. GB, DE, US), got ${raw}`,
    );
  }
  return region;
}

function list(raw: string, name: string): string[] {
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const item of items) {
    if (/\s/.test(item)) throw new ConfigError(name, `'${item}' contains whitespace`);
  }
  return items;
}

function brokers(raw: string, name: string): string[] {
  const items = list(raw, name);
  for (const b of items) {
    if (!/^[^:\s]+:\d{1,5}$/.test(b)) throw new ConfigError(name, `'${b}' is not host:port`);
  }
  return items;
}

function apiKeyList(raw: string, name: string): ApiKeyConfig[] {
  if (raw.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(name, 'is not JSON: expected [{"name": …, "roles": [...], "keyHash": "sha256:…"}, …]');
  }
  if (!Array.isArray(parsed)) throw new ConfigError(name, 'must be a JSON array of API keys');
  return parsed.map((entry, i): ApiKeyConfig => {
    const at = `${name}[${i}]`;
    if (entry === null || typeof entry !== 'object') throw new ConfigError(at, 'must be an object');
    const e = entry as Record<string, unknown>;
    if (typeof e.name !== 'string' || !/^[\w.@-]{1,100}$/.test(e.name)) {
      throw new ConfigError(`${at}.name`, 'must be 1..100 letters, digits, _ . @ -');
    }
    if (!Array.isArray(e.roles) || e.roles.length === 0 || !e.roles.every(isRole)) {
      throw new ConfigError(`${at}.roles`, 'must be a non-empty list of agent, marketer, analyst, admin, ingest');
    }
    if (e.keyHash !== undefined && (typeof e.keyHash !== 'string' || !isApiKeyHash(e.keyHash))) {
      throw new ConfigError(`${at}.keyHash`, 'must be sha256:<64 lowercase hex> (c360 api-key prints one)');
    }
    if (e.key !== undefined && (typeof e.key !== 'string' || e.key.length < MIN_API_KEY_LENGTH)) {
      throw new ConfigError(`${at}.key`, `must be a string of at least ${MIN_API_KEY_LENGTH} characters`);
    }
    if ((e.keyHash === undefined) === (e.key === undefined)) {
      throw new ConfigError(at, 'needs exactly one of keyHash (preferred) or key');
    }
    if (e.expiresAt !== undefined && e.expiresAt !== null) {
      if (typeof e.expiresAt !== 'string' || !Number.isFinite(Date.parse(e.expiresAt))) {
        throw new ConfigError(`${at}.expiresAt`, 'must be an ISO-8601 instant');
      }
    }
    // Hashed at once: the rest of the process never holds the plain key.
    return {
      name: e.name,
      roles: e.roles,
      keyHash: (e.keyHash as string | undefined) ?? hashApiKey(e.key as string),
      expiresAt: (e.expiresAt as string | null | undefined) ?? null,
    };
  });
}

function jwtAlgorithms(raw: string, name: string): JwtAlgorithm[] {
  const items = list(raw, name);
  if (items.length === 0) throw new ConfigError(name, `must name at least one of ${JWT_ALGORITHMS.join(', ')}`);
  for (const a of items) {
    if (!(JWT_ALGORITHMS as readonly string[]).includes(a)) {
      throw new ConfigError(
        name,
        `'${a}' is not one of ${JWT_ALGORITHMS.join(', ')} (none and HS* are never accepted)`,
      );
    }
  }
  return items as JwtAlgorithm[];
}

/** `C360_ID_SECRET`: keys opaque ids; long enough to be a key, never logged. */
function idSecret(raw: string, name: string): string | null {
  if (raw === '') return null;
  if (Buffer.byteLength(raw, 'utf8') < MIN_ID_SECRET_BYTES) {
    throw new ConfigError(
      name,
      `must be at least ${MIN_ID_SECRET_BYTES} bytes (e.g. the output of: openssl rand -base64 48), got ${Buffer.byteLength(raw, 'utf8')}`,
    );
  }
  return raw;
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * `C360_TRUSTED_PROXIES`: empty (none), a hop count, or addresses / CIDR ranges / the names
 * loopback, linklocal, uniquelocal. "true" (trust every hop) is refused: any client could
 * then choose its own address with X-Forwarded-For and escape limits by address.
 */
function trustedProxies(raw: string, name: string): TrustedProxies {
  const value = raw.trim();
  if (value === '' || value === 'none' || value === 'false') return false;
  if (/^\d+$/.test(value)) return integer(1, 20)(value, name);
  if (value === 'true' || value === '*') {
    throw new ConfigError(
      name,
      'trusting every proxy lets any client set its address with X-Forwarded-For; name the proxies (addresses, CIDR ranges, loopback, linklocal, uniquelocal) or a hop count',
    );
  }
  const items = list(value, name);
  for (const item of items) {
    if (PROXY_NAMES.includes(item)) continue;
    const [address, bits, ...rest] = item.split('/');
    const family = isIP(address);
    const prefixOk =
      bits === undefined ||
      (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32)) ||
      (family === 4 && isIP(bits) === 4);
    if (family === 0 || !prefixOk || rest.length > 0) {
      throw new ConfigError(
        name,
        `'${item}' is not an IP address, a CIDR range, a hop count or one of ${PROXY_NAMES.join(', ')}`,
      );
    }
  }
  return items;
}

function nullableBool(raw: string, name: string): boolean | null {
  return raw === '' ? null : bool(raw, name);
}

function bool(raw: string, name: string): boolean {
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off', ''].includes(raw.toLowerCase())) return false;
  throw new ConfigError(name, `'${raw}' is not a boolean (true/false)`);
}

const SETTINGS = {
  graph: {
    env: 'C360_GRAPH',
    default: 'embedded' as StoreKind,
    parse: oneOf<StoreKind>(['embedded', 'gremlin', 'neo4j']),
  },
  graphUrl: { env: 'C360_GRAPH_URL', default: null as string | null, parse: nullableText },
  graphUser: { env: 'C360_GRAPH_USER', default: null as string | null, parse: nullableText },
  graphPassword: { env: 'C360_GRAPH_PASSWORD', default: null as string | null, parse: nullableText },
  kafkaBrokers: { env: 'C360_KAFKA_BROKERS', default: [] as string[], parse: brokers },
  dataDir: { env: 'C360_DATA_DIR', default: '.c360/data', parse: text },
  mappings: { env: 'C360_MAPPINGS', default: null as string | null, parse: nullableText },
  host: { env: 'C360_HOST', default: '127.0.0.1', parse: text },
  port: { env: 'C360_PORT', default: 4000, parse: integer(0, 65535) },
  writeKeys: { env: 'C360_WRITE_KEYS', default: [] as string[], parse: list },
  apiKeys: { env: 'C360_API_KEYS', default: [] as ApiKeyConfig[], parse: apiKeyList },
  apiKeysFile: { env: 'C360_API_KEYS_FILE', default: null as string | null, parse: nullableText },
  jwtJwksUrl: { env: 'C360_JWT_JWKS_URL', default: null as string | null, parse: nullableText },
  jwtJwksFile: { env: 'C360_JWT_JWKS_FILE', default: null as string | null, parse: nullableText },
  jwtIssuer: { env: 'C360_JWT_ISSUER', default: null as string | null, parse: nullableText },
  jwtAudience: { env: 'C360_JWT_AUDIENCE', default: null as string | null, parse: nullableText },
  jwtAlgorithms: { env: 'C360_JWT_ALGORITHMS', default: ['RS256', 'ES256'] as JwtAlgorithm[], parse: jwtAlgorithms },
  jwtRolesClaim: { env: 'C360_JWT_ROLES_CLAIM', default: 'roles', parse: text },
  jwtClockToleranceSec: { env: 'C360_JWT_CLOCK_TOLERANCE_SEC', default: 5, parse: integer(0, 300) },
  playground: { env: 'C360_PLAYGROUND', default: null as boolean | null, parse: nullableBool },
  graphqlIntrospection: {
    env: 'C360_GRAPHQL_INTROSPECTION',
    default: DEFAULT_API_LIMITS.introspection,
    parse: oneOf<IntrospectionMode>(['on', 'off', 'roles']),
  },
  graphqlMaxDepth: { env: 'C360_GRAPHQL_MAX_DEPTH', default: DEFAULT_API_LIMITS.maxDepth, parse: integer(2, 100) },
  graphqlMaxComplexity: {
    env: 'C360_GRAPHQL_MAX_COMPLEXITY',
    default: DEFAULT_API_LIMITS.maxComplexity,
    parse: integer(10, 100_000_000),
  },
  graphqlTimeoutMs: {
    env: 'C360_GRAPHQL_TIMEOUT_MS',
    default: DEFAULT_API_LIMITS.timeoutMs,
    parse: integer(100, 600_000),
  },
  graphqlMaxBodyBytes: {
    env: 'C360_GRAPHQL_MAX_BODY_BYTES',
    default: DEFAULT_API_LIMITS.maxBodyBytes,
    parse: integer(1024, 64 * 1024 * 1024),
  },
  graphqlRateLimitPerMinute: {
    env: 'C360_GRAPHQL_RATE_LIMIT_PER_MINUTE',
    default: DEFAULT_API_LIMITS.rateLimitPerMinute,
    parse: integer(0, 10_000_000),
  },
  collectorRateLimitPerMinute: {
    env: 'C360_COLLECTOR_RATE_LIMIT_PER_MINUTE',
    default: DEFAULT_API_LIMITS.collectorRateLimitPerMinute,
    parse: integer(0, 100_000_000),
  },
  corsOrigins: { env: 'C360_CORS_ORIGINS', default: [] as string[], parse: list },
  idSecret: { env: 'C360_ID_SECRET', default: null as string | null, parse: idSecret },
  authFailuresPerMinute: {
    env: 'C360_AUTH_FAILURES_PER_MINUTE',
    default: DEFAULT_API_LIMITS.authFailuresPerMinute,
    parse: integer(0, 1_000_000),
  },
  trustedProxies: {
    env: 'C360_TRUSTED_PROXIES',
    default: DEFAULT_API_LIMITS.trustedProxies as TrustedProxies,
    parse: trustedProxies,
  },
  phoneRegion: { env: 'C360_PHONE_REGION', default: null as string | null, parse: phoneRegion },
  demo: { env: 'C360_DEMO', default: false, parse: bool },
  demoCustomers: { env: 'C360_DEMO_CUSTOMERS', default: 200, parse: integer(1, 10_000_000) },
  demoSeed: { env: 'C360_DEMO_SEED', default: 360, parse: integer(0, 2 ** 31 - 1) },
  logLevel: {
    env: 'C360_LOG_LEVEL',
    default: 'info' as LogLevel,
    parse: oneOf<LogLevel>(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  },
  batchMaxMutations: { env: 'C360_BATCH_MAX_MUTATIONS', default: 5000, parse: integer(1, 1_000_000) },
  batchMaxWaitMs: { env: 'C360_BATCH_MAX_WAIT_MS', default: 10, parse: integer(0, 60_000) },
  dedupeMaxEntries: { env: 'C360_DEDUPE_MAX_ENTRIES', default: 5_000_000, parse: integer(0, 1_000_000_000) },
  maxEventBytes: { env: 'C360_MAX_EVENT_BYTES', default: 32 * 1024, parse: integer(256, 16 * 1024 * 1024) },
  maxBatchBytes: { env: 'C360_MAX_BATCH_BYTES', default: 500 * 1024, parse: integer(1024, 64 * 1024 * 1024) },
  shutdownTimeoutMs: { env: 'C360_SHUTDOWN_TIMEOUT_MS', default: 15_000, parse: integer(0, 600_000) },
  analyticsRefreshMs: {
    env: 'C360_ANALYTICS_REFRESH_MS',
    default: 0,
    parse: periodOrOff(10_000, 7 * 24 * 3_600_000),
  },
  previewsRunning: {
    env: 'C360_PREVIEWS_RUNNING',
    default: DEFAULT_HEAVY_WORK_LIMITS.running,
    parse: integer(1, 64),
  },
  previewsPerPrincipal: {
    env: 'C360_PREVIEWS_PER_PRINCIPAL',
    default: DEFAULT_HEAVY_WORK_LIMITS.perPrincipal,
    parse: integer(1, 64),
  },
  topicClickstream: { env: 'C360_TOPIC_CLICKSTREAM', default: 'c360.clickstream', parse: text },
  topicTelemetry: { env: 'C360_TOPIC_TELEMETRY', default: 'c360.telemetry', parse: text },
  topicDlq: { env: 'C360_TOPIC_DLQ', default: 'c360.dlq', parse: text },
  topicActions: { env: 'C360_TOPIC_ACTIONS', default: 'c360.actions', parse: text },
  topicChanges: { env: 'C360_TOPIC_CHANGES', default: 'c360.changes', parse: text },
  cdcPrefix: { env: 'C360_CDC_PREFIX', default: 'c360', parse: text },
  kafkaClientId: { env: 'C360_KAFKA_CLIENT_ID', default: 'c360', parse: text },
  kafkaGroupId: { env: 'C360_KAFKA_GROUP_ID', default: 'c360-ingest', parse: text },
  // Every partition of a fetch in flight at once: their events share store batches (one
  // commit and sync for the whole fetch), and kafkajs fetches again only when all of them are
  // done. With 3, a fetch over the default 12+ partitions took four store round trips, and a
  // collector event under half load took 525 ms (p99) to show instead of 235 ms.
  kafkaPartitionsConsumedConcurrently: {
    env: 'C360_KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY',
    default: 16,
    parse: integer(1, 256),
  },
  // Kafka brokers accept 6 s to 300 s by default (group.min/max.session.timeout.ms).
  kafkaSessionTimeoutMs: { env: 'C360_KAFKA_SESSION_TIMEOUT_MS', default: 30_000, parse: integer(6_000, 300_000) },
  kafkaMaxRetries: { env: 'C360_KAFKA_MAX_RETRIES', default: 5, parse: integer(0, 1000) },
  kafkaRetryBaseMs: { env: 'C360_KAFKA_RETRY_BASE_MS', default: 200, parse: integer(1, 60_000) },
  kafkaPauseMs: { env: 'C360_KAFKA_PAUSE_MS', default: 10_000, parse: integer(100, 3_600_000) },
  kafkaTopicPartitions: { env: 'C360_KAFKA_TOPIC_PARTITIONS', default: 6, parse: integer(1, 10_000) },
  kafkaActionsPartitions: { env: 'C360_KAFKA_ACTIONS_PARTITIONS', default: 3, parse: integer(1, 10_000) },
  kafkaLagSampleIntervalMs: {
    env: 'C360_KAFKA_LAG_SAMPLE_INTERVAL_MS',
    default: 15_000,
    parse: integer(100, 3_600_000),
  },
  kafkaTopicRefreshMs: { env: 'C360_KAFKA_TOPIC_REFRESH_MS', default: 60_000, parse: integer(100, 3_600_000) },
  // One partition's batch per fetch: see DEFAULT_MAX_BYTES_PER_PARTITION (services/kafka).
  kafkaMaxBytesPerPartition: {
    env: 'C360_KAFKA_MAX_BYTES_PER_PARTITION',
    default: 8 * 1024 * 1024,
    parse: integer(1024, 256 * 1024 * 1024),
  },
} satisfies Record<string, Setting<unknown>>;

type Settings = typeof SETTINGS;
export type ConfigOptions = Partial<{ [K in keyof Settings]: Settings[K]['default'] }>;

/** Environment variable names, for `--help` and docs. */
export function configEnvironmentVariables(): { name: string; env: string; default: unknown }[] {
  return Object.entries(SETTINGS).map(([name, s]) => ({ name, env: s.env, default: s.default }));
}

/**
 * @param options explicit values (CLI flags); `undefined` means "not given".
 * @param env the process environment, passed in by the composition root.
 */
export function createConfig(
  options: ConfigOptions = {},
  env: Readonly<Record<string, string | undefined>> = {},
): C360Config {
  const read = <K extends keyof Settings>(name: K): Settings[K]['default'] => {
    const setting = SETTINGS[name] as Setting<Settings[K]['default']>;
    const explicit = options[name];
    if (explicit !== undefined) {
      // Flags arrive as strings from the CLI; validate them with the same parser.
      return typeof explicit === 'string' && typeof setting.default !== 'string' && setting.default !== null
        ? setting.parse(explicit, `--${name}`)
        : (explicit as Settings[K]['default']);
    }
    const raw = env[setting.env];
    return raw === undefined ? setting.default : setting.parse(raw, setting.env);
  };

  const graph = read('graph');
  const graphUrl = read('graphUrl');
  if (graph !== 'embedded' && !graphUrl) {
    throw new ConfigError(
      'C360_GRAPH_URL',
      `is required when C360_GRAPH=${graph} (e.g. ${graph === 'gremlin' ? 'ws://127.0.0.1:8182/gremlin' : 'bolt://127.0.0.1:7687'})`,
    );
  }
  if (graphUrl) {
    const scheme = graphUrl.split(':')[0];
    const allowed =
      graph === 'gremlin' ? ['ws', 'wss'] : graph === 'neo4j' ? ['bolt', 'bolt+s', 'neo4j', 'neo4j+s'] : [];
    if (!allowed.includes(scheme)) {
      throw new ConfigError(
        'C360_GRAPH_URL',
        `'${scheme}:' URLs do not fit C360_GRAPH=${graph}; use ${allowed.join(', ') || 'no URL'}`,
      );
    }
  }
  const writeKeys = read('writeKeys');
  const apiKeys = [...read('apiKeys'), ...apiKeysFromFile(read('apiKeysFile'))];
  const names = new Set<string>();
  for (const k of apiKeys) {
    if (names.has(k.name)) throw new ConfigError('C360_API_KEYS', `two API keys are named '${k.name}'`);
    names.add(k.name);
  }
  // Separate credentials: a write key that is also an API key would let every web page that embeds it read the API.
  const writeKeyHashes = new Set(writeKeys.map(hashApiKey));
  const shared = apiKeys.find((k) => writeKeyHashes.has(k.keyHash as string));
  if (shared) {
    throw new ConfigError(
      'C360_API_KEYS',
      `API key '${shared.name}' is also a collector write key; use different keys`,
    );
  }
  const maxEventBytes = read('maxEventBytes');
  const maxBatchBytes = read('maxBatchBytes');
  if (maxBatchBytes < maxEventBytes) {
    throw new ConfigError('C360_MAX_BATCH_BYTES', `must be at least C360_MAX_EVENT_BYTES (${maxEventBytes})`);
  }
  return {
    graph,
    graphUrl,
    graphUser: read('graphUser'),
    graphPassword: read('graphPassword'),
    kafkaBrokers: read('kafkaBrokers'),
    dataDir: resolve(read('dataDir')),
    host: read('host'),
    port: read('port'),
    writeKeys,
    apiKeys,
    jwt: jwtSettings(read),
    apiLimits: {
      maxDepth: read('graphqlMaxDepth'),
      maxComplexity: read('graphqlMaxComplexity'),
      timeoutMs: read('graphqlTimeoutMs'),
      maxBodyBytes: read('graphqlMaxBodyBytes'),
      introspection: read('graphqlIntrospection'),
      rateLimitPerMinute: read('graphqlRateLimitPerMinute'),
      collectorRateLimitPerMinute: read('collectorRateLimitPerMinute'),
      corsOrigins: read('corsOrigins'),
      authFailuresPerMinute: read('authFailuresPerMinute'),
      trustedProxies: read('trustedProxies'),
    },
    playground: read('playground') ?? read('demo'),
    idSecret: read('idSecret'),
    demo: read('demo'),
    demoCustomers: read('demoCustomers'),
    demoSeed: read('demoSeed'),
    logLevel: read('logLevel'),
    phoneRegion: read('phoneRegion'),
    batchMaxMutations: read('batchMaxMutations'),
    batchMaxWaitMs: read('batchMaxWaitMs'),
    dedupeMaxEntries: read('dedupeMaxEntries'),
    maxEventBytes,
    maxBatchBytes,
    shutdownTimeoutMs: read('shutdownTimeoutMs'),
    analyticsRefreshMs: read('analyticsRefreshMs'),
    heavyWork: {
      running: read('previewsRunning'),
      perPrincipal: read('previewsPerPrincipal'),
      waitingPerPrincipal: DEFAULT_HEAVY_WORK_LIMITS.waitingPerPrincipal,
    },
    topics: {
      clickstream: read('topicClickstream'),
      telemetry: read('topicTelemetry'),
      dlq: read('topicDlq'),
      actions: read('topicActions'),
      changes: read('topicChanges'),
      cdcPrefix: read('cdcPrefix'),
    },
    mappings: mappingsFromFile(read('mappings')),
    kafka: {
      clientId: read('kafkaClientId'),
      groupId: read('kafkaGroupId'),
      partitionsConsumedConcurrently: read('kafkaPartitionsConsumedConcurrently'),
      sessionTimeoutMs: read('kafkaSessionTimeoutMs'),
      maxRetries: read('kafkaMaxRetries'),
      retryBaseMs: read('kafkaRetryBaseMs'),
      pauseMs: read('kafkaPauseMs'),
      topicPartitions: read('kafkaTopicPartitions'),
      actionsPartitions: read('kafkaActionsPartitions'),
      lagSampleIntervalMs: read('kafkaLagSampleIntervalMs'),
      topicRefreshMs: read('kafkaTopicRefreshMs'),
      maxBytesPerPartition: read('kafkaMaxBytesPerPartition'),
    },
  };
}

type Reader = <K extends keyof Settings>(name: K) => Settings[K]['default'];

function apiKeysFromFile(path: string | null): ApiKeyConfig[] {
  if (path === null) return [];
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError('C360_API_KEYS_FILE', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return apiKeyList(raw, 'C360_API_KEYS_FILE');
}

/** A mapping file that cannot be read or used is a startup error naming the setting and the file's bad paths. */
function mappingsFromFile(path: string | null): C360Config['mappings'] {
  if (path === null) return null;
  const absolute = resolve(path);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (e) {
    throw new ConfigError('C360_MAPPINGS', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    return { path: absolute, file: parseMappingFile(text, path) };
  } catch (e) {
    if (e instanceof MappingFileError) throw new ConfigError('C360_MAPPINGS', e.message);
    throw e;
  }
}

function jwtSettings(read: Reader): JwtSettings | null {
  // Validated even when JWTs are off: a bad value is an error, not silently unused.
  const algorithms = read('jwtAlgorithms');
  const jwksUrl = read('jwtJwksUrl');
  const jwksFile = read('jwtJwksFile');
  if (jwksUrl === null && jwksFile === null) return null;
  if (jwksUrl !== null && jwksFile !== null) {
    throw new ConfigError('C360_JWT_JWKS_URL', 'set either C360_JWT_JWKS_URL or C360_JWT_JWKS_FILE, not both');
  }
  if (jwksUrl !== null && !/^https?:\/\//.test(jwksUrl)) {
    throw new ConfigError('C360_JWT_JWKS_URL', `'${jwksUrl}' is not an http(s) URL`);
  }
  let jwks: JSONWebKeySet | null = null;
  if (jwksFile !== null) {
    try {
      jwks = JSON.parse(readFileSync(jwksFile, 'utf8')) as JSONWebKeySet;
    } catch (e) {
      throw new ConfigError(
        'C360_JWT_JWKS_FILE',
        `cannot read a JSON key set from ${jwksFile}: ${(e as Error).message}`,
      );
    }
    if (!Array.isArray(jwks?.keys)) throw new ConfigError('C360_JWT_JWKS_FILE', 'must be a JWKS: {"keys": [...]}');
  }
  const issuer = read('jwtIssuer');
  const audience = read('jwtAudience');
  if (issuer === null) throw new ConfigError('C360_JWT_ISSUER', 'is required when JWTs are accepted');
  if (audience === null) throw new ConfigError('C360_JWT_AUDIENCE', 'is required when JWTs are accepted');
  return {
    jwksUrl,
    jwks,
    issuer,
    audience,
    algorithms,
    rolesClaim: read('jwtRolesClaim'),
    clockToleranceSec: read('jwtClockToleranceSec'),
  };
}

/**
 * A process that serves the API refuses to start without credentials to check,
 * except in demo mode (which runs open and says so).
 */
export function requireApiAuth(config: C360Config): void {
  if (config.demo || config.apiKeys.length > 0 || config.jwt !== null) return;
  throw new ConfigError(
    'C360_API_KEYS',
    'the API needs credentials: set C360_API_KEYS or C360_API_KEYS_FILE (API keys), or C360_JWT_JWKS_URL / C360_JWT_JWKS_FILE with C360_JWT_ISSUER and C360_JWT_AUDIENCE (JWTs) — or start with --demo to run open on your own machine',
  );
}

/** What is safe to log: secrets replaced. */
export function redactConfig(config: C360Config): Record<string, unknown> {
  return {
    ...config,
    graphPassword: config.graphPassword ? '***' : null,
    idSecret: config.idSecret ? '***' : null,
    mappings: config.mappings?.path ?? null,
    writeKeys: config.writeKeys.map(() => '***'),
    apiKeys: config.apiKeys.map((k) => ({ name: k.name, roles: k.roles, expiresAt: k.expiresAt ?? null })),
    jwt: config.jwt ? { ...config.jwt, jwks: config.jwt.jwks ? `${config.jwt.jwks.keys.length} keys` : null } : null,
  };
}
