// BACnet Virtual Link Layer for B/IP (Annex J): the 4-octet BVLC header, Forwarded-NPDU's
// originator, and the few BVLC messages a non-BBMD device sends itself.
export const BVLC_TYPE = 0x81;

/** BVLC function codes (J.2). */
export const BVLC = {
  RESULT: 0x00,
  WRITE_BDT: 0x01,
  READ_BDT: 0x02,
  READ_BDT_ACK: 0x03,
  FORWARDED_NPDU: 0x04,
  REGISTER_FOREIGN_DEVICE: 0x05,
  READ_FDT: 0x06,
  READ_FDT_ACK: 0x07,
  DELETE_FDT_ENTRY: 0x08,
  DISTRIBUTE_BROADCAST: 0x09,
  ORIGINAL_UNICAST: 0x0a,
  ORIGINAL_BROADCAST: 0x0b,
  SECURE_BVLL: 0x0c,
} as const;

/** BVLC-Result NAK codes a non-BBMD device answers BBMD functions with (J.2.1.1). */
export const BVLC_NAK: Readonly<Record<number, number>> = {
  [BVLC.WRITE_BDT]: 0x0010,
  [BVLC.READ_BDT]: 0x0020,
  [BVLC.REGISTER_FOREIGN_DEVICE]: 0x0030,
  [BVLC.READ_FDT]: 0x0040,
  [BVLC.DELETE_FDT_ENTRY]: 0x0050,
  [BVLC.DISTRIBUTE_BROADCAST]: 0x0060,
};

/** The BVLC header of a datagram that carries an NPDU. */
export interface Bvll {
  readonly function: number;
  /** For Forwarded-NPDU: the B/IP address of the originator, `a.b.c.d:port`. */
  readonly originator: string | null;
}

export type BvllResult =
  | { readonly ok: true; readonly bvll: Bvll; readonly npduOffset: number }
  | { readonly ok: false; readonly drop: string; readonly bvlcFunction?: number };

/** Decodes the BVLC header; functions that carry no NPDU come back as a drop naming the function. */
export function decodeBvll(d: Buffer): BvllResult {
  if (d.length < 4) return { ok: false, drop: 'datagram shorter than a BVLC header' };
  if (d[0] !== BVLC_TYPE) return { ok: false, drop: `BVLC type 0x${d[0].toString(16)} is not BACnet/IP (0x81)` };
  const fn = d[1];
  const len = d.readUInt16BE(2);
  if (len !== d.length) return { ok: false, drop: `BVLC length ${len} differs from the datagram's ${d.length}` };
  switch (fn) {
    case BVLC.ORIGINAL_UNICAST:
    case BVLC.ORIGINAL_BROADCAST:
      return { ok: true, bvll: { function: fn, originator: null }, npduOffset: 4 };
    case BVLC.FORWARDED_NPDU:
      if (d.length < 10) return { ok: false, drop: 'Forwarded-NPDU without originator address' };
      return { ok: true, bvll: { function: fn, originator: `${d[4]}.${d[5]}.${d[6]}.${d[7]}:${d.readUInt16BE(8)}` }, npduOffset: 10 };
    default:
      return { ok: false, drop: `BVLC function 0x${fn.toString(16)}`, bvlcFunction: fn };
  }
}

/** Writes the BVLC header (length left for finishBvlc); returns where the NPDU starts. */
export function writeBvll(buf: Buffer, bvll: Bvll): number {
  buf[0] = BVLC_TYPE;
  buf[1] = bvll.function;
  if (bvll.originator === null) return 4;
  ipMac(bvll.originator).copy(buf, 4);
  return 10;
}

/** Completes the BVLC length once the datagram's size is known. */
export function finishBvlc(buf: Buffer, length: number): Buffer {
  buf.writeUInt16BE(length, 2);
  return buf.subarray(0, length);
}

/** BVLC-Result (J.2.1) with its result code. */
export function bvlcResult(code: number): Buffer {
  return Buffer.from([BVLC_TYPE, BVLC.RESULT, 0x00, 0x06, code >> 8, code & 0xff]);
}

/** The result code of a BVLC-Result datagram, or null when it is not one. */
export function decodeBvlcResult(d: Buffer): number | null {
  if (d.length !== 6 || d[0] !== BVLC_TYPE || d[1] !== BVLC.RESULT || d.readUInt16BE(2) !== 6) return null;
  return d.readUInt16BE(4);
}

/** Register-Foreign-Device (J.2.6) with its Time-to-Live in seconds. */
export function registerForeignDevice(ttlS: number): Buffer {
  return Buffer.from([BVLC_TYPE, BVLC.REGISTER_FOREIGN_DEVICE, 0x00, 0x06, (ttlS >> 8) & 0xff, ttlS & 0xff]);
}

/** `a.b.c.d:port` as the 6-octet B/IP MAC address used in BACnetAddress and Recipient_List. */
export function ipMac(hostPort: string): Buffer {
  const [host, port] = hostPort.split(':');
  const parts = host.split('.').map(Number);
  return Buffer.from([...parts, (Number(port) >> 8) & 0xff, Number(port) & 0xff]);
}
