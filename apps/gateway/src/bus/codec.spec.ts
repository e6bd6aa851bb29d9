// Byte-level tests of the module bus codec: each case is the bytes on the wire and the decoded
// message, both ways. CRCs in the table were computed independently (Python's binascii.crc_hqx).
import type { ModuleType } from '@kirchhoff/core';
import { crc16 } from './crc16';
import { encodeFrame, FrameParser, ParseEvent } from './frame';
import { BusMessage, BusRequest, BusResponse, decodeRequest, decodeResponse, encodeMessage, Measurements } from './messages';
import { MAX_FRAME } from './protocol';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase().replace(/(..)/g, '$1 ').trim();

const NO_STATUS = { fuseBlown: false, overTemperature: false, bypassOn: false, riMeasuring: false, identifying: false, fuseTripped: false, addressMode: false };
const measured: Measurements = { voltageV: 13.621, temperatureC: 23.4, resistanceOhm: 0.004321, status: { ...NO_STATUS, bypassOn: true }, bypassDutyPercent: 40 };

const CASES: { name: string; bytes: string; message: BusMessage }[] = [
  { name: 'read-info to 5', bytes: 'A5 0005 01 00 5C01', message: { kind: 'read-info', address: 5 } },
  { name: 'read-measurements to 512', bytes: 'A5 0200 02 00 0FCA', message: { kind: 'read-measurements', address: 512 } },
  { name: 'range read 33..64', bytes: 'A5 FFFF 03 03 0021 20 64BB', message: { kind: 'read-measurements-range', first: 33, count: 32 } },
  { name: 'measurements of 7', bytes: 'A5 0007 82 09 3535 00EA 0010E1 04 28 49CE', message: { kind: 'measurements', address: 7, of: 'read-measurements', measurements: measured } },
  {
    name: 'range answer of 33: no voltage, -5.5 degC, no Ri, fuse blown',
    bytes: 'A5 0021 83 09 FFFF FFC9 FFFFFF 21 00 31EE',
    message: { kind: 'measurements', address: 33, of: 'read-measurements-range', measurements: { voltageV: null, temperatureC: -5.5, resistanceOhm: null, status: { ...NO_STATUS, fuseBlown: true, fuseTripped: true }, bypassDutyPercent: 0 } },
  },
  { name: 'broadcast bypass off', bytes: 'A5 FFFF 06 01 00 8191', message: { kind: 'set-bypass', address: 0xffff, dutyPercent: 0 } },
  { name: 'bypass range 1..3', bytes: 'A5 FFFF 07 06 0001 03 00 32 64 1865', message: { kind: 'set-bypass-range', first: 1, dutiesPercent: [0, 50, 100] } },
  { name: 'error: set-bypass not allowed', bytes: 'A5 0009 C6 01 05 15B8', message: { kind: 'error', address: 9, of: 'set-bypass', code: 5 } },
  { name: 'error: unknown command', bytes: 'A5 0005 C1 01 01 9F9E', message: { kind: 'error', address: 5, of: 'read-info', code: 1 } },
  {
    name: 'address assigned: info of the new module 17',
    bytes: 'A5 0011 90 0A 01 00 01 02 03 04 DEADBEEF AEB5',
    message: { kind: 'info', address: 17, of: 'assign-address', info: { protocolVersion: 1, moduleType: 'C20', firmware: '1.2.3', hardwareRevision: 4, serial: 0xdeadbeef } },
  },
  { name: 'fuse cleared, still blown', bytes: 'A5 0003 89 02 02 01 D6AE', message: { kind: 'fuse', address: 3, of: 'clear-fuse', fuse: { blown: false, tripped: true, trips: 1 } } },
  { name: 'Ri 200 uOhm, measuring', bytes: 'A5 0004 85 04 0000C8 01 6103', message: { kind: 'ri', address: 4, resistanceOhm: 0.0002, measuring: true } },
  { name: 'identify ack', bytes: 'A5 000A 8A 00 B752', message: { kind: 'ack', address: 10, of: 'identify' } },
  { name: 'assign address 300', bytes: 'A5 FFFF 10 02 012C A318', message: { kind: 'assign-address', newAddress: 300 } },
  { name: 'identify 30 s', bytes: 'A5 0002 0A 01 1E FB6B', message: { kind: 'identify', address: 2, seconds: 30 } },
  { name: 'change address 2 -> 3', bytes: 'A5 0002 12 02 0003 E25F', message: { kind: 'change-address', address: 2, newAddress: 3 } },
  { name: 'enumerate 1..64', bytes: 'A5 FFFF 11 03 0001 40 4E22', message: { kind: 'enumerate', first: 1, count: 64 } },
];

function frames(events: ParseEvent[]) {
  return events.flatMap((e) => (e.kind === 'frame' ? [e.frame] : []));
}
function errors(events: ParseEvent[]) {
  return events.flatMap((e) => (e.kind === 'error' ? [e.error.code] : []));
}
function decode(bytes: Uint8Array): BusMessage {
  const events = new FrameParser().push(bytes);
  expect(errors(events)).toEqual([]);
  const [f] = frames(events);
  const d = f.command & 0x80 ? decodeResponse(f) : decodeRequest(f);
  if (!d.ok) throw new Error(d.reason);
  return d.message;
}

describe('module bus codec', () => {
  it('uses CRC-16/CCITT-FALSE (check value 0x29B1)', () => {
    expect(crc16(Buffer.from('123456789'))).toBe(0x29b1);
  });

  describe.each(CASES)('$name', ({ bytes, message }) => {
    it('encodes to the bytes', () => expect(toHex(encodeFrame(encodeMessage(message)))).toBe(toHex(hex(bytes))));
    it('decodes from the bytes', () => expect(decode(hex(bytes))).toEqual(message));
  });

  it('puts each module type on the wire as docs/module-bus.md numbers it (0 C20, 1 C23, 2 C30, 3 C40, 4 C41)', () => {
    const published: Record<number, ModuleType> = { 0: 'C20', 1: 'C23', 2: 'C30', 3: 'C40', 4: 'C41' };
    for (const [code, moduleType] of Object.entries(published)) {
      const message: BusMessage = { kind: 'info', address: 17, of: 'assign-address', info: { protocolVersion: 1, moduleType, firmware: '1.2.3', hardwareRevision: 4, serial: 1 } };
      const frame = encodeMessage(message);
      expect([moduleType, frame.payload[1]]).toEqual([moduleType, Number(code)]);
      expect(decode(encodeFrame(frame))).toEqual(message);
    }
  });

  it('finds every frame whatever the chunking', () => {
    const stream = Buffer.concat(CASES.map((c) => hex(c.bytes)));
    for (const size of [1, 2, 3, 7, 64, stream.length]) {
      const parser = new FrameParser();
      const events: ParseEvent[] = [];
      for (let i = 0; i < stream.length; i += size) events.push(...parser.push(stream.subarray(i, i + size)));
      expect(errors(events)).toEqual([]);
      expect(frames(events).length).toBe(CASES.length);
    }
  });

  it('reports garbage, then finds the frame after it', () => {
    const events = new FrameParser().push(hex('00 11 22 A5 0005 01 00 5C01'));
    expect(events[0]).toEqual({ kind: 'error', error: expect.objectContaining({ code: 'garbage', bytes: 3 }) });
    expect(frames(events)).toEqual([{ address: 5, command: 1, payload: new Uint8Array(0) }]);
  });

  it('rejects a bad CRC and keeps the next frame', () => {
    const events = new FrameParser().push(hex('A5 0005 01 00 5C02  A5 0200 02 00 0FCA'));
    expect(errors(events)).toContain('crc');
    expect(frames(events).map((f) => f.address)).toEqual([512]);
  });

  it('rejects a length above the maximum without waiting for it, and resynchronizes inside it', () => {
    // A5 00 05 01 FF: length 255 > 64, then a real frame starts at the next A5.
    const parser = new FrameParser();
    const events = parser.push(hex('A5 0005 01 FF A5 0005 01 00 5C01'));
    expect(errors(events)).toEqual(['length']);
    expect(frames(events).map((f) => f.address)).toEqual([5]);
    expect(parser.pending).toBe(0);
  });

  it('finds a frame hidden behind a false start byte', () => {
    const events = new FrameParser().push(hex('A5 A5 0005 01 00 5C01'));
    expect(frames(events).map((f) => f.address)).toEqual([5]);
  });

  it('never holds more than one maximum frame', () => {
    const parser = new FrameParser();
    parser.push(hex('A5 0001 01 40'));
    parser.push(new Uint8Array(60));
    expect(parser.pending).toBeLessThanOrEqual(MAX_FRAME);
    expect(parser.reset()).toBe(65);
  });

  it('refuses requests it cannot encode, with the reason', () => {
    expect(() => encodeMessage({ kind: 'set-bypass', address: 1, dutyPercent: 101 })).toThrow(/dutyPercent 101/);
    expect(() => encodeMessage({ kind: 'read-measurements-range', first: 1, count: 65 })).toThrow(/count 65/);
    expect(() => encodeMessage({ kind: 'set-bypass-range', first: 1, dutiesPercent: new Array(62).fill(0) })).toThrow(/count 62/);
  });

  it('decodes bad requests to the error code a module answers with', () => {
    const req = (hexBytes: string) => {
      const f = frames(new FrameParser().push(encodeFrame({ address: 1, command: hex(hexBytes)[0], payload: hex(hexBytes).subarray(1) })))[0];
      return decodeRequest(f);
    };
    expect(req('3F')).toMatchObject({ ok: false, errorCode: 1 });
    expect(req('02 00')).toMatchObject({ ok: false, errorCode: 2 });
    expect(req('06 65')).toMatchObject({ ok: false, errorCode: 3 });
    expect(req('03 0001 00')).toMatchObject({ ok: false, errorCode: 3 });
    expect(req('07 0001 02 00')).toMatchObject({ ok: false, errorCode: 2 });
    expect(req('10 FFFF')).toMatchObject({ ok: false, errorCode: 3 });
  });

  it('saturates out-of-range readings instead of wrapping', () => {
    const m = decode(encodeFrame(encodeMessage({ kind: 'measurements', address: 1, of: 'read-measurements', measurements: { ...measured, voltageV: 99, temperatureC: -4000, resistanceOhm: -1 } }))) as BusResponse & { kind: 'measurements' };
    expect(m.measurements).toMatchObject({ voltageV: 65.534, temperatureC: -3276.8, resistanceOhm: 0 });
  });

  it('round-trips every request kind through bytes', () => {
    const reqs: BusRequest[] = CASES.map((c) => c.message).filter((m): m is BusRequest => !('of' in m) && m.kind !== 'ri' && m.kind !== 'bypass');
    for (const r of reqs) expect(decodeRequest(frames(new FrameParser().push(encodeFrame(encodeMessage(r))))[0])).toEqual({ ok: true, message: r });
  });
});
