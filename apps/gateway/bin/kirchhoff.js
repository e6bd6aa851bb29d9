#!/usr/bin/env node
// The `kirchhoff` command: runs the built CLI.
// A gateway runs for months on small hardware: V8's memory-lean mode keeps the heap close to what
// is live. Measured on the 16 x 32 demo with every adapter on: RSS 201 -> 142 MB (bench:soak).
require('node:v8').setFlagsFromString('--optimize-for-size');
require('../dist/cli.js').main(process.argv.slice(2));
