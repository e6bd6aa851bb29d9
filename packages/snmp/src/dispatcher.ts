// Message processing and dispatch (RFC 3412): takes one datagram, decodes the v2c or v3 envelope,
// has the community table or the USM (usm.ts) authenticate it, hands the PDU to the command
// responder and wraps its answer the way the request came (same community, or same user, flags
// and a fresh digest), or answers a Report. Counts everything RFC 3418/3412/3414 count. No I/O:
// the caller gives the bytes and a reply function.
import type { RateLimitedLog } from '@kirchhoff/core';
import { encodeOctetString } from './ber';
import {
  CommunityMessage, ErrorStatus, MsgFlags, Pdu, PduType, V3Message, decodeMessage,
  decodeScopedPdu, encodeCommunityMessage, encodePduRaw, encodeScopedPdu, encodeV3Message, encodeVarBind,
} from './message';
import type { Oid } from './oid-index';
import { counter } from './oid-index';
import { Principal, RESPONDER_PDU_TYPES, RequestInfo } from './command-responder';
import type { EngineIdentity } from './engine';
import { ENGINE_MAX_MESSAGE_SIZE, MPD_STATS, SNMP_UNKNOWN_CONTEXTS, SnmpCounters } from './system-mib';
import { LocalizedUser, USM_STATS_OID, UsmStat, digest, encrypt, processIncoming } from './usm';

/** Where a datagram came from. */
export interface SnmpRemote {
  readonly address: string;
  readonly port: number;
}

/** Sends one datagram back to the source of the request being handled. */
export type SnmpReply = (datagram: Buffer) => void;

export interface V3User extends Principal {
  readonly localized: LocalizedUser;
}

export interface DispatcherOptions {
  readonly engine: EngineIdentity;
  /** snmpEngineTime now, seconds. */
  engineTime(): number;
  readonly communities: ReadonlyMap<string, Principal>;
  readonly users: ReadonlyMap<string, V3User>;
  /** Largest v2c response (v3 uses the manager's msgMaxSize). */
  readonly maxMessageSize: number;
  readonly counters: SnmpCounters;
  readonly log: RateLimitedLog;
  /** The command responder: the response PDU to a request PDU. */
  respond(pdu: Pdu, request: RequestInfo): Promise<Buffer>;
}

export class MessageDispatcher {
  constructor(private readonly o: DispatcherOptions) {}

  /**
   * Processes one datagram and answers it through `reply` (at most once). Resolves when answered
   * or dropped; never rejects: a bug is counted as a silent drop and logged.
   */
  async handle(datagram: Buffer, source: SnmpRemote, reply: SnmpReply): Promise<void> {
    const c = this.o.counters;
    c.inPkts++;
    const from = `${source.address}:${source.port}`;
    let message;
    try {
      message = decodeMessage(datagram);
    } catch (e) {
      c.inASNParseErrs++;
      this.o.log.warn('ber', `SNMP: dropped a malformed datagram (${datagram.length} bytes) from ${from}: ${(e as Error).message}`);
      return;
    }
    const send = (bytes: Buffer) => {
      c.outPkts++;
      reply(bytes);
    };
    try {
      if ('unsupported' in message) {
        c.inBadVersions++;
        this.o.log.warn('version', `SNMP: dropped a version ${message.version} message from ${from}: this agent speaks v2c and v3`);
      } else if (message.version === 0) {
        c.inBadVersions++;
        this.o.log.warn('version', `SNMP: dropped an SNMPv1 message from ${from}: this agent speaks v2c and v3`);
      } else if (message.version === 1) {
        await this.onCommunity(message as CommunityMessage, from, send);
      } else {
        await this.onV3(message as V3Message, datagram, from, send);
      }
    } catch (e) {
      // A bug must not take the listener down: count, log, keep serving.
      c.silentDrops++;
      this.o.log.warn('internal', `SNMP: request from ${from} failed: ${(e as Error).stack ?? String(e)}`);
    }
  }

  private async onCommunity(m: CommunityMessage, from: string, send: SnmpReply): Promise<void> {
    const principal = this.o.communities.get(m.community.toString('latin1'));
    if (!principal) {
      this.o.counters.inBadCommunityNames++;
      this.o.log.warn('community', `SNMP: dropped a v2c request from ${from} with an unknown community`);
      return;
    }
    const max = this.o.maxMessageSize;
    const pdu = await this.dispatch(m.pdu, { principal, who: `v2c community ${principal.access}`, remote: from, maxVarbindBytes: max - 40 - m.community.length });
    if (!pdu) return;
    const bytes = encodeCommunityMessage(1, m.community, pdu);
    if (bytes.length > max && m.pdu.type !== PduType.SetRequest) {
      const tooBig = encodeCommunityMessage(1, m.community, encodePduRaw(PduType.Response, m.pdu.requestId, ErrorStatus.tooBig, 0, []));
      if (tooBig.length > max) return void this.o.counters.silentDrops++;
      return send(tooBig);
    }
    send(bytes);
  }

  private async onV3(m: V3Message, raw: Buffer, from: string, send: SnmpReply): Promise<void> {
    const c = this.o.counters;
    const engine = this.o.engine;
    if (m.securityModel !== 3) {
      c.unknownSecurityModels++;
      this.o.log.warn('secmodel', `SNMP: dropped a v3 message from ${from} with security model ${m.securityModel}`);
      return;
    }
    const result = processIncoming({
      engineId: engine.engineId, boots: () => engine.boots, time: () => this.o.engineTime(),
      user: (name) => this.o.users.get(name)?.localized,
    }, m, raw);
    const reportable = (m.msgFlags & MsgFlags.reportable) !== 0;
    const plainRequestId = (): number => {
      if (!m.scopedPdu) return 0;
      try {
        return decodeScopedPdu(m.scopedPdu).pdu.requestId;
      } catch {
        return 0;
      }
    };
    if (!result.ok) {
      if (!result.stat) {
        c.invalidMsgs++;
        this.o.log.warn('v3invalid', `SNMP: dropped a v3 message from ${from}: ${result.reason}`);
        return;
      }
      const value = ++c.usm[result.stat];
      if (result.stat !== 'unknownEngineIDs') this.o.log.warn(`usm:${result.stat}`, `SNMP: v3 request from ${from} refused: ${result.reason}`);
      if (reportable) {
        send(this.report(m, [...USM_STATS_OID, UsmStat[result.stat], 0], value, plainRequestId(),
          result.stat === 'notInTimeWindows' ? result.reportUser : null, result.params?.userName ?? Buffer.alloc(0)));
      }
      return;
    }
    let scoped;
    try {
      scoped = decodeScopedPdu(result.scopedPdu);
    } catch (e) {
      if (result.level === 'authPriv') {
        const value = ++c.usm.decryptionErrors;
        this.o.log.warn('usm:decrypt', `SNMP: v3 request from ${from} does not decrypt (wrong privacy password?): ${(e as Error).message}`);
        if (reportable) send(this.report(m, [...USM_STATS_OID, UsmStat.decryptionErrors, 0], value, 0, null, result.params.userName));
      } else {
        c.inASNParseErrs++;
        this.o.log.warn('ber', `SNMP: dropped a malformed v3 PDU from ${from}: ${(e as Error).message}`);
      }
      return;
    }
    const user = this.o.users.get(result.user.name)!;
    if (scoped.contextEngineId.length && !scoped.contextEngineId.equals(engine.engineId)) {
      const value = ++c.unknownPDUHandlers;
      if (reportable) send(this.report(m, [...MPD_STATS, 3, 0], value, scoped.pdu.requestId, result.user, result.params.userName, result.level));
      return;
    }
    if (scoped.contextName.length) {
      const value = ++c.unknownContexts;
      if (reportable) send(this.report(m, SNMP_UNKNOWN_CONTEXTS, value, scoped.pdu.requestId, result.user, result.params.userName, result.level));
      return;
    }
    const maxSize = Math.min(m.msgMaxSize, ENGINE_MAX_MESSAGE_SIZE);
    const flags = m.msgFlags & (MsgFlags.auth | MsgFlags.priv);
    const overhead = 120 + (result.user.auth?.macLength ?? 0) + (flags & MsgFlags.priv ? 16 : 0) + result.params.userName.length + engine.engineId.length * 2;
    const pdu = await this.dispatch(scoped.pdu, { principal: user, who: `v3 user ${user.name}`, remote: from, maxVarbindBytes: maxSize - overhead });
    if (!pdu) return;
    let bytes = this.encodeV3(m.msgId, flags, result.user, result.params.userName, pdu);
    if (bytes.length > maxSize) {
      bytes = this.encodeV3(m.msgId, flags, result.user, result.params.userName, encodePduRaw(PduType.Response, scoped.pdu.requestId, ErrorStatus.tooBig, 0, []));
      if (bytes.length > maxSize) return void c.silentDrops++;
    }
    send(bytes);
  }

  /** The application for the PDU type (RFC 3412 4.2.2.1): the command responder, or none. */
  private async dispatch(pdu: Pdu, request: RequestInfo): Promise<Buffer | null> {
    if (RESPONDER_PDU_TYPES.has(pdu.type)) return this.o.respond(pdu, request);
    this.o.counters.unknownPDUHandlers++;
    this.o.log.warn('pdu', `SNMP: dropped a PDU of type 0x${pdu.type.toString(16)} from ${request.remote}: an agent only answers requests`);
    return null;
  }

  private encodeV3(msgId: number, flags: number, user: LocalizedUser | null, userName: Buffer, pdu: Buffer, reportable = false): Buffer {
    const engine = this.o.engine;
    const boots = engine.boots;
    const time = this.o.engineTime();
    const scoped = encodeScopedPdu(engine.engineId, Buffer.alloc(0), pdu);
    let data: Buffer;
    let privParams: Buffer = Buffer.alloc(0);
    if (flags & MsgFlags.priv) {
      const e = encrypt(user!, boots, time, scoped);
      privParams = e.salt;
      data = encodeOctetString(e.data);
    } else data = scoped;
    const authLength = flags & MsgFlags.auth ? user!.auth!.macLength : 0;
    const { bytes, authOffset } = encodeV3Message({
      msgId, msgMaxSize: ENGINE_MAX_MESSAGE_SIZE, msgFlags: flags | (reportable ? MsgFlags.reportable : 0),
      engineId: engine.engineId, engineBoots: boots, engineTime: time, userName, authLength, privParams, data,
    });
    if (authLength) digest(user!, bytes).copy(bytes, authOffset);
    return bytes;
  }

  /** A Report PDU (RFC 3412 7.1.3.c): unauthenticated, except timeliness reports and ones after authentication succeeded. */
  private report(m: V3Message, oid: Oid, value: number, requestId: number, user: LocalizedUser | null, userName: Buffer, level?: string): Buffer {
    const pdu = encodePduRaw(PduType.Report, requestId, 0, 0, [encodeVarBind({ oid, value: counter(value) })]);
    const flags = user ? (level === 'authPriv' ? MsgFlags.auth | MsgFlags.priv : MsgFlags.auth) : 0;
    return this.encodeV3(m.msgId, flags, user, userName, pdu);
  }
}
