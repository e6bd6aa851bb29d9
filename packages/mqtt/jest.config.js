module.exports = { ...require('../../jest.preset.js'), displayName: 'mqtt', roots: ['<rootDir>/src'] };
