/**
 * The kafkajs client, built only by composition roots (processes, tests), with
 * kafkajs' logs routed into the process's pino logger.
 */
import { Kafka, type LogEntry, logLevel } from 'kafkajs';
import type { Logger } from 'pino';

export interface KafkaClientOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger: Logger;
  /** Per-request timeout; kafkajs' default (30 s) keeps a dead broker hidden for long. */
  readonly requestTimeoutMs?: number;
  readonly connectionTimeoutMs?: number;
}

/**
 * Producers here bound their retries on purpose (a collector request must fail
 * with 503 rather than hang while a broker is down); every consumer dedupes by
 * event id, so the resend that the warning is about cannot double-apply anything.
 */
const DEMOTED_WARNINGS = ['Limiting retries for the idempotent producer may invalidate EoS guarantees'];

export function createKafkaClient(options: KafkaClientOptions): Kafka {
  const base = options.logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    requestTimeout: options.requestTimeoutMs ?? 10_000,
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    logLevel: logLevel.INFO,
    logCreator:
      () =>
      ({ namespace, level, log }: LogEntry) => {
        const { message, timestamp: _t, logger: _l, ...extra } = log as Record<string, unknown> & { message: string };
        const fields = { namespace, ...extra };
        if (level === logLevel.ERROR) base.error(fields, message);
        else if (level === logLevel.WARN && !DEMOTED_WARNINGS.includes(message)) base.warn(fields, message);
        else if (level === logLevel.INFO) base.info(fields, message);
        else base.debug(fields, message);
      },
  });
}
