// The gateway's configuration schema. Every network service is off unless turned on here;
// `--demo` turns them all on at unprivileged ports (see demo-config.ts).
import { MODULE_TYPE_NAMES, RESISTANCE_MODES, RELAY_FUNCTIONS, SENSOR_KINDS, SEVERITIES, MAX_MODULES, MAX_STRINGS } from '@kirchhoff/core';
import { LOG_LEVELS } from '../log';
import { arr, bool, int, map, num, obj, ObjectNode, SchemaNode, str } from './schema-dsl';

const port = (doc: string, def: number) => int(`${doc} 0 = any free port (for tests).`, { min: 0, max: 65535, default: def });
const host = (doc: string) => str(doc, { default: '0.0.0.0', pattern: /^[0-9A-Za-z.:_-]+$/, patternDoc: 'an IP address or host name' });

const threshold = (doc: string, unit: string, extra: Record<string, SchemaNode> = {}) => obj(doc, {
  ...extra,
  warnHigh: num('Warning above this value.', { nullable: true, optional: true, unit }),
  alarmHigh: num('Alarm above this value.', { nullable: true, optional: true, unit }),
  warnLow: num('Warning below this value.', { nullable: true, optional: true, unit }),
  alarmLow: num('Alarm below this value.', { nullable: true, optional: true, unit }),
  hysteresis: num('A raised level clears only this far back inside its limit.', { min: 0, optional: true, unit }),
  delayMs: int('The condition must hold this long before it is raised.', { min: 0, max: 86_400_000, optional: true, unit: 'ms' }),
}, true);

export const CONFIG_SCHEMA: ObjectNode = obj('Kirchhoff gateway configuration', {
  site: obj('What the site is called (shown in every protocol: sysName, BACnet device name, MQTT topics).', {
    name: str('Site name.', { default: 'Kirchhoff site' }),
    location: str('Where it is (SNMP sysLocation).', { default: '' }),
    contact: str('Who to call (SNMP sysContact).', { default: '' }),
  }),
  strings: arr('The battery strings, in order (string 1 first). Modules are numbered 1..512 across them.', obj('A string', {
    name: str('Display name.', { optional: true }),
    modules: int('Blocks (modules) in series.', { min: 1, max: MAX_MODULES }),
    moduleType: str('Measuring module type.', { enum: MODULE_TYPE_NAMES, default: 'C20' }),
    capacityAh: num('Nominal capacity.', { min: 1, max: 20_000, default: 100, unit: 'Ah' }),
  }), { minItems: 1, maxItems: MAX_STRINGS }),
  bus: obj('The battery bus: one serial port, the gateway is the only master.', {
    port: str('Serial device of the bus converter, e.g. /dev/ttyUSB0. Empty in the demo (simulated modules).', { default: '' }),
    baudRate: int('Bus speed.', { oneOf: [9600, 19200, 38400, 57600, 115200], default: 115200, unit: 'baud' }),
    pollIntervalMs: int('Measurement cycle period.', { min: 100, max: 600_000, default: 1000, unit: 'ms' }),
    resistanceIntervalS: int('Internal-resistance (Ri) cycle period.', { min: 60, max: 30 * 86_400, default: 86_400, unit: 's' }),
    timeoutMs: int('Per-request answer timeout.', { min: 5, max: 5000, default: 50, unit: 'ms' }),
    retries: int('Retries per request before it counts as a miss.', { min: 0, max: 10, default: 2 }),
    lostAfterMisses: int('Missed cycles before a module is reported lost.', { min: 1, max: 100, default: 3 }),
  }),
  balancing: obj('Passive balancing (equalizing) in float charge.', {
    enabled: bool('Balance strings in float.', true),
    deadbandV: num('Blocks within this of the target are not bypassed.', { min: 0.001, max: 0.1, default: 0.005, unit: 'V' }),
    maxTemperatureC: num('A module above this stops bypassing.', { min: 20, max: 80, default: 50, unit: 'degC' }),
  }),
  runaway: obj('Thermal-runaway detection and the breaker relay.', {
    enabled: bool('Detect thermal runaway.', true),
    breakerRelay: int('Relay (1-based) that opens the battery breaker; 0 = none.', { min: 0, max: 64, default: 0 }),
    riseRateCPerHour: num('Block temperature rise rate that counts as rising.', { min: 0.1, max: 100, default: 3, unit: 'degC/h' }),
    differenceC: num('Temperature difference between blocks of a string that counts.', { min: 1, max: 50, default: 8, unit: 'degC' }),
    floatCurrentRiseA: num('Float-current rise (over its own recent level) that counts.', { min: 0.01, max: 100, default: 0.5, unit: 'A' }),
    delayS: int('Both conditions must hold this long.', { min: 0, max: 3600, default: 60, unit: 's' }),
  }),
  ups: obj('The UPS the batteries belong to.', {
    source: str('Where UPS values come from.', { enum: ['none', 'simulated'], default: 'none' }),
    name: str('UPS name (upsIdentName).', { default: 'UPS' }),
  }),
  sensors: arr('Environment sensors (ids are 1-based, in this order).', obj('A sensor', {
    name: str('Display name.'),
    kind: str('What it measures.', { enum: SENSOR_KINDS }),
    unit: str('Unit, when not the kind\'s default (degC, %RH, %LEL, A, V).', { optional: true }),
  }), { maxItems: 64, default: [] }),
  inputs: arr('Potential-free digital inputs (ids are 1-based, in this order).', obj('An input', {
    name: str('Display name.'),
    alarm: str('Severity of the alarm while the input is active; none = informational.', { enum: ['none', ...SEVERITIES], default: 'none' }),
  }), { maxItems: 64, default: [] }),
  relays: arr('Relay outputs (ids are 1-based, in this order).', obj('A relay', {
    name: str('Display name.'),
    function: str('What it is wired to.', { enum: RELAY_FUNCTIONS, default: 'general' }),
  }), { maxItems: 64, default: [] }),
  thresholds: obj('Alarm thresholds per measurement kind. Absent limits are not checked.', {
    moduleVoltage: threshold('Block voltage.', 'V'),
    moduleTemperature: threshold('Block surface temperature.', 'degC'),
    moduleResistance: threshold('Block Ri: absolute in ohm, or percent above the string mean or the commissioning baseline.', 'ohm or %', {
      mode: str('How Ri is compared.', { enum: RESISTANCE_MODES, optional: true }),
    }),
    stringImbalance: threshold('Largest |block voltage - target| in a string.', 'V'),
    stringCurrent: threshold('String DC current in float (float current too high).', 'A'),
    stringRipple: threshold('String AC ripple current.', 'A'),
    stringGroundFault: threshold('Differential (ground-fault) current.', 'A'),
    sensors: map('Per sensor id.', /^[1-9]\d*$/, 'sensor ids (1, 2, ...)', threshold('A sensor\'s thresholds, in its unit.', 'sensor unit')),
  }),
  modbus: obj('Modbus TCP and RTU server (@kirchhoff/modbus).', {
    enabled: bool('Serve Modbus.', false),
    writes: bool('Accept writes (thresholds, relays) through the command interface.', false),
    unitId: int('Unit id answered (TCP also answers 0 and 255).', { min: 1, max: 247, default: 1 }),
    tcp: obj('Modbus TCP.', {
      enabled: bool('Listen on TCP.', true),
      host: host('Address to listen on.'),
      port: port('TCP port (the standard 502 needs root or CAP_NET_BIND_SERVICE).', 502),
      maxConnections: int('Simultaneous connections.', { min: 1, max: 10_000, default: 32 }),
      idleTimeoutS: int('Close connections idle this long; 0 = never.', { min: 0, max: 86_400, default: 300, unit: 's' }),
      allow: arr('Client addresses or CIDR ranges allowed; empty = all.', str('An address or CIDR range', { pattern: /^[0-9a-fA-F.:]+(\/\d{1,3})?$/, patternDoc: 'an IP address or CIDR range such as 10.0.0.0/8' }), { default: [] }),
    }),
    rtu: obj('Modbus RTU on a serial port.', {
      port: str('Serial device; empty = off.', { default: '' }),
      baudRate: int('Speed.', { oneOf: [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200], default: 19200, unit: 'baud' }),
      parity: str('Parity.', { enum: ['even', 'odd', 'none'], default: 'even' }),
      stopBits: int('Stop bits (none parity needs 2 by the spec).', { oneOf: [1, 2], default: 1 }),
    }),
  }),
  snmp: obj('SNMP agent and traps (@kirchhoff/snmp): RFC 1628 UPS-MIB, KIRCHHOFF-BMS-MIB, MIB-II system.', {
    enabled: bool('Serve SNMP.', false),
    writes: bool('Accept SETs (UPS test, thresholds, relays) through the command interface; needs a read-write community or user too.', false),
    host: host('Address to listen on.'),
    port: port('UDP port (the standard 161 needs root).', 161),
    engineId: str('snmpEngineID as hex (5..32 bytes); empty = from stateFile, else derived from host, site name and port.', { default: '', pattern: /^([0-9a-fA-F]{10,64})?$/, patternDoc: 'empty, or 10..64 hex digits' }),
    stateFile: str('JSON file keeping the engine id and boot counter across restarts; empty = none.', { default: '' }),
    notificationIntervalMs: int('At most one notification per receiver in this time (RFC 1628: 5 s).', { min: 1000, max: 600_000, default: 5000, unit: 'ms' }),
    communities: arr('SNMP v2c communities; none = v2c off. A default such as public is warned about at start-up.', obj('A community', {
      name: str('Community string.'),
      access: str('Access.', { enum: ['read-only', 'read-write'], default: 'read-only' }),
    }), { default: [] }),
    users: arr('SNMP v3 USM users (the recommended mode); none = v3 off.', obj('A user', {
      name: str('Security name.'),
      securityLevel: str('authPriv (recommended), authNoPriv, or noAuthNoPriv (warned about).', { enum: ['authPriv', 'authNoPriv', 'noAuthNoPriv'], default: 'authPriv' }),
      authProtocol: str('Authentication (HMAC-SHA, RFC 3414/7860).', { enum: ['sha', 'sha224', 'sha256', 'sha384', 'sha512'], default: 'sha256' }),
      authKey: str('Authentication pass phrase.', { default: '', pattern: /^(.{8,})?$/, patternDoc: 'at least 8 characters' }),
      privProtocol: str('Privacy (aes = AES-128; aes256b/aes256r = AES-256 with the Blumenthal/Reeder key extension).', { enum: ['aes', 'aes256b', 'aes256r'], default: 'aes' }),
      privKey: str('Privacy pass phrase.', { default: '', pattern: /^(.{8,})?$/, patternDoc: 'at least 8 characters' }),
      access: str('Access.', { enum: ['read-only', 'read-write'], default: 'read-only' }),
    }), { default: [] }),
    traps: arr('Trap and inform receivers.', obj('A receiver', {
      host: str('Receiver address.'),
      port: port('Receiver UDP port.', 162),
      version: str('v2c or v3.', { enum: ['v2c', 'v3'], default: 'v3' }),
      community: str('v2c community.', { default: '' }),
      user: str('v3: the name of one of snmp.users (the receiver needs it under this agent\'s engine id for traps).', { default: '' }),
      inform: bool('Send informs (acknowledged, retried) instead of traps.', false),
    }), { default: [] }),
  }),
  bacnet: obj('BACnet/IP device (@kirchhoff/bacnet).', {
    enabled: bool('Serve BACnet/IP.', false),
    writes: bool('Accept WriteProperty (relays, limits) through the command interface.', false),
    address: host('Address to bind.'),
    port: port('UDP port.', 47808),
    deviceInstance: int('Device object instance.', { min: 0, max: 4_194_302, default: 260_001 }),
  }),
  mqtt: obj('MQTT publisher (@kirchhoff/mqtt).', {
    enabled: bool('Publish to MQTT.', false),
    url: str('Broker URL (mqtt://, mqtts://, ws://, wss://); empty = the embedded broker when it is on.', { default: '' }),
    writes: bool('Accept commands on .../set topics through the command interface.', false),
    broker: obj('Embedded MQTT broker (for the demo and small sites).', {
      enabled: bool('Run an embedded broker.', false),
      host: str('Address to listen on.', { default: '127.0.0.1' }),
      port: port('TCP port.', 1883),
    }),
    modes: obj('What to publish.', {
      json: bool('JSON topics under kirchhoff/<site>/...', true),
      homeAssistant: bool('Home Assistant discovery.', false),
      sparkplug: bool('Sparkplug B.', false),
    }),
  }),
  rccmd: obj('RCCMD shutdown messages (@kirchhoff/rccmd).', {
    enabled: bool('Send RCCMD messages.', false),
  }),
  http: obj('HTTP API and web pages.', {
    enabled: bool('Serve HTTP.', false),
    host: host('Address to listen on.'),
    port: port('TCP port.', 8080),
  }),
  log: obj('Logging.', {
    level: str('Least severe level written.', { enum: LOG_LEVELS, default: 'info' }),
    format: str('json (one object per line) or pretty; auto = pretty on a terminal.', { enum: ['auto', 'json', 'pretty'], default: 'auto' }),
  }),
  demo: obj('Simulated site (set by --demo).', {
    enabled: bool('Simulate modules, UPS and sensors instead of reading hardware.', false),
    seed: int('Random seed of the simulated spread.', { min: 0, max: 2 ** 31 - 1, default: 1 }),
  }),
});
