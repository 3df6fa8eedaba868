/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Type-checking is `npm run typecheck`'s job; here TypeScript is only transpiled (fast).
    // @middy/core 6 ships ES modules only, so it is transpiled to CommonJS too.
    '^.+\\.(tsx?|m?js)$': ['ts-jest', { tsconfig: { jsx: 'react-jsx', module: 'commonjs', allowJs: true, isolatedModules: true, verbatimModuleSyntax: false } }],
    // Stubs standing for ES-module-only packages (see moduleNameMapper) become esbuild CommonJS bundles.
    '\\.bundle\\.cjs$': '<rootDir>/test/support/esbuild-bundle-transform.js',
  },
  transformIgnorePatterns: ['/node_modules/(?!(@middy)/)'],
  // pdf.js ships only .mjs files, which jest (before Node 24.9) cannot require, transformed or not: they are
  // mapped to stubs that esbuild-bundle-transform.js replaces with CommonJS bundles (as in the Lambda bundle).
  moduleNameMapper: {
    '^pdfjs-dist/legacy/build/pdf\\.mjs$': '<rootDir>/test/support/pdfjs.bundle.cjs',
    '^pdfjs-dist/legacy/build/pdf\\.worker\\.mjs$': '<rootDir>/test/support/pdfjs-worker.bundle.cjs',
  },
  // Integration and browser tests start real processes (DynamoDB Local, Chromium); give them room.
  testTimeout: 120000,
  maxWorkers: 2,
  setupFiles: ['<rootDir>/test/support/setup-env.ts'],
  // One DynamoDB Local for the run; each local cloud gets a table of its own on it.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testSequencer: '<rootDir>/test/support/sequencer.js',
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
