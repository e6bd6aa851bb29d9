// Shared Jest settings: TypeScript through @swc/jest (type checking is the `typecheck` target),
// workspace packages resolved to their sources so tests need no prior build.
const path = require('node:path');

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!aedes/)'],
  moduleNameMapper: {
    '^@kirchhoff/test-support$': path.join(__dirname, 'tools/test-support/src/index.ts'),
    '^@kirchhoff/([a-z-]+)$': path.join(__dirname, 'packages/$1/src/index.ts'),
  },
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // A limit for hung tests, not a performance assertion: on a loaded 2-core machine a scrypt hash
  // or a child process can take seconds. Tests that wait for something wait on events.
  testTimeout: 30_000,
};
