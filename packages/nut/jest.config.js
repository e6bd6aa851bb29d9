module.exports = { ...require('../../jest.preset.js'), displayName: 'nut', roots: ['<rootDir>/src'] };
