// The User-based Security Model (RFC 3414) on the agent side: localized keys (net-snmp's key
// derivation), HMAC digests (SHA-1 RFC 3414, SHA-2 RFC 7860), AES-CFB privacy (RFC 3826, and
// the AES-256 key extensions net-snmp tools call AES256/AES256C), time windows and the usmStats.
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as snmp from 'net-snmp';
import { MsgFlags, V3Message, UsmSecurityParameters, decodeUsmParameters } from './message';
import { BerError } from './ber';

export type AuthProtocol = 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
/** AES-128 (RFC 3826); AES-256 with Blumenthal (`aes256b`, net-snmp's AES256) or Reeder (`aes256r`, AES256C) key extension. */
export type PrivProtocol = 'aes' | 'aes256b' | 'aes256r';
export type SecurityLevel = 'noAuthNoPriv' | 'authNoPriv' | 'authPriv';
export const SECURITY_LEVEL_RANK: Record<SecurityLevel, number> = { noAuthNoPriv: 0, authNoPriv: 1, authPriv: 2 };

const AUTH: Record<AuthProtocol, { net: snmp.AuthProtocols; hash: string; macLength: number }> = {
  sha: { net: snmp.AuthProtocols.sha, hash: 'sha1', macLength: 12 },
  sha224: { net: snmp.AuthProtocols.sha224, hash: 'sha224', macLength: 16 },
  sha256: { net: snmp.AuthProtocols.sha256, hash: 'sha256', macLength: 24 },
  sha384: { net: snmp.AuthProtocols.sha384, hash: 'sha384', macLength: 32 },
  sha512: { net: snmp.AuthProtocols.sha512, hash: 'sha512', macLength: 48 },
};
const PRIV: Record<PrivProtocol, { net: snmp.PrivProtocols; cipher: string }> = {
  aes: { net: snmp.PrivProtocols.aes, cipher: 'aes-128-cfb' },
  aes256b: { net: snmp.PrivProtocols.aes256b, cipher: 'aes-256-cfb' },
  aes256r: { net: snmp.PrivProtocols.aes256r, cipher: 'aes-256-cfb' },
};
// net-snmp's typings narrow these enums per table; its functions take the plain numbers.
const netAuth = snmp.Authentication as unknown as { passwordToKey(protocol: number, password: string, engineId: Buffer): Buffer };
const netEnc = snmp.Encryption as unknown as {
  algorithms: Record<number, { localizationAlgorithm(algorithm: unknown, authProtocol: number, password: string, engineId: Buffer): Buffer }>;
};

export const AUTH_PROTOCOLS = Object.keys(AUTH) as AuthProtocol[];
export const PRIV_PROTOCOLS = Object.keys(PRIV) as PrivProtocol[];

export const UsmStat = { unsupportedSecLevels: 1, notInTimeWindows: 2, unknownUserNames: 3, unknownEngineIDs: 4, wrongDigests: 5, decryptionErrors: 6 } as const;
export type UsmStatName = keyof typeof UsmStat;
export const USM_STATS_OID = [1, 3, 6, 1, 6, 3, 15, 1, 1];

export interface LocalizedUser {
  readonly name: string;
  readonly level: SecurityLevel;
  readonly auth: { readonly hash: string; readonly macLength: number; readonly key: Buffer } | null;
  readonly priv: { readonly cipher: string; readonly key: Buffer } | null;
}

/** Localizes a user's passwords to an engine id (RFC 3414 A.2, through net-snmp). */
export function localizeUser(
  name: string, level: SecurityLevel, engineId: Buffer,
  auth?: { protocol: AuthProtocol; password: string }, priv?: { protocol: PrivProtocol; password: string },
): LocalizedUser {
  const a = auth && level !== 'noAuthNoPriv' ? AUTH[auth.protocol] : null;
  const p = priv && a && level === 'authPriv' ? PRIV[priv.protocol] : null;
  return {
    name, level,
    auth: a ? { hash: a.hash, macLength: a.macLength, key: netAuth.passwordToKey(a.net, auth!.password, engineId) } : null,
    priv: p ? {
      cipher: p.cipher,
      key: netEnc.algorithms[p.net].localizationAlgorithm(netEnc.algorithms[p.net], a!.net, priv!.password, engineId),
    } : null,
  };
}

export function digest(user: LocalizedUser, message: Buffer): Buffer {
  const a = user.auth!;
  return createHmac(a.hash, a.key).update(message).digest().subarray(0, a.macLength);
}

function iv(boots: number, time: number, salt: Buffer): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(boots >>> 0, 0);
  b.writeUInt32BE(time >>> 0, 4);
  salt.copy(b, 8, 0, 8);
  return b;
}

export function decrypt(user: LocalizedUser, boots: number, time: number, salt: Buffer, data: Buffer): Buffer {
  if (salt.length !== 8) throw new BerError('msgPrivacyParameters must be 8 bytes');
  const d = createDecipheriv(user.priv!.cipher, user.priv!.key, iv(boots, time, salt));
  return Buffer.concat([d.update(data), d.final()]);
}

export function encrypt(user: LocalizedUser, boots: number, time: number, data: Buffer): { salt: Buffer; data: Buffer } {
  const salt = randomBytes(8);
  const c = createCipheriv(user.priv!.cipher, user.priv!.key, iv(boots, time, salt));
  return { salt, data: Buffer.concat([c.update(data), c.final()]) };
}

export function levelOfFlags(flags: number): SecurityLevel | null {
  const auth = (flags & MsgFlags.auth) !== 0;
  const priv = (flags & MsgFlags.priv) !== 0;
  if (priv && !auth) return null;
  return priv ? 'authPriv' : auth ? 'authNoPriv' : 'noAuthNoPriv';
}

/** The outcome of RFC 3414 section 3.2 for one incoming message. */
export type UsmResult =
  | { readonly ok: true; readonly user: LocalizedUser; readonly level: SecurityLevel; readonly params: UsmSecurityParameters; readonly scopedPdu: Buffer }
  | {
      readonly ok: false;
      /** usmStats counter to increment and report; null = drop silently (counted by the caller). */
      readonly stat: UsmStatName | null;
      readonly params: UsmSecurityParameters | null;
      /** A report about timeliness goes back authenticated with this user (RFC 3414 3.2 step 7b). */
      readonly reportUser: LocalizedUser | null;
      readonly reason: string;
    };

export interface UsmEngine {
  readonly engineId: Buffer;
  boots(): number;
  time(): number;
  user(name: string): LocalizedUser | undefined;
}

const TIME_WINDOW_S = 150;

export function processIncoming(engine: UsmEngine, m: V3Message, raw: Buffer): UsmResult {
  let params: UsmSecurityParameters;
  try {
    params = decodeUsmParameters(m);
  } catch (e) {
    return { ok: false, stat: null, params: null, reportUser: null, reason: `bad security parameters: ${(e as Error).message}` };
  }
  const level = levelOfFlags(m.msgFlags);
  if (!level) return { ok: false, stat: null, params, reportUser: null, reason: 'privacy without authentication in msgFlags' };
  if (!params.engineId.equals(engine.engineId)) {
    return { ok: false, stat: 'unknownEngineIDs', params, reportUser: null, reason: params.engineId.length ? `unknown engine id ${params.engineId.toString('hex')}` : 'engine id discovery' };
  }
  const user = engine.user(params.userName.toString('utf8'));
  if (!user) return { ok: false, stat: 'unknownUserNames', params, reportUser: null, reason: `unknown user ${JSON.stringify(params.userName.toString('utf8'))}` };
  // A level the user's keys cannot provide, or below what the configuration requires for this user.
  if (SECURITY_LEVEL_RANK[level] !== SECURITY_LEVEL_RANK[user.level]) {
    return { ok: false, stat: 'unsupportedSecLevels', params, reportUser: null, reason: `user ${user.name} is configured for ${user.level}, the message asks for ${level}` };
  }
  if (level !== 'noAuthNoPriv') {
    if (params.authParams.length !== user.auth!.macLength) return { ok: false, stat: 'wrongDigests', params, reportUser: null, reason: 'digest of the wrong length' };
    const copy = Buffer.from(raw);
    copy.fill(0, params.authParamsOffset, params.authParamsOffset + params.authParams.length);
    if (!timingSafeEqual(digest(user, copy), params.authParams)) return { ok: false, stat: 'wrongDigests', params, reportUser: null, reason: `wrong digest for user ${user.name}` };
    const boots = engine.boots();
    if (params.engineBoots !== boots || boots === 2147483647 || Math.abs(params.engineTime - engine.time()) > TIME_WINDOW_S) {
      return { ok: false, stat: 'notInTimeWindows', params, reportUser: user, reason: `not in time window (boots ${params.engineBoots}, time ${params.engineTime})` };
    }
  }
  let scopedPdu: Buffer;
  if (level === 'authPriv') {
    if (!m.encryptedPdu) return { ok: false, stat: 'decryptionErrors', params, reportUser: null, reason: 'privacy flag set but the data is not encrypted' };
    try {
      scopedPdu = decrypt(user, params.engineBoots, params.engineTime, params.privParams, m.encryptedPdu);
    } catch (e) {
      return { ok: false, stat: 'decryptionErrors', params, reportUser: null, reason: `cannot decrypt: ${(e as Error).message}` };
    }
  } else {
    if (!m.scopedPdu) return { ok: false, stat: null, params, reportUser: null, reason: 'encrypted data without the privacy flag' };
    scopedPdu = m.scopedPdu;
  }
  return { ok: true, user, level, params, scopedPdu };
}
