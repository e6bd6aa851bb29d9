// Message boundaries in a TCP/TLS stream: a message ends at LF (this project's format) or at the
// end of the stream (the public capture form has no terminator: its senders write and close).
// A stream that sends more than MAX_MESSAGE_BYTES without a boundary is an error, never a buffer.
import { MAX_MESSAGE_BYTES } from './codec';

export type FrameResult = { readonly frames: Buffer[]; readonly overflow: boolean };

export class LineFramer {
  private buffered: Buffer[] = [];
  private size = 0;
  private overflowed = false;

  constructor(private readonly maxBytes = MAX_MESSAGE_BYTES) {}

  /** Whole messages found so far; `overflow` once a message grew past the limit (then nothing more). */
  push(chunk: Buffer): FrameResult {
    if (this.overflowed) return { frames: [], overflow: true };
    const frames: Buffer[] = [];
    let start = 0;
    for (let lf = chunk.indexOf(0x0a); lf >= 0; lf = chunk.indexOf(0x0a, start)) {
      const piece = chunk.subarray(start, lf + 1);
      if (this.size + piece.length > this.maxBytes + 1) return this.overflow(frames);
      frames.push(this.size ? Buffer.concat([...this.buffered, piece]) : Buffer.from(piece));
      this.buffered = [];
      this.size = 0;
      start = lf + 1;
    }
    const rest = chunk.subarray(start);
    if (rest.length) {
      if (this.size + rest.length > this.maxBytes) return this.overflow(frames);
      this.buffered.push(Buffer.from(rest));
      this.size += rest.length;
    }
    return { frames, overflow: false };
  }

  /** At end of stream: the unterminated last message, if any. */
  end(): Buffer | null {
    if (this.overflowed || this.size === 0) return null;
    const last = Buffer.concat(this.buffered);
    this.buffered = [];
    this.size = 0;
    return last;
  }

  private overflow(frames: Buffer[]): FrameResult {
    this.overflowed = true;
    this.buffered = [];
    this.size = 0;
    return { frames, overflow: true };
  }
}
