/**
 * The root of every error c360 raises on purpose. Callers decide what to do
 * from `code` and `retriable` — commit, retry, or dead-letter — never from the
 * message text (kafkajs `KafkaJSError` does the same).
 */
export class C360Error extends Error {
  override name = 'C360Error';
  readonly code: string;
  readonly retriable: boolean;
  constructor(message: string, options: { code: string; retriable?: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.retriable = options.retriable ?? false;
  }
}

/** A bad configuration value; the message names the setting and what is allowed. Never retriable. */
export class ConfigError extends C360Error {
  override name = 'ConfigError';
  readonly setting: string;
  constructor(setting: string, message: string) {
    super(`Invalid configuration ${setting}: ${message}`, { code: 'BAD_CONFIG' });
    this.setting = setting;
  }
}

/** A mapping or schema definition that cannot be used (a programming error in graph-schema/, not bad data). */
export class SchemaError extends C360Error {
  override name = 'SchemaError';
  constructor(message: string) {
    super(message, { code: 'BAD_SCHEMA' });
  }
}

export function isRetriable(error: unknown): boolean {
  return error instanceof C360Error && error.retriable;
}
