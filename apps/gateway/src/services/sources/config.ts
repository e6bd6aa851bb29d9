// The `ups` and `modbusSensors` configuration sections: where UPS values come from (simulated,
// a Megatec/Q1 serial UPS, an RFC 1628 SNMP card) and which Modbus registers feed which sensors.
import { arr, bool, int, num, obj, str } from '../../config/schema-dsl';
import { portKey } from '../../config/common';
import type { ConfigProblem } from '../../config/schema-dsl';

export const UPS_SOURCES = ['none', 'simulated', 'q1', 'snmp'] as const;
export type UpsSourceKind = (typeof UPS_SOURCES)[number];

const serialPort = (doc: string) => str(doc, { default: '' });
const baud = (def: number) => int('Speed.', { oneOf: [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200], default: def, unit: 'baud' });

export const UPS_SCHEMA = obj('The UPS the batteries belong to, and where its values come from.', {
  source: str('Where UPS values come from: none, simulated (the demo), q1 (Megatec/Q1 serial), snmp (RFC 1628 UPS-MIB card).', { enum: UPS_SOURCES, default: 'none' }),
  name: str('UPS name (upsIdentName).', { default: 'UPS' }),
  pollIntervalMs: int('How often the UPS is read (q1, snmp).', { min: 200, max: 600_000, default: 2000, unit: 'ms' }),
  failAfterMisses: int('Unanswered polls in a row before the UPS is reported failed (ups-communication-lost); one miss marks it stale.', { min: 1, max: 100, default: 3 }),
  controls: bool('Forward battery tests (ups-test) and shutdowns (ups-control) to the UPS (q1, snmp). Off: they are refused.', false),
  q1: obj('Megatec/Q1 serial UPS (the protocol NUT\'s blazer_ser reads).', {
    port: serialPort('Serial device, e.g. /dev/ttyS0. May be the bus port or a Modbus sensor port: one queue per port.'),
    baudRate: baud(2400),
    timeoutMs: int('Answer timeout per query.', { min: 50, max: 10_000, default: 1000, unit: 'ms' }),
    batteryPacks: num('Multiplier from the reported battery voltage to the string voltage (some UPS report per cell); 0 = guess from the F rating like NUT.', { min: 0, max: 500, default: 0 }),
    runtimeFullLoadMin: num('Runtime at full load with a full battery, for the remaining-minutes estimate (Q1 does not report runtime); 0 = unknown (reported as 0).', { min: 0, max: 10_000, default: 0, unit: 'min' }),
    ratedPowerW: int('Rated output power, for output power from the load percentage; 0 = unknown.', { min: 0, max: 10_000_000, default: 0, unit: 'W' }),
  }),
  snmp: obj('Network UPS card polled over SNMP (RFC 1628 UPS-MIB).', {
    host: str('Address of the UPS card.', { default: '' }),
    port: portKey('UDP port of the card\'s agent.', 161),
    version: str('SNMP version.', { enum: ['v2c', 'v3'], default: 'v2c' }),
    community: str('v2c community (reads; and writes when controls is on).', { default: '' }),
    user: str('v3 user name.', { default: '' }),
    securityLevel: str('v3 security level.', { enum: ['noAuthNoPriv', 'authNoPriv', 'authPriv'], default: 'authPriv' }),
    authProtocol: str('v3 authentication protocol.', { enum: ['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512'], default: 'sha' }),
    authKey: str('v3 authentication password.', { default: '' }),
    privProtocol: str('v3 privacy protocol.', { enum: ['des', 'aes', 'aes256b', 'aes256r'], default: 'aes' }),
    privKey: str('v3 privacy password.', { default: '' }),
    timeoutMs: int('Answer timeout per request.', { min: 100, max: 60_000, default: 2000, unit: 'ms' }),
    retries: int('Retries per request.', { min: 0, max: 10, default: 1 }),
  }),
});

export interface UpsConfig {
  source: UpsSourceKind;
  name: string;
  pollIntervalMs: number;
  failAfterMisses: number;
  controls: boolean;
  q1: { port: string; baudRate: number; timeoutMs: number; batteryPacks: number; runtimeFullLoadMin: number; ratedPowerW: number };
  snmp: {
    host: string; port: number; version: 'v2c' | 'v3'; community: string;
    user: string; securityLevel: 'noAuthNoPriv' | 'authNoPriv' | 'authPriv';
    authProtocol: 'md5' | 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512'; authKey: string;
    privProtocol: 'des' | 'aes' | 'aes256b' | 'aes256r'; privKey: string;
    timeoutMs: number; retries: number;
  };
}

export const REGISTER_TYPES = ['int16', 'uint16', 'int32', 'uint32', 'float32'] as const;
export type RegisterType = (typeof REGISTER_TYPES)[number];
export const STRING_CURRENTS = ['dcCurrentA', 'rippleCurrentA', 'differentialPositiveA', 'differentialNegativeA'] as const;
export type StringCurrent = (typeof STRING_CURRENTS)[number];
/** `sensor/3` or `string/2/dcCurrentA`: the entity ids every adapter uses. */
export const TARGET_PATTERN = new RegExp(`^(sensor/[1-9]\\d*|string/[1-9]\\d*/(${STRING_CURRENTS.join('|')}))$`);

export const MODBUS_SENSORS_SCHEMA = obj('Third-party sensors read over Modbus RTU or TCP (this gateway as the client), mapped to the site\'s sensors and string currents.', {
  enabled: bool('Poll the devices below.', false),
  pollIntervalMs: int('How often every point is read.', { min: 100, max: 3_600_000, default: 5000, unit: 'ms' }),
  failAfterMisses: int('Unanswered polls in a row before a point is marked failed (one marks it stale).', { min: 1, max: 100, default: 3 }),
  devices: arr('Modbus devices (an RTU slave on a serial port, or a TCP server).', obj('A device', {
    name: str('Display name, for logs.'),
    transport: str('rtu (serial) or tcp.', { enum: ['rtu', 'tcp'] }),
    unitId: int('Modbus unit (slave) id.', { min: 0, max: 255, default: 1 }),
    port: serialPort('rtu: serial device. Devices on one port share one queue (and the bus port\'s queue when it is the bus port).'),
    baudRate: baud(9600),
    parity: str('rtu: parity.', { enum: ['none', 'even', 'odd'], default: 'even' }),
    stopBits: int('rtu: stop bits.', { oneOf: [1, 2], default: 1 }),
    host: str('tcp: server address.', { default: '' }),
    tcpPort: portKey('tcp: server port.', 502),
    timeoutMs: int('Answer timeout per request.', { min: 20, max: 10_000, default: 500, unit: 'ms' }),
    points: arr('Registers read from this device.', obj('A point', {
      target: str('What the value feeds: sensor/<id> (the sensors list, 1-based) or string/<n>/<dcCurrentA|rippleCurrentA|differentialPositiveA|differentialNegativeA>.', { pattern: TARGET_PATTERN, patternDoc: 'sensor/<id> or string/<n>/<dcCurrentA|rippleCurrentA|differentialPositiveA|differentialNegativeA>' }),
      function: int('3 = holding registers, 4 = input registers.', { oneOf: [3, 4], default: 4 }),
      address: int('Register address, 0-based as on the wire.', { min: 0, max: 65535 }),
      type: str('Register type.', { enum: REGISTER_TYPES, default: 'int16' }),
      wordOrder: str('32-bit types: big = high word first (Modbus convention), little = low word first.', { enum: ['big', 'little'], default: 'big' }),
      scale: num('value = raw x scale + offset.', { default: 1 }),
      offset: num('value = raw x scale + offset.', { default: 0 }),
    }), { minItems: 1, maxItems: 125 }),
  }), { maxItems: 64, default: [] }),
});

export interface ModbusPointConfig {
  target: string; function: 3 | 4; address: number; type: RegisterType; wordOrder: 'big' | 'little'; scale: number; offset: number;
}
export interface ModbusDeviceConfig {
  name: string; transport: 'rtu' | 'tcp'; unitId: number;
  port: string; baudRate: number; parity: 'none' | 'even' | 'odd'; stopBits: 1 | 2;
  host: string; tcpPort: number; timeoutMs: number;
  points: ModbusPointConfig[];
}
export interface ModbusSensorsConfig {
  enabled: boolean; pollIntervalMs: number; failAfterMisses: number; devices: ModbusDeviceConfig[];
}

interface SourcesConfigView {
  ups: UpsConfig;
  modbusSensors: ModbusSensorsConfig;
  sensors: readonly unknown[];
  strings: readonly unknown[];
  bus: { port: string; baudRate: number };
  demo: { enabled: boolean };
}

/** Checks spanning keys of these sections (and the sensors, strings and bus they refer to). */
export function sourcesCrossChecks(c: SourcesConfigView): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const u = c.ups;
  if (u.source === 'q1' && !u.q1.port) problems.push({ path: 'ups.q1.port', message: 'is required for ups.source q1: expected a serial device such as /dev/ttyS0' });
  if (u.source === 'snmp') {
    if (!u.snmp.host) problems.push({ path: 'ups.snmp.host', message: 'is required for ups.source snmp: expected the address of the UPS card' });
    if (u.snmp.version === 'v2c' && !u.snmp.community) problems.push({ path: 'ups.snmp.community', message: 'is required for ups.snmp.version v2c' });
    if (u.snmp.version === 'v3') {
      if (!u.snmp.user) problems.push({ path: 'ups.snmp.user', message: 'is required for ups.snmp.version v3' });
      if (u.snmp.securityLevel !== 'noAuthNoPriv' && u.snmp.authKey.length < 8) problems.push({ path: 'ups.snmp.authKey', message: `is required for securityLevel ${u.snmp.securityLevel}: expected at least 8 characters` });
      if (u.snmp.securityLevel === 'authPriv' && u.snmp.privKey.length < 8) problems.push({ path: 'ups.snmp.privKey', message: 'is required for securityLevel authPriv: expected at least 8 characters' });
    }
  }
  const m = c.modbusSensors;
  // Each serial line has one speed and framing; the bus port runs at bus.baudRate, 8N1.
  const lines = new Map<string, { key: string; baudRate: number; parity: string; stopBits: number }>();
  if (c.bus.port && !c.demo.enabled) lines.set(c.bus.port, { key: 'bus.port', baudRate: c.bus.baudRate, parity: 'none', stopBits: 1 });
  if (u.source === 'q1' && u.q1.port) {
    const seen = lines.get(u.q1.port);
    if (seen && seen.baudRate !== u.q1.baudRate) problems.push({ path: 'ups.q1.baudRate', message: `${u.q1.baudRate} is not valid: ${u.q1.port} runs at ${seen.baudRate} baud (${seen.key})` });
    if (!seen) lines.set(u.q1.port, { key: 'ups.q1.port', baudRate: u.q1.baudRate, parity: 'none', stopBits: 1 });
  }
  m.devices.forEach((d, i) => {
    const at = `modbusSensors.devices.${i}`;
    if (d.transport === 'rtu') {
      if (!d.port) problems.push({ path: `${at}.port`, message: 'is required for transport rtu: expected a serial device such as /dev/ttyUSB1' });
      else {
        const seen = lines.get(d.port);
        if (seen && (seen.baudRate !== d.baudRate || seen.parity !== d.parity || seen.stopBits !== d.stopBits)) {
          problems.push({ path: `${at}.port`, message: `${d.port} is already used at ${seen.baudRate} baud, parity ${seen.parity}, ${seen.stopBits} stop bit(s) (${seen.key}): devices on one port need the same baudRate, parity and stopBits` });
        } else if (!seen) lines.set(d.port, { key: `${at}.port`, baudRate: d.baudRate, parity: d.parity, stopBits: d.stopBits });
      }
      if (d.unitId < 1 || d.unitId > 247) problems.push({ path: `${at}.unitId`, message: `${d.unitId} is not valid: expected 1 to 247 on a serial line (0 is broadcast, never answered)` });
    } else if (!d.host) problems.push({ path: `${at}.host`, message: 'is required for transport tcp: expected the server address' });
    d.points.forEach((p, j) => {
      const [kind, n] = p.target.split('/');
      const count = kind === 'sensor' ? c.sensors.length : c.strings.length;
      if (Number(n) > count) problems.push({ path: `${at}.points.${j}.target`, message: `${JSON.stringify(p.target)} is not valid: ${kind === 'sensor' ? 'sensors' : 'strings'} has ${count} entr${count === 1 ? 'y' : 'ies'}` });
    });
  });
  return problems;
}
