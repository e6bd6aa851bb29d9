// Modbus RTU over a socat pty pair: mbpoll reads the model's values, and the server stays silent
// where the serial line specification says so (bad CRC, other addresses, broadcast reads).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import type { Site } from '@kirchhoff/core';
import { describeWithTools, startProcess, waitFor } from '@kirchhoff/test-support';
import { createModbusServer, crc16, ModbusServer } from './index';
import { fixtureCommands, fixtureSite } from './__fixtures__/site';
import { mbpoll } from './__fixtures__/clients';

function frame(bytes: number[], badCrc = false): Buffer {
  const b = Buffer.from([...bytes, 0, 0]);
  b.writeUInt16LE(crc16(b, 0, bytes.length) ^ (badCrc ? 0x0101 : 0), bytes.length);
  return b;
}

describeWithTools(['mbpoll', 'socat'], 'Modbus RTU over a pty pair', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-rtu-'));
  const serverEnd = join(dir, 'server');
  const clientEnd = join(dir, 'client');
  let socat: ReturnType<typeof startProcess>;
  let site: Site;
  let server: ModbusServer;
  const warnings: string[] = [];

  beforeAll(async () => {
    socat = startProcess('socat', ['-d', '-d', `pty,raw,echo=0,link=${serverEnd}`, `pty,raw,echo=0,link=${clientEnd}`]);
    await waitFor(() => (socat.output().match(/PTY is/g) ?? []).length >= 2, 5000, 'socat ptys');
    site = fixtureSite();
    server = createModbusServer(site, {
      unitId: 7, writes: true, commands: fixtureCommands(site),
      rtu: { path: serverEnd, baudRate: 19200, parity: 'even', rs485: 'rts' },
      logger: { info: () => {}, warn: (m) => warnings.push(m) },
    });
    await server.start();
  });

  afterAll(async () => {
    await server?.close();
    await socat?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const poll = (...args: string[]) => mbpoll(['-m', 'rtu', '-b', '19200', '-P', 'even', '-a', '7', ...args, clientEnd]);

  it('serves system, string, module and UPS registers that equal the model', async () => {
    const snap = site.snapshot();
    const sys = await poll('-r', '1000', '-c', '20');
    expect(sys.error).toBeNull();
    expect(sys.values.get(1003)).toBe(snap.strings.length);
    expect(sys.values.get(1004)).toBe(snap.modules.length);
    expect(sys.signed.get(1010)).toBe(Math.round(snap.strings[0].dcCurrentA.value! * 10));
    expect(sys.signed.get(1015)).toBe(Math.round(snap.strings[1].dcCurrentA.value! * 10));
    const str = await poll('-t', '3', '-r', '2000', '-c', '20');
    expect(str.values.get(2003)).toBe(Math.round(snap.strings[0].socPercent.value! * 10));
    const mods = await poll('-r', '10000', '-c', '70');
    for (const m of snap.modules.slice(0, 6)) {
      expect(mods.values.get(10000 + 10 * (m.global - 1))).toBe(Math.round(m.voltageV.value! * 1000));
      expect(mods.signed.get(10001 + 10 * (m.global - 1))).toBe(Math.round(m.temperatureC.value! * 10));
    }
    const ups = await poll('-r', '3007', '-c', '2');
    expect(ups.values.get(3007)).toBe(Math.round(snap.ups!.battery.voltageV * 10));
    expect(ups.signed.get(3008)).toBe(Math.round(snap.ups!.battery.currentA * 10));
  });

  it('answers exceptions with the specified codes', async () => {
    expect((await poll('-r', '9000')).error).toMatch(/illegal data address/i);
    expect((await poll('-r', '10065', '-c', '10')).error).toMatch(/illegal data address/i);
    expect((await mbpoll(['-m', 'rtu', '-b', '19200', '-P', 'even', '-a', '7', '-r', '6000', clientEnd, '5'])).error).toMatch(/illegal data value/i);
  });

  it('writes a relay through the command interface and keeps serving with RTS control refused by the pty', async () => {
    expect((await mbpoll(['-m', 'rtu', '-b', '19200', '-P', 'even', '-a', '7', '-t', '0', '-r', '0', clientEnd, '1'])).error).toBeNull();
    expect(site.snapshot().relays[0].on).toBe(true);
    expect(warnings.some((w) => /RTS/.test(w))).toBe(true);
  });

  describe('silence rules, with raw frames', () => {
    let port: SerialPort;
    let received: Buffer;
    beforeAll(async () => {
      port = new SerialPort({ path: clientEnd, baudRate: 19200, parity: 'even', autoOpen: false });
      await new Promise<void>((r, j) => port.open((e) => (e ? j(e) : r())));
      port.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
    });
    afterAll(async () => new Promise<void>((r) => port.close(() => r())));

    const exchange = async (bytes: Buffer, waitMs = 300) => {
      received = Buffer.alloc(0);
      port.write(bytes);
      await new Promise((r) => setTimeout(r, waitMs));
      return received;
    };

    it('answers a good frame, byte for byte', async () => {
      const answer = await exchange(frame([7, 0x03, 0x03, 0xeb, 0x00, 0x02]));
      expect(answer).toEqual(frame([7, 0x03, 4, 0x00, 2, 0x00, 7]));
    });

    it('stays silent on a CRC error, then answers the next good frame', async () => {
      const before = server.stats().rtu!.crcErrors;
      expect(await exchange(frame([7, 0x03, 0x03, 0xeb, 0x00, 0x01], true))).toHaveLength(0);
      expect(server.stats().rtu!.crcErrors).toBe(before + 1);
      expect(await exchange(frame([7, 0x03, 0x03, 0xeb, 0x00, 0x01]))).toEqual(frame([7, 0x03, 2, 0x00, 2]));
    });

    it('ignores other unit ids', async () => {
      expect(await exchange(frame([8, 0x03, 0x03, 0xeb, 0x00, 0x01]))).toHaveLength(0);
      expect(await exchange(frame([247, 0x03, 0x03, 0xeb, 0x00, 0x01]))).toHaveLength(0);
    });

    it('never answers a broadcast; executes broadcast writes, not reads', async () => {
      expect(await exchange(frame([0, 0x03, 0x03, 0xeb, 0x00, 0x01]))).toHaveLength(0);
      expect(await exchange(frame([0, 0x06, 0x17, 0x71, 0x00, 0x00]))).toHaveLength(0); // relay 2 off
      expect(site.snapshot().relays[1].on).toBe(false);
    });

    it('answers exception codes per specification', async () => {
      expect(await exchange(frame([7, 0x03, 0x03, 0xe8, 0x00, 0x7e]))).toEqual(frame([7, 0x83, 0x03]));
      expect(await exchange(frame([7, 0x03, 0x23, 0x28, 0x00, 0x01]))).toEqual(frame([7, 0x83, 0x02]));
      expect(await exchange(frame([7, 0x42, 0x00]))).toEqual(frame([7, 0xc2, 0x01]));
      expect(await exchange(frame([7, 0x06, 0x17, 0x70, 0x00, 0x05]))).toEqual(frame([7, 0x86, 0x03]));
    });

    it('discards an overlong frame silently and recovers', async () => {
      expect(await exchange(Buffer.alloc(300, 7))).toHaveLength(0);
      expect(await exchange(frame([7, 0x03, 0x03, 0xeb, 0x00, 0x01]))).toEqual(frame([7, 0x03, 2, 0x00, 2]));
    });
  });
});

describeWithTools(['mbpoll', 'socat'], 'Modbus RTU line settings', () => {
  it('serves at 9600 baud, no parity, 2 stop bits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-rtu-'));
    const socat = startProcess('socat', ['-d', '-d', `pty,raw,echo=0,link=${dir}/a`, `pty,raw,echo=0,link=${dir}/b`]);
    const server = createModbusServer(fixtureSite(), { rtu: { path: `${dir}/a`, baudRate: 9600, parity: 'none', stopBits: 2 } });
    try {
      await waitFor(() => (socat.output().match(/PTY is/g) ?? []).length >= 2, 5000, 'socat ptys');
      await server.start();
      const r = await mbpoll(['-m', 'rtu', '-b', '9600', '-P', 'none', '-s', '2', '-r', '1003', '-c', '2', `${dir}/b`]);
      expect([r.values.get(1003), r.values.get(1004)]).toEqual([2, 7]);
    } finally {
      await server.close();
      await socat.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
