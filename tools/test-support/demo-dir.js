// Jest setup file (jest.preset.js): a demo data-logger folder per test file, inherited by the gateways
// a test spawns (config/demo-config.ts reads KIRCHHOFF_DEMO_DIR). Under the OS temporary folder; the
// folder ends in kirchhoff-demo as the default one does.
const { mkdtempSync, mkdirSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const dir = join(mkdtempSync(join(tmpdir(), 'kirchhoff-test-')), 'kirchhoff-demo');
mkdirSync(dir);
process.env.KIRCHHOFF_DEMO_DIR = dir;
