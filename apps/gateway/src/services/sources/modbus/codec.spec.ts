import { MbapFrame, MbapFramer } from '@kirchhoff/modbus';
import { decodeRtuReply, decodeTcpReply, decodeValue, rtuReplyLength, rtuRequest, tcpRequest } from './codec';
import { planBlocks } from './sensors';

/** CRC-16/MODBUS written out here (bitwise, as the specification describes it), independent of the package's table. */
function modbusCrc(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let b = 0; b < 8; b++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}
function mbapFrames(bytes: Buffer): { frames: MbapFrame[]; error: string | null } {
  const frames: MbapFrame[] = [];
  const error = new MbapFramer().push(bytes, (f) => frames.push(f));
  return { frames, error: error?.message ?? null };
}

const hex = (b: Buffer) => b.toString('hex').replace(/(..)/g, '$1 ').trim();

describe('Modbus client codec', () => {
  it('frames RTU requests with the Modbus CRC, low byte first', () => {
    // The spec's example frame: read 10 holding registers of unit 1 from 0 -> CRC 0xCDC5.
    expect(hex(rtuRequest({ unitId: 1, fn: 3, address: 0, count: 10 }))).toBe('01 03 00 00 00 0a c5 cd');
    expect(modbusCrc(Buffer.from('123456789'))).toBe(0x4b37);
  });

  it('frames TCP requests with an MBAP header', () => {
    expect(hex(tcpRequest({ unitId: 7, fn: 4, address: 0x1234, count: 2 }, 0x0102))).toBe('01 02 00 00 00 06 07 04 12 34 00 02');
  });

  it('checks replies and names what is wrong', () => {
    const r = { unitId: 1, fn: 4 as const, address: 0, count: 2 };
    const body = Buffer.from([1, 4, 4, 0x00, 0xeb, 0xff, 0xfe]);
    const crc = modbusCrc(body);
    const ok = Buffer.concat([body, Buffer.from([crc & 0xff, crc >> 8])]);
    expect(rtuReplyLength(r, ok)).toBe(9);
    expect(decodeRtuReply(r, ok)).toEqual([0x00eb, 0xfffe]);
    const bad = Buffer.from(ok);
    bad[4] ^= 1;
    expect(() => decodeRtuReply(r, bad)).toThrow('reply fails its CRC');
    const exc = Buffer.from([1, 0x84, 2]);
    const ecrc = modbusCrc(exc);
    expect(rtuReplyLength(r, exc)).toBe(5);
    expect(() => decodeRtuReply(r, Buffer.concat([exc, Buffer.from([ecrc & 0xff, ecrc >> 8])]))).toThrow('exception 2 (illegal data address)');
    const other = Buffer.from([2, 4, 4, 0, 0, 0, 0]);
    const ocrc = modbusCrc(other);
    expect(() => decodeRtuReply(r, Buffer.concat([other, Buffer.from([ocrc & 0xff, ocrc >> 8])]))).toThrow('reply from unit 2, expected 1');

    const tcp = Buffer.from([0, 9, 0, 0, 0, 7, 1, 4, 4, 0, 1, 0, 2]);
    const [frame] = mbapFrames(tcp).frames;
    expect(decodeTcpReply(r, frame, 9)).toEqual([1, 2]);
    expect(() => decodeTcpReply(r, frame, 10)).toThrow('transaction id 9 does not match 10');
    expect(() => decodeTcpReply({ ...r, count: 3 }, frame, 9)).toThrow('reply byte count 4 (4 bytes) does not match 3 registers');
    expect(mbapFrames(Buffer.from([0, 1, 0, 0, 0xff, 0xff, 1])).error).toBe('MBAP length 65535 is outside 2..254');
  });

  it('names every exception of the specification, 5 (acknowledge) included', () => {
    const r = { unitId: 1, fn: 3 as const, address: 0, count: 1 };
    const reply = (code: number) => { const b = Buffer.from([1, 0x83, code]); const c = modbusCrc(b); return Buffer.concat([b, Buffer.from([c & 0xff, c >> 8])]); };
    expect(() => decodeRtuReply(r, reply(5))).toThrow('exception 5 (acknowledge)');
    expect(() => decodeRtuReply(r, reply(0x0b))).toThrow('exception 11 (gateway target device failed to respond)');
    expect(() => decodeRtuReply(r, reply(0x42))).toThrow('exception 66 (unknown)');
  });

  it('refuses a request the specification does not allow (1..125 registers)', () => {
    expect(() => rtuRequest({ unitId: 1, fn: 3, address: 0, count: 126 })).toThrow('register count 126 is outside 1..125');
    expect(() => rtuRequest({ unitId: 1, fn: 3, address: 0, count: 0 })).toThrow('register count 0 is outside 1..125');
  });

  it('decodes register types in both word orders', () => {
    expect(decodeValue([0xff9c], 'int16', 'big')).toBe(-100);
    expect(decodeValue([0xff9c], 'uint16', 'big')).toBe(65436);
    expect(decodeValue([0xffff, 0xfb2e], 'int32', 'big')).toBe(-1234);
    expect(decodeValue([0xfb2e, 0xffff], 'int32', 'little')).toBe(-1234);
    expect(decodeValue([0x0001, 0x0000], 'uint32', 'big')).toBe(65536);
    expect(decodeValue([0x3fa0, 0x0000], 'float32', 'big')).toBe(1.25);
    expect(decodeValue([0x0000, 0x3fa0], 'float32', 'little')).toBe(1.25);
  });

  it('reads adjacent points in one request and splits the others', () => {
    const p = (address: number, type: 'int16' | 'float32' = 'int16', fn: 3 | 4 = 4) => ({ target: 'sensor/1', function: fn, address, type, wordOrder: 'big' as const, scale: 1, offset: 0 });
    expect(planBlocks([p(0), p(1), p(2, 'float32'), p(10), p(100), p(5, 'int16', 3)]).map((b) => [b.fn, b.address, b.count, b.points.length])).toEqual([
      [3, 5, 1, 1], [4, 0, 4, 3], [4, 10, 1, 1], [4, 100, 1, 1],
    ]);
    const many = Array.from({ length: 130 }, (_, i) => p(i));
    expect(planBlocks(many).map((b) => [b.address, b.count])).toEqual([[0, 125], [125, 5]]);
  });
});
