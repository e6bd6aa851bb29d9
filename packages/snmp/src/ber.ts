// The BER subset SNMP uses (X.690 definite lengths only): a bounds-checked reader that throws
// BerError on anything malformed, and an encoder that builds TLVs. No I/O.

export class BerError extends Error {
  readonly code = 'ber.malformed';
}

export const Tag = {
  Integer: 0x02,
  OctetString: 0x04,
  Null: 0x05,
  Oid: 0x06,
  Sequence: 0x30,
  IpAddress: 0x40,
  Counter32: 0x41,
  Gauge32: 0x42,
  TimeTicks: 0x43,
  Opaque: 0x44,
  Counter64: 0x46,
  NoSuchObject: 0x80,
  NoSuchInstance: 0x81,
  EndOfMibView: 0x82,
} as const;

/** Longest OID accepted (RFC 2578: at most 128 sub-identifiers). */
export const MAX_OID_LENGTH = 128;

export class BerReader {
  pos: number;

  constructor(readonly buf: Buffer, start = 0, readonly end = buf.length) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  peekTag(): number {
    if (this.pos >= this.end) throw new BerError('unexpected end of data');
    return this.buf[this.pos];
  }

  /** Reads a tag and a definite length; returns the length, leaves pos at the content. */
  header(expected?: number): { tag: number; length: number } {
    if (this.pos + 2 > this.end) throw new BerError('truncated TLV');
    const tag = this.buf[this.pos++];
    if (expected !== undefined && tag !== expected) throw new BerError(`expected tag 0x${expected.toString(16)}, got 0x${tag.toString(16)}`);
    if ((tag & 0x1f) === 0x1f) throw new BerError('multi-byte tags are not used by SNMP');
    let length = this.buf[this.pos++];
    if (length & 0x80) {
      const n = length & 0x7f;
      if (n === 0) throw new BerError('indefinite length is not allowed');
      if (n > 4) throw new BerError('length too long');
      if (this.pos + n > this.end) throw new BerError('truncated length');
      length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + this.buf[this.pos++];
    }
    if (length > this.end - this.pos) throw new BerError(`length ${length} runs past the end of data`);
    return { tag, length };
  }

  /** A reader over the content of the next constructed TLV; advances past it. */
  sequence(expected: number = Tag.Sequence): BerReader {
    const { length } = this.header(expected);
    const sub = new BerReader(this.buf, this.pos, this.pos + length);
    this.pos += length;
    return sub;
  }

  integer(expected: number = Tag.Integer): number {
    const { length } = this.header(expected);
    if (length < 1 || length > 5) throw new BerError(`integer of ${length} bytes`);
    let v = this.buf[this.pos] & 0x80 ? -1 : 0;
    for (let i = 0; i < length; i++) v = v * 256 + this.buf[this.pos++];
    if (expected !== Tag.Integer) {
      if (v < 0) v += 2 ** (8 * length);
      if (v > 0xffffffff) throw new BerError('unsigned 32-bit value out of range');
    } else if (v < -0x80000000 || v > 0x7fffffff) throw new BerError('INTEGER out of 32-bit range');
    return v;
  }

  /** Any tag: the raw content (a view into the buffer, not a copy). */
  raw(): { tag: number; content: Buffer } {
    const { tag, length } = this.header();
    const content = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return { tag, content };
  }

  octetString(): Buffer {
    const { length } = this.header(Tag.OctetString);
    const v = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return v;
  }

  /** Offset of the content of the next OCTET STRING (for the USM digest), then its content. */
  octetStringAt(): { offset: number; value: Buffer } {
    const { length } = this.header(Tag.OctetString);
    const offset = this.pos;
    this.pos += length;
    return { offset, value: this.buf.subarray(offset, offset + length) };
  }

  oid(): number[] {
    const { length } = this.header(Tag.Oid);
    return decodeOid(this.buf.subarray(this.pos, (this.pos += length)));
  }
}

export function decodeOid(content: Buffer): number[] {
  if (content.length === 0) throw new BerError('empty OID');
  const out: number[] = [];
  let v = 0;
  let bytes = 0;
  for (let i = 0; i < content.length; i++) {
    const b = content[i];
    if (bytes === 0 && b === 0x80) throw new BerError('OID sub-identifier with a leading 0x80');
    v = v * 128 + (b & 0x7f);
    bytes++;
    if (v > 0xffffffff) throw new BerError('OID sub-identifier above 2^32-1');
    if (!(b & 0x80)) {
      if (out.length === 0) {
        if (v < 80) out.push(Math.floor(v / 40), v % 40);
        else out.push(2, v - 80);
      } else out.push(v);
      v = 0;
      bytes = 0;
      if (out.length > MAX_OID_LENGTH) throw new BerError('OID longer than 128 sub-identifiers');
    }
  }
  if (bytes) throw new BerError('truncated OID');
  return out;
}

/** Decodes a two's-complement INTEGER or unsigned value content (up to 5 bytes). */
export function decodeInteger(content: Buffer, signed: boolean): number {
  if (content.length < 1 || content.length > 5) throw new BerError(`integer of ${content.length} bytes`);
  let v = signed && content[0] & 0x80 ? -1 : 0;
  for (const b of content) v = v * 256 + b;
  if (!signed && v < 0) v += 2 ** (8 * content.length);
  return v;
}

// --- encoding -----------------------------------------------------------------------------

function lengthBytes(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0x81, n]);
  if (n < 0x10000) return Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.from([0x83, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
}

export function tlv(tag: number, content: Buffer): Buffer {
  const len = lengthBytes(content.length);
  const out = Buffer.allocUnsafe(1 + len.length + content.length);
  out[0] = tag;
  len.copy(out, 1);
  content.copy(out, 1 + len.length);
  return out;
}

export function seq(parts: readonly Buffer[], tag: number = Tag.Sequence): Buffer {
  return tlv(tag, Buffer.concat(parts));
}

export function encodeInteger(v: number, tag: number = Tag.Integer): Buffer {
  if (!Number.isInteger(v)) throw new RangeError(`not an integer: ${v}`);
  const bytes: number[] = [];
  if (tag === Tag.Integer) {
    let x = v;
    do {
      bytes.unshift(x & 0xff);
      x = Math.floor(x / 256);
    } while (!(x === 0 && !(bytes[0] & 0x80)) && !(x === -1 && bytes[0] & 0x80));
  } else {
    let x = v >>> 0;
    do {
      bytes.unshift(x & 0xff);
      x = Math.floor(x / 256);
    } while (x > 0);
    if (bytes[0] & 0x80) bytes.unshift(0);
  }
  return tlv(tag, Buffer.from(bytes));
}

export function encodeCounter64(v: bigint): Buffer {
  const bytes: number[] = [];
  let x = BigInt.asUintN(64, v);
  do {
    bytes.unshift(Number(x & 0xffn));
    x >>= 8n;
  } while (x > 0n);
  if (bytes[0] & 0x80) bytes.unshift(0);
  return tlv(Tag.Counter64, Buffer.from(bytes));
}

export function encodeOidContent(oid: readonly number[]): Buffer {
  if (oid.length < 2) throw new RangeError('an OID needs at least two sub-identifiers');
  const bytes: number[] = [];
  const push = (n: number) => {
    const tmp = [n & 0x7f];
    n = Math.floor(n / 128);
    while (n > 0) {
      tmp.unshift((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    bytes.push(...tmp);
  };
  push(oid[0] * 40 + oid[1]);
  for (let i = 2; i < oid.length; i++) push(oid[i]);
  return Buffer.from(bytes);
}

export function encodeOid(oid: readonly number[]): Buffer {
  return tlv(Tag.Oid, encodeOidContent(oid));
}

export function encodeOctetString(v: Buffer | string): Buffer {
  return tlv(Tag.OctetString, typeof v === 'string' ? Buffer.from(v, 'utf8') : v);
}

export const NULL = Buffer.from([Tag.Null, 0]);
