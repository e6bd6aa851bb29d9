// Runs TypeScript sources directly in Node (benchmarks and e2e helper processes), with the
// @swc/core the workspace already uses for Jest: `node -r tools/test-support/ts-register.js file.ts`
// (tests take the path from TS_REGISTER in @kirchhoff/test-support).
// @kirchhoff/* resolve to packages/*/src, as in Jest, so nothing needs building first.
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');
const { transformSync } = require('@swc/core');

const root = path.resolve(__dirname, '..', '..');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const m = /^@kirchhoff\/([a-z-]+)$/.exec(request);
  if (m) {
    const src = m[1] === 'test-support' ? path.join(root, 'tools/test-support/src/index.ts') : path.join(root, 'packages', m[1], 'src/index.ts');
    if (fs.existsSync(src)) return src;
  }
  return resolve.call(this, request, parent, ...rest);
};

require.extensions['.ts'] = function (module, filename) {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  });
  module._compile(code, filename);
};
