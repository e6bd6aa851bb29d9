#!/usr/bin/env node
// The `kirchhoff` command: runs the built CLI.
require('../dist/cli.js').main(process.argv.slice(2));
