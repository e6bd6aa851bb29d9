// Fastify's app.inject() (light-my-request) loads `cookie`, which ships ES modules only: swc
// compiles it for Jest like the sources.
const preset = require('../../jest.preset.js');

module.exports = { ...preset, displayName: 'http', roots: ['<rootDir>/src'], transformIgnorePatterns: ['/node_modules/(?!(aedes|cookie)/)'] };
