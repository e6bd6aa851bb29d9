// Byte tables for the message layer (RFC 3416 PDUs in RFC 3412 envelopes): datagrams that
// net-snmp's tools sent (test-helpers/netsnmp-captures.ts) and an answer written out by hand from
// X.690's rules, each decoded to the object and encoded back to the same bytes.
import { Tag } from './ber';
import {
  CommunityMessage, MsgFlags, PduType, V3Message, decodeMessage, decodeScopedPdu, decodeUsmParameters,
  encodeCommunityMessage, encodePdu, encodeScopedPdu, encodeV3Message,
} from './message';
import { V2C_GET, V2C_GETBULK, V2C_GETNEXT, V3_AUTH_GET, V3_DISCOVERY } from './test-helpers/netsnmp-captures';

const hex = (h: string) => Buffer.from(h, 'hex');
const NULL = { tag: Tag.Null, value: null } as const;
const SYS_NAME = [1, 3, 6, 1, 2, 1, 1, 5, 0];

/** The v2c answer to V2C_GET, written out from X.690 8.1 to 8.19 (definite, shortest lengths). */
const SYS_NAME_RESPONSE = [
  '3032', //                      SEQUENCE, 50 bytes
  '020101', //                      version 1 = v2c
  '04067075626c6963', //            community "public"
  'a225', //                        GetResponse-PDU [2], 37 bytes
  '020413020a25', //                  request-id 0x13020a25 (the request's)
  '020100', '020100', //              error-status 0, error-index 0
  '3017', '3015', //                  varbind list, varbind
  '06082b06010201010500', //            1.3.6.1.2.1.1.5.0 (43 = 1*40+3)
  '04095465737420726f6f6d', //          OCTET STRING "Test room"
].join('');

describe('SNMP v2c messages, both ways', () => {
  const cases: [string, string, CommunityMessage][] = [
    ['snmpget', V2C_GET.request, { version: 1, community: Buffer.from('public'), pdu: { type: PduType.GetRequest, requestId: 0x13020a25, errorStatus: 0, errorIndex: 0, varbinds: [{ oid: SYS_NAME, value: NULL }] } }],
    ['snmpgetnext', V2C_GETNEXT.request, { version: 1, community: Buffer.from('public'), pdu: { type: PduType.GetNextRequest, requestId: 0x62156b60, errorStatus: 0, errorIndex: 0, varbinds: [{ oid: SYS_NAME, value: NULL }] } }],
    // GetBulk carries non-repeaters and max-repetitions where the others carry error-status and error-index.
    ['snmpbulkget -Cn0 -Cr2', V2C_GETBULK.request, { version: 1, community: Buffer.from('public'), pdu: { type: PduType.GetBulkRequest, requestId: 0x4ca83e72, errorStatus: 0, errorIndex: 2, varbinds: [{ oid: [1, 3, 6, 1, 2, 1, 1, 4], value: NULL }] } }],
    ['a hand-written GetResponse', SYS_NAME_RESPONSE, {
      version: 1, community: Buffer.from('public'),
      pdu: { type: PduType.Response, requestId: 0x13020a25, errorStatus: 0, errorIndex: 0, varbinds: [{ oid: SYS_NAME, value: { tag: Tag.OctetString, value: Buffer.from('Test room') } }] },
    }],
  ];

  it.each(cases)('%s: bytes -> message -> the same bytes', (_name, bytes, message) => {
    expect(decodeMessage(hex(bytes))).toEqual(message);
    expect(encodeCommunityMessage(1, message.community, encodePdu(message.pdu)).toString('hex')).toBe(bytes);
  });

  it('the agent answer snmpget accepted is the hand-written one', () => {
    expect(V2C_GET.response).toBe(SYS_NAME_RESPONSE);
  });
});

describe('SNMP v3 messages (RFC 3412 6, RFC 3414 2.4), both ways', () => {
  it('engine id discovery: an empty USM header, reportable, a GET without varbinds', () => {
    const bytes = hex(V3_DISCOVERY.request);
    const m = decodeMessage(bytes) as V3Message;
    expect(m).toMatchObject({ version: 3, msgId: 0x49e50547, msgMaxSize: 65507, msgFlags: MsgFlags.reportable, securityModel: 3, encryptedPdu: null });
    // SEQUENCE(2) + version(3) + msgGlobalData(2 + 17) + the OCTET STRING's tag and length (2).
    expect(m.securityParametersOffset).toBe(26);
    // Inside: SEQUENCE(2), engine id(2), boots(3), time(3), user name(2), then the digest's tag and length (2).
    expect(decodeUsmParameters(m)).toEqual({
      engineId: Buffer.alloc(0), engineBoots: 0, engineTime: 0, userName: Buffer.alloc(0), authParams: Buffer.alloc(0), authParamsOffset: 26 + 2 + 2 + 3 + 3 + 2 + 2, privParams: Buffer.alloc(0),
    });
    const scoped = decodeScopedPdu(m.scopedPdu!);
    expect(scoped).toEqual({ contextEngineId: Buffer.alloc(0), contextName: Buffer.alloc(0), pdu: { type: PduType.GetRequest, requestId: 0x6140536e, errorStatus: 0, errorIndex: 0, varbinds: [] } });

    const again = encodeV3Message({
      msgId: 0x49e50547, msgMaxSize: 65507, msgFlags: MsgFlags.reportable, engineId: Buffer.alloc(0), engineBoots: 0, engineTime: 0, userName: Buffer.alloc(0),
      authLength: 0, privParams: Buffer.alloc(0), data: encodeScopedPdu(scoped.contextEngineId, scoped.contextName, encodePdu(scoped.pdu)),
    });
    expect(again.bytes.toString('hex')).toBe(V3_DISCOVERY.request);
  });

  it('a signed GET: USM parameters, the digest and where it sits', () => {
    const bytes = hex(V3_AUTH_GET.request);
    const m = decodeMessage(bytes) as V3Message;
    expect(m).toMatchObject({ version: 3, msgId: 0x49e50546, msgMaxSize: 65507, msgFlags: MsgFlags.auth | MsgFlags.reportable, securityModel: 3 });
    const usm = decodeUsmParameters(m);
    expect(usm).toMatchObject({ engineId: hex('000000000000000000000002'), engineBoots: 7, engineTime: 0, userName: Buffer.from('maple'), privParams: Buffer.alloc(0) });
    expect(usm.authParams.toString('hex')).toBe('5281b519528058883d521c39');
    expect(bytes.subarray(usm.authParamsOffset, usm.authParamsOffset + 12).toString('hex')).toBe('5281b519528058883d521c39');
    const scoped = decodeScopedPdu(m.scopedPdu!);
    expect(scoped.contextEngineId.toString('hex')).toBe('000000000000000000000002');
    expect(scoped.pdu).toEqual({ type: PduType.GetRequest, requestId: 0x6140536d, errorStatus: 0, errorIndex: 0, varbinds: [{ oid: SYS_NAME, value: NULL }] });

    const again = encodeV3Message({
      msgId: m.msgId, msgMaxSize: m.msgMaxSize, msgFlags: m.msgFlags, engineId: usm.engineId, engineBoots: 7, engineTime: 0, userName: usm.userName,
      authLength: 12, privParams: Buffer.alloc(0), data: encodeScopedPdu(scoped.contextEngineId, scoped.contextName, encodePdu(scoped.pdu)),
    });
    expect(again.authOffset).toBe(usm.authParamsOffset);
    usm.authParams.copy(again.bytes, again.authOffset);
    expect(again.bytes.toString('hex')).toBe(V3_AUTH_GET.request);
  });
});
