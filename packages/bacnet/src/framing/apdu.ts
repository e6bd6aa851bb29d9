// APDU headers (clause 20.1): the fixed part of each of the eight PDU types, decoded into a typed
// header (the service parameters start at bodyOffset) and encoded from one.
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

/** Max-APDU-length-accepted code (20.1.2.5) -> octets; codes 6..15 are reserved. */
export const MAX_APDU_SIZES = [50, 128, 206, 480, 1024, 1476] as const;
/** Max-segments-accepted code (20.1.2.4) -> segments; 0 = unspecified, 7 = more than 64. */
export const MAX_SEGMENTS = [0, 2, 4, 8, 16, 32, 64, 255] as const;

export type Apdu =
  | {
    readonly kind: 'confirmed'; readonly segmented: boolean; readonly moreFollows: boolean; readonly segmentedResponseAccepted: boolean;
    readonly maxSegments: number; readonly maxApdu: number; readonly invokeId: number; readonly sequenceNumber: number;
    readonly proposedWindowSize: number; readonly service: number;
  }
  | { readonly kind: 'unconfirmed'; readonly service: number }
  | { readonly kind: 'simple-ack'; readonly invokeId: number; readonly service: number }
  | {
    readonly kind: 'complex-ack'; readonly invokeId: number; readonly service: number; readonly segmented: boolean; readonly moreFollows: boolean;
    readonly sequenceNumber: number; readonly proposedWindowSize: number;
  }
  | { readonly kind: 'segment-ack'; readonly negative: boolean; readonly server: boolean; readonly invokeId: number; readonly sequenceNumber: number; readonly windowSize: number }
  /** Error: the service choice it answers; error class and code follow in the body. */
  | { readonly kind: 'error'; readonly invokeId: number; readonly service: number }
  | { readonly kind: 'reject'; readonly invokeId: number; readonly reason: number }
  | { readonly kind: 'abort'; readonly invokeId: number; readonly reason: number; readonly server: boolean };

export type ApduResult =
  | { readonly ok: true; readonly apdu: Apdu; readonly bodyOffset: number }
  | { readonly ok: false; readonly drop: string; readonly rejectInvokeId?: number };

const SEG = 0x08;
const MOR = 0x04;
const SA = 0x02;
const NAK = 0x02;
const SRV = 0x01;

/** Decodes the APDU header at `off`. */
export function decodeApdu(d: Buffer, off: number): ApduResult {
  const left = d.length - off;
  if (left < 1) return { ok: false, drop: 'no APDU' };
  const b0 = d[off];
  const type = b0 >> 4;
  const ok = (apdu: Apdu, head: number): ApduResult => ({ ok: true, apdu, bodyOffset: off + head });
  switch (type) {
    case PDU.CONFIRMED_REQUEST: {
      if (left < 3) return { ok: false, drop: 'Confirmed-Request truncated before its invoke id' };
      const segmented = (b0 & SEG) !== 0;
      const head = segmented ? 6 : 4;
      if (left < head) return { ok: false, drop: 'Confirmed-Request truncated', rejectInvokeId: d[off + 2] };
      const b1 = d[off + 1];
      return ok({
        kind: 'confirmed', segmented, moreFollows: (b0 & MOR) !== 0, segmentedResponseAccepted: (b0 & SA) !== 0,
        maxSegments: MAX_SEGMENTS[(b1 >> 4) & 0x07], maxApdu: MAX_APDU_SIZES[b1 & 0x0f] ?? 50, invokeId: d[off + 2],
        sequenceNumber: segmented ? d[off + 3] : 0, proposedWindowSize: segmented ? d[off + 4] : 0, service: d[off + head - 1],
      }, head);
    }
    case PDU.UNCONFIRMED_REQUEST:
      if (left < 2) return { ok: false, drop: 'Unconfirmed-Request without service choice' };
      return ok({ kind: 'unconfirmed', service: d[off + 1] }, 2);
    case PDU.SIMPLE_ACK:
      if (left < 3) return { ok: false, drop: 'SimpleACK truncated' };
      return ok({ kind: 'simple-ack', invokeId: d[off + 1], service: d[off + 2] }, 3);
    case PDU.COMPLEX_ACK: {
      const segmented = (b0 & SEG) !== 0;
      const head = segmented ? 5 : 3;
      if (left < head) return { ok: false, drop: 'ComplexACK truncated' };
      return ok({
        kind: 'complex-ack', invokeId: d[off + 1], service: d[off + head - 1], segmented, moreFollows: (b0 & MOR) !== 0,
        sequenceNumber: segmented ? d[off + 2] : 0, proposedWindowSize: segmented ? d[off + 3] : 0,
      }, head);
    }
    case PDU.SEGMENT_ACK:
      if (left < 4) return { ok: false, drop: 'SegmentACK truncated' };
      return ok({ kind: 'segment-ack', negative: (b0 & NAK) !== 0, server: (b0 & SRV) !== 0, invokeId: d[off + 1], sequenceNumber: d[off + 2], windowSize: d[off + 3] }, 4);
    case PDU.ERROR:
      if (left < 3) return { ok: false, drop: 'Error PDU truncated' };
      return ok({ kind: 'error', invokeId: d[off + 1], service: d[off + 2] }, 3);
    case PDU.REJECT:
      if (left < 3) return { ok: false, drop: 'Reject PDU truncated' };
      return ok({ kind: 'reject', invokeId: d[off + 1], reason: d[off + 2] }, 3);
    case PDU.ABORT:
      if (left < 3) return { ok: false, drop: 'Abort PDU truncated' };
      return ok({ kind: 'abort', invokeId: d[off + 1], reason: d[off + 2], server: (b0 & SRV) !== 0 }, 3);
    default:
      return { ok: false, drop: `APDU type ${type} is reserved` };
  }
}

/** Writes an APDU header at `off`; returns where the service parameters start. */
export function encodeApdu(b: Buffer, off: number, a: Apdu): number {
  switch (a.kind) {
    case 'confirmed': {
      b[off] = (PDU.CONFIRMED_REQUEST << 4) | (a.segmented ? SEG : 0) | (a.moreFollows ? MOR : 0) | (a.segmentedResponseAccepted ? SA : 0);
      b[off + 1] = (maxSegmentsCode(a.maxSegments) << 4) | maxApduCode(a.maxApdu);
      b[off + 2] = a.invokeId;
      if (!a.segmented) {
        b[off + 3] = a.service;
        return off + 4;
      }
      b[off + 3] = a.sequenceNumber;
      b[off + 4] = a.proposedWindowSize;
      b[off + 5] = a.service;
      return off + 6;
    }
    case 'unconfirmed':
      b[off] = PDU.UNCONFIRMED_REQUEST << 4;
      b[off + 1] = a.service;
      return off + 2;
    case 'simple-ack':
      return put3(b, off, PDU.SIMPLE_ACK << 4, a.invokeId, a.service);
    case 'complex-ack':
      b[off] = (PDU.COMPLEX_ACK << 4) | (a.segmented ? SEG : 0) | (a.moreFollows ? MOR : 0);
      b[off + 1] = a.invokeId;
      if (!a.segmented) {
        b[off + 2] = a.service;
        return off + 3;
      }
      b[off + 2] = a.sequenceNumber;
      b[off + 3] = a.proposedWindowSize;
      b[off + 4] = a.service;
      return off + 5;
    case 'segment-ack':
      b[off] = (PDU.SEGMENT_ACK << 4) | (a.negative ? NAK : 0) | (a.server ? SRV : 0);
      b[off + 1] = a.invokeId;
      b[off + 2] = a.sequenceNumber;
      b[off + 3] = a.windowSize;
      return off + 4;
    case 'error':
      return put3(b, off, PDU.ERROR << 4, a.invokeId, a.service);
    case 'reject':
      return put3(b, off, PDU.REJECT << 4, a.invokeId, a.reason);
    case 'abort':
      return put3(b, off, (PDU.ABORT << 4) | (a.server ? SRV : 0), a.invokeId, a.reason);
  }
}

function put3(b: Buffer, off: number, b0: number, b1: number, b2: number): number {
  b[off] = b0;
  b[off + 1] = b1;
  b[off + 2] = b2;
  return off + 3;
}

function maxApduCode(octets: number): number {
  const i = MAX_APDU_SIZES.indexOf(octets as (typeof MAX_APDU_SIZES)[number]);
  if (i < 0) throw new RangeError(`max APDU ${octets} is not one of ${MAX_APDU_SIZES.join(', ')}`);
  return i;
}

function maxSegmentsCode(segments: number): number {
  const i = MAX_SEGMENTS.indexOf(segments as (typeof MAX_SEGMENTS)[number]);
  if (i < 0) throw new RangeError(`max segments ${segments} is not one of ${MAX_SEGMENTS.join(', ')}`);
  return i;
}
