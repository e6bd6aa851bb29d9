// The demo gateway serves BACnet/IP: bacstack (an independent client) reads a module voltage and
// the device's identity, and they equal the site model.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { freeUdpPort } from '@kirchhoff/test-support';
import { applySets, finishConfig } from '../config/load';
import { demoConfig } from '../config/demo-config';
import { Gateway, startGateway } from '../gateway';
import { memoryLogger } from '../log';

const EPHEMERAL = ['modbus.tcp.port=0', 'snmp.port=0', 'http.port=0', 'mqtt.broker.port=0', 'nut.port=0', 'rccmd.enabled=false', 'snmp.host=127.0.0.1', 'modbus.tcp.host=127.0.0.1'];
const DEVICE = '127.0.0.2';

/** The part of bacstack (untyped, a devDependency of @kirchhoff/bacnet) this test uses. */
interface ReadResult { values: { type: number; value: unknown }[] }
interface Bacstack {
  readProperty(address: string, objectId: { type: number; instance: number }, propertyId: number, options: object, next: (err: Error | null, value: ReadResult) => void): void;
  whoIs(options: { address: string }): void;
  once(event: 'iAm', listener: (device: { deviceId: number; vendorId: number }) => void): void;
  close(): void;
}
const BacstackClient = createRequire(__filename)('bacstack') as new (options: { port: number; interface: string; apduTimeout: number }) => Bacstack;

describe('gateway --demo: BACnet/IP', () => {
  let gw: Gateway;
  let client: Bacstack;

  beforeAll(async () => {
    // bacstack sends to its own port: the device and the client share one port on two loopback addresses.
    const port = await freeUdpPort();
    const config = finishConfig(applySets(demoConfig(), [...EPHEMERAL, `bacnet.port=${port}`, `bacnet.address=${DEVICE}`, 'bacnet.deviceInstance=4711', 'bacnet.vendorId=1234', 'bacnet.vendorName="Acme Batteries"']));
    gw = await startGateway(config, { logger: memoryLogger(), cycleMs: 3_600_000 });
    const svc = gw.services.find((s) => s.name === 'BACnet/IP')!;
    expect(svc).toEqual({ name: 'BACnet/IP', endpoint: `udp ${DEVICE}:${port}`, state: 'running' });
    client = new BacstackClient({ port, interface: '127.0.0.3', apduTimeout: 3000 });
  });
  afterAll(async () => {
    client?.close();
    await gw?.stop();
  });

  const read = (type: number, instance: number, prop: number) => new Promise<ReadResult>((resolve, reject) =>
    client.readProperty(DEVICE, { type, instance }, prop, {}, (e, v) => (e ? reject(e) : resolve(v))));

  it('reads S01-M07 Voltage (AI 71) equal to the model', async () => {
    const m = gw.site.snapshot().modules[6];
    expect(m.voltageV.value).not.toBeNull();
    const [pv, name, units, description] = await Promise.all([read(0, 71, 85), read(0, 71, 77), read(0, 71, 117), read(0, 71, 28)]);
    expect(pv.values[0].value as number).toBeCloseTo(m.voltageV.value!, 5);
    expect(name.values[0].value).toBe(`${m.label} Voltage`);
    // Words an operator reads, not the model path (`modules[7].voltageV`).
    expect(description.values[0].value).toBe(`${m.label} (module 7): block voltage`);
    expect(units.values[0].value).toBe(5); // volts
  });

  it('names the Device after the site, with the configured vendor, and answers Who-Is', async () => {
    expect((await read(8, 4711, 77)).values[0].value).toBe(gw.site.snapshot().info.name);
    expect([(await read(8, 4711, 120)).values[0].value, (await read(8, 4711, 121)).values[0].value]).toEqual([1234, 'Acme Batteries']);
    // The software version, as /health and --version say it (Firmware_Revision 44, Application_Software_Version 12).
    const { version } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    expect([(await read(8, 4711, 44)).values[0].value, (await read(8, 4711, 12)).values[0].value]).toEqual([version, `Kirchhoff ${version}`]);
    const iAm = new Promise<{ deviceId: number; vendorId: number }>((resolve) => client.once('iAm', resolve));
    client.whoIs({ address: DEVICE });
    expect(await iAm).toMatchObject({ deviceId: 4711, vendorId: 1234 });
  });
});
