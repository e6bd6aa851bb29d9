module.exports = { ...require('../../jest.preset.js'), displayName: 'history', roots: ['<rootDir>/src'] };
