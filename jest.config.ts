import type { Config } from 'jest';

// SWC strips types only; `npm run lint` runs tsc for type checking, so tests start fast.
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.[tj]s$': ['@swc/jest', {}] },
  // jose ships ES modules only. Node loads it with require(esm); jest's module loader cannot
  // (before Node 24.9), so SWC compiles it to CommonJS for the tests.
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 30_000,
  maxWorkers: 2,
  // Tests run in a random order within each file, so none can lean on an earlier one; the seed
  // is printed at the end (`npx jest --seed=N` replays an order; --randomize=false turns it off).
  randomize: true,
  showSeed: true,
  // jest's own report, then a list of skipped tests and one plain closing line for CI.
  reporters: ['default', '<rootDir>/test/support/ci-summary-reporter.cjs'],
};

export default config;
