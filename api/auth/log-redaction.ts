/**
 * pino `redact` paths for every place a secret could reach a log line:
 * request headers, config objects, error causes. Composition roots pass
 * these to pino; the security tests log through them and grep for secrets.
 */
export const LOG_REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  '*.headers.authorization',
  '*.headers["x-api-key"]',
  'authorization',
  '*.authorization',
  'password',
  '*.password',
  '*.graphPassword',
  'writeKey',
  '*.writeKey',
  '*.writeKeys',
  'apiKey',
  '*.apiKey',
  '*.apiKeys',
  '*.key',
  '*.keyHash',
  'token',
  '*.token',
  '*.accessToken',
  '*.secret',
  '*.connectionParams',
];
