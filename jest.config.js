/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Type-checking is `npm run typecheck`'s job; here TypeScript is only transpiled (fast).
    // @middy/core 6 ships ES modules only, so it is transpiled to CommonJS too.
    '^.+\\.(tsx?|m?js)$': ['ts-jest', { tsconfig: { jsx: 'react-jsx', module: 'commonjs', allowJs: true, isolatedModules: true, verbatimModuleSyntax: false } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(@middy)/)'],
  // Integration and browser tests start real processes (DynamoDB Local, Chromium); give them room.
  testTimeout: 120000,
  maxWorkers: 2,
  setupFiles: ['<rootDir>/test/support/setup-env.ts'],
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
