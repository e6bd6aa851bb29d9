// The network layer header (clause 6.2): version, control octet, DNET/DADR, SNET/SADR and hop
// count. This device is not a router: it reads the header strictly and writes DNET/DADR to reach a
// peer that sits behind one.
export interface BacnetAddress {
  readonly net: number;
  readonly adr: Buffer;
}

export interface Npdu {
  readonly expectingReply: boolean;
  /** Network priority 0..3 (normal, urgent, critical equipment, life safety). */
  readonly priority: number;
  /** DNET/DADR; net 0xffff with an empty adr is the global broadcast. */
  readonly destination: BacnetAddress | null;
  /** SNET/SADR when the message came through a router. */
  readonly source: BacnetAddress | null;
  /** Present exactly when destination is. */
  readonly hopCount: number | null;
}

export type NpduResult =
  | { readonly ok: true; readonly npdu: Npdu; readonly apduOffset: number }
  | { readonly ok: false; readonly drop: string; readonly networkMessage?: boolean };

const CONTROL = { NETWORK_MESSAGE: 0x80, DESTINATION: 0x20, SOURCE: 0x08, EXPECTING_REPLY: 0x04, RESERVED: 0x50 } as const;

/** Decodes the NPDU header at `off`; network layer messages are dropped (not a router). */
export function decodeNpdu(d: Buffer, off: number): NpduResult {
  if (d.length < off + 2) return { ok: false, drop: 'NPDU shorter than 2 octets' };
  if (d[off] !== 0x01) return { ok: false, drop: `NPDU version ${d[off]} is not 1` };
  const control = d[off + 1];
  if (control & CONTROL.RESERVED) return { ok: false, drop: 'NPDU reserved control bits set' };
  off += 2;
  let destination: BacnetAddress | null = null;
  if (control & CONTROL.DESTINATION) {
    if (d.length < off + 3) return { ok: false, drop: 'NPDU destination truncated' };
    const dnet = d.readUInt16BE(off);
    const dlen = d[off + 2];
    if (dnet === 0) return { ok: false, drop: 'NPDU DNET 0 is invalid' };
    if (d.length < off + 3 + dlen) return { ok: false, drop: 'NPDU truncated' };
    destination = { net: dnet, adr: Buffer.from(d.subarray(off + 3, off + 3 + dlen)) };
    off += 3 + dlen;
  }
  let source: BacnetAddress | null = null;
  if (control & CONTROL.SOURCE) {
    if (d.length < off + 3) return { ok: false, drop: 'NPDU source truncated' };
    const snet = d.readUInt16BE(off);
    const slen = d[off + 2];
    if (snet === 0 || snet === 0xffff || slen === 0) return { ok: false, drop: 'NPDU source SNET/SLEN invalid' };
    if (d.length < off + 3 + slen) return { ok: false, drop: 'NPDU source address truncated' };
    source = { net: snet, adr: Buffer.from(d.subarray(off + 3, off + 3 + slen)) };
    off += 3 + slen;
  }
  let hopCount: number | null = null;
  if (destination) {
    if (off >= d.length) return { ok: false, drop: 'NPDU truncated' };
    hopCount = d[off++];
  }
  if (control & CONTROL.NETWORK_MESSAGE) return { ok: false, drop: 'network layer message (this device is not a router)', networkMessage: true };
  return { ok: true, npdu: { expectingReply: (control & CONTROL.EXPECTING_REPLY) !== 0, priority: control & 0x03, destination, source, hopCount }, apduOffset: off };
}

/** Writes an NPDU header at `off`; returns where the APDU starts. */
export function encodeNpdu(buf: Buffer, off: number, npdu: Partial<Npdu>): number {
  const dest = npdu.destination ?? null;
  const source = npdu.source ?? null;
  let control = (npdu.priority ?? 0) & 0x03;
  if (npdu.expectingReply) control |= CONTROL.EXPECTING_REPLY;
  if (dest) control |= CONTROL.DESTINATION;
  if (source) control |= CONTROL.SOURCE;
  buf[off++] = 0x01;
  buf[off++] = control;
  for (const a of [dest, source]) {
    if (!a) continue;
    buf.writeUInt16BE(a.net, off);
    buf[off + 2] = a.adr.length;
    a.adr.copy(buf, off + 3);
    off += 3 + a.adr.length;
  }
  if (dest) buf[off++] = npdu.hopCount ?? 0xff;
  return off;
}

/** The global broadcast destination (DNET 0xffff, DLEN 0). */
export const GLOBAL_BROADCAST: BacnetAddress = { net: 0xffff, adr: Buffer.alloc(0) };
