// The module emulator as a bus master sees it: raw request bytes in, answer bytes out. Hostile
// bytes get the protocol's error answer (or silence), and the modules keep serving.
import { waitFor } from '@kirchhoff/test-support';
import { memoryLogger } from '../log';
import { ModuleEmulator } from './emulator';
import { createFixedBank } from './fixed-bank';
import { encodeFrame, FrameParser } from './frame';
import { BusResponse, decodeResponse, encodeRequest, BusRequest } from './messages';
import { createMemoryPair } from './transport';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

function setup() {
  const bank = createFixedBank([{ modules: 8, moduleType: 'C20' }], 3);
  const [master, modules] = createMemoryPair();
  const logger = memoryLogger();
  const emulator = new ModuleEmulator({ bank, transport: modules, logger });
  emulator.start();
  const parser = new FrameParser();
  const received: BusResponse[] = [];
  const raw: Uint8Array[] = [];
  master.onData((bytes) => {
    raw.push(bytes);
    for (const e of parser.push(bytes)) {
      if (e.kind !== 'frame') continue;
      const d = decodeResponse(e.frame);
      if (d.ok) received.push(d.message);
    }
  });
  const send = (r: BusRequest | Uint8Array) => master.write(r instanceof Uint8Array ? r : encodeFrame(encodeRequest(r)));
  const settle = () => new Promise((r) => setTimeout(r, 20));
  return { bank, emulator, send, received, raw, settle, logger };
}

describe('module emulator', () => {
  it('answers READ_INFO with the documented bytes', async () => {
    const { send, raw } = setup();
    send(hex('A5 0005 01 00 5C01'));
    await waitFor(() => raw.length, 1000, 'an answer');
    // A5, address 5, 0x81, 10 bytes: protocol 1, C20 (0), firmware 1.0.0, hardware 1, serial 0x4B000005.
    // CRC computed independently (Python binascii.crc_hqx).
    expect(Buffer.concat(raw)).toEqual(Buffer.from(hex('A5 0005 81 0A 01 00 01 00 00 01 4B000005 E0AC')));
  });

  it('answers a range read in address order, one frame per module, skipping a lost one', async () => {
    const { bank, send, received } = setup();
    bank.setPresent(3, false);
    send({ kind: 'read-measurements-range', first: 1, count: 8 });
    await waitFor(() => received.length === 7, 1000, 'seven answers');
    expect(received.map((r) => r.address)).toEqual([1, 2, 4, 5, 6, 7, 8]);
    expect(received[0]).toMatchObject({ kind: 'measurements', of: 'read-measurements-range', measurements: { voltageV: bank.readout(1)!.voltageV } });
  });

  it('refuses bad requests with the protocol error codes and stays silent on broadcast ones', async () => {
    const { send, received, settle, emulator } = setup();
    send(encodeFrame({ address: 2, command: 0x3f, payload: new Uint8Array(0) }));
    send(encodeFrame({ address: 2, command: 0x02, payload: new Uint8Array(1) }));
    send(encodeFrame({ address: 2, command: 0x06, payload: Uint8Array.of(150) }));
    send(encodeFrame({ address: 0xffff, command: 0x06, payload: Uint8Array.of(150) }));
    await waitFor(() => received.length === 3, 1000, 'three refusals');
    await settle();
    expect(received).toEqual([
      { kind: 'error', address: 2, of: null, code: 1 },
      { kind: 'error', address: 2, of: 'read-measurements', code: 2 },
      { kind: 'error', address: 2, of: 'set-bypass', code: 3 },
    ]);
    expect(emulator.stats.refused).toBe(3);
  });

  it('ignores garbage, bad CRCs and frames for absent modules, then answers the next good request', async () => {
    const { send, received, settle, emulator } = setup();
    send(hex('00 FF A5 A5 13 37'));
    send(hex('A5 0005 01 00 5C02'));
    send({ kind: 'read-info', address: 99 });
    await settle();
    expect(received).toHaveLength(0);
    expect(emulator.stats.badFrames).toBeGreaterThan(0);
    send({ kind: 'read-info', address: 4 });
    await waitFor(() => received.length === 1, 1000, 'an answer');
    expect(received[0]).toMatchObject({ kind: 'info', address: 4 });
  });

  it('applies a bypass range broadcast, and refuses a bypass while over temperature', async () => {
    const { bank, send, received } = setup();
    send({ kind: 'set-bypass-range', first: 2, dutiesPercent: [10, 20, 30] });
    send({ kind: 'read-measurements', address: 3 });
    await waitFor(() => received.length === 1, 1000, 'an answer');
    expect([bank.readout(1)!.bypassDutyPercent, bank.readout(2)!.bypassDutyPercent, bank.readout(3)!.bypassDutyPercent, bank.readout(4)!.bypassDutyPercent]).toEqual([0, 10, 20, 30]);
    expect(received[0]).toMatchObject({ measurements: { bypassDutyPercent: 20, status: { bypassOn: true } } });
    bank.setTemperature(5, 70);
    send({ kind: 'set-bypass', address: 5, dutyPercent: 50 });
    await waitFor(() => received.length === 2, 1000, 'a refusal');
    expect(received[1]).toEqual({ kind: 'error', address: 5, of: 'set-bypass', code: 5 });
  });

  it('sleeps (answering only WAKE) and wakes', async () => {
    const { send, received, settle } = setup();
    send({ kind: 'sleep', address: 6 });
    await waitFor(() => received.length === 1, 1000, 'the sleep ack');
    send({ kind: 'read-measurements', address: 6 });
    await settle();
    expect(received).toHaveLength(1);
    send({ kind: 'wake', address: 6 });
    send({ kind: 'read-measurements', address: 6 });
    await waitFor(() => received.length === 3, 1000, 'wake ack and a reading');
    expect(received.map((r) => r.kind)).toEqual(['ack', 'ack', 'measurements']);
  });

  it('paces answers like a line at the given baud rate', async () => {
    const bank = createFixedBank([{ modules: 32, moduleType: 'C20' }], 3);
    const [master, modules] = createMemoryPair();
    const emulator = new ModuleEmulator({ bank, transport: modules, logger: memoryLogger(), paceBaud: 9600 });
    emulator.start();
    let bytes = 0;
    master.onData((b) => (bytes += b.length));
    master.write(encodeFrame(encodeRequest({ kind: 'read-measurements-range', first: 1, count: 32 })));
    // 10 + 32 x 16 bytes at 9600 baud take 544 ms on a real line: nothing may arrive early.
    await new Promise((r) => setTimeout(r, 300));
    expect(bytes).toBe(0);
    await waitFor(() => bytes === 512, 2000, 'the range answer');
    await emulator.stop();
  });
});
