// The USM (RFC 3414) against published vectors and against what net-snmp's snmpget sent:
// key localization (RFC 3414 A.3.2; SHA-2 has no published vectors, RFC 7860 9 reuses A.2),
// HMAC-SHA-96 (RFC 2202 test case 1, truncated as RFC 3414 7.3.1 says), and incoming processing.
import { createHash } from 'node:crypto';
import { MsgFlags, PduType, V3Message, decodeMessage, decodeScopedPdu } from './message';
import { AuthProtocol, LocalizedUser, UsmEngine, digest, localizeUser, processIncoming } from './usm';
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
