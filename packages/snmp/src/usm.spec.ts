// The USM (RFC 3414) against published vectors and against what net-snmp's snmpget sent:
// key localization (RFC 3414 A.3.2; SHA-2 has no published vectors, RFC 7860 9 reuses A.2),
// HMAC-SHA-96 (RFC 2202 test case 1, truncated as RFC 3414 7.3.1 says), and incoming processing.
import { createDecipheriv, createHash, createHmac } from 'node:crypto';
import { BerError, encodeOctetString } from './ber';
import { MsgFlags, PduType, V3Message, decodeMessage, decodeScopedPdu, encodeV3Message } from './message';
import { AuthProtocol, LocalizedUser, USM_STATS_OID, UsmEngine, decrypt, digest, encrypt, levelOfFlags, localizeUser, processIncoming } from './usm';
import { V3_AUTH_GET, V3_DISCOVERY, V3_PRIV_GET } from './test-helpers/netsnmp-captures';

const RFC_ENGINE_ID = Buffer.from('000000000000000000000002', 'hex');
const hex = (h: string) => Buffer.from(h, 'hex');

describe('key localization (RFC 3414 A.2)', () => {
  it('gives RFC 3414 A.3.2\'s SHA-1 key for "maplesyrup" and engine id 000000000000000000000002', () => {
    const user = localizeUser('maple', 'authNoPriv', RFC_ENGINE_ID, { protocol: 'sha', password: 'maplesyrup' });
    expect(user.auth!.key.toString('hex')).toBe('6695febc9288e36282235fc7151f128497b38f3f');
    expect(user.auth!.macLength).toBe(12);
  });

  // RFC 7860 publishes no vectors: these were computed once with Python 3's hashlib following
  // RFC 3414 A.2.2 (1 MiB of the repeated password hashed, then H(Ku | engine id | Ku)); the same
  // script gives A.3.1's MD5 and A.3.2's SHA-1 values. Truncation: RFC 7860 4.2.2.
  it.each<[AuthProtocol, number, string]>([
    ['sha224', 16, '0bd8827c6e29f8065e08e09237f177e410f69b90e1782be682075674'],
    ['sha256', 24, '8982e0e549e866db361a6b625d84cccc11162d453ee8ce3a6445c2d6776f0f8b'],
    ['sha384', 32, '3b298f16164a11184279d5432bf169e2d2a48307de02b3d3f7e2b4f36eb6f0455a53689a3937eea07319a633d2ccba78'],
    ['sha512', 48, '22a5a36cedfcc085807a128d7bc6c2382167ad6c0dbc5fdff856740f3d84c099ad1ea87a8db096714d9788bd544047c9021e4229ce27e4c0a69250adfcffbb0b'],
  ])('%s: the same algorithm over SHA-2 (RFC 7860), digests of %i bytes', (protocol, macLength, key) => {
    const user = localizeUser('maple', 'authNoPriv', RFC_ENGINE_ID, { protocol, password: 'maplesyrup' });
    expect(user.auth!.key.toString('hex')).toBe(key);
    expect(user.auth!.macLength).toBe(macLength);
  });

  it('AES-128 privacy key: the auth protocol\'s localized key, first 16 bytes (RFC 3826 1.2)', () => {
    const user = localizeUser('maple', 'authPriv', RFC_ENGINE_ID, { protocol: 'sha', password: 'maplesyrup' }, { protocol: 'aes', password: 'maplesyrup' });
    expect(user.priv!.key.toString('hex')).toBe('6695febc9288e36282235fc7151f1284');
  });

  it('SHA-1 through the A.2.2 steps written out here gives the RFC key too (the reference for the SHA-2 rows)', () => {
    const password = Buffer.from('maplesyrup');
    const expanded = Buffer.alloc(1048576);
    for (let i = 0; i < expanded.length; i++) expanded[i] = password[i % password.length];
    const ku = createHash('sha1').update(expanded).digest();
    expect(ku.toString('hex')).toBe('9fb5cc0381497b3793528939ff788d5d79145211');
    expect(createHash('sha1').update(Buffer.concat([ku, RFC_ENGINE_ID, ku])).digest().toString('hex')).toBe('6695febc9288e36282235fc7151f128497b38f3f');
  });
});

describe('HMAC-SHA-96 (RFC 3414 7)', () => {
  it('is the first 12 bytes of RFC 2202 test case 1\'s HMAC-SHA-1', () => {
    const user: LocalizedUser = { name: 'x', level: 'authNoPriv', auth: { hash: 'sha1', macLength: 12, key: Buffer.alloc(20, 0x0b) }, priv: null };
    expect(digest(user, Buffer.from('Hi There')).toString('hex')).toBe('b617318655057264e28bc0b6');
  });
});

describe('incoming messages (RFC 3414 3.2) from snmpget', () => {
  const maple = localizeUser('maple', 'authNoPriv', RFC_ENGINE_ID, { protocol: 'sha', password: 'maplesyrup' });
  const maplePriv = localizeUser('maplepriv', 'authPriv', RFC_ENGINE_ID, { protocol: 'sha', password: 'maplesyrup' }, { protocol: 'aes', password: 'maplesyrup' });
  const engine = (o: Partial<{ engineId: Buffer; boots: number; time: number; users: LocalizedUser[] }> = {}): UsmEngine => ({
    engineId: o.engineId ?? RFC_ENGINE_ID,
    boots: () => o.boots ?? 7,
    time: () => o.time ?? 0,
    user: (name) => (o.users ?? [maple, maplePriv]).find((u) => u.name === name),
  });
  const incoming = (h: string) => {
    const raw = hex(h);
    return { m: decodeMessage(raw) as V3Message, raw };
  };

  it('accepts the signed GET and gives its scoped PDU', () => {
    const { m, raw } = incoming(V3_AUTH_GET.request);
    const r = processIncoming(engine(), m, raw);
    expect(r).toMatchObject({ ok: true, level: 'authNoPriv' });
    if (!r.ok) throw new Error(r.reason);
    expect(r.user.name).toBe('maple');
    expect(decodeScopedPdu(r.scopedPdu).pdu).toMatchObject({ type: PduType.GetRequest, requestId: 0x6140536d });
  });

  it('decrypts the AES GET (RFC 3826) to its scoped PDU', () => {
    const { m, raw } = incoming(V3_PRIV_GET.request);
    expect(m.msgFlags & (MsgFlags.auth | MsgFlags.priv)).toBe(3);
    const r = processIncoming(engine(), m, raw);
    if (!r.ok) throw new Error(r.reason);
    expect(r.level).toBe('authPriv');
    const scoped = decodeScopedPdu(r.scopedPdu);
    expect(scoped.contextEngineId).toEqual(RFC_ENGINE_ID);
    expect(scoped.pdu).toMatchObject({ type: PduType.GetRequest, requestId: 0x4a0f01c1 });
    expect(scoped.pdu.varbinds.map((v) => v.oid.join('.'))).toEqual(['1.3.6.1.2.1.1.5.0']);
  });

  it.each<[string, string, string, Parameters<typeof engine>[0]]>([
    ['discovery (empty engine id)', 'unknownEngineIDs', V3_DISCOVERY.request, {}],
    ['another engine id', 'unknownEngineIDs', V3_AUTH_GET.request, { engineId: hex('8000000001020304') }],
    ['an unknown user', 'unknownUserNames', V3_AUTH_GET.request, { users: [maplePriv] }],
    ['another password (wrong digest)', 'wrongDigests', V3_AUTH_GET.request, { users: [localizeUser('maple', 'authNoPriv', RFC_ENGINE_ID, { protocol: 'sha', password: 'maplesyrup2' })] }],
    ['a user configured for authPriv', 'unsupportedSecLevels', V3_AUTH_GET.request, { users: [localizeUser('maple', 'authPriv', RFC_ENGINE_ID, { protocol: 'sha', password: 'maplesyrup' }, { protocol: 'aes', password: 'maplesyrup' })] }],
    ['engine time 151 s on (outside the 150 s window)', 'notInTimeWindows', V3_AUTH_GET.request, { time: 151 }],
    ['another boots', 'notInTimeWindows', V3_AUTH_GET.request, { boots: 8 }],
  ])('refuses %s: usmStats %s', (_name, stat, h, o) => {
    const { m, raw } = incoming(h);
    const r = processIncoming(engine(o), m, raw);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.stat).toBe(stat);
    // Only a timeliness report goes back authenticated (RFC 3414 3.2 step 7b).
    expect(r.reportUser?.name ?? null).toBe(stat === 'notInTimeWindows' ? 'maple' : null);
  });

  it('refuses a signed GET with one digest bit flipped', () => {
    const { raw } = incoming(V3_AUTH_GET.request);
    raw[raw.indexOf(hex('5281b519528058883d521c39'))] ^= 1;
    const r = processIncoming(engine(), decodeMessage(raw) as V3Message, raw);
    expect(r).toMatchObject({ ok: false, stat: 'wrongDigests' });
  });
});

// What section 3.2 does with messages snmpget would not send, built with encodeV3Message and signed
// here with HMAC-SHA-1-96 under RFC 3414 A.3.2's key (node:crypto, not the code under test).
describe('incoming messages (RFC 3414 3.2) built here', () => {
  const A32_KEY = hex('6695febc9288e36282235fc7151f128497b38f3f');
  const scoped = (decodeMessage(hex(V3_AUTH_GET.request)) as V3Message).scopedPdu!;
  const build = (o: Partial<{ flags: number; user: string; boots: number; time: number; privParams: Buffer; data: Buffer; authLength: number }> = {}) => {
    const { bytes, authOffset } = encodeV3Message({
      msgId: 1, msgMaxSize: 65507, msgFlags: o.flags ?? (MsgFlags.auth | MsgFlags.reportable),
      engineId: RFC_ENGINE_ID, engineBoots: o.boots ?? 7, engineTime: o.time ?? 1000, userName: Buffer.from(o.user ?? 'maple'),
      authLength: o.authLength ?? 12, privParams: o.privParams ?? Buffer.alloc(0), data: o.data ?? scoped,
    });
    if ((o.authLength ?? 12) === 12) createHmac('sha1', A32_KEY).update(bytes).digest().copy(bytes, authOffset, 0, 12);
    return { m: decodeMessage(bytes) as V3Message, raw: bytes };
  };
  const sha = { protocol: 'sha', password: 'maplesyrup' } as const;
  const engine = (users: LocalizedUser[], boots = 7, time = 1000): UsmEngine => ({
    engineId: RFC_ENGINE_ID, boots: () => boots, time: () => time, user: (name) => users.find((u) => u.name === name),
  });
  const maple = localizeUser('maple', 'authNoPriv', RFC_ENGINE_ID, sha);
  const run = (users: LocalizedUser[], msg: ReturnType<typeof build>, boots?: number, time?: number) => processIncoming(engine(users, boots, time), msg.m, msg.raw);

  it('the signature made here is accepted (the harness is right)', () => {
    expect(run([maple], build())).toMatchObject({ ok: true, level: 'authNoPriv', scopedPdu: scoped });
  });

  it('the time window is 150 s either side (3.2 step 7b: outside when more than 150 s apart)', () => {
    const msg = build({ time: 1000 });
    expect([850, 1150, 849, 1151].map((t) => run([maple], msg, 7, t).ok)).toEqual([true, true, false, false]);
  });

  it('boots at its maximum 2147483647 is never in the time window (3.2 step 7b)', () => {
    expect(run([maple], build({ boots: 2147483647 }), 2147483647)).toMatchObject({ ok: false, stat: 'notInTimeWindows' });
  });

  it('noAuthNoPriv: accepted for a user without keys, no digest checked', () => {
    const open = localizeUser('maple', 'noAuthNoPriv', RFC_ENGINE_ID);
    expect(run([open], build({ flags: MsgFlags.reportable, authLength: 0 }))).toMatchObject({ ok: true, level: 'noAuthNoPriv', scopedPdu: scoped });
  });

  it('privacy without authentication in msgFlags is dropped, not counted in usmStats', () => {
    expect(run([maple], build({ flags: MsgFlags.priv | MsgFlags.reportable }))).toMatchObject({ ok: false, stat: null });
  });

  it('security parameters that are not a UsmSecurityParameters sequence are dropped', () => {
    const { m, raw } = build();
    expect(processIncoming(engine([maple]), { ...m, securityParameters: hex('0400') }, raw)).toMatchObject({ ok: false, stat: null, params: null });
  });

  it('a digest of another length than the user\'s protocol is a wrong digest (HMAC-SHA-256-192 wants 24 octets)', () => {
    const maple256 = localizeUser('maple', 'authNoPriv', RFC_ENGINE_ID, { protocol: 'sha256', password: 'maplesyrup' });
    expect(run([maple256], build())).toMatchObject({ ok: false, stat: 'wrongDigests' });
  });

  it('the privacy flag over plaintext, or an encrypted PDU without it, is refused', () => {
    const maplePriv = localizeUser('maple', 'authPriv', RFC_ENGINE_ID, sha, { protocol: 'aes', password: 'maplesyrup' });
    expect(run([maplePriv], build({ flags: 7, privParams: Buffer.alloc(8) }))).toMatchObject({ ok: false, stat: 'decryptionErrors' });
    expect(run([maple], build({ data: encodeOctetString(Buffer.alloc(16)) }))).toMatchObject({ ok: false, stat: null });
    // RFC 3826 3.1.4: msgPrivacyParameters not 8 octets is a decryption error.
    expect(run([maplePriv], build({ flags: 7, privParams: Buffer.alloc(7), data: encodeOctetString(Buffer.alloc(16)) }))).toMatchObject({ ok: false, stat: 'decryptionErrors' });
  });

  it('the reason names the engine id and the user refused', () => {
    const other = processIncoming({ ...engine([maple]), engineId: hex('8000000001020304') }, build().m, build().raw);
    expect(!other.ok && other.reason).toContain('000000000000000000000002');
    expect(!other.ok && other.reason).not.toContain('discovery');
    const unknown = run([], build());
    expect(!unknown.ok && unknown.reason).toContain('"maple"');
    const discovery = processIncoming(engine([maple]), decodeMessage(hex(V3_DISCOVERY.request)) as V3Message, hex(V3_DISCOVERY.request));
    expect(!discovery.ok && discovery.reason).toContain('discovery');
  });
});

describe('security levels and keys a configuration gives', () => {
  const sha = { protocol: 'sha', password: 'maplesyrup' } as const;
  const aes = { protocol: 'aes', password: 'maplesyrup' } as const;

  it('msgFlags to a level (RFC 3412 6.4: privacy without authentication is invalid)', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(levelOfFlags)).toEqual(['noAuthNoPriv', 'authNoPriv', null, 'authPriv', 'noAuthNoPriv', 'authNoPriv', null, 'authPriv']);
  });

  it('keys only for the level configured', () => {
    expect(localizeUser('u', 'noAuthNoPriv', RFC_ENGINE_ID)).toEqual({ name: 'u', level: 'noAuthNoPriv', auth: null, priv: null });
    expect(localizeUser('u', 'noAuthNoPriv', RFC_ENGINE_ID, sha, aes)).toMatchObject({ auth: null, priv: null });
    expect(localizeUser('u', 'authNoPriv', RFC_ENGINE_ID, sha, aes)).toMatchObject({ auth: { macLength: 12 }, priv: null });
    expect(localizeUser('u', 'authPriv', RFC_ENGINE_ID, undefined, aes)).toMatchObject({ auth: null, priv: null });
  });

  it('usmStats is 1.3.6.1.6.3.15.1.1 (RFC 3414 5, SNMP-USER-BASED-SM-MIB)', () => {
    expect(USM_STATS_OID.join('.')).toBe('1.3.6.1.6.3.15.1.1');
  });

  // RFC 4231 test case 1 (key 20 x 0x0b, "Hi There"), truncated to RFC 7860 4.2.2's lengths.
  it.each<[AuthProtocol, string]>([
    ['sha224', '896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22'],
    ['sha256', 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
    ['sha384', 'afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6'],
    ['sha512', '87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854'],
  ])('%s digests: RFC 4231 test case 1, truncated to RFC 7860 4.2.2', (protocol, full) => {
    const user = localizeUser('u', 'authNoPriv', RFC_ENGINE_ID, { protocol, password: 'maplesyrup' });
    const mac = digest({ ...user, auth: { ...user.auth!, key: Buffer.alloc(20, 0x0b) } }, Buffer.from('Hi There'));
    expect(mac.toString('hex')).toBe(full.slice(0, 2 * user.auth!.macLength));
  });

  // AES-256 key extension over SHA-1's 20-octet localized key, written out from the drafts:
  // Blumenthal (draft-blumenthal-aes-usm-04 3.1.2.1): Kul | H(Kul), first 32 octets;
  // Reeder (draft-reeder-snmpv3-usm-3desede-00 2.1): Kul | localize(password-to-key(Kul)), first 32.
  it.each(['aes256b', 'aes256r'] as const)('%s: a 32-octet AES-256 key extended from RFC 3414 A.3.2\'s', (protocol) => {
    const kul = hex('6695febc9288e36282235fc7151f128497b38f3f');
    const sha1 = (b: Buffer) => createHash('sha1').update(b).digest();
    let extension: Buffer;
    if (protocol === 'aes256b') extension = sha1(kul);
    else {
      const expanded = Buffer.alloc(1048576);
      for (let i = 0; i < expanded.length; i++) expanded[i] = kul[i % kul.length];
      const ku = sha1(expanded);
      extension = sha1(Buffer.concat([ku, RFC_ENGINE_ID, ku]));
    }
    const user = localizeUser('u', 'authPriv', RFC_ENGINE_ID, sha, { protocol, password: 'maplesyrup' });
    expect(user.priv).toEqual({ cipher: 'aes-256-cfb', key: Buffer.concat([kul, extension]).subarray(0, 32) });
  });

  it('encrypts with AES-128-CFB, IV = boots | time | salt (RFC 3826 3.1.2.1), no padding, and decrypts its own', () => {
    const user = localizeUser('u', 'authPriv', RFC_ENGINE_ID, sha, aes);
    const plain = Buffer.from('a scoped PDU of 29 octets ...');
    const { salt, data } = encrypt(user, 7, 1000, plain);
    expect([salt.length, data.length]).toEqual([8, 29]);
    const iv = Buffer.concat([hex('00000007000003e8'), salt]);
    const d = createDecipheriv('aes-128-cfb', hex('6695febc9288e36282235fc7151f1284'), iv);
    expect(Buffer.concat([d.update(data), d.final()])).toEqual(plain);
    expect(decrypt(user, 7, 1000, salt, data)).toEqual(plain);
    expect(() => decrypt(user, 7, 1000, salt.subarray(0, 7), data)).toThrow(BerError);
  });
});
