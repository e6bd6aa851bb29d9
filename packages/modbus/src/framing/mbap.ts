// Modbus TCP framing: finds MBAP frames (7-byte header + PDU) in a byte stream, with a size
// guard, and builds response frames. No I/O. A header that cannot be Modbus (protocol id not
// 0, length outside 2..254) is fatal for the connection: the stream cannot be resynchronised.

export const MBAP_HEADER_BYTES = 7;
/** Unit id + the largest PDU (253). */
export const MAX_MBAP_LENGTH = 254;
export const MAX_TCP_ADU_BYTES = MBAP_HEADER_BYTES - 1 + MAX_MBAP_LENGTH;

export interface MbapFrame {
  readonly transactionId: number;
  readonly unitId: number;
  readonly pdu: Buffer;
}

export class MbapFramingError extends Error {
  constructor(
    readonly code: 'protocol-id' | 'length',
    message: string,
  ) {
    super(message);
    this.name = 'MbapFramingError';
  }
}

export class MbapFramer {
  private pending: Buffer | null = null;

  /** Bytes held for an incomplete frame (never more than one ADU). */
  get buffered(): number {
    return this.pending?.length ?? 0;
  }

  /**
   * Feeds bytes; calls `onFrame` for each complete frame. Returns an error when the stream is not
   * Modbus TCP (the caller closes the connection); frames before it were delivered.
   */
  push(chunk: Buffer, onFrame: (frame: MbapFrame) => void): MbapFramingError | null {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    let at = 0;
    while (buf.length - at >= MBAP_HEADER_BYTES) {
      const protocolId = buf.readUInt16BE(at + 2);
      const length = buf.readUInt16BE(at + 4);
      if (protocolId !== 0) return new MbapFramingError('protocol-id', `MBAP protocol id ${protocolId} is not 0 (Modbus)`);
      if (length < 2 || length > MAX_MBAP_LENGTH) return new MbapFramingError('length', `MBAP length ${length} is outside 2..${MAX_MBAP_LENGTH}`);
      const end = at + MBAP_HEADER_BYTES - 1 + length;
      if (end > buf.length) break;
      onFrame({ transactionId: buf.readUInt16BE(at), unitId: buf[at + 6], pdu: buf.subarray(at + MBAP_HEADER_BYTES, end) });
      at = end;
    }
    // Copy the rest so a large chunk is not kept alive by a few bytes of it.
    if (at < buf.length) this.pending = Buffer.from(buf.subarray(at));
    return null;
  }
}

/** An MBAP frame (a request or a response: the header is the same). */
export function mbapFrame(transactionId: number, unitId: number, pdu: Buffer): Buffer {
  const out = Buffer.allocUnsafe(MBAP_HEADER_BYTES + pdu.length);
  out.writeUInt16BE(transactionId, 0);
  out.writeUInt16BE(0, 2);
  out.writeUInt16BE(pdu.length + 1, 4);
  out[6] = unitId;
  pdu.copy(out, MBAP_HEADER_BYTES);
  return out;
}

/** The server's name for mbapFrame. */
export const mbapResponse = mbapFrame;
