module.exports = { ...require('../../jest.preset.js'), displayName: 'modbus', roots: ['<rootDir>/src'] };
