module.exports = { ...require('../../jest.preset.js'), displayName: 'rccmd', roots: ['<rootDir>/src'] };
