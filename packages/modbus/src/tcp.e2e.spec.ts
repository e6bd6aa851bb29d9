// Modbus TCP against real clients: mbpoll's printed values equal the model's, every exception
// case gives its specified code, and tshark dissects the whole capture without a malformed packet.
import type { Measurement, Site, SiteSnapshot } from '@kirchhoff/core';
import { describeWithTools, freeTcpPort, LiveCapture, run, startLiveCapture } from '@kirchhoff/test-support';
import { createModbusServer, ModbusServer } from './index';
import { fixtureCommands, fixtureSite } from './__fixtures__/site';
import { mbpoll, rawRequest } from './__fixtures__/clients';

// Scale 0.1 means x10: 25.65 degC reads 257 (multiplying, as a user would, not dividing by 0.1).
const raw = (value: number | null, scale: number, na: number) => (value === null ? na : Math.round(scale < 1 ? value * Math.round(1 / scale) : value / scale));
const u16 = (v: number | null, scale: number) => raw(v, scale, 0xffff);
const i16 = (v: number | null, scale: number) => raw(v, scale, -32768);
/** What a register shows for a measurement: a failed reading is "not available". */
const shown = (m: Measurement) => (m.quality === 'failed' ? null : m.value);

describeWithTools(['mbpoll', 'dumpcap', 'tshark'], 'Modbus TCP with mbpoll', () => {
  let site: Site;
  let snap: SiteSnapshot;
  let server: ModbusServer;
  let writer: ModbusServer;
  let port: number;
  let writePort: number;
  let capture: LiveCapture;
  // mbpoll wants the host before the values to write: `poll('-r', '5000', '--', '14200')`.
  const withHost = (p: number, args: string[]) => {
    const i = args.indexOf('--');
    return i < 0 ? ['-p', String(p), ...args, '127.0.0.1'] : ['-p', String(p), ...args.slice(0, i), '127.0.0.1', ...args.slice(i + 1)];
  };
  const poll = (...args: string[]) => mbpoll(withHost(port, args));
  const wpoll = (...args: string[]) => mbpoll(withHost(writePort, args));

  beforeAll(async () => {
    port = await freeTcpPort();
    writePort = await freeTcpPort();
    capture = await startLiveCapture(`tcp port ${port} or tcp port ${writePort}`);
    site = fixtureSite();
    snap = site.snapshot();
    server = createModbusServer(site, { unitId: 17, tcp: { host: '127.0.0.1', port } });
    await server.start();
    const writeSite = fixtureSite();
    writer = createModbusServer(writeSite, { writes: true, commands: fixtureCommands(writeSite), tcp: { host: '127.0.0.1', port: writePort } });
    await writer.start();
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await writer?.close();
    await capture?.remove();
  });

  it('serves the BACS system block: counts and general status bits', async () => {
    const r = await poll('-a', '17', '-r', '1000', '-c', '10');
    expect(r.error).toBeNull();
    expect(r.values.get(1003)).toBe(snap.strings.length);
    expect(r.values.get(1004)).toBe(snap.modules.length);
    expect(r.values.get(1005)).toBe(snap.alarms.length);
    const status = r.values.get(1000)!;
    // The fixture has a lost module (7), a stale one (5), a failed reading (7), a string in
    // float and one discharging, and equalizing modules.
    expect(status & 0x0001).toBe(0x0001);
    expect(status & 0x0004).toBe(0x0004);
    expect(status & 0x0008).toBe(0x0008);
    expect(status & 0x0040).toBe(0x0040);
    expect(status & 0x0080).toBe(0x0080);
    expect(status & 0x4000).toBe(0x4000);
    expect(status & 0x8000).toBe(0x8000);
    expect(status & 0x3000).toBe(0);
    expect(r.values.get(1006)).toBe(1);
    expect(r.values.get(1007)).toBe(1);
  });

  it('serves strings at 1010 + 5(n-1), with absent strings reading 0 up to string 16', async () => {
    const r = await poll('-a', '17', '-r', '1010', '-c', '80');
    for (const s of snap.strings) {
      const at = 1010 + 5 * (s.string - 1);
      expect(r.signed.get(at)).toBe(i16(s.dcCurrentA.value, 0.1));
      expect(r.values.get(at + 1)).toBe(u16(shown(s.sumVoltageV), 0.1));
      expect(r.values.get(at + 2)).toBe(u16(shown(s.targetVoltageV), 0.001));
      expect(r.values.get(at + 3)).toBe(u16(s.rippleCurrentA.value, 0.1));
    }
    expect(r.values.get(1011 + 5)).toBe(0xffff); // string 2's sum: module 7 has no voltage
    for (let a = 1020; a < 1090; a++) expect(r.values.get(a)).toBe(0);
  });

  it('serves the per-string block, FC3 and FC4 alike', async () => {
    const holding = await poll('-a', '17', '-r', '2000', '-c', '40');
    const input = await poll('-a', '17', '-t', '3', '-r', '2000', '-c', '40');
    expect(input.values).toEqual(holding.values);
    for (const s of snap.strings) {
      const at = 2000 + 20 * (s.string - 1);
      expect(holding.values.get(at + 2)).toBe(u16(shown(s.targetVoltageV), 0.001));
      expect(holding.values.get(at + 3)).toBe(u16(s.socPercent.value, 0.1));
      expect(holding.values.get(at + 4)).toBe(u16(s.autonomyMin.value, 1));
      // Frozen wire codes (docs/registers.md): 3 was `idle`, renamed `rest` with the same meaning.
      expect(holding.values.get(at + 5)).toBe({ unknown: 0, float: 1, boost: 2, rest: 3, discharge: 4, recharge: 5 }[s.chargeMode]);
      expect(holding.values.get(at + 6)).toBe(u16(s.groundFaultCurrentA.value, 0.001));
      expect(holding.signed.get(at + 7)).toBe(i16(s.dcCurrentA.value, 0.1));
      expect(holding.values.get(at + 12)).toBe(s.moduleCount);
      expect(holding.values.get(at + 13)).toBe(s.firstGlobal);
    }
    expect(holding.values.get(2000)).toBe(0x10); // string 1: equalizing, nothing stale, lost or blown
    expect(holding.values.get(2020)! & 0x06).toBe(0x06); // string 2: sum failed, module lost
  });

  it('serves every module at 10000 + 10(g-1), with stale and lost flagged', async () => {
    const r = await poll('-a', '17', '-t', '3', '-r', '10000', '-c', String(10 * snap.modules.length));
    for (const m of snap.modules) {
      const at = 10000 + 10 * (m.global - 1);
      expect(r.values.get(at)).toBe(u16(shown(m.voltageV), 0.001));
      expect(r.signed.get(at + 1)).toBe(i16(m.temperatureC.value, 0.1));
      expect(r.values.get(at + 2)).toBe(u16(m.resistanceOhm.value === null ? null : m.resistanceOhm.value * 1000, 0.01));
      expect(r.values.get(at + 3)).toBe(u16(m.socPercent.value, 0.1));
      expect(r.values.get(at + 4)).toBe(m.equalize.dutyPercent);
      expect(r.values.get(at + 5)! & 0x10).toBe(m.equalize.on ? 0x10 : 0);
      expect(r.values.get(at + 8)).toBe(m.string);
      expect(r.values.get(at + 9)).toBe(m.module);
    }
    expect(r.signed.get(10011)).toBe(-34); // module 2 at -3.4 degC
    expect(r.values.get(10045)! & 0x01).toBe(0x01); // module 5 stale
    expect(r.values.get(10065)! & 0x06).toBe(0x06); // module 7 failed and lost
    expect(r.values.get(10060)).toBe(0xffff); // module 7's voltage is not available
  });

  it('serves module floats high word first', async () => {
    const r = await poll('-a', '17', '-B', '-t', '4:float', '-r', '21000', '-c', '8');
    for (const [i, m] of snap.modules.slice(0, 2).entries()) {
      expect(r.values.get(21000 + 8 * i)).toBeCloseTo(m.voltageV.value!, 4);
      expect(r.values.get(21002 + 8 * i)).toBeCloseTo(m.temperatureC.value!, 4);
      expect(r.values.get(21004 + 8 * i)).toBeCloseTo(m.resistanceOhm.value! * 1000, 4);
    }
  });

  it('serves the UPS block with RFC 1628 values, 32-bit values high word first', async () => {
    const ups = snap.ups!;
    const r = await poll('-a', '17', '-r', '3000', '-c', '64');
    expect(r.values.get(3002)).toBe(2); // batteryNormal
    expect(r.values.get(3005)).toBe(ups.battery.estimatedMinutesRemaining);
    expect(r.values.get(3006)).toBe(ups.battery.estimatedChargeRemainingPercent);
    expect(r.values.get(3007)).toBe(u16(ups.battery.voltageV, 0.1));
    expect(r.signed.get(3008)).toBe(i16(ups.battery.currentA, 0.1));
    expect(r.signed.get(3009)).toBe(i16(ups.battery.temperatureC, 0.1));
    expect(r.values.get(3013)).toBe(3); // output source normal
    expect(r.values.get(3014)).toBe(u16(ups.output.frequencyHz, 0.1));
    expect(r.values.get(3020)).toBe(u16(ups.input.lines[0].frequencyHz, 0.1));
    expect(r.values.get(3035)).toBe(ups.output.lines[0].voltageV);
    expect(r.values.get(3039)).toBe(ups.output.lines[0].percentLoad);
    expect(r.values.get(3025)).toBe(0xffff); // input line 2 does not exist
    const wide = await poll('-a', '17', '-B', '-t', '4:int', '-r', '3003', '-c', '1');
    expect(wide.values.get(3003)).toBe(ups.battery.secondsOnBattery);
    const power = await poll('-a', '17', '-B', '-t', '4:int', '-r', '3023', '-c', '1');
    expect(power.values.get(3023)).toBe(ups.input.lines[0].truePowerW);
  });

  it('serves sensors, relays as coils and digital inputs as discrete inputs', async () => {
    const sensors = await poll('-a', '17', '-r', '4000', '-c', '8');
    expect(sensors.signed.get(4000)).toBe(i16(snap.sensors[0].reading.value, 0.1));
    expect(sensors.values.get(4004)).toBe(i16(snap.sensors[1].reading.value, 0.1));
    const coils = await poll('-a', '17', '-t', '0', '-r', '0', '-c', '2');
    expect([coils.values.get(0), coils.values.get(1)]).toEqual(snap.relays.map((r) => (r.on ? 1 : 0)));
    const inputs = await poll('-a', '17', '-t', '1', '-r', '0', '-c', '2');
    expect([inputs.values.get(0), inputs.values.get(1)]).toEqual(snap.inputs.map((i) => (i.active ? 1 : 0)));
    const status = await poll('-a', '17', '-t', '1', '-r', '1000', '-c', '16');
    const word = (await poll('-a', '17', '-r', '1000')).values.get(1000)!;
    for (let b = 0; b < 16; b++) expect(status.values.get(1000 + b)).toBe((word >> b) & 1);
  });

  it('answers unit ids 17, 0 and 255 over TCP, and 0B for any other', async () => {
    for (const unit of ['17', '0', '255']) expect((await poll('-a', unit, '-r', '1003')).values.get(1003)).toBe(2);
    expect((await poll('-a', '1', '-r', '1003')).error).toMatch(/target device failed to respond/i);
    expect(await rawRequest(port, [0x03, 0x03, 0xeb, 0x00, 0x01], 5)).toEqual(Buffer.from([0x83, 0x0b]));
  });

  it('gives 02 for addresses outside the map, 03 for quantities out of range, 01 for unknown functions', async () => {
    expect((await poll('-a', '17', '-r', '9000', '-c', '2')).error).toMatch(/illegal data address/i);
    expect((await poll('-a', '17', '-r', '10065', '-c', '10')).error).toMatch(/illegal data address/i); // past module 7
    expect((await poll('-a', '17', '-t', '0', '-r', '2', '-c', '1')).error).toMatch(/illegal data address/i); // relay 3
    const ask = (pdu: number[]) => rawRequest(port, pdu, 17);
    expect(await ask([0x03, 0x03, 0xe8, 0x00, 0x00])).toEqual(Buffer.from([0x83, 0x03]));
    expect(await ask([0x03, 0x03, 0xe8, 0x00, 0x7e])).toEqual(Buffer.from([0x83, 0x03]));
    expect(await ask([0x04, 0x03, 0xe8, 0x00, 0x7e])).toEqual(Buffer.from([0x84, 0x03]));
    expect(await ask([0x01, 0x00, 0x00, 0x07, 0xd1])).toEqual(Buffer.from([0x81, 0x03]));
    expect(await ask([0x02, 0x00, 0x00, 0x00, 0x00])).toEqual(Buffer.from([0x82, 0x03]));
    expect(await ask([0x03, 0xff, 0xff, 0x00, 0x02])).toEqual(Buffer.from([0x83, 0x02]));
    expect(await ask([0x10, 0x13, 0x88, 0x00, 0x02, 0x03, 0x00, 0x01, 0x00])).toEqual(Buffer.from([0x90, 0x03]));
    expect(await ask([0x07])).toEqual(Buffer.from([0x87, 0x01]));
    expect(await ask([0x41, 0x00])).toEqual(Buffer.from([0xc1, 0x01]));
    expect(await ask([0x2b, 0x0d, 0x01, 0x00])).toEqual(Buffer.from([0xab, 0x01]));
    expect(await ask([0x2b, 0x0e, 0x05, 0x00])).toEqual(Buffer.from([0xab, 0x03]));
    expect(await ask([0x2b, 0x0e, 0x04, 0x55])).toEqual(Buffer.from([0xab, 0x02]));
  });

  it('identifies itself with 43/14 (basic stream, regular stream, individual object)', async () => {
    const basic = (await rawRequest(port, [0x2b, 0x0e, 0x01, 0x00], 17))!;
    expect([...basic.subarray(0, 7)]).toEqual([0x2b, 0x0e, 0x01, 0x82, 0x00, 0x00, 3]);
    const objects: string[] = [];
    for (let at = 7; at < basic.length; at += 2 + basic[at + 1]) objects.push(basic.subarray(at + 2, at + 2 + basic[at + 1]).toString());
    expect(objects).toEqual(['Kirchhoff', 'kirchhoff-modbus', '0.1.0']);
    const regular = (await rawRequest(port, [0x2b, 0x0e, 0x02, 0x00], 17))!;
    expect(regular[6]).toBe(7);
    expect(regular.toString('latin1')).toContain('Test battery room');
    const one = (await rawRequest(port, [0x2b, 0x0e, 0x04, 0x06], 17))!;
    expect([...one.subarray(0, 8)]).toEqual([0x2b, 0x0e, 0x04, 0x82, 0x00, 0x00, 1, 6]);
    expect(one.subarray(9).toString()).toBe('Test battery room');
  });

  it('refuses writes with 01 while writes are disabled', async () => {
    expect((await poll('-a', '17', '-r', '5000', '--', '14200')).error).toMatch(/illegal function/i);
    expect((await poll('-a', '17', '-t', '0', '-r', '0', '--', '1')).error).toMatch(/illegal function/i);
    expect(site.snapshot().relays[0].on).toBe(false);
  });

  it('writes thresholds and relays through the command interface when enabled', async () => {
    expect((await wpoll('-r', '5000', '--', '14200')).error).toBeNull();
    expect((await wpoll('-r', '5000', '-c', '2')).values.get(5000)).toBe(14200);
    // Two limits written together are applied as one change (warnHigh must stay below alarmHigh).
    expect((await wpoll('-r', '5000', '--', '14500', '14700')).error).toBeNull();
    expect((await wpoll('-t', '0', '-r', '0', '--', '1')).error).toBeNull();
    expect((await wpoll('-t', '0', '-r', '0', '-c', '2')).values.get(0)).toBe(1);
    expect((await wpoll('-r', '6001', '--', '0')).error).toBeNull();
    expect((await wpoll('-t', '0', '-r', '1')).values.get(1)).toBe(0);
    // FC23: write warnLow, read the block back in one request.
    const rw = (await rawRequest(writePort, [0x17, 0x13, 0x88, 0x00, 0x04, 0x13, 0x8a, 0x00, 0x01, 0x02, 0x2e, 0xe0]))!;
    expect([...rw.subarray(0, 2)]).toEqual([0x17, 8]);
    expect([rw.readUInt16BE(2), rw.readUInt16BE(4), rw.readUInt16BE(6)]).toEqual([14500, 14700, 12000]);
  });

  it('refuses bad writes: read-only 02, value 03, inconsistent threshold 03', async () => {
    expect((await wpoll('-r', '1003', '--', '5')).error).toMatch(/illegal data address/i);
    expect((await wpoll('-r', '5007', '--', '5')).error).toMatch(/illegal data address/i); // reserved offset
    expect((await wpoll('-r', '6000', '--', '2')).error).toMatch(/illegal data value/i);
    expect((await wpoll('-r', '5001', '--', '1000')).error).toMatch(/illegal data value/i); // alarmHigh below warnHigh
    expect((await wpoll('-r', '9000', '--', '1')).error).toMatch(/illegal data address/i);
  });

  it('refuses writes the policy forbids with 01 and executor failures with 04', async () => {
    const s = fixtureSite();
    const forbidding = createModbusServer(s, { writes: true, commands: fixtureCommands(s, { modbus: ['set-threshold'] }), tcp: { host: '127.0.0.1', port: 0 } });
    const failing = createModbusServer(s, { writes: true, commands: fixtureCommands(s, { modbus: 'all' }, true), tcp: { host: '127.0.0.1', port: 0 } });
    await forbidding.start();
    await failing.start();
    try {
      expect(await rawRequest(forbidding.tcpAddress()!.port, [0x05, 0x00, 0x00, 0xff, 0x00])).toEqual(Buffer.from([0x85, 0x01]));
      expect(await rawRequest(failing.tcpAddress()!.port, [0x05, 0x00, 0x00, 0xff, 0x00])).toEqual(Buffer.from([0x85, 0x04]));
      expect(await rawRequest(failing.tcpAddress()!.port, [0x05, 0x00, 0x00, 0x12, 0x34])).toEqual(Buffer.from([0x85, 0x03]));
    } finally {
      await forbidding.close();
      await failing.close();
    }
  });

  it('leaves a capture that tshark dissects without malformed packets', async () => {
    await capture.stop();
    const decode = ['-d', `tcp.port==${port},mbtcp`, '-d', `tcp.port==${writePort},mbtcp`];
    const all = await run('tshark', ['-r', capture.pcap, ...decode, '-Y', 'mbtcp', '-T', 'fields', '-e', 'modbus.func_code', '-e', 'modbus.exception_code'], { timeoutMs: 30_000 });
    const rows = all.stdout.trim().split('\n').filter(Boolean);
    expect(rows.length).toBeGreaterThan(50);
    expect(rows.some((r) => /\t2$/.test(r))).toBe(true);
    expect(rows.some((r) => /\t3$/.test(r))).toBe(true);
    const malformed = await run('tshark', ['-r', capture.pcap, ...decode, '-Y', '_ws.malformed || _ws.expert.severity >= error'], { timeoutMs: 30_000 });
    expect(malformed.code).toBe(0); // an invalid filter would exit non-zero with nothing printed
    expect(malformed.stdout.trim()).toBe('');
    expect(all.code).toBe(0);
  }, 120_000);
});
