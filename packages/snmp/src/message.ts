// SNMP messages (RFC 3416 PDUs in v2c and v3 envelopes, RFC 3412): decode from and encode to
// bytes with the BER codec. The USM (authentication, privacy) lives in usm.ts.
import { BerError, BerReader, NULL, Tag, decodeInteger, decodeOid, encodeCounter64, encodeInteger, encodeOctetString, encodeOid, seq, tlv } from './ber';

export const PduType = {
  GetRequest: 0xa0,
  GetNextRequest: 0xa1,
  Response: 0xa2,
  SetRequest: 0xa3,
  TrapV1: 0xa4,
  GetBulkRequest: 0xa5,
  InformRequest: 0xa6,
  TrapV2: 0xa7,
  Report: 0xa8,
} as const;

/** RFC 3416 error-status values. */
export const ErrorStatus = {
  noError: 0, tooBig: 1, noSuchName: 2, badValue: 3, readOnly: 4, genErr: 5, noAccess: 6, wrongType: 7, wrongLength: 8,
  wrongEncoding: 9, wrongValue: 10, noCreation: 11, inconsistentValue: 12, resourceUnavailable: 13, commitFailed: 14,
  undoFailed: 15, authorizationError: 16, notWritable: 17, inconsistentName: 18,
} as const;

/** A value as it travels in a varbind: the BER tag and the JavaScript value. */
export type SnmpValue =
  | { readonly tag: typeof Tag.Integer | typeof Tag.Counter32 | typeof Tag.Gauge32 | typeof Tag.TimeTicks; readonly value: number }
  | { readonly tag: typeof Tag.OctetString | typeof Tag.Opaque | typeof Tag.IpAddress; readonly value: Buffer }
  | { readonly tag: typeof Tag.Oid; readonly value: readonly number[] }
  | { readonly tag: typeof Tag.Counter64; readonly value: bigint }
  | { readonly tag: typeof Tag.Null | typeof Tag.NoSuchObject | typeof Tag.NoSuchInstance | typeof Tag.EndOfMibView; readonly value: null };

export interface VarBind {
  readonly oid: readonly number[];
  readonly value: SnmpValue;
}

export interface Pdu {
  readonly type: number;
  readonly requestId: number;
  /** error-status, or non-repeaters for GetBulk. */
  readonly errorStatus: number;
  /** error-index, or max-repetitions for GetBulk. */
  readonly errorIndex: number;
  readonly varbinds: readonly VarBind[];
}

export const NULL_VALUE: SnmpValue = { tag: Tag.Null, value: null };

export function decodeValue(tag: number, content: Buffer): SnmpValue {
  switch (tag) {
    case Tag.Integer:
      return { tag, value: checkRange(decodeInteger(content, true), -0x80000000, 0x7fffffff) };
    case Tag.Counter32: case Tag.Gauge32: case Tag.TimeTicks:
      return { tag, value: checkRange(decodeInteger(content, false), 0, 0xffffffff) };
    case Tag.OctetString: case Tag.Opaque:
      return { tag, value: content };
    case Tag.IpAddress:
      if (content.length !== 4) throw new BerError('IpAddress must be 4 bytes');
      return { tag, value: content };
    case Tag.Oid:
      return { tag, value: decodeOid(content) };
    case Tag.Counter64: {
      if (content.length < 1 || content.length > 9) throw new BerError('Counter64 of wrong size');
      let v = 0n;
      for (const b of content) v = (v << 8n) | BigInt(b);
      return { tag, value: BigInt.asUintN(64, v) };
    }
    case Tag.Null: case Tag.NoSuchObject: case Tag.NoSuchInstance: case Tag.EndOfMibView:
      if (content.length !== 0) throw new BerError('NULL with content');
      return { tag, value: null };
    default:
      throw new BerError(`unknown value tag 0x${tag.toString(16)}`);
  }
}

function checkRange(v: number, lo: number, hi: number): number {
  if (v < lo || v > hi) throw new BerError(`value ${v} out of range`);
  return v;
}

export function encodeValue(v: SnmpValue): Buffer {
  switch (v.tag) {
    case Tag.Integer: case Tag.Counter32: case Tag.Gauge32: case Tag.TimeTicks:
      return encodeInteger(v.value, v.tag);
    case Tag.OctetString: case Tag.Opaque: case Tag.IpAddress:
      return tlv(v.tag, v.value);
    case Tag.Oid:
      return encodeOid(v.value);
    case Tag.Counter64:
      return encodeCounter64(v.value);
    case Tag.Null:
      return NULL;
    default:
      return Buffer.from([v.tag, 0]);
  }
}

export function encodeVarBind(vb: VarBind): Buffer {
  return seq([encodeOid(vb.oid), encodeValue(vb.value)]);
}

export function decodePdu(r: BerReader): Pdu {
  const type = r.peekTag();
  if (type < PduType.GetRequest || type > PduType.Report || type === PduType.TrapV1) throw new BerError(`unknown PDU type 0x${type.toString(16)}`);
  const p = r.sequence(type);
  const requestId = p.integer();
  const errorStatus = p.integer();
  const errorIndex = p.integer();
  const list = p.sequence();
  const varbinds: VarBind[] = [];
  while (!list.done) {
    const vb = list.sequence();
    const oid = vb.oid();
    const { tag, content } = vb.raw();
    varbinds.push({ oid, value: decodeValue(tag, content) });
    if (!vb.done) throw new BerError('extra data in a varbind');
  }
  return { type, requestId, errorStatus, errorIndex, varbinds };
}

/** Encodes a PDU from already-encoded varbinds (the agent encodes each once to size a response). */
export function encodePduRaw(type: number, requestId: number, errorStatus: number, errorIndex: number, encodedVarbinds: readonly Buffer[]): Buffer {
  return seq([encodeInteger(requestId), encodeInteger(errorStatus), encodeInteger(errorIndex), seq(encodedVarbinds)], type);
}

export function encodePdu(pdu: Pdu): Buffer {
  return encodePduRaw(pdu.type, pdu.requestId, pdu.errorStatus, pdu.errorIndex, pdu.varbinds.map(encodeVarBind));
}

// --- envelopes -------------------------------------------------------------------------------

export interface CommunityMessage {
  readonly version: 0 | 1;
  readonly community: Buffer;
  readonly pdu: Pdu;
}

export interface UsmSecurityParameters {
  readonly engineId: Buffer;
  readonly engineBoots: number;
  readonly engineTime: number;
  readonly userName: Buffer;
  readonly authParams: Buffer;
  /** Offset of authParams in the whole message (to zero it for the digest). */
  readonly authParamsOffset: number;
  readonly privParams: Buffer;
}

export interface V3Message {
  readonly version: 3;
  readonly msgId: number;
  readonly msgMaxSize: number;
  readonly msgFlags: number;
  readonly securityModel: number;
  /** Raw msgSecurityParameters (parsed lazily by the USM when securityModel is 3). */
  readonly securityParameters: Buffer;
  readonly securityParametersOffset: number;
  /** Plaintext ScopedPDU bytes, or null when encrypted. */
  readonly scopedPdu: Buffer | null;
  readonly encryptedPdu: Buffer | null;
}

export type Message = CommunityMessage | V3Message | { readonly version: number; readonly unsupported: true };

export const MsgFlags = { auth: 1, priv: 2, reportable: 4 } as const;

/** Decodes the envelope; throws BerError on malformed input. */
export function decodeMessage(buf: Buffer): Message {
  const top = new BerReader(buf);
  const r = top.sequence();
  const version = r.integer();
  if (version === 0 || version === 1) {
    const community = r.octetString();
    return { version, community, pdu: decodePdu(r) };
  }
  if (version !== 3) return { version, unsupported: true };
  const h = r.sequence();
  const msgId = h.integer();
  const msgMaxSize = h.integer();
  const flags = h.octetString();
  if (flags.length !== 1) throw new BerError('msgFlags must be one byte');
  const securityModel = h.integer();
  if (msgId < 0 || msgMaxSize < 484) throw new BerError('msgID or msgMaxSize out of range');
  const sp = r.octetStringAt();
  let scopedPdu: Buffer | null = null;
  let encryptedPdu: Buffer | null = null;
  if (r.peekTag() === Tag.OctetString) encryptedPdu = r.octetString();
  else {
    const start = r.pos;
    r.sequence();
    scopedPdu = buf.subarray(start, r.pos);
  }
  return { version: 3, msgId, msgMaxSize, msgFlags: flags[0], securityModel, securityParameters: sp.value, securityParametersOffset: sp.offset, scopedPdu, encryptedPdu };
}

export function decodeUsmParameters(m: V3Message): UsmSecurityParameters {
  const r = new BerReader(m.securityParameters).sequence();
  const engineId = r.octetString();
  const engineBoots = r.integer();
  const engineTime = r.integer();
  const userName = r.octetString();
  const auth = r.octetStringAt();
  const privParams = r.octetString();
  if (engineId.length > 32 || userName.length > 32) throw new BerError('engine id or user name too long');
  if (engineBoots < 0 || engineTime < 0) throw new BerError('negative engine boots or time');
  // Offsets in the sub-reader are relative to securityParameters, which sits at its own offset.
  return { engineId, engineBoots, engineTime, userName, authParams: auth.value, authParamsOffset: m.securityParametersOffset + auth.offset, privParams };
}

export interface ScopedPdu {
  readonly contextEngineId: Buffer;
  readonly contextName: Buffer;
  readonly pdu: Pdu;
}

export function decodeScopedPdu(bytes: Buffer): ScopedPdu {
  const r = new BerReader(bytes).sequence();
  const contextEngineId = r.octetString();
  const contextName = r.octetString();
  return { contextEngineId, contextName, pdu: decodePdu(r) };
}

export function encodeScopedPdu(contextEngineId: Buffer, contextName: Buffer, pdu: Buffer): Buffer {
  return seq([encodeOctetString(contextEngineId), encodeOctetString(contextName), pdu]);
}

export function encodeCommunityMessage(version: 0 | 1, community: Buffer, pdu: Buffer): Buffer {
  return seq([encodeInteger(version), encodeOctetString(community), pdu]);
}

/**
 * Encodes a v3 message. `authLength` zero bytes are reserved for the digest; the returned offset
 * says where they are so the caller can write the HMAC over the finished bytes.
 */
export function encodeV3Message(o: {
  msgId: number; msgMaxSize: number; msgFlags: number;
  engineId: Buffer; engineBoots: number; engineTime: number; userName: Buffer;
  authLength: number; privParams: Buffer; data: Buffer;
}): { bytes: Buffer; authOffset: number } {
  const version = encodeInteger(3);
  const header = seq([encodeInteger(o.msgId), encodeInteger(o.msgMaxSize), encodeOctetString(Buffer.from([o.msgFlags])), encodeInteger(3)]);
  const before = [encodeOctetString(o.engineId), encodeInteger(o.engineBoots), encodeInteger(o.engineTime), encodeOctetString(o.userName)];
  const authTlv = encodeOctetString(Buffer.alloc(o.authLength));
  const innerContent = Buffer.concat([...before, authTlv, encodeOctetString(o.privParams)]);
  const spInner = tlv(Tag.Sequence, innerContent);
  const sp = encodeOctetString(spInner);
  const body = Buffer.concat([version, header, sp, o.data]);
  const bytes = tlv(Tag.Sequence, body);
  const beforeLen = before.reduce((n, b) => n + b.length, 0);
  const authOffset = (bytes.length - body.length) + version.length + header.length + (sp.length - spInner.length)
    + (spInner.length - innerContent.length) + beforeLen + (authTlv.length - o.authLength);
  return { bytes, authOffset };
}
