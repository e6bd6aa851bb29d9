// Framing of the module bus: frame <-> bytes, and an incremental parser that finds frames in a
// byte stream. No I/O; never throws on hostile bytes; resynchronizes on the next start byte.
import { crc16 } from './crc16';
import { CRC_BYTES, HEADER_BYTES, MAX_FRAME, MAX_PAYLOAD, SOF } from './protocol';

export interface Frame {
  /** Target address in a request, the sender's address in a response. */
  readonly address: number;
  /** The whole command byte, response/error bits included. */
  readonly command: number;
  readonly payload: Uint8Array;
}

export class FrameEncodeError extends Error {
  readonly code = 'bus.frame-encode';
}

export function encodeFrame(frame: Frame): Uint8Array {
  const { address, command, payload } = frame;
  if (!Number.isInteger(address) || address < 0 || address > 0xffff) throw new FrameEncodeError(`address ${address} is not 0..65535`);
  if (!Number.isInteger(command) || command < 0 || command > 0xff) throw new FrameEncodeError(`command ${command} is not 0..255`);
  if (payload.length > MAX_PAYLOAD) throw new FrameEncodeError(`payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD}`);
  const out = new Uint8Array(HEADER_BYTES + payload.length + CRC_BYTES);
  out[0] = SOF;
  out[1] = address >> 8;
  out[2] = address & 0xff;
  out[3] = command;
  out[4] = payload.length;
  out.set(payload, HEADER_BYTES);
  const crc = crc16(out, 1, HEADER_BYTES + payload.length);
  out[HEADER_BYTES + payload.length] = crc >> 8;
  out[HEADER_BYTES + payload.length + 1] = crc & 0xff;
  return out;
}

export type FrameErrorCode = 'garbage' | 'length' | 'crc';

export interface FrameError {
  readonly code: FrameErrorCode;
  /** Bytes given up on: skipped garbage, or the rejected frame candidate. */
  readonly bytes: number;
  readonly detail: string;
}

export type ParseEvent = { readonly kind: 'frame'; readonly frame: Frame } | { readonly kind: 'error'; readonly error: FrameError };

/**
 * Feed it bytes as they arrive; it returns the frames and errors found so far. A rejected
 * candidate's bytes after its start byte are scanned again, so a real frame hidden behind a
 * false start is still found. Memory is bounded by MAX_FRAME.
 */
export class FrameParser {
  private readonly buf = new Uint8Array(MAX_FRAME);
  private len = 0;
  private garbage = 0;

  push(chunk: Uint8Array): ParseEvent[] {
    const events: ParseEvent[] = [];
    // Inputs still to scan, front first; a rejected candidate puts its tail in front. Its bytes
    // were reported with the rejection, so they do not count as garbage again.
    const queue: { bytes: Uint8Array; replay: boolean }[] = [{ bytes: chunk, replay: false }];
    while (queue.length) {
      const { bytes, replay } = queue.shift()!;
      for (let i = 0; i < bytes.length; i++) {
        const tail = this.step(bytes[i], events, !replay);
        if (tail) {
          if (i + 1 < bytes.length) queue.unshift({ bytes: bytes.subarray(i + 1), replay });
          queue.unshift({ bytes: tail, replay: true });
          break;
        }
      }
    }
    this.flushGarbage(events);
    return events;
  }

  /** Drops a partial frame (e.g. when the master starts a new request); returns bytes dropped. */
  reset(): number {
    const dropped = this.len;
    this.len = 0;
    this.garbage = 0;
    return dropped;
  }

  /** Bytes of an incomplete frame held now. */
  get pending(): number {
    return this.len;
  }

  private step(b: number, events: ParseEvent[], countGarbage: boolean): Uint8Array | null {
    if (this.len === 0) {
      if (b !== SOF) {
        if (countGarbage) this.garbage++;
        return null;
      }
      this.flushGarbage(events);
      this.buf[0] = b;
      this.len = 1;
      return null;
    }
    this.buf[this.len++] = b;
    if (this.len === HEADER_BYTES) {
      const n = this.buf[4];
      if (n > MAX_PAYLOAD) return this.reject(events, 'length', `payload length ${n} exceeds ${MAX_PAYLOAD}`);
      return null;
    }
    if (this.len < HEADER_BYTES) return null;
    const total = HEADER_BYTES + this.buf[4] + CRC_BYTES;
    if (this.len < total) return null;
    const crc = crc16(this.buf, 1, total - CRC_BYTES);
    const got = (this.buf[total - 2] << 8) | this.buf[total - 1];
    if (crc !== got) return this.reject(events, 'crc', `CRC ${hex(got)} where ${hex(crc)} was expected`);
    events.push({
      kind: 'frame',
      frame: { address: (this.buf[1] << 8) | this.buf[2], command: this.buf[3], payload: this.buf.slice(HEADER_BYTES, total - CRC_BYTES) },
    });
    this.len = 0;
    return null;
  }

  private reject(events: ParseEvent[], code: FrameErrorCode, detail: string): Uint8Array {
    const replay = this.buf.slice(1, this.len);
    events.push({ kind: 'error', error: { code, bytes: this.len, detail } });
    this.len = 0;
    // Only the start byte is given up: the rest is scanned again for a real start byte.
    return replay;
  }

  private flushGarbage(events: ParseEvent[]): void {
    if (this.garbage === 0) return;
    events.push({ kind: 'error', error: { code: 'garbage', bytes: this.garbage, detail: `${this.garbage} byte(s) outside any frame` } });
    this.garbage = 0;
  }
}

function hex(n: number): string {
  return '0x' + n.toString(16).toUpperCase().padStart(4, '0');
}
