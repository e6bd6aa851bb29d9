import { applySets, ConfigError, finishConfig, parseConfigText } from './load';
import { demoConfig } from './demo-config';

const load = (yaml: string, sets: string[] = []) => finishConfig(applySets(parseConfigText(yaml, 'site.yaml'), sets));
const problems = (yaml: string, sets: string[] = []) => {
  try {
    load(yaml, sets);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
  throw new Error('expected a ConfigError');
};

describe('configuration', () => {
  it('fills defaults and keeps every network service off', () => {
    const c = load('strings:\n  - modules: 20\n');
    expect(c.strings[0]).toEqual({ modules: 20, moduleType: 'C20', capacityAh: 100, battery: {}, blocks: { serials: [], commissioningResistancesOhm: [], positions: {} } });
    expect([c.modbus.enabled, c.snmp.enabled, c.bacnet.enabled, c.mqtt.enabled, c.rccmd.enabled, c.http.enabled]).toEqual([false, false, false, false, false, false]);
    expect(c.modbus.writes).toBe(false);
    expect(c.snmp.communities).toEqual([]);
    expect(c.modbus.tcp.port).toBe(502);
  });

  it('names key, bad value and what is valid for a wrong type, an unknown key and an out-of-range value', () => {
    const yaml = [
      'site:',
      '  name: Plant 3',
      'strings:',
      '  - modules: twenty',
      'modbus:',
      '  tcp:',
      '    port: 70000',
      '    prot: 5020',
    ].join('\n');
    expect(problems(yaml)).toEqual([
      'strings.0.modules (line 4): "twenty" is not valid: expected a whole number from 1 to 512',
      'modbus.tcp.prot (line 8): unknown key: did you mean modbus.tcp.port? (valid keys in modbus.tcp: enabled, host, port, maxConnections, maxConnectionsPerAddress, idleTimeoutS, allow)',
      'modbus.tcp.port (line 7): 70000 is not valid: expected a whole number from 0 to 65535 (out of range)',
    ]);
  });

  it('suggests the enum value that was meant', () => {
    expect(problems('strings:\n  - modules: 2\n    moduleType: C21\n')).toEqual([
      'strings.0.moduleType (line 3): "C21" is not valid: expected one of C23, C20, C30, C41, C40 (did you mean C23?)',
    ]);
  });

  it('requires at least one string and at most 16', () => {
    expect(problems('site: {name: x}')).toEqual(['strings: is required: expected a list of 1..16 items']);
    expect(problems(`strings: [${Array(17).fill('{modules: 1}').join(', ')}]`)[0]).toBe('strings (line 1): has 17 items: expected a list of 1..16 items');
  });

  it('checks keys that depend on each other', () => {
    expect(problems('strings: [{modules: 300}, {modules: 300}]\nruntime: 1\n')).toEqual([
      'runtime (line 2): unknown key (valid keys: site, strings, bus, balancing, health, chargeMode, runaway, ups, sensors, modbusSensors, inputs, relays, thresholds, modbus, snmp, mqtt, bacnet, rccmd, nut, http, actions, history, passport, schedule, log, demo)',
    ]);
    expect(problems('strings: [{modules: 300}, {modules: 300}]\nrunaway: {breakerRelay: 2}\nrelays: [{name: Breaker}]\n')).toEqual([
      'strings (line 1): 600 modules in all: a site has at most 512',
      'runaway.breakerRelay (line 2): 2 is not valid: expected 0 (none) or a relay id from 1 to 1 (relays has 1)',
    ]);
  });

  it('block and string identity: errors name the key, the bad value and what is valid', () => {
    const yaml = 'strings:\n  - modules: 3\n    battery: {manufactureDate: 2024-3, passportIdentifier: "URN:X"}\n    blocks:\n      serials: [A1, A2, A1, A4]\n      positions: {4: {serial: X}, 0: {}}\npassport: {category: household, warrantyPeriod: 24 months, safetyInstructions: ftp://x}\n';
    expect(problems(yaml)).toEqual([
      'strings.0.battery.manufactureDate (line 3): "2024-3" is not valid: expected a date YYYY-MM-DD or a month YYYY-MM',
      'strings.0.battery.passportIdentifier (line 3): "URN:X" is not valid: expected a URN urn:NAMESPACE:ID (lower-case letters and digits)',
      'strings.0.blocks.positions.0 (line 6): key "0" is not valid: expected block positions (1, 2, ...)',
      'passport.category (line 7): "household" is not valid: expected one of industrial, stationary, lmt, ev',
      'passport.warrantyPeriod (line 7): "24 months" is not valid: expected a month --MM (the data model\'s type)',
      'passport.safetyInstructions (line 7): "ftp://x" is not valid: expected an http(s) URL',
    ]);
    expect(problems('strings:\n  - modules: 3\n    blocks:\n      serials: [A1, A2, A1, A4]\n      positions: {4: {serial: X}}\n')).toEqual([
      'strings.0.blocks.serials (line 4): has 4 serial numbers: expected at most one per block (strings.0.modules is 3)',
      'strings.0.blocks.positions.4 (line 5): block 4 does not exist: expected a position from 1 to 3 (strings.0.modules)',
      'strings.0.blocks.serials.2 (line 4): "A1" is not valid: block 1 has the same serial number (expected one per block)',
    ]);
    expect(problems('strings:\n  - modules: 2\n    blocks: {commissioningResistancesOhm: [0.004, 0, 0.005]}\n')).toEqual([
      'strings.0.blocks.commissioningResistancesOhm.1 (line 3): 0 is not valid: expected a number from 0.00001 to 1 (out of range)',
    ]);
    expect(problems('strings:\n  - modules: 2\n    blocks: {commissioningResistancesOhm: [0.004, 0.0041, 0.005]}\n')).toEqual([
      'strings.0.blocks.commissioningResistancesOhm (line 3): has 3 values: expected at most one per block (strings.0.modules is 2)',
    ]);
  });

  it('charge-mode detection: defaults for VRLA, ranges and a boost voltage above float', () => {
    expect(load('strings: [{modules: 20}]\n').chargeMode).toEqual({
      floatVoltsPerCell: 2.27, boostVoltsPerCell: 2.4, temperatureCoefficientVPerCellK: -0.003, floatBandVPerCell: 0.05,
      currentOffsetA: 0.1, rechargeCurrentAPerAh: 0.005, dischargeCurrentAPerAh: 0.002,
    });
    expect(problems('strings: [{modules: 20}]\nchargeMode: {currentOffsetA: -1}\n')).toEqual([
      'chargeMode.currentOffsetA (line 2): -1 is not valid: expected a number from 0 to 50 (A) (out of range)',
    ]);
    expect(problems('strings: [{modules: 20}]\nchargeMode: {floatVoltsPerCell: 2.3, boostVoltsPerCell: 2.31}\n')).toEqual([
      'chargeMode.boostVoltsPerCell (line 2): 2.31 is not valid: expected more than chargeMode.floatVoltsPerCell + chargeMode.floatBandVPerCell (2.35 V)',
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(() => load('strings:\n  - modules: [1,\n')).toThrow(/line \d+: YAML/);
  });

  it('applies --set overrides, read as YAML, to any key', () => {
    const c = load('strings:\n  - modules: 20\n', ['modbus.tcp.port=5021', 'modbus.enabled=true', 'site.name=12', 'strings=[{modules: 4, moduleType: C40}]', 'strings.0.capacityAh=200']);
    expect(c.modbus.tcp.port).toBe(5021);
    expect(c.modbus.enabled).toBe(true);
    expect(c.site.name).toBe('12');
    expect(c.strings).toEqual([{ modules: 4, moduleType: 'C40', capacityAh: 200, battery: {}, blocks: { serials: [], commissioningResistancesOhm: [], positions: {} } }]);
  });

  it('refuses --set of keys that do not exist, or without a value', () => {
    expect(() => load('strings: [{modules: 1}]', ['modbus.tcp.prot=1'])).toThrow('--set: 1 problem:\n  modbus.tcp.prot: unknown key (from --set modbus.tcp.prot=1)');
    expect(() => load('strings: [{modules: 1}]', ['modbus'])).toThrow(/key=value/);
  });

  it('validates the demo site at its default and largest size', () => {
    const small = finishConfig(demoConfig());
    expect(small.strings).toHaveLength(2);
    expect(small.strings[0].modules).toBe(20);
    expect(small.modbus.tcp.port).toBe(5020);
    expect(small.snmp.port).toBe(1161);
    const big = finishConfig(demoConfig({ strings: 16, modules: 32 }));
    expect(big.strings.reduce((n, s) => n + s.modules, 0)).toBe(512);
  });
});
