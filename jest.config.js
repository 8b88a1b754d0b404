// Two projects: `unit` needs no servers (embedded store, HTTP on a free port,
// headless Chromium); `integration` talks to the real Kafka, Gremlin Server,
// Neo4j, PostgreSQL and Kafka Connect that its globalSetup provisions through
// scripts/infra (or finds already running with C360_INFRA=external).
const transform = {
  '^.+\\.(t|j)sx?$': [
    '@swc/jest',
    { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
  ],
};
// ESM-only packages must be transformed to CommonJS for jest's module system.
const transformIgnorePatterns = ['/node_modules/(?!(@faker-js|graphql-ws|jose|p-queue|p-timeout)/)'];

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/setup/integration-global-setup.ts',
      // Node 20 has no global WebSocket and jest refuses the gremlin driver's import('ws') fallback.
      setupFiles: ['<rootDir>/test/setup/node-websocket.ts'],
    },
  ],
};
