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
  // Each test file's demo gateways (in process or spawned) log into a folder of the file's own.
  setupFiles: [path.join(__dirname, 'tools/test-support/demo-dir.js')],
  // A limit for hung tests, not a performance assertion: on a loaded 2-core machine a scrypt hash
  // or a child process can take tens of seconds (a gateway took over 20 s to start beside a compiler
  // and busy loops). Tests that wait for something wait on events.
  testTimeout: 120_000,
  // In CI only: a child process or socket that a failed test leaves open must not keep the run from
  // ending (in band on 2 cores, Jest otherwise waits for it until CI's limit). Locally Jest still
  // reports such leaks ("did not exit one second after the test run").
  forceExit: process.env.CI === 'true',
};
