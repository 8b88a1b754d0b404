import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** API-level metrics; the pipeline registers its own (applied, dead-lettered) in the same registry. */
export interface ApiMetrics {
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly graphqlDuration: Histogram<'operation' | 'outcome'>;
  readonly graphqlErrors: Counter<'code'>;
  readonly collectorEvents: Counter<'endpoint'>;
  readonly collectorRejectedRequests: Counter<'endpoint' | 'code'>;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Reuses a metric already in the registry: a process that builds the app twice
 * (tests, a restart of the HTTP layer) must not fail on duplicate registration.
 */
function getOrCreate<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

export function createApiMetrics(registry: Registry): ApiMetrics {
  const registers = [registry];
  return {
    httpDuration: getOrCreate(
      registry,
      'c360_http_request_duration_seconds',
      () =>
        new Histogram({
          name: 'c360_http_request_duration_seconds',
          help: 'HTTP request latency by route and status.',
          labelNames: ['method', 'route', 'status'] as const,
          buckets: LATENCY_BUCKETS,
          registers,
        }),
    ),
    graphqlDuration: getOrCreate(
      registry,
      'c360_graphql_request_duration_seconds',
      () =>
        new Histogram({
          name: 'c360_graphql_request_duration_seconds',
          help: 'GraphQL request latency by operation name and outcome (ok, error).',
          labelNames: ['operation', 'outcome'] as const,
          buckets: LATENCY_BUCKETS,
          registers,
        }),
    ),
    graphqlErrors: getOrCreate(
      registry,
      'c360_graphql_errors_total',
      () =>
        new Counter({
          name: 'c360_graphql_errors_total',
          help: 'GraphQL errors returned to clients by extensions.code.',
          labelNames: ['code'] as const,
          registers,
        }),
    ),
    collectorEvents: getOrCreate(
      registry,
      'c360_collector_events_received_total',
      () =>
        new Counter({
          name: 'c360_collector_events_received_total',
          help: 'Segment events accepted by the HTTP collector and handed to the pipeline, by endpoint.',
          labelNames: ['endpoint'] as const,
          registers,
        }),
    ),
    collectorRejectedRequests: getOrCreate(
      registry,
      'c360_collector_requests_rejected_total',
      () =>
        new Counter({
          name: 'c360_collector_requests_rejected_total',
          help: 'Collector requests answered with an error, by endpoint and error code.',
          labelNames: ['endpoint', 'code'] as const,
          registers,
        }),
    ),
  };
}

/**
 * Whole-graph requests (segment previews, saves) running and waiting in the heavy-work
 * limiter, read when scraped: a queue that stays full says the limits or the definitions
 * need a look.
 */
export function registerHeavyWorkGauge(
  registry: Registry,
  stats: () => { readonly running: number; readonly waiting: number },
): void {
  const name = 'c360_heavy_requests';
  registry.removeSingleMetric(name);
  new Gauge({
    name,
    help: 'Whole-graph GraphQL requests (segment previews and saves) by state: running, waiting.',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const s = stats();
      this.set({ state: 'running' }, s.running);
      this.set({ state: 'waiting' }, s.waiting);
    },
  });
}
