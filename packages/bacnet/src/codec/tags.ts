// BACnet tag decoding (clause 20.2.1): a strict reader for request parameters; hostile bytes end
// in a DecodeError carrying the Reject reason, never an exception escaping the device.
import { ApplicationTag, RejectReason } from '@bacnet-js/client';

/** A request that cannot be decoded: answered with a BACnet-Reject carrying `reason`. */
export class DecodeError extends Error {
  constructor(readonly reason: RejectReason, message: string) {
    super(message);
  }
}

export interface TagHeader {
  readonly number: number;
  readonly context: boolean;
  readonly opening: boolean;
  readonly closing: boolean;
  /** Content length in octets (the boolean value for application booleans). */
  readonly length: number;
  readonly headerLength: number;
}

export type AppValue =
  | { readonly tag: ApplicationTag.NULL; readonly value: null }
  | { readonly tag: ApplicationTag.BOOLEAN; readonly value: boolean }
  | { readonly tag: ApplicationTag.UNSIGNED_INTEGER | ApplicationTag.SIGNED_INTEGER | ApplicationTag.REAL | ApplicationTag.DOUBLE | ApplicationTag.ENUMERATED; readonly value: number }
  | { readonly tag: ApplicationTag.CHARACTER_STRING; readonly value: string }
  | { readonly tag: ApplicationTag.OBJECTIDENTIFIER; readonly value: { readonly type: number; readonly instance: number } }
  | { readonly tag: ApplicationTag; readonly value: Buffer };

/** Reads tagged values between `start` and `end`; every read checks bounds first. */
export class TagReader {
  pos: number;

  constructor(private readonly buf: Buffer, start: number, readonly end: number) {
    this.pos = start;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  peek(): TagHeader | null {
    if (this.pos >= this.end) return null;
    const b0 = this.buf[this.pos];
    let n = b0 >> 4;
    let len = 1;
    if (n === 15) {
      this.need(2);
      n = this.buf[this.pos + 1];
      len++;
    }
    const context = (b0 & 0x08) !== 0;
    const lvt = b0 & 0x07;
    if (context && lvt === 6) return { number: n, context, opening: true, closing: false, length: 0, headerLength: len };
    if (context && lvt === 7) return { number: n, context, opening: false, closing: true, length: 0, headerLength: len };
    let length = lvt;
    if (!context && n === ApplicationTag.BOOLEAN) return { number: n, context, opening: false, closing: false, length: lvt, headerLength: len };
    if (lvt === 5) {
      this.need(len + 1);
      const ext = this.buf[this.pos + len];
      len++;
      if (ext === 254) {
        this.need(len + 2);
        length = this.buf.readUInt16BE(this.pos + len);
        len += 2;
      } else if (ext === 255) {
        this.need(len + 4);
        length = this.buf.readUInt32BE(this.pos + len);
        len += 4;
      } else length = ext;
    }
    return { number: n, context, opening: false, closing: false, length, headerLength: len };
  }

  isContext(n: number): boolean {
    const t = this.peek();
    return !!t && t.context && !t.opening && !t.closing && t.number === n;
  }

  isOpening(n: number): boolean {
    const t = this.peek();
    return !!t && t.opening && t.number === n;
  }

  isClosing(n: number): boolean {
    const t = this.peek();
    return !!t && t.closing && t.number === n;
  }

  opening(n: number): void {
    if (!this.isOpening(n)) throw new DecodeError(this.atEnd() ? RejectReason.MISSING_REQUIRED_PARAMETER : RejectReason.INVALID_TAG, `expected opening tag ${n}`);
    this.pos += this.peek()!.headerLength;
  }

  closing(n: number): void {
    if (!this.isClosing(n)) throw new DecodeError(this.atEnd() ? RejectReason.MISSING_REQUIRED_PARAMETER : RejectReason.INVALID_TAG, `expected closing tag ${n}`);
    this.pos += this.peek()!.headerLength;
  }

  /** The content octets of context tag `n` (primitive). */
  contextBytes(n: number, minLen = 0, maxLen = 0xffffffff): Buffer {
    const t = this.peek();
    if (!t) throw new DecodeError(RejectReason.MISSING_REQUIRED_PARAMETER, `missing context tag ${n}`);
    if (!t.context || t.opening || t.closing || t.number !== n) throw new DecodeError(RejectReason.INVALID_TAG, `expected context tag ${n}`);
    if (t.length < minLen || t.length > maxLen) throw new DecodeError(RejectReason.INVALID_PARAMETER_DATA_TYPE, `context tag ${n}: bad length ${t.length}`);
    this.need(t.headerLength + t.length);
    const start = this.pos + t.headerLength;
    this.pos = start + t.length;
    return this.buf.subarray(start, start + t.length);
  }

  contextUnsigned(n: number): number {
    return readUnsigned(this.contextBytes(n, 1, 4));
  }

  contextEnumerated(n: number): number {
    return readUnsigned(this.contextBytes(n, 1, 4));
  }

  contextBoolean(n: number): boolean {
    const b = this.contextBytes(n, 1, 1);
    return b[0] !== 0;
  }

  contextObjectId(n: number): { type: number; instance: number } {
    const b = this.contextBytes(n, 4, 4);
    const v = b.readUInt32BE(0);
    return { type: v >>> 22, instance: v & 0x3fffff };
  }

  contextCharacterString(n: number): string {
    return decodeCharacterString(this.contextBytes(n, 1));
  }

  /** One application-tagged value. */
  application(): AppValue {
    const t = this.peek();
    if (!t) throw new DecodeError(RejectReason.MISSING_REQUIRED_PARAMETER, 'missing value');
    if (t.context) throw new DecodeError(RejectReason.INVALID_TAG, 'expected an application tag');
    if (t.number === ApplicationTag.BOOLEAN) {
      if (t.length > 1) throw new DecodeError(RejectReason.INVALID_PARAMETER_DATA_TYPE, 'bad boolean');
      this.pos += t.headerLength;
      return { tag: ApplicationTag.BOOLEAN, value: t.length === 1 };
    }
    this.need(t.headerLength + t.length);
    const b = this.buf.subarray(this.pos + t.headerLength, this.pos + t.headerLength + t.length);
    this.pos += t.headerLength + t.length;
    const bad = () => new DecodeError(RejectReason.INVALID_PARAMETER_DATA_TYPE, `application tag ${t.number}: bad length ${t.length}`);
    switch (t.number) {
      case ApplicationTag.NULL:
        if (t.length !== 0) throw bad();
        return { tag: ApplicationTag.NULL, value: null };
      case ApplicationTag.UNSIGNED_INTEGER:
      case ApplicationTag.ENUMERATED:
        if (t.length < 1 || t.length > 4) throw bad();
        return { tag: t.number, value: readUnsigned(b) };
      case ApplicationTag.SIGNED_INTEGER:
        if (t.length < 1 || t.length > 4) throw bad();
        return { tag: t.number, value: b.readIntBE(0, t.length) };
      case ApplicationTag.REAL:
        if (t.length !== 4) throw bad();
        return { tag: t.number, value: b.readFloatBE(0) };
      case ApplicationTag.DOUBLE:
        if (t.length !== 8) throw bad();
        return { tag: t.number, value: b.readDoubleBE(0) };
      case ApplicationTag.CHARACTER_STRING:
        if (t.length < 1) throw bad();
        return { tag: t.number, value: decodeCharacterString(b) };
      case ApplicationTag.OBJECTIDENTIFIER: {
        if (t.length !== 4) throw bad();
        const v = b.readUInt32BE(0);
        return { tag: t.number, value: { type: v >>> 22, instance: v & 0x3fffff } };
      }
      default:
        if (t.number > 12) throw new DecodeError(RejectReason.INVALID_TAG, `application tag ${t.number} is reserved`);
        return { tag: t.number, value: Buffer.from(b) };
    }
  }

  /** Skips one whole element (primitive, or constructed up to its matching closing tag). */
  skipElement(): void {
    const t = this.peek();
    if (!t) throw new DecodeError(RejectReason.MISSING_REQUIRED_PARAMETER, 'missing element');
    if (t.closing) throw new DecodeError(RejectReason.INVALID_TAG, 'unexpected closing tag');
    if (t.opening) {
      this.pos += t.headerLength;
      let depth = 1;
      while (depth > 0) {
        const u = this.peek();
        if (!u) throw new DecodeError(RejectReason.MISSING_REQUIRED_PARAMETER, 'unterminated constructed element');
        if (u.opening) depth++;
        else if (u.closing) depth--;
        const size = u.opening || u.closing || (!u.context && u.number === ApplicationTag.BOOLEAN) ? u.headerLength : u.headerLength + u.length;
        this.need(size);
        this.pos += size;
      }
      return;
    }
    const size = !t.context && t.number === ApplicationTag.BOOLEAN ? t.headerLength : t.headerLength + t.length;
    this.need(size);
    this.pos += size;
  }

  /** A copy of octets already read (to compare a timestamp as encoded). */
  bytes(start: number, end: number): Buffer {
    return Buffer.from(this.buf.subarray(start, end));
  }

  /** Throws unless every octet was consumed. */
  done(): void {
    if (this.pos !== this.end) throw new DecodeError(RejectReason.TOO_MANY_ARGUMENTS, `${this.end - this.pos} octets left over`);
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new DecodeError(RejectReason.MISSING_REQUIRED_PARAMETER, 'truncated');
  }
}

function readUnsigned(b: Buffer): number {
  return b.readUIntBE(0, b.length);
}

function decodeCharacterString(b: Buffer): string {
  if (b.length < 1) return '';
  const charset = b[0];
  // 0 = UTF-8 (ANSI X3.4 superset), 4 = UCS-2, 5 = ISO 8859-1; others are rare in practice.
  if (charset === 0) return b.subarray(1).toString('utf8');
  if (charset === 5) return b.subarray(1).toString('latin1');
  if (charset === 4) return Buffer.from(b.subarray(1)).swap16().toString('utf16le');
  throw new DecodeError(RejectReason.INVALID_PARAMETER_DATA_TYPE, `character set ${charset} is not supported`);
}
