module.exports = { ...require('../../jest.preset.js'), displayName: 'bacnet', roots: ['<rootDir>/src'] };
