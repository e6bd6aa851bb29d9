// BACnet/IP framing of our own: BVLC (Annex J), NPDU (clause 6) and APDU headers (clause 20.1),
// decoded strictly from a datagram into a typed result or a reason to drop it; never throws.
export const BVLC_TYPE = 0x81;

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

export const PDU = {
  CONFIRMED_REQUEST: 0,
  UNCONFIRMED_REQUEST: 1,
  SIMPLE_ACK: 2,
  COMPLEX_ACK: 3,
  SEGMENT_ACK: 4,
  ERROR: 5,
  REJECT: 6,
  ABORT: 7,
} as const;

export const MAX_APDU_SIZES = [50, 128, 206, 480, 1024, 1476] as const;
/** Max-segments-accepted code -> segments; 0 = unspecified, 7 = more than 64. */
export const MAX_SEGMENTS = [0, 2, 4, 8, 16, 32, 64, 255] as const;

export interface BacnetAddress {
  readonly net: number;
  readonly adr: Buffer;
}

export type Apdu =
  | {
    readonly kind: 'confirmed'; readonly segmented: boolean; readonly moreFollows: boolean; readonly segmentedResponseAccepted: boolean;
    readonly maxSegments: number; readonly maxApdu: number; readonly invokeId: number; readonly sequenceNumber: number;
    readonly proposedWindowSize: number; readonly service: number; readonly bodyOffset: number;
  }
  | { readonly kind: 'unconfirmed'; readonly service: number; readonly bodyOffset: number }
  | { readonly kind: 'simple-ack'; readonly invokeId: number; readonly service: number }
  | { readonly kind: 'complex-ack'; readonly invokeId: number; readonly service: number; readonly segmented: boolean }
  | { readonly kind: 'segment-ack'; readonly negative: boolean; readonly server: boolean; readonly invokeId: number; readonly sequenceNumber: number; readonly windowSize: number }
  | { readonly kind: 'error' | 'reject' | 'abort'; readonly invokeId: number; readonly code: number; readonly server: boolean };

export interface Frame {
  readonly bvlcFunction: number;
  /** For Forwarded-NPDU: the B/IP address of the originator, `a.b.c.d:port`. */
  readonly originator: string | null;
  readonly expectingReply: boolean;
  readonly priority: number;
  /** NPDU source (SNET/SADR) when the message came through a router. */
  readonly source: BacnetAddress | null;
  /** NPDU destination was a remote network (not ours, not global broadcast). */
  readonly remoteDestination: boolean;
  readonly apdu: Apdu;
  readonly apduOffset: number;
}

export type DecodeResult =
  | { readonly ok: true; readonly frame: Frame }
  | { readonly ok: false; readonly drop: string; readonly bvlcFunction?: number; readonly networkMessage?: boolean; readonly rejectInvokeId?: number };

/** Decodes a whole datagram; `drop` says why it carries nothing to answer. */
export function decodeFrame(d: Buffer): DecodeResult {
  if (d.length < 4) return { ok: false, drop: 'datagram shorter than a BVLC header' };
  if (d[0] !== BVLC_TYPE) return { ok: false, drop: `BVLC type 0x${d[0].toString(16)} is not BACnet/IP (0x81)` };
  const fn = d[1];
  const len = d.readUInt16BE(2);
  if (len !== d.length) return { ok: false, drop: `BVLC length ${len} differs from the datagram's ${d.length}` };
  let off = 4;
  let originator: string | null = null;
  switch (fn) {
    case BVLC.ORIGINAL_UNICAST:
    case BVLC.ORIGINAL_BROADCAST:
      break;
    case BVLC.FORWARDED_NPDU:
      if (d.length < 10) return { ok: false, drop: 'Forwarded-NPDU without originator address' };
      originator = `${d[4]}.${d[5]}.${d[6]}.${d[7]}:${d.readUInt16BE(8)}`;
      off = 10;
      break;
    default:
      return { ok: false, drop: `BVLC function 0x${fn.toString(16)}`, bvlcFunction: fn };
  }
  // NPDU
  if (d.length < off + 2) return { ok: false, drop: 'NPDU shorter than 2 octets' };
  if (d[off] !== 0x01) return { ok: false, drop: `NPDU version ${d[off]} is not 1` };
  const control = d[off + 1];
  if (control & 0x50) return { ok: false, drop: 'NPDU reserved control bits set' };
  off += 2;
  let remoteDestination = false;
  let hasDest = false;
  if (control & 0x20) {
    if (d.length < off + 3) return { ok: false, drop: 'NPDU destination truncated' };
    const dnet = d.readUInt16BE(off);
    const dlen = d[off + 2];
    off += 3 + dlen;
    if (dnet !== 0xffff) remoteDestination = true;
    if (dnet === 0) return { ok: false, drop: 'NPDU DNET 0 is invalid' };
    hasDest = true;
  }
  let source: BacnetAddress | null = null;
  if (control & 0x08) {
    if (d.length < off + 3) return { ok: false, drop: 'NPDU source truncated' };
    const snet = d.readUInt16BE(off);
    const slen = d[off + 2];
    if (snet === 0 || snet === 0xffff || slen === 0) return { ok: false, drop: 'NPDU source SNET/SLEN invalid' };
    if (d.length < off + 3 + slen) return { ok: false, drop: 'NPDU source address truncated' };
    source = { net: snet, adr: Buffer.from(d.subarray(off + 3, off + 3 + slen)) };
    off += 3 + slen;
  }
  if (hasDest) off += 1; // hop count
  if (off > d.length) return { ok: false, drop: 'NPDU truncated' };
  if (control & 0x80) return { ok: false, drop: 'network layer message (this device is not a router)', networkMessage: true };
  const apdu = decodeApdu(d, off);
  if ('drop' in apdu) return { ok: false, drop: apdu.drop, ...(apdu.rejectInvokeId !== undefined ? { rejectInvokeId: apdu.rejectInvokeId } : {}) };
  return {
    ok: true,
    frame: { bvlcFunction: fn, originator, expectingReply: (control & 0x04) !== 0, priority: control & 0x03, source, remoteDestination, apdu, apduOffset: off },
  };
}

function decodeApdu(d: Buffer, off: number): Apdu | { drop: string; rejectInvokeId?: number } {
  const left = d.length - off;
  if (left < 1) return { drop: 'no APDU' };
  const b0 = d[off];
  const type = b0 >> 4;
  switch (type) {
    case PDU.CONFIRMED_REQUEST: {
      if (left < 3) return { drop: 'Confirmed-Request truncated before its invoke id' };
      const segmented = (b0 & 0x08) !== 0;
      const head = segmented ? 6 : 4;
      if (left < head) return { drop: 'Confirmed-Request truncated', rejectInvokeId: d[off + 2] };
      const b1 = d[off + 1];
      return {
        kind: 'confirmed', segmented, moreFollows: (b0 & 0x04) !== 0, segmentedResponseAccepted: (b0 & 0x02) !== 0,
        maxSegments: MAX_SEGMENTS[(b1 >> 4) & 0x07], maxApdu: MAX_APDU_SIZES[b1 & 0x0f] ?? 50, invokeId: d[off + 2],
        sequenceNumber: segmented ? d[off + 3] : 0, proposedWindowSize: segmented ? d[off + 4] : 0,
        service: d[off + head - 1], bodyOffset: off + head,
      };
    }
    case PDU.UNCONFIRMED_REQUEST:
      if (left < 2) return { drop: 'Unconfirmed-Request without service choice' };
      return { kind: 'unconfirmed', service: d[off + 1], bodyOffset: off + 2 };
    case PDU.SIMPLE_ACK:
      if (left < 3) return { drop: 'SimpleACK truncated' };
      return { kind: 'simple-ack', invokeId: d[off + 1], service: d[off + 2] };
    case PDU.COMPLEX_ACK:
      if (left < 3) return { drop: 'ComplexACK truncated' };
      return { kind: 'complex-ack', invokeId: d[off + 1], service: d[off + ((b0 & 0x08) ? 4 : 2)] ?? 0, segmented: (b0 & 0x08) !== 0 };
    case PDU.SEGMENT_ACK:
      if (left < 4) return { drop: 'SegmentACK truncated' };
      return { kind: 'segment-ack', negative: (b0 & 0x02) !== 0, server: (b0 & 0x01) !== 0, invokeId: d[off + 1], sequenceNumber: d[off + 2], windowSize: d[off + 3] };
    case PDU.ERROR:
      if (left < 3) return { drop: 'Error PDU truncated' };
      return { kind: 'error', invokeId: d[off + 1], code: d[off + 2], server: true };
    case PDU.REJECT:
      if (left < 3) return { drop: 'Reject PDU truncated' };
      return { kind: 'reject', invokeId: d[off + 1], code: d[off + 2], server: true };
    case PDU.ABORT:
      if (left < 3) return { drop: 'Abort PDU truncated' };
      return { kind: 'abort', invokeId: d[off + 1], code: d[off + 2], server: (b0 & 0x01) !== 0 };
    default:
      return { drop: `APDU type ${type} is reserved` };
  }
}

/** BVLC + NPDU header for a message to `dest` (DNET/DADR when the peer sits behind a router). */
export function writeHeader(buf: Buffer, bvlcFunction: number, opts: { expectingReply?: boolean; dest?: BacnetAddress | null; priority?: number; globalBroadcast?: boolean }): number {
  buf[0] = BVLC_TYPE;
  buf[1] = bvlcFunction;
  let off = 4;
  buf[off++] = 0x01;
  const dest = opts.dest;
  let control = (opts.priority ?? 0) & 0x03;
  if (opts.expectingReply) control |= 0x04;
  if (dest || opts.globalBroadcast) control |= 0x20;
  buf[off++] = control;
  if (dest) {
    buf.writeUInt16BE(dest.net, off);
    buf[off + 2] = dest.adr.length;
    dest.adr.copy(buf, off + 3);
    off += 3 + dest.adr.length;
    buf[off++] = 0xff;
  } else if (opts.globalBroadcast) {
    buf.writeUInt16BE(0xffff, off);
    buf[off + 2] = 0;
    buf[off + 3] = 0xff;
    off += 4;
  }
  return off;
}

/** Completes the BVLC length once the datagram's size is known. */
export function finishBvlc(buf: Buffer, length: number): Buffer {
  buf.writeUInt16BE(length, 2);
  return buf.subarray(0, length);
}

export function bvlcResult(code: number): Buffer {
  return Buffer.from([BVLC_TYPE, BVLC.RESULT, 0x00, 0x06, code >> 8, code & 0xff]);
}

export function registerForeignDevice(ttlS: number): Buffer {
  return Buffer.from([BVLC_TYPE, BVLC.REGISTER_FOREIGN_DEVICE, 0x00, 0x06, (ttlS >> 8) & 0xff, ttlS & 0xff]);
}

/** `a.b.c.d:port` as the 6-octet B/IP MAC address used in BACnetAddress and Recipient_List. */
export function ipMac(hostPort: string): Buffer {
  const [host, port] = hostPort.split(':');
  const parts = host.split('.').map(Number);
  return Buffer.from([...parts, (Number(port) >> 8) & 0xff, Number(port) & 0xff]);
}
