// The @kirchhoff/modbus server for the FC3 benchmark, in its own process like the peers:
// a 40-module site; prints "ready <port>" once listening.
import { Site } from '@kirchhoff/core';
import { createModbusServer } from '../src';

const site = new Site({ strings: [{ modules: 20, moduleType: 'C20' }, { modules: 20, moduleType: 'C20' }], ups: true });
site.update((tx) => {
  for (let g = 1; g <= 40; g++) tx.moduleReadings(g, { voltageV: 13.5 + (g % 7) / 100, temperatureC: 22 + (g % 5) / 10, resistanceOhm: 0.004, socPercent: 98 });
});
const server = createModbusServer(site, { tcp: { host: '127.0.0.1', port: Number(process.argv[2] ?? 0), maxConnections: 64 } });
server.start().then(() => process.stdout.write(`ready ${server.tcpAddress()!.port}\n`));
