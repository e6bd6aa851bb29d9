module.exports = { ...require('../../jest.preset.js'), displayName: 'snmp', roots: ['<rootDir>/src'] };
