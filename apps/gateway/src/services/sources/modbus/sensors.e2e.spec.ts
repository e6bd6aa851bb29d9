// Modbus sensors end to end: the gateway's client against modbus-serial's servers (an independent
// implementation) over TCP and over RTU on a socat pty pair, the register map of a config file
// decoded into sensors and string currents, exceptions and silence turning points failed.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandInterface, Site } from '@kirchhoff/core';
import { describeWithTools, freeTcpPort, startProcess, waitFor } from '@kirchhoff/test-support';
import { ServerSerial, ServerTCP } from 'modbus-serial';
import type { GatewayConfig } from '../../../config/types';
import { validate } from '../../../config/schema-dsl';
import { memoryLogger } from '../../../log';
import type { RunningService } from '../../types';
import { SerialLines } from '../../../serial';
import { MODBUS_SENSORS_SCHEMA } from '../config';
import { modbusSensorsService } from '..';

/** A device's registers: temperature int16 x0.1, humidity uint16 x0.1, H2 float32, DC current int32 low word first x0.01. */
const INPUT: Record<number, number> = { 0: 235, 1: 456, 2: 0x3fa0, 3: 0x0000, 10: 0xfb2e, 11: 0xffff };
const HOLDING: Record<number, number> = { 100: 130 };
const vector = {
  getInputRegister: (addr: number) => {
    if (!(addr in INPUT)) throw { modbusErrorCode: 2, msg: 'no such register' };
    return INPUT[addr];
  },
  getHoldingRegister: (addr: number) => {
    if (!(addr in HOLDING)) throw { modbusErrorCode: 2, msg: 'no such register' };
    return HOLDING[addr];
  },
};

const POINTS = [
  { target: 'sensor/1', function: 4, address: 0, type: 'int16', scale: 0.1 },
  { target: 'sensor/2', function: 4, address: 1, type: 'uint16', scale: 0.1 },
  { target: 'sensor/3', function: 4, address: 2, type: 'float32' },
  { target: 'string/1/dcCurrentA', function: 4, address: 10, type: 'int32', wordOrder: 'little', scale: 0.01 },
  { target: 'string/1/rippleCurrentA', function: 3, address: 100, type: 'uint16', scale: 0.01, offset: 0.05 },
];

function setup(devices: unknown[]) {
  const m = validate(MODBUS_SENSORS_SCHEMA, { enabled: true, pollIntervalMs: 200, failAfterMisses: 2, devices });
  expect(m.problems).toEqual([]);
  const sensors = [{ name: 'Room', kind: 'temperature' as const }, { name: 'Humidity', kind: 'humidity' as const }, { name: 'H2', kind: 'hydrogen' as const }];
  const config = { ups: { source: 'none' }, modbusSensors: m.value, sensors, strings: [{}], bus: { port: '', baudRate: 115200 }, demo: { enabled: false } } as unknown as GatewayConfig;
  const site = new Site({ strings: [{ modules: 2, moduleType: 'C20' }], sensors });
  const commands = new CommandInterface(site, { execute: async () => ({ ok: true, message: '' }) }, { cli: 'all' });
  const logger = memoryLogger('info');
  return { site, logger, start: () => modbusSensorsService.start({ config, site, commands, logger, serialLines: new SerialLines(logger) }) };
}

function expectValues(site: Site) {
  const s = site.snapshot();
  expect(s.sensors.map((x) => [x.reading.value, x.reading.quality])).toEqual([[23.5, 'fresh'], [45.6, 'fresh'], [1.25, 'fresh']]);
  expect(s.strings[0].dcCurrentA).toMatchObject({ value: -12.34, quality: 'fresh' });
  expect(s.strings[0].rippleCurrentA.value).toBeCloseTo(1.35, 10);
}

const close = (server: { close(cb: () => void): void }) => new Promise<void>((r) => server.close(() => r()));

describe('Modbus sensors over TCP (modbus-serial ServerTCP)', () => {
  let server: ServerTCP;
  let service: RunningService | null = null;
  let port: number;
  const listen = async () => {
    server = new ServerTCP(vector, { host: '127.0.0.1', port, unitID: 7 });
    await new Promise((r) => server.on('initialized', r));
  };
  beforeAll(async () => {
    port = await freeTcpPort();
    await listen();
  });
  afterAll(async () => {
    await service?.close();
    await close(server);
  });

  it('reads the mapped registers into sensors and string currents, and fails them when the server goes away', async () => {
    // Time limits long enough that a busy machine never makes an answering device miss a poll.
    const t = setup([{ name: 'room-tcp', transport: 'tcp', host: '127.0.0.1', tcpPort: port, unitId: 7, timeoutMs: 5000, points: POINTS }]);
    service = await t.start();
    await waitFor(() => t.site.snapshot().sensors[2].reading.value !== null && t.site.snapshot().strings[0].rippleCurrentA.value !== null, 5000, 'the first poll');
    expectValues(t.site);

    await close(server);
    await waitFor(() => t.site.snapshot().sensors[0].reading.quality === 'failed', 5000, 'the points to fail');
    expect(t.site.snapshot().strings[0].dcCurrentA.quality).toBe('failed');
    expect(t.logger.lines.filter((l) => /Modbus device room-tcp/.test(String(l.msg)))).toHaveLength(1);

    await listen();
    await waitFor(() => t.site.snapshot().sensors[0].reading.quality === 'fresh', 5000, 'recovery');
    expectValues(t.site);
    expect(t.logger.lines.some((l) => /room-tcp .* answers again/.test(String(l.msg)))).toBe(true);
    await service!.close();
    service = null;
  }, 120_000);

  it('names the exception of a register the device does not have and keeps the other points', async () => {
    const t = setup([{ name: 'partial', transport: 'tcp', host: '127.0.0.1', tcpPort: port, unitId: 7, timeoutMs: 5000, points: [...POINTS, { target: 'sensor/3', function: 3, address: 500 }] }]);
    service = await t.start();
    await waitFor(() => t.logger.lines.some((l) => /partial.*FC3 500\+1: exception 2 \(illegal data address\)/.test(String(l.msg))), 5000, 'the exception in the log');
    expect(t.site.snapshot().sensors[0].reading).toMatchObject({ value: 23.5, quality: 'fresh' });
    await service!.close();
    service = null;
  });
});

describeWithTools(['socat'], 'Modbus sensors over RTU (modbus-serial ServerSerial on a socat pty)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-mbrtu-'));
  const gatewayEnd = join(dir, 'gateway');
  const deviceEnd = join(dir, 'device');
  let socat: ReturnType<typeof startProcess>;
  let server: ServerSerial;
  let service: RunningService | null = null;

  beforeAll(async () => {
    socat = startProcess('socat', ['-d', '-d', `pty,raw,echo=0,link=${gatewayEnd}`, `pty,raw,echo=0,link=${deviceEnd}`]);
    await waitFor(() => existsSync(gatewayEnd) && existsSync(deviceEnd), 5000, 'socat to create the pty pair');
    server = new ServerSerial(vector, { path: deviceEnd, baudRate: 19200, parity: 'even', unitID: 3 });
    await new Promise((r) => server.on('initialized', r));
  }, 120_000);
  afterAll(async () => {
    await service?.close();
    await close(server);
    await socat?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the mapped registers through the port queue; a silent unit on the same port fails alone', async () => {
    const common = { transport: 'rtu', port: gatewayEnd, baudRate: 19200, parity: 'even' };
    // The unit that answers has a limit no busy machine's pause reaches; the silent one's is short.
    const t = setup([
      { name: 'room-rtu', unitId: 3, points: POINTS, ...common, timeoutMs: 5000 },
      { name: 'absent', unitId: 9, points: [{ target: 'sensor/3', function: 4, address: 2, type: 'float32' }], ...common, timeoutMs: 300 },
    ]);
    service = await t.start();
    await waitFor(() => t.site.snapshot().strings[0].rippleCurrentA.value !== null, 5000, 'the first poll');
    // sensor/3 is fed by both: the silent unit 9 fails it only after two misses, unit 3 refreshes it.
    await waitFor(() => t.logger.lines.some((l) => /Modbus device absent \(rtu .*, unit 9\): FC4 2\+2: no reply from unit 9 within 300 ms/.test(String(l.msg))), 5000, 'the silent unit in the log');
    const s = t.site.snapshot();
    expect(s.sensors.slice(0, 2).map((x) => [x.reading.value, x.reading.quality])).toEqual([[23.5, 'fresh'], [45.6, 'fresh']]);
    expect(s.strings[0].dcCurrentA).toMatchObject({ value: -12.34, quality: 'fresh' });
  }, 120_000);
});
