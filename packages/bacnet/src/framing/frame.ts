// A whole B/IP datagram: BVLL (Annex J), NPDU (clause 6) and APDU header (clause 20.1), decoded
// strictly into a typed frame or a reason to drop it (never throws), and headers written back.
import { BVLC, Bvll, decodeBvll, finishBvlc, writeBvll } from './bvll';
import { Apdu, decodeApdu, encodeApdu } from './apdu';
import { BacnetAddress, decodeNpdu, encodeNpdu, GLOBAL_BROADCAST } from './npdu';

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
  /** Where the service parameters start. */
  readonly bodyOffset: number;
}

export type DecodeResult =
  | { readonly ok: true; readonly frame: Frame }
  | { readonly ok: false; readonly drop: string; readonly bvlcFunction?: number; readonly networkMessage?: boolean; readonly rejectInvokeId?: number };

/** Decodes a whole datagram; `drop` says why it carries nothing to answer. */
export function decodeFrame(d: Buffer): DecodeResult {
  const v = decodeBvll(d);
  if (!v.ok) return v;
  const n = decodeNpdu(d, v.npduOffset);
  if (!n.ok) return n;
  const a = decodeApdu(d, n.apduOffset);
  if (!a.ok) return a;
  const dest = n.npdu.destination;
  return {
    ok: true,
    frame: {
      bvlcFunction: v.bvll.function, originator: v.bvll.originator, expectingReply: n.npdu.expectingReply, priority: n.npdu.priority,
      source: n.npdu.source, remoteDestination: dest !== null && dest.net !== 0xffff, apdu: a.apdu, apduOffset: n.apduOffset, bodyOffset: a.bodyOffset,
    },
  };
}

/** BVLC + NPDU header for a message to `dest` (DNET/DADR when the peer sits behind a router); returns where the APDU starts. */
export function writeHeader(buf: Buffer, bvlcFunction: number, opts: { expectingReply?: boolean; dest?: BacnetAddress | null; priority?: number; globalBroadcast?: boolean }): number {
  const bvll: Bvll = { function: bvlcFunction, originator: null };
  const off = writeBvll(buf, bvll);
  const destination = opts.dest ?? (opts.globalBroadcast ? GLOBAL_BROADCAST : null);
  return encodeNpdu(buf, off, { expectingReply: opts.expectingReply, priority: opts.priority, destination });
}

export { BVLC };

/** One whole datagram: BVLC and NPDU header, the APDU header, then the service parameters. */
export function encodeFrame(
  buf: Buffer, bvlcFunction: number, npdu: { expectingReply?: boolean; dest?: BacnetAddress | null; globalBroadcast?: boolean },
  apdu: Apdu, body?: Buffer | ((b: { buffer: Buffer; offset: number }) => void),
): Buffer {
  const off = encodeApdu(buf, writeHeader(buf, bvlcFunction, npdu), apdu);
  if (!body) return finishBvlc(buf, off);
  if (Buffer.isBuffer(body)) {
    body.copy(buf, off);
    return finishBvlc(buf, off + body.length);
  }
  const eb = { buffer: buf, offset: off };
  body(eb);
  return finishBvlc(buf, eb.offset);
}
