// Modbus RTU framing: a frame is the bytes between two silences of 3.5 character times;
// address + PDU + CRC-16 (low byte first). Assembles frames with a 256-byte guard, checks
// them, builds responses. No I/O: the serial transport owns the silence timer.
import { crc16 } from './crc';

export const MAX_RTU_ADU_BYTES = 256;
/** Address, function code, CRC. */
export const MIN_RTU_ADU_BYTES = 4;

export type RtuParse =
  | { readonly ok: true; readonly address: number; readonly pdu: Buffer }
  | { readonly ok: false; readonly reason: 'short' | 'long' | 'crc' };

export function parseRtuFrame(frame: Buffer): RtuParse {
  if (frame.length < MIN_RTU_ADU_BYTES) return { ok: false, reason: 'short' };
  if (frame.length > MAX_RTU_ADU_BYTES) return { ok: false, reason: 'long' };
  const crc = frame.readUInt16LE(frame.length - 2);
  if (crc16(frame, 0, frame.length - 2) !== crc) return { ok: false, reason: 'crc' };
  return { ok: true, address: frame[0], pdu: frame.subarray(1, frame.length - 2) };
}

/** An RTU frame (a request or a response): address, PDU, CRC low byte first. */
export function rtuFrame(address: number, pdu: Buffer): Buffer {
  const out = Buffer.allocUnsafe(pdu.length + 3);
  out[0] = address;
  pdu.copy(out, 1);
  out.writeUInt16LE(crc16(out, 0, pdu.length + 1), pdu.length + 1);
  return out;
}

/** The server's name for rtuFrame. */
export const rtuResponse = rtuFrame;

export interface SerialLineSettings {
  readonly baudRate: number;
  readonly dataBits?: 7 | 8;
  readonly parity?: 'none' | 'even' | 'odd';
  readonly stopBits?: 1 | 2;
}

/** Bits per character on the line: start + data + parity + stop. */
export function bitsPerCharacter(s: SerialLineSettings): number {
  return 1 + (s.dataBits ?? 8) + (s.parity === 'none' ? 0 : 1) + (s.stopBits ?? 1);
}

/** The 3.5-character silence that ends a frame; fixed at 1.75 ms above 19200 baud (serial line spec 2.5.1.1). */
export function interFrameSilenceMs(s: SerialLineSettings): number {
  if (s.baudRate > 19200) return 1.75;
  return (3.5 * bitsPerCharacter(s) * 1000) / s.baudRate;
}

/** Collects the bytes of one frame; past 256 bytes the frame is marked overlong and not kept. */
export class RtuFrameAssembler {
  private chunks: Buffer[] = [];
  private size = 0;

  push(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size <= MAX_RTU_ADU_BYTES) this.chunks.push(chunk);
    else this.chunks = [];
  }

  get length(): number {
    return this.size;
  }

  /** The frame collected since the last silence; empty when overlong (discarded). */
  take(): { frame: Buffer; overlong: boolean } {
    const overlong = this.size > MAX_RTU_ADU_BYTES;
    const frame = overlong ? Buffer.alloc(0) : Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    this.size = 0;
    return { frame, overlong };
  }
}
