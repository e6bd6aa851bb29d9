#!/usr/bin/env node
// The `kirchhoff` command: runs the built CLI.
// A gateway runs for months on small hardware: V8's memory-lean mode keeps the heap close to what
// is live. Measured on the 16 x 32 demo with every adapter on: RSS 201 -> 142 MB (bench:soak).
// `simulate` is a batch computation, not a gateway: there the lean mode's small young generation
// doubled the CPU time (16 x 32 site, 4 simulated hours: 10.5 s -> 4.9 s without it).
if (process.argv[2] !== 'simulate') require('node:v8').setFlagsFromString('--optimize-for-size');
require('../dist/cli.js').main(process.argv.slice(2));
