// The whole agent driven through handle(datagram, source, reply), no socket: net-snmp's recorded
// requests go in, and the answers must be the bytes net-snmp accepted (test-helpers/netsnmp-captures.ts),
// with v3 digests checked against RFC 3414 A.3.2's localized key and AES answers decrypted here.
import { createDecipheriv, createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '@kirchhoff/core';
import { Tag } from './ber';
import { CommunityMessage, MsgFlags, PduType, V3Message, decodeMessage, decodeScopedPdu, decodeUsmParameters } from './message';
import { SnmpHandler, createSnmpHandler } from './agent';
import type { UserOption } from './options';
import { buildSite } from './test-helpers/e2e';
import { V2C_GET, V2C_GETBULK, V2C_GETNEXT, V2C_SET_READ_ONLY, V3_AUTH_GET, V3_DISCOVERY, V3_PRIV_GET } from './test-helpers/netsnmp-captures';

/** RFC 3414 A.3.2: "maplesyrup" localized to engine 000000000000000000000002 with SHA-1. */
const RFC_KUL = Buffer.from('6695febc9288e36282235fc7151f128497b38f3f', 'hex');
const SOURCE = { address: '127.0.0.1', port: 40000 };
const quiet = { info() {}, warn() {}, error() {} };
const MAPLE: UserOption = { name: 'maple', securityLevel: 'authNoPriv', auth: { protocol: 'sha', password: 'maplesyrup' } };
const MAPLE_PRIV: UserOption = { name: 'maplepriv', securityLevel: 'authPriv', auth: { protocol: 'sha', password: 'maplesyrup' }, priv: { protocol: 'aes', password: 'maplesyrup' } };

const open: SnmpHandler[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

/** The agent the captures were made with: engine 000000000000000000000002, boots 7, engine time 0. */
function handler(users: UserOption[] = [MAPLE, MAPLE_PRIV], access: 'read-only' | 'read-write' = 'read-only'): SnmpHandler {
  const stateFile = join(mkdtempSync(join(tmpdir(), 'kirchhoff-snmp-handle-')), 'engine.json');
  writeFileSync(stateFile, JSON.stringify({ engineId: '000000000000000000000002', boots: 6 }));
  const h = createSnmpHandler(buildSite(), { stateFile, communities: [{ name: 'public', access }], users, clock: new VirtualClock(), logger: quiet });
  open.push(h);
  return h;
}

/** Every datagram `handle` sends back for one request. */
async function ask(h: SnmpHandler, request: string | Buffer): Promise<Buffer[]> {
  const replies: Buffer[] = [];
  await h.handle(typeof request === 'string' ? Buffer.from(request, 'hex') : request, SOURCE, (b) => replies.push(b));
  return replies;
}

/** HMAC-SHA-96 of a v3 message with its digest field zeroed (RFC 3414 6.3.1), with the RFC's key. */
function rfcDigest(bytes: Buffer): { sent: string; expected: string } {
  const usm = decodeUsmParameters(decodeMessage(bytes) as V3Message);
  const zeroed = Buffer.from(bytes);
  zeroed.fill(0, usm.authParamsOffset, usm.authParamsOffset + 12);
  return { sent: usm.authParams.toString('hex'), expected: createHmac('sha1', RFC_KUL).update(zeroed).digest().subarray(0, 12).toString('hex') };
}

describe('the agent through handle(), v2c', () => {
  it.each([
    ['GET sysName.0', V2C_GET],
    ['GETNEXT after sysName.0: sysLocation.0', V2C_GETNEXT],
    ['GETBULK non-repeaters 0, max-repetitions 2 from sysContact: sysContact.0, sysName.0', V2C_GETBULK],
  ])('%s: answers the bytes snmpget accepted', async (_name, capture) => {
    const h = handler();
    expect((await ask(h, capture.request)).map((b) => b.toString('hex'))).toEqual([capture.response]);
    expect(h.counters).toMatchObject({ inPkts: 1, outPkts: 1 });
  });

  it('GETBULK: the varbinds are the next two objects, each with its value', async () => {
    const [answer] = await ask(handler(), V2C_GETBULK.request);
    const m = decodeMessage(answer) as CommunityMessage;
    expect(m.pdu.type).toBe(PduType.Response);
    expect(m.pdu.varbinds.map((v) => [v.oid.join('.'), String(v.value.value)])).toEqual([
      ['1.3.6.1.2.1.1.4.0', 'ops@example.org'],
      ['1.3.6.1.2.1.1.5.0', 'Test room'],
    ]);
  });

  it('drops an unknown community without an answer and counts it', async () => {
    const request = Buffer.from(V2C_GET.request, 'hex');
    request.write('PUBLIC', 7, 'latin1');
    const h = handler();
    expect(await ask(h, request)).toEqual([]);
    expect(h.counters).toMatchObject({ inPkts: 1, outPkts: 0, inBadCommunityNames: 1 });
  });

  it('SET from a read-only community: noAccess on the first varbind, the varbinds echoed (RFC 3416 4.2.5), as snmpset accepted', async () => {
    const h = handler();
    const [answer] = await ask(h, V2C_SET_READ_ONLY.request);
    // The request with the PDU tag a3 -> a2 (GetResponse), error-status 6 (noAccess), error-index 1.
    const expected = V2C_SET_READ_ONLY.request.replace('a32b02043c3c0294020100020100', 'a22b02043c3c0294020106020101');
    expect(answer.toString('hex')).toBe(expected);
    expect(expected).toBe(V2C_SET_READ_ONLY.response);
    expect(h.counters.inBadCommunityUses).toBe(1);
  });

  it('SET of sysContact.0 from a read-write community: notWritable (17), nothing changed', async () => {
    const h = handler([], 'read-write');
    const [answer] = await ask(h, V2C_SET_READ_ONLY.request);
    expect(answer.toString('hex')).toBe(V2C_SET_READ_ONLY.request.replace('a32b02043c3c0294020100020100', 'a22b02043c3c0294020111020101'));
    expect((await ask(h, V2C_GETBULK.request))[0].toString('hex')).toBe(V2C_GETBULK.response);
  });

  it('mutated requests never make handle() reject or answer twice, and the agent keeps answering', async () => {
    const h = handler();
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const inputs = [V2C_GET.request, V2C_GETBULK.request, V2C_SET_READ_ONLY.request, V3_DISCOVERY.request, V3_AUTH_GET.request, V3_PRIV_GET.request].map((x) => Buffer.from(x, 'hex'));
    for (let i = 0; i < 3000; i++) {
      const b = Buffer.from(inputs[i % inputs.length]);
      for (let n = 1 + Math.floor(rand() * 3); n > 0; n--) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
      const cut = rand() < 0.2 ? b.subarray(0, Math.floor(rand() * b.length)) : b;
      const replies = await ask(h, cut);
      expect(replies.length).toBeLessThanOrEqual(1);
    }
    expect(h.counters.inPkts).toBe(3000);
    expect((await ask(h, V2C_GET.request))[0].toString('hex')).toBe(V2C_GET.response);
  });

  it('drops a malformed datagram and counts an ASN.1 parse error', async () => {
    const h = handler();
    expect(await ask(h, V2C_GET.request.slice(0, 40))).toEqual([]);
    expect(h.counters.inASNParseErrs).toBe(1);
  });
});

describe('the agent through handle(), v3 (RFC 3412, RFC 3414)', () => {
  it('answers engine id discovery with a usmStatsUnknownEngineIDs report carrying its engine id, boots and time', async () => {
    const h = handler();
    const [answer, ...more] = await ask(h, V3_DISCOVERY.request);
    expect(more).toEqual([]);
    expect(answer.toString('hex')).toBe(V3_DISCOVERY.response);
    const m = decodeMessage(answer) as V3Message;
    expect(m).toMatchObject({ msgId: 0x49e50547, msgFlags: 0 });
    expect(decodeUsmParameters(m)).toMatchObject({ engineId: Buffer.from('000000000000000000000002', 'hex'), engineBoots: 7, engineTime: 0, userName: Buffer.alloc(0) });
    const report = decodeScopedPdu(m.scopedPdu!).pdu;
    expect(report).toMatchObject({ type: PduType.Report, requestId: 0x6140536e });
    expect(report.varbinds).toEqual([{ oid: [1, 3, 6, 1, 6, 3, 15, 1, 1, 4, 0], value: { tag: Tag.Counter32, value: 1 } }]);
    expect(h.counters.usm.unknownEngineIDs).toBe(1);
  });

  it('answers the signed GET, signed with RFC 3414 A.3.2\'s localized key', async () => {
    const [answer] = await ask(handler(), V3_AUTH_GET.request);
    expect(answer.toString('hex')).toBe(V3_AUTH_GET.response);
    const { sent, expected } = rfcDigest(answer);
    expect(sent).toBe(expected);
    const m = decodeMessage(answer) as V3Message;
    expect(m.msgFlags).toBe(MsgFlags.auth);
    expect(decodeScopedPdu(m.scopedPdu!).pdu.varbinds).toEqual([{ oid: [1, 3, 6, 1, 2, 1, 1, 5, 0], value: { tag: Tag.OctetString, value: Buffer.from('Test room') } }]);
  });

  it('reports usmStatsWrongDigests, unauthenticated, when the password differs', async () => {
    const h = handler([{ ...MAPLE, auth: { protocol: 'sha', password: 'maplesyrup2' } }]);
    const [answer] = await ask(h, V3_AUTH_GET.request);
    const m = decodeMessage(answer) as V3Message;
    expect(m.msgFlags).toBe(0);
    expect(decodeUsmParameters(m)).toMatchObject({ userName: Buffer.from('maple'), authParams: Buffer.alloc(0) });
    const report = decodeScopedPdu(m.scopedPdu!).pdu;
    expect(report).toMatchObject({ type: PduType.Report, requestId: 0x6140536d });
    expect(report.varbinds).toEqual([{ oid: [1, 3, 6, 1, 6, 3, 15, 1, 1, 5, 0], value: { tag: Tag.Counter32, value: 1 } }]);
    expect(h.counters.usm.wrongDigests).toBe(1);
  });

  it('reports usmStatsNotInTimeWindows, signed, once 151 s have passed', async () => {
    const clock = new VirtualClock();
    const stateFile = join(mkdtempSync(join(tmpdir(), 'kirchhoff-snmp-handle-')), 'engine.json');
    writeFileSync(stateFile, JSON.stringify({ engineId: '000000000000000000000002', boots: 6 }));
    const h = createSnmpHandler(buildSite(), { stateFile, users: [MAPLE], clock, logger: quiet });
    open.push(h);
    clock.advance(151_000);
    const [answer] = await ask(h, V3_AUTH_GET.request);
    const m = decodeMessage(answer) as V3Message;
    expect(m.msgFlags).toBe(MsgFlags.auth);
    expect(decodeUsmParameters(m)).toMatchObject({ engineBoots: 7, engineTime: 151 });
    const { sent, expected } = rfcDigest(answer);
    expect(sent).toBe(expected);
    expect(decodeScopedPdu(m.scopedPdu!).pdu.varbinds[0].oid).toEqual([1, 3, 6, 1, 6, 3, 15, 1, 1, 2, 0]);
  });

  it('answers the AES GET encrypted: decrypted here with the RFC key and RFC 3826\'s IV, it is the sysName answer', async () => {
    const [answer] = await ask(handler(), V3_PRIV_GET.request);
    const m = decodeMessage(answer) as V3Message;
    expect(m.msgFlags).toBe(MsgFlags.auth | MsgFlags.priv);
    const { sent, expected } = rfcDigest(answer);
    expect(sent).toBe(expected);
    const usm = decodeUsmParameters(m);
    const iv = Buffer.alloc(16);
    iv.writeUInt32BE(usm.engineBoots, 0);
    iv.writeUInt32BE(usm.engineTime, 4);
    usm.privParams.copy(iv, 8);
    const d = createDecipheriv('aes-128-cfb', RFC_KUL.subarray(0, 16), iv);
    const scoped = decodeScopedPdu(Buffer.concat([d.update(m.encryptedPdu!), d.final()]));
    // 0x4a0f01c1: the request id inside snmpget's encrypted GET.
    expect(scoped.pdu).toMatchObject({ type: PduType.Response, requestId: 0x4a0f01c1 });
    expect(scoped.pdu.varbinds).toEqual([{ oid: [1, 3, 6, 1, 2, 1, 1, 5, 0], value: { tag: Tag.OctetString, value: Buffer.from('Test room') } }]);
  });
});
