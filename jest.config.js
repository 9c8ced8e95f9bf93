/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  // @middy/core 6 ships ESM only: let swc turn it into CommonJS for Jest.
  transformIgnorePatterns: ['/node_modules/(?!(@middy)/)'],
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/helpers/summary-reporter.js'],
  testTimeout: 30000,
  setupFiles: ['<rootDir>/test/helpers/jest-env.ts'],
};
