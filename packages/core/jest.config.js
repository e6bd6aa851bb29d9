module.exports = { ...require('../../jest.preset.js'), displayName: 'core', roots: ['<rootDir>/src'] };
