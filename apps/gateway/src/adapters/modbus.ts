// Modbus TCP/RTU (@kirchhoff/modbus) in the gateway: the `modbus` configuration section and its wiring.
import { createModbusServer } from '@kirchhoff/modbus';
import { arr, bool, int, obj, str } from '../config/schema-dsl';
import { hostKey, LOOPBACK, portKey } from '../config/common';
import type { Infer } from '../config/schema-dsl';
import { defineAdapter } from './types';

export const MODBUS_SCHEMA = obj('Modbus TCP and RTU server (@kirchhoff/modbus); register map in docs/registers.md.', {
  enabled: bool('Serve Modbus.', false),
  writes: bool('Accept writes (thresholds, relays) through the command interface.', false),
  unitId: int('Unit id answered (TCP also answers 0 and 255).', { min: 1, max: 247, default: 1 }),
  tcp: obj('Modbus TCP.', {
    enabled: bool('Listen on TCP.', true),
    host: hostKey('Address to listen on.'),
    port: portKey('TCP port (the standard 502 needs root or CAP_NET_BIND_SERVICE).', 502),
    maxConnections: int('Simultaneous connections; when reached, a new connection closes the least recently active idle one.', { min: 1, max: 10_000, default: 32 }),
    maxConnectionsPerAddress: int('Simultaneous connections from one client address; further ones are closed at once (so one address cannot lock others out).', { min: 1, max: 10_000, default: 8 }),
    idleTimeoutS: int('Close connections idle this long; 0 = never.', { min: 0, max: 86_400, default: 300, unit: 's' }),
    allow: arr('Client addresses or CIDR ranges allowed; empty = all.', str('An address or CIDR range', { pattern: /^[0-9a-fA-F.:]+(\/\d{1,3})?$/, patternDoc: 'an IP address or CIDR range such as 10.0.0.0/8' }), { default: [] }),
  }),
  rtu: obj('Modbus RTU on a serial port.', {
    port: str('Serial device; empty = off.', { default: '' }),
    baudRate: int('Speed.', { oneOf: [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200], default: 19200, unit: 'baud' }),
    parity: str('Parity.', { enum: ['even', 'odd', 'none'], default: 'even' }),
    stopBits: int('Stop bits (none parity needs 2 by the spec).', { oneOf: [1, 2], default: 1 }),
    rs485: str('rts: RTS high while sending, for RS-485 adapters without automatic direction control.', { enum: ['none', 'rts'], default: 'none' }),
  }),
});

export type ModbusConfig = Infer<typeof MODBUS_SCHEMA>;

export const modbusAdapter = defineAdapter({
  key: 'modbus',
  schema: MODBUS_SCHEMA,
  demo: { enabled: true, tcp: { host: LOOPBACK, port: 5020 } },
  notices: (c) => (c.enabled && c.writes
    ? [{ id: 'modbus-writes', severity: 'warning', key: 'modbus.writes', message: `Modbus writes are on: Modbus has no authentication, anyone who reaches the port can change thresholds and relays${c.tcp.allow.length ? ` (limited to ${c.tcp.allow.join(', ')})` : ''}.` }]
    : []),
  writes: (c) => (c.enabled && c.writes ? { modbus: 'all' } : {}),
  services: (c) => [
    { name: 'Modbus TCP', endpoint: `tcp ${c.tcp.host}:${c.tcp.port}`, enabled: c.enabled && c.tcp.enabled },
    ...(c.rtu.port ? [{ name: 'Modbus RTU', endpoint: `serial ${c.rtu.port} ${c.rtu.baudRate} ${c.rtu.parity}`, enabled: c.enabled }] : []),
  ],
  portKey: (c) => ({ key: 'modbus.tcp.port', port: c.tcp.port }),
  listens: (c) => (c.enabled && c.tcp.enabled ? [{ key: 'modbus.tcp.port', proto: 'tcp', host: c.tcp.host, port: c.tcp.port }] : []),
  async start({ config: c, site, commands, logger, problems }) {
    if (!c.enabled) return null;
    const server = createModbusServer(site, {
      commands: c.writes ? commands : null,
      writes: c.writes,
      unitId: c.unitId,
      logger,
      problems,
      tcp: c.tcp.enabled && { host: c.tcp.host, port: c.tcp.port, maxConnections: c.tcp.maxConnections, maxConnectionsPerAddress: c.tcp.maxConnectionsPerAddress, idleTimeoutS: c.tcp.idleTimeoutS, allow: c.tcp.allow },
      rtu: !!c.rtu.port && { path: c.rtu.port, baudRate: c.rtu.baudRate, parity: c.rtu.parity, stopBits: c.rtu.stopBits, rs485: c.rtu.rs485 },
    });
    await server.start();
    const bound = server.tcpAddress();
    return {
      services: [
        ...(bound ? [{ name: 'Modbus TCP', endpoint: `tcp ${bound.host}:${bound.port}` }] : []),
        ...(c.rtu.port ? [{ name: 'Modbus RTU', endpoint: `serial ${c.rtu.port} ${c.rtu.baudRate} ${c.rtu.parity}` }] : []),
      ],
      clients: () => ({ 'modbus-tcp': server.stats().tcp?.connections ?? 0 }),
      close: () => server.close(),
    };
  },
});
