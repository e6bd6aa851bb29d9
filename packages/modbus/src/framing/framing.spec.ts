// Byte-level framing tests: MBAP frames split and joined in every way, the size guard, and RTU
// CRC/response bytes against known vectors.
import { randomBytes } from 'node:crypto';
import { MbapFrame, MbapFramer, mbapResponse } from './mbap';
import { crc16 } from './crc';
import { interFrameSilenceMs, parseRtuFrame, rtuResponse, RtuFrameAssembler } from './rtu';

const read1003 = Buffer.from([0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x11, 0x03, 0x03, 0xeb, 0x00, 0x02]);

function feed(chunks: Buffer[]): { frames: MbapFrame[]; error: string | null } {
  const framer = new MbapFramer();
  const frames: MbapFrame[] = [];
  for (const c of chunks) {
    const e = framer.push(c, (f) => frames.push({ ...f, pdu: Buffer.from(f.pdu) }));
    if (e) return { frames, error: e.code };
  }
  return { frames, error: null };
}

describe('MBAP framing', () => {
  it('finds a frame delivered whole, byte by byte, or several in one chunk', () => {
    const expected = { transactionId: 1, unitId: 0x11, pdu: Buffer.from([0x03, 0x03, 0xeb, 0x00, 0x02]) };
    expect(feed([read1003]).frames).toEqual([expected]);
    expect(feed([...read1003].map((b) => Buffer.from([b]))).frames).toEqual([expected]);
    expect(feed([Buffer.concat([read1003, read1003, read1003.subarray(0, 4)])]).frames).toEqual([expected, expected]);
  });

  it('rejects a protocol id other than 0 and lengths outside 2..254', () => {
    const proto = Buffer.from(read1003);
    proto[3] = 1;
    expect(feed([proto]).error).toBe('protocol-id');
    for (const length of [0, 1, 255, 0xffff]) {
      const f = Buffer.from(read1003);
      f.writeUInt16BE(length, 4);
      expect(feed([f]).error).toBe('length');
    }
  });

  it('never holds more than one ADU and never throws on random bytes', () => {
    for (let i = 0; i < 2000; i++) {
      const framer = new MbapFramer();
      expect(() => framer.push(randomBytes(1 + (i % 700)), () => {})).not.toThrow();
      expect(framer.buffered).toBeLessThanOrEqual(260);
    }
  });

  it('builds responses with the request transaction id, protocol 0 and length unit + PDU', () => {
    expect([...mbapResponse(0xabcd, 0x11, Buffer.from([0x83, 0x02]))]).toEqual([0xab, 0xcd, 0, 0, 0, 3, 0x11, 0x83, 0x02]);
  });
});

describe('RTU framing', () => {
  it('computes CRC-16/MODBUS (check value 0x4B37 for "123456789")', () => {
    expect(crc16(Buffer.from('123456789'))).toBe(0x4b37);
  });

  it('builds and parses frames, CRC low byte first', () => {
    // The specification's example request: slave 0x11 reads 3 holding registers from 0x006B.
    const request = Buffer.from([0x11, 0x03, 0x00, 0x6b, 0x00, 0x03, 0x76, 0x87]);
    expect(parseRtuFrame(request)).toEqual({ ok: true, address: 0x11, pdu: Buffer.from([0x03, 0x00, 0x6b, 0x00, 0x03]) });
    expect(rtuResponse(0x11, Buffer.from([0x03, 0x00, 0x6b, 0x00, 0x03]))).toEqual(request);
    const bad = Buffer.from(request);
    bad[7] ^= 1;
    expect(parseRtuFrame(bad)).toEqual({ ok: false, reason: 'crc' });
    expect(parseRtuFrame(request.subarray(0, 3))).toEqual({ ok: false, reason: 'short' });
  });

  it('discards a frame longer than 256 bytes', () => {
    const a = new RtuFrameAssembler();
    for (let i = 0; i < 10; i++) a.push(Buffer.alloc(30));
    expect(a.take()).toEqual({ frame: Buffer.alloc(0), overlong: true });
    a.push(Buffer.from([1, 2]));
    expect(a.take()).toEqual({ frame: Buffer.from([1, 2]), overlong: false });
  });

  it('uses 3.5 character times of silence, fixed at 1.75 ms above 19200 baud', () => {
    expect(interFrameSilenceMs({ baudRate: 9600, parity: 'even' })).toBeCloseTo((3.5 * 11 * 1000) / 9600, 6);
    expect(interFrameSilenceMs({ baudRate: 115200 })).toBe(1.75);
  });
});
