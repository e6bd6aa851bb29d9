// The sources' configuration: defaults off, and the checks that span keys name the key, the bad
// value and what would be valid.
import { validate } from '../../config/schema-dsl';
import { MODBUS_SENSORS_SCHEMA, sourcesCrossChecks, UPS_SCHEMA } from './config';

function view(ups: unknown, modbusSensors: unknown, extra: Partial<{ sensors: unknown[]; strings: unknown[]; bus: { port: string; baudRate: number } }> = {}) {
  const u = validate(UPS_SCHEMA, ups);
  const m = validate(MODBUS_SENSORS_SCHEMA, modbusSensors);
  expect([...u.problems, ...m.problems]).toEqual([]);
  return sourcesCrossChecks({
    ups: u.value as never, modbusSensors: m.value as never, sensors: extra.sensors ?? [{}], strings: extra.strings ?? [{}],
    bus: extra.bus ?? { port: '', baudRate: 115200 }, demo: { enabled: false },
  });
}

describe('ups and modbusSensors configuration', () => {
  it('is off by default', () => {
    expect(validate(UPS_SCHEMA, undefined).value).toMatchObject({ source: 'none', controls: false, q1: { port: '', baudRate: 2400 }, snmp: { host: '', version: 'v2c' } });
    expect(validate(MODBUS_SENSORS_SCHEMA, undefined).value).toEqual({ enabled: false, pollIntervalMs: 5000, failAfterMisses: 3, devices: [] });
    expect(view({}, {})).toEqual([]);
  });

  it('names what a source needs', () => {
    expect(view({ source: 'q1' }, {})).toEqual([{ path: 'ups.q1.port', message: 'is required for ups.source q1: expected a serial device such as /dev/ttyS0' }]);
    expect(view({ source: 'snmp' }, {}).map((p) => p.path)).toEqual(['ups.snmp.host', 'ups.snmp.community']);
    expect(view({ source: 'snmp', snmp: { host: 'ups1', version: 'v3', authKey: 'short' } }, {})).toEqual([
      { path: 'ups.snmp.user', message: 'is required for ups.snmp.version v3' },
      { path: 'ups.snmp.authKey', message: 'is required for securityLevel authPriv: expected at least 8 characters' },
      { path: 'ups.snmp.privKey', message: 'is required for securityLevel authPriv: expected at least 8 characters' },
    ]);
  });

  it('refuses a shared port with other line settings, and targets that do not exist', () => {
    const point = { target: 'sensor/1', address: 0 };
    expect(view({ source: 'q1', q1: { port: '/dev/ttyS0' } }, { devices: [{ name: 'a', transport: 'rtu', port: '/dev/ttyS0', points: [point] }] })).toEqual([
      { path: 'modbusSensors.devices.0.port', message: '/dev/ttyS0 is already used at 2400 baud, parity none, 1 stop bit(s) (ups.q1.port): devices on one port need the same baudRate, parity and stopBits' },
    ]);
    expect(view({}, { devices: [{ name: 'a', transport: 'rtu', port: '/dev/ttyUSB0', baudRate: 115200, parity: 'none', points: [point] }] }, { bus: { port: '/dev/ttyUSB0', baudRate: 115200 } })).toEqual([]);
    expect(view({}, { devices: [{ name: 'a', transport: 'tcp', points: [{ target: 'sensor/4', address: 0 }, { target: 'string/2/dcCurrentA', address: 1 }] }] }, { sensors: [{}, {}] })).toEqual([
      { path: 'modbusSensors.devices.0.host', message: 'is required for transport tcp: expected the server address' },
      { path: 'modbusSensors.devices.0.points.0.target', message: '"sensor/4" is not valid: sensors has 2 entries' },
      { path: 'modbusSensors.devices.0.points.1.target', message: '"string/2/dcCurrentA" is not valid: strings has 1 entry' },
    ]);
    const bad = validate(MODBUS_SENSORS_SCHEMA, { devices: [{ name: 'a', transport: 'rtu', points: [{ target: 'string/1/voltage', address: 0, type: 'int64' }] }] });
    expect(bad.problems.map((p) => p.path)).toEqual(['devices.0.points.0.target', 'devices.0.points.0.type']);
  });
});
