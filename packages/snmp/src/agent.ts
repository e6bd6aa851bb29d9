// The SNMP agent: a UDP listener that authenticates v2c and v3 requests, answers GET, GETNEXT,
// GETBULK and SET from the OID index over the site, keeps the RFC counters, and turns site
// events into UPS-MIB and BMS MIB notifications.
import { createSocket, RemoteInfo, Socket } from 'node:dgram';
import { hostname } from 'node:os';
import {
  Alarm, Command, CommandError, CommandInterface, CommandType, ProblemLog, RateLimitedLog, Site, SiteSnapshot, Threshold, ThresholdKey, ALARM_KINDS, thresholdProblems,
} from '@kirchhoff/core';
import { Tag } from './ber';
import {
  CommunityMessage, ErrorStatus, MsgFlags, Pdu, PduType, SnmpValue, V3Message, VarBind, decodeMessage,
  decodeScopedPdu, encodeCommunityMessage, encodePduRaw, encodeScopedPdu, encodeV3Message, encodeVarBind,
} from './message';
import { Leaf, OidIndex, Oid, compareOid, counter, int, oidValue, parseOid, startsWith, str, ticks } from './oid-index';
import { UpsAlarmRow, MibContext } from './context';
import { UPS_TRAPS, UPS_WELL_KNOWN_ALARMS, upsMibLeaves, upsOid, upsTestVarbindOids } from './ups-mib';
import { ALARM_TABLE, BMS_NOTIFICATIONS, PRODUCT_GATEWAY_OID, bmsMibLeaves, columnByName, enterpriseMapper, entryOid, notificationFor, toSnmp } from './bms-mib';
import { EngineIdentity, resolveEngine } from './engine';
import { Notifier, NotificationPriority, NotificationStats } from './notifications';
import { Access, SnmpAgentOptions, SnmpLogger, securityWarnings, stderrLogger, validateOptions } from './options';
import { LocalizedUser, USM_STATS_OID, UsmStat, UsmStatName, digest, encrypt, localizeUser, processIncoming } from './usm';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION: string = require('../package.json').version;

const SYSTEM = [1, 3, 6, 1, 2, 1, 1];
const SNMP_GROUP = [1, 3, 6, 1, 2, 1, 11];
const SNMP_ENGINE = [1, 3, 6, 1, 6, 3, 10, 2, 1];
const MPD_STATS = [1, 3, 6, 1, 6, 3, 11, 2, 1];
const SNMP_UNKNOWN_CONTEXTS = [1, 3, 6, 1, 6, 3, 12, 1, 5, 0];
/** Largest number of varbinds one GETBULK answer carries, whatever the request asks. */
const MAX_BULK_VARBINDS = 512;

/** RFC 3418 snmp group, RFC 3412 snmpMPDStats and RFC 3414 usmStats counters. */
export interface SnmpCounters {
  inPkts: number;
  outPkts: number;
  inBadVersions: number;
  inBadCommunityNames: number;
  inBadCommunityUses: number;
  inASNParseErrs: number;
  silentDrops: number;
  unknownSecurityModels: number;
  invalidMsgs: number;
  unknownPDUHandlers: number;
  unknownContexts: number;
  usm: Record<UsmStatName, number>;
}

export interface SnmpAgent {
  /** The UDP port the agent listens on (useful with port 0). */
  readonly port: number;
  readonly engineId: string;
  readonly engineBoots: number;
  readonly counters: Readonly<SnmpCounters>;
  readonly notifications: Readonly<NotificationStats>;
  /** sysUpTime now, hundredths of a second. */
  uptimeTicks(): number;
  close(): Promise<void>;
}

interface Principal {
  readonly name: string;
  readonly access: Access;
  readonly view: readonly Oid[] | null;
}

interface V3User extends Principal {
  readonly localized: LocalizedUser;
}

export async function createSnmpAgent(site: Site, options: SnmpAgentOptions = {}): Promise<SnmpAgent> {
  validateOptions(options);
  const logger = options.logger ?? stderrLogger;
  const port = options.port ?? 161;
  const engine: EngineIdentity = resolveEngine({ engineId: options.engineId, stateFile: options.stateFile, seed: `${hostname()}:${site.snapshot().info.name}:${port}` });
  const agent = new Agent(site, options, logger, engine);
  await agent.listen(port, options.address ?? '0.0.0.0');
  if (!options.communities?.length && !options.users?.length) logger.warn('SNMP agent has no communities and no users: it answers nobody (configure snmp.communities or snmp.users)');
  for (const w of securityWarnings(options)) logger.warn(w);
  logger.info(`SNMP agent listening on udp ${options.address ?? '0.0.0.0'}:${agent.port}, engine id ${engine.engineId.toString('hex')} (${engine.source}), boots ${engine.boots}`);
  return agent;
}

class Agent implements SnmpAgent {
  readonly counters: SnmpCounters = {
    inPkts: 0, outPkts: 0, inBadVersions: 0, inBadCommunityNames: 0, inBadCommunityUses: 0, inASNParseErrs: 0, silentDrops: 0,
    unknownSecurityModels: 0, invalidMsgs: 0, unknownPDUHandlers: 0, unknownContexts: 0,
    usm: { unsupportedSecLevels: 0, notInTimeWindows: 0, unknownUserNames: 0, unknownEngineIDs: 0, wrongDigests: 0, decryptionErrors: 0 },
  };
  private readonly socket: Socket;
  private readonly startedAt = process.hrtime.bigint();
  private readonly startedAtMs = Date.now();
  private readonly communities = new Map<string, Principal>();
  private readonly users = new Map<string, V3User>();
  private readonly ctx: MibContext;
  private readonly notifier: Notifier;
  private readonly commands: CommandInterface | null;
  private readonly maxMessageSize: number;
  /** Moves the BMS MIB's OIDs under `enterpriseNumber`. */
  private readonly toEnterprise: (oid: readonly number[]) => number[];
  private index: OidIndex | null = null;
  private indexedSnap: SiteSnapshot | null = null;
  private shapeKey = '';
  private upsAlarmRows: UpsAlarmRow[] = [];
  private nextUpsAlarmId = 1;
  private onBatteryTimer: NodeJS.Timeout | null = null;
  private lastTestSummary: string | null;
  private readonly unsubscribe: () => void;
  private readonly log: RateLimitedLog;
  private boundPort = 0;

  constructor(private readonly site: Site, private readonly options: SnmpAgentOptions, private readonly logger: SnmpLogger, private readonly engine: EngineIdentity) {
    this.commands = options.commands ?? null;
    this.toEnterprise = enterpriseMapper(options.enterpriseNumber ?? 32473);
    this.log = (options.problems ?? new ProblemLog()).source('snmp', logger);
    this.maxMessageSize = options.maxMessageSize ?? 1472;
    const views = (v: readonly string[] | undefined) => (v && v.length ? v.map(parseOid) : null);
    for (const c of options.communities ?? []) this.communities.set(c.name, { name: c.name, access: c.access ?? 'read-only', view: views(c.view) });
    for (const u of options.users ?? []) {
      this.users.set(u.name, { name: u.name, access: u.access ?? 'read-only', view: views(u.view), localized: localizeUser(u.name, u.securityLevel, engine.engineId, u.auth, u.priv) });
    }
    const snap = site.snapshot();
    this.ctx = {
      snap,
      startedAtMs: this.startedAtMs,
      uptimeTicks: () => this.uptimeTicks(),
      // The wall clock (alarm times) and the monotonic clock sysUpTime counts on can differ by a
      // tick: a time that has passed is never later than sysUpTime now.
      ticksAt: (ms) => Math.max(0, Math.min(this.elapsedTicks(), Math.floor((ms - this.startedAtMs) / 10))) % 2 ** 32,
      upsAlarms: () => this.upsAlarmRows,
      testSpinLock: snap.ups?.test.spinLock ?? 1,
      commands: this.commands,
      canWrite: (type: CommandType) => !!this.commands && this.commands.allows('snmp', type),
      agentVersion: options.agentVersion ?? `Kirchhoff ${VERSION}`,
    };
    // Alarms present at start keep AlarmTime 0 (RFC 1628).
    this.syncUpsAlarms(snap, false);
    this.lastTestSummary = snap.ups?.test.resultsSummary ?? null;
    this.notifier = new Notifier(options.receivers ?? [], engine.engineId, () => this.uptimeTicks(), options.notificationIntervalMs ?? 5000, logger, this.toEnterprise);
    this.unsubscribe = site.subscribe((e) => {
      if (e.type === 'alarm') {
        if (e.action !== 'acknowledged') this.onAlarm(e.alarm, e.action);
        this.syncUpsAlarms(site.snapshot(), true);
        this.checkOnBattery();
      } else if (e.type === 'values') {
        if (e.changes.some((c) => c.entity.kind === 'ups')) {
          this.checkOnBattery();
          this.checkTestCompleted();
        }
      }
    });
    this.socket = createSocket('udp4');
    this.socket.on('message', (buf, rinfo) => this.onMessage(buf, rinfo));
    this.socket.on('error', (e) => this.logger.error(`SNMP socket error: ${e.message}`));
    this.checkOnBattery();
  }

  get port(): number {
    return this.boundPort;
  }

  get engineId(): string {
    return this.engine.engineId.toString('hex');
  }

  get engineBoots(): number {
    return this.engine.boots;
  }

  get notifications(): NotificationStats {
    return this.notifier.stats;
  }

  listen(port: number, address: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException) => {
        const hint = e.code === 'EACCES' ? ` (port ${port} needs root: use a port above 1023, e.g. 1161, or CAP_NET_BIND_SERVICE)` : e.code === 'EADDRINUSE' ? ' (another SNMP agent, e.g. snmpd, already uses it)' : '';
        reject(Object.assign(new Error(`snmp.port ${port}: cannot listen on udp ${address}:${port}: ${e.message}${hint}`), { code: e.code }));
      };
      this.socket.once('error', onError);
      this.socket.bind(port, address, () => {
        this.socket.off('error', onError);
        this.boundPort = this.socket.address().port;
        resolve();
      });
    });
  }

  uptimeTicks(): number {
    return this.elapsedTicks() % 2 ** 32;
  }

  /** Hundredths of a second since the start, not wrapped. */
  private elapsedTicks(): number {
    return Number((process.hrtime.bigint() - this.startedAt) / 10_000_000n);
  }

  close(): Promise<void> {
    this.unsubscribe();
    if (this.onBatteryTimer) clearInterval(this.onBatteryTimer);
    this.notifier.close();
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  // --- the OID index ---------------------------------------------------------------------------

  /** Takes the current snapshot for this request; rebuilds the index when rows appeared or went. */
  private refresh(): OidIndex {
    const snap = this.site.snapshot();
    this.ctx.snap = snap;
    if (snap !== this.indexedSnap || !this.index) {
      this.indexedSnap = snap;
      const u = snap.ups;
      const key = `${snap.alarms.map((a) => a.id).join(',')}|${this.upsAlarmRows.map((r) => r.id).join(',')}|${u ? `${u.input.lines.length},${u.output.lines.length},${u.bypass.lines.length}` : '-'}`;
      if (key !== this.shapeKey || !this.index) {
        this.shapeKey = key;
        this.index = new OidIndex([...this.systemLeaves(), ...upsMibLeaves(this.ctx), ...bmsMibLeaves(this.ctx).map((l) => ({ ...l, oid: this.toEnterprise(l.oid) }))]);
      }
    }
    return this.index!;
  }

  private systemLeaves(): Leaf[] {
    const o = this.options.system ?? {};
    const info = () => this.ctx.snap.info;
    const c = this.counters;
    const scalar = (base: number[], sub: number, read: () => SnmpValue): Leaf => ({ oid: [...base, sub, 0], objectLength: base.length + 1, read });
    return [
      scalar(SYSTEM, 1, () => str(o.descr ?? `Kirchhoff battery management gateway: ${info().name} (${this.ctx.agentVersion})`)),
      scalar(SYSTEM, 2, () => oidValue(this.toEnterprise(PRODUCT_GATEWAY_OID))),
      scalar(SYSTEM, 3, () => ticks(this.uptimeTicks())),
      scalar(SYSTEM, 4, () => str(o.contact ?? info().contact)),
      scalar(SYSTEM, 5, () => str(o.name ?? info().name)),
      scalar(SYSTEM, 6, () => str(o.location ?? info().location)),
      scalar(SYSTEM, 7, () => int(72)),
      scalar(SNMP_GROUP, 1, () => counter(c.inPkts)),
      scalar(SNMP_GROUP, 2, () => counter(c.outPkts)),
      scalar(SNMP_GROUP, 3, () => counter(c.inBadVersions)),
      scalar(SNMP_GROUP, 4, () => counter(c.inBadCommunityNames)),
      scalar(SNMP_GROUP, 5, () => counter(c.inBadCommunityUses)),
      scalar(SNMP_GROUP, 6, () => counter(c.inASNParseErrs)),
      scalar(SNMP_GROUP, 30, () => int(2)),
      scalar(SNMP_GROUP, 31, () => counter(c.silentDrops)),
      scalar(SNMP_GROUP, 32, () => counter(0)),
      scalar(SNMP_ENGINE, 1, () => ({ tag: Tag.OctetString, value: this.engine.engineId })),
      scalar(SNMP_ENGINE, 2, () => int(this.engine.boots)),
      scalar(SNMP_ENGINE, 3, () => int(this.engineTime())),
      scalar(SNMP_ENGINE, 4, () => int(65507)),
      scalar(MPD_STATS, 1, () => counter(c.unknownSecurityModels)),
      scalar(MPD_STATS, 2, () => counter(c.invalidMsgs)),
      scalar(MPD_STATS, 3, () => counter(c.unknownPDUHandlers)),
      { oid: SNMP_UNKNOWN_CONTEXTS, objectLength: SNMP_UNKNOWN_CONTEXTS.length - 1, read: () => counter(c.unknownContexts) },
      ...(Object.keys(UsmStat) as UsmStatName[]).map((k) => scalar(USM_STATS_OID, UsmStat[k], () => counter(c.usm[k]))),
    ];
  }

  private engineTime(): number {
    return Math.floor(this.uptimeTicks() / 100);
  }

  // --- datagrams -------------------------------------------------------------------------------

  private onMessage(buf: Buffer, rinfo: RemoteInfo): void {
    this.counters.inPkts++;
    const from = `${rinfo.address}:${rinfo.port}`;
    let message;
    try {
      message = decodeMessage(buf);
    } catch (e) {
      this.counters.inASNParseErrs++;
      this.log.warn('ber', `SNMP: dropped a malformed datagram (${buf.length} bytes) from ${from}: ${(e as Error).message}`);
      return;
    }
    try {
      if ('unsupported' in message) {
        this.counters.inBadVersions++;
        this.log.warn('version', `SNMP: dropped a version ${message.version} message from ${from}: this agent speaks v2c and v3`);
      } else if (message.version === 0) {
        this.counters.inBadVersions++;
        this.log.warn('version', `SNMP: dropped an SNMPv1 message from ${from}: this agent speaks v2c and v3`);
      } else if (message.version === 1) {
        this.onCommunity(message as CommunityMessage, rinfo);
      } else {
        this.onV3(message as V3Message, buf, rinfo);
      }
    } catch (e) {
      // A bug must not take the listener down: count, log, keep serving.
      this.counters.silentDrops++;
      this.log.warn('internal', `SNMP: request from ${from} failed: ${(e as Error).stack ?? String(e)}`);
    }
  }

  private send(bytes: Buffer, rinfo: RemoteInfo): void {
    this.counters.outPkts++;
    this.socket.send(bytes, rinfo.port, rinfo.address);
  }

  private onCommunity(m: CommunityMessage, rinfo: RemoteInfo): void {
    const community = m.community.toString('latin1');
    const principal = this.communities.get(community);
    if (!principal) {
      this.counters.inBadCommunityNames++;
      this.log.warn('community', `SNMP: dropped a v2c request from ${rinfo.address}:${rinfo.port} with an unknown community`);
      return;
    }
    const respond = (pdu: Buffer) => {
      const bytes = encodeCommunityMessage(1, m.community, pdu);
      if (bytes.length > this.maxMessageSize && m.pdu.type !== PduType.SetRequest) {
        const tooBig = encodeCommunityMessage(1, m.community, encodePduRaw(PduType.Response, m.pdu.requestId, ErrorStatus.tooBig, 0, []));
        if (tooBig.length > this.maxMessageSize) return void this.counters.silentDrops++;
        return this.send(tooBig, rinfo);
      }
      this.send(bytes, rinfo);
    };
    this.handlePdu(m.pdu, principal, `v2c community ${principal.access}`, rinfo, this.maxMessageSize - 40 - m.community.length, respond);
  }

  private onV3(m: V3Message, raw: Buffer, rinfo: RemoteInfo): void {
    const from = `${rinfo.address}:${rinfo.port}`;
    if (m.securityModel !== 3) {
      this.counters.unknownSecurityModels++;
      this.log.warn('secmodel', `SNMP: dropped a v3 message from ${from} with security model ${m.securityModel}`);
      return;
    }
    const result = processIncoming({
      engineId: this.engine.engineId, boots: () => this.engine.boots, time: () => this.engineTime(),
      user: (name) => this.users.get(name)?.localized,
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
        this.counters.invalidMsgs++;
        this.log.warn('v3invalid', `SNMP: dropped a v3 message from ${from}: ${result.reason}`);
        return;
      }
      const value = ++this.counters.usm[result.stat];
      if (result.stat !== 'unknownEngineIDs') this.log.warn(`usm:${result.stat}`, `SNMP: v3 request from ${from} refused: ${result.reason}`);
      if (reportable) {
        this.sendReport(m, rinfo, [...USM_STATS_OID, UsmStat[result.stat], 0], value, plainRequestId(),
          result.stat === 'notInTimeWindows' ? result.reportUser : null, result.params?.userName ?? Buffer.alloc(0));
      }
      return;
    }
    let scoped;
    try {
      scoped = decodeScopedPdu(result.scopedPdu);
    } catch (e) {
      if (result.level === 'authPriv') {
        const value = ++this.counters.usm.decryptionErrors;
        this.log.warn('usm:decrypt', `SNMP: v3 request from ${from} does not decrypt (wrong privacy password?): ${(e as Error).message}`);
        if (reportable) this.sendReport(m, rinfo, [...USM_STATS_OID, UsmStat.decryptionErrors, 0], value, 0, null, result.params.userName);
      } else {
        this.counters.inASNParseErrs++;
        this.log.warn('ber', `SNMP: dropped a malformed v3 PDU from ${from}: ${(e as Error).message}`);
      }
      return;
    }
    const user = this.users.get(result.user.name)!;
    if (scoped.contextEngineId.length && !scoped.contextEngineId.equals(this.engine.engineId)) {
      const value = ++this.counters.unknownPDUHandlers;
      if (reportable) this.sendReport(m, rinfo, [...MPD_STATS, 3, 0], value, scoped.pdu.requestId, result.user, result.params.userName, result.level);
      return;
    }
    if (scoped.contextName.length) {
      const value = ++this.counters.unknownContexts;
      if (reportable) this.sendReport(m, rinfo, SNMP_UNKNOWN_CONTEXTS, value, scoped.pdu.requestId, result.user, result.params.userName, result.level);
      return;
    }
    const maxSize = Math.min(m.msgMaxSize, 65507);
    const flags = m.msgFlags & (MsgFlags.auth | MsgFlags.priv);
    const respond = (pdu: Buffer) => {
      let bytes = this.encodeV3(m.msgId, flags, result.user, result.params.userName, pdu);
      if (bytes.length > maxSize) {
        bytes = this.encodeV3(m.msgId, flags, result.user, result.params.userName, encodePduRaw(PduType.Response, scoped.pdu.requestId, ErrorStatus.tooBig, 0, []));
        if (bytes.length > maxSize) return void this.counters.silentDrops++;
      }
      this.send(bytes, rinfo);
    };
    const overhead = 120 + (result.user.auth?.macLength ?? 0) + (flags & MsgFlags.priv ? 16 : 0) + result.params.userName.length + this.engine.engineId.length * 2;
    this.handlePdu(scoped.pdu, user, `v3 user ${user.name}`, rinfo, maxSize - overhead, respond);
  }

  private encodeV3(msgId: number, flags: number, user: LocalizedUser | null, userName: Buffer, pdu: Buffer, reportable = false): Buffer {
    const boots = this.engine.boots;
    const time = this.engineTime();
    const scoped = encodeScopedPdu(this.engine.engineId, Buffer.alloc(0), pdu);
    let data: Buffer;
    let privParams: Buffer = Buffer.alloc(0);
    if (flags & MsgFlags.priv) {
      const e = encrypt(user!, boots, time, scoped);
      privParams = e.salt;
      data = Buffer.concat([Buffer.from([Tag.OctetString]), lengthOf(e.data.length), e.data]);
    } else data = scoped;
    const authLength = flags & MsgFlags.auth ? user!.auth!.macLength : 0;
    const { bytes, authOffset } = encodeV3Message({
      msgId, msgMaxSize: 65507, msgFlags: flags | (reportable ? MsgFlags.reportable : 0),
      engineId: this.engine.engineId, engineBoots: boots, engineTime: time, userName, authLength, privParams, data,
    });
    if (authLength) digest(user!, bytes).copy(bytes, authOffset);
    return bytes;
  }

  /** A Report PDU (RFC 3412 7.1.3.c): unauthenticated, except timeliness reports and ones after authentication succeeded. */
  private sendReport(m: V3Message, rinfo: RemoteInfo, oid: Oid, value: number, requestId: number, user: LocalizedUser | null, userName: Buffer, level?: string): void {
    const pdu = encodePduRaw(PduType.Report, requestId, 0, 0, [encodeVarBind({ oid, value: counter(value) })]);
    const flags = user ? (level === 'authPriv' ? MsgFlags.auth | MsgFlags.priv : MsgFlags.auth) : 0;
    this.send(this.encodeV3(m.msgId, flags, user, user ? userName : userName, pdu), rinfo);
  }

  // --- PDUs ------------------------------------------------------------------------------------

  private handlePdu(pdu: Pdu, principal: Principal, who: string, rinfo: RemoteInfo, maxSize: number, respond: (pdu: Buffer) => void): void {
    switch (pdu.type) {
      case PduType.GetRequest:
      case PduType.GetNextRequest:
      case PduType.GetBulkRequest:
        respond(this.read(pdu, principal, maxSize));
        return;
      case PduType.SetRequest:
        this.write(pdu, principal, who, rinfo).then(respond, (e) => {
          this.logger.error(`SNMP SET from ${rinfo.address} failed: ${String(e)}`);
          respond(encodePduRaw(PduType.Response, pdu.requestId, ErrorStatus.genErr, 1, pdu.varbinds.map(encodeVarBind)));
        });
        return;
      default:
        this.counters.unknownPDUHandlers++;
        this.log.warn('pdu', `SNMP: dropped a PDU of type 0x${pdu.type.toString(16)} from ${rinfo.address}: an agent only answers requests`);
    }
  }

  private inView(oid: Oid, p: Principal): boolean {
    return !p.view || p.view.some((v) => startsWith(oid, v));
  }

  /** The first readable leaf after `oid` in the principal's view, or null at the end of the MIB. */
  private next(index: OidIndex, oid: Oid, p: Principal): { oid: Oid; value: SnmpValue } | null {
    let i = index.lowerBound(oid);
    const leaves = index.leaves;
    if (i < leaves.length && compareOid(leaves[i].oid, oid) === 0) i++;
    for (; i < leaves.length; i++) {
      const leaf = leaves[i];
      if (!this.inView(leaf.oid, p)) {
        // Jump to the next view subtree instead of stepping through everything outside it.
        const ahead = p.view!.filter((v) => compareOid(v, leaf.oid) > 0).sort(compareOid)[0];
        if (!ahead) return null;
        i = index.lowerBound(ahead) - 1;
        continue;
      }
      const value = leaf.read();
      if (value !== undefined) return { oid: leaf.oid, value };
    }
    return null;
  }

  private get(index: OidIndex, oid: Oid, p: Principal): SnmpValue {
    if (!this.inView(oid, p)) return { tag: Tag.NoSuchObject, value: null };
    const leaf = index.exact(oid);
    const value = leaf?.read();
    if (value !== undefined) return value;
    return index.hasObjectFor(oid) ? { tag: Tag.NoSuchInstance, value: null } : { tag: Tag.NoSuchObject, value: null };
  }

  private read(pdu: Pdu, p: Principal, maxSize: number): Buffer {
    const index = this.refresh();
    const out: Buffer[] = [];
    const end = (oid: Oid): Buffer => encodeVarBind({ oid, value: { tag: Tag.EndOfMibView, value: null } });
    if (pdu.type === PduType.GetRequest) {
      for (const vb of pdu.varbinds) out.push(encodeVarBind({ oid: vb.oid, value: this.get(index, vb.oid, p) }));
    } else if (pdu.type === PduType.GetNextRequest) {
      for (const vb of pdu.varbinds) {
        const n = this.next(index, vb.oid, p);
        out.push(n ? encodeVarBind(n) : end(vb.oid));
      }
    } else {
      const nonRepeaters = Math.max(0, Math.min(pdu.errorStatus, pdu.varbinds.length));
      const maxRepetitions = Math.max(0, pdu.errorIndex);
      let size = 0;
      const add = (b: Buffer): boolean => {
        if (out.length && (size + b.length > maxSize || out.length >= MAX_BULK_VARBINDS)) return false;
        out.push(b);
        size += b.length;
        return true;
      };
      for (let i = 0; i < nonRepeaters; i++) {
        const n = this.next(index, pdu.varbinds[i].oid, p);
        if (!add(n ? encodeVarBind(n) : end(pdu.varbinds[i].oid))) break;
      }
      const cursors = pdu.varbinds.slice(nonRepeaters).map((vb) => ({ oid: vb.oid, ended: false }));
      outer: for (let r = 0; r < maxRepetitions && cursors.length; r++) {
        for (const c of cursors) {
          let b: Buffer;
          if (c.ended) b = end(c.oid);
          else {
            const n = this.next(index, c.oid, p);
            if (n) {
              c.oid = n.oid;
              b = encodeVarBind(n);
            } else {
              c.ended = true;
              b = end(c.oid);
            }
          }
          if (!add(b)) break outer;
        }
        if (cursors.every((c) => c.ended)) break;
      }
    }
    return encodePduRaw(PduType.Response, pdu.requestId, 0, 0, out);
  }

  private async write(pdu: Pdu, p: Principal, who: string, rinfo: RemoteInfo): Promise<Buffer> {
    const index = this.refresh();
    const echo = pdu.varbinds.map(encodeVarBind);
    const fail = (status: number, i: number) => encodePduRaw(PduType.Response, pdu.requestId, status, i + 1, echo);
    if (p.access !== 'read-write') {
      this.counters.inBadCommunityUses++;
      this.log.warn('ro', `SNMP: SET from ${rinfo.address} refused: ${who} is read-only`);
      return fail(ErrorStatus.noAccess, 0);
    }
    const origin = { protocol: 'snmp' as const, principal: p.name, remote: `${rinfo.address}:${rinfo.port}` };
    const ctx = { varbinds: pdu.varbinds, origin };
    const applies: (() => void)[] = [];
    const commands: { command: Command; at: number }[] = [];
    for (let i = 0; i < pdu.varbinds.length; i++) {
      const vb = pdu.varbinds[i];
      if (!this.inView(vb.oid, p)) return fail(ErrorStatus.noAccess, i);
      const leaf = index.exact(vb.oid);
      if (!leaf || leaf.read() === undefined) return fail(index.hasObjectFor(vb.oid) ? ErrorStatus.noCreation : ErrorStatus.notWritable, i);
      if (!leaf.write) return fail(ErrorStatus.notWritable, i);
      const check = leaf.write(vb.value, ctx);
      if ('error' in check) return fail(check.error, i);
      if (check.apply) applies.push(check.apply);
      if (check.command) {
        // Several columns of one threshold row become one command, checked as a whole.
        const c = check.command;
        const same = c.type === 'set-threshold' ? commands.find((x) => x.command.type === 'set-threshold' && x.command.key === c.key) : undefined;
        if (same && same.command.type === 'set-threshold' && c.type === 'set-threshold') {
          same.command = { ...same.command, threshold: { ...same.command.threshold, ...c.threshold } };
        } else commands.push({ command: c, at: i });
      }
    }
    for (const { command, at } of commands) {
      if (command.type === 'set-threshold') {
        const current = thresholdOf(this.ctx.snap, command.key);
        if (thresholdProblems({ ...(current ?? { hysteresis: 0, delayMs: 0 }), ...command.threshold }).length) return fail(ErrorStatus.inconsistentValue, at);
      }
      try {
        this.commands!.validate(command);
      } catch (e) {
        return fail(e instanceof CommandError && e.code === 'not-found' ? ErrorStatus.noCreation : ErrorStatus.wrongValue, at);
      }
    }
    for (const apply of applies) apply();
    for (const { command, at } of commands) {
      try {
        await this.commands!.submit(command, origin);
      } catch (e) {
        this.logger.warn(`SNMP SET from ${rinfo.address} (${who}): ${command.type} failed: ${(e as Error).message}`);
        return fail(e instanceof CommandError && e.code === 'forbidden' ? ErrorStatus.noAccess : ErrorStatus.commitFailed, at);
      }
    }
    return encodePduRaw(PduType.Response, pdu.requestId, 0, 0, echo);
  }

  // --- notifications ---------------------------------------------------------------------------

  /** Makes the UPS-MIB alarm rows follow the site's alarms; sends the entry added/removed traps. */
  private syncUpsAlarms(snap: SiteSnapshot, notify: boolean): void {
    const present = new Set<number>();
    for (const a of snap.alarms) {
      // A UPS-MIB manager reads upsAlarmBatteryBad as "replace the battery": the battery monitor's
      // warnings (a string imbalance, a block slightly high) stay in the BMS MIB. The UPS's own
      // warning states (test failed, test in progress) are what their well-known alarms mean.
      if (a.severity === 'warning' && a.entity.kind !== 'ups') continue;
      const n = (ALARM_KINDS[a.kind] as { upsMibAlarm?: number }).upsMibAlarm;
      if (n) present.add(n);
    }
    const kept = this.upsAlarmRows.filter((r) => present.has(r.descr));
    const removed = this.upsAlarmRows.filter((r) => !present.has(r.descr));
    const added: UpsAlarmRow[] = [];
    for (const d of [...present].sort((a, b) => a - b)) {
      if (!kept.some((r) => r.descr === d)) added.push({ id: this.nextUpsAlarmId++, descr: d, timeTicks: notify ? this.uptimeTicks() : 0 });
    }
    if (!added.length && !removed.length) return;
    this.upsAlarmRows = [...kept, ...added];
    if (!notify || !snap.ups) return;
    const rowVarbinds = (r: UpsAlarmRow): VarBind[] => [
      { oid: [...upsOid(6, 2, 1, 1), r.id], value: int(r.id) },
      { oid: [...upsOid(6, 2, 1, 2), r.id], value: oidValue([...UPS_WELL_KNOWN_ALARMS, r.descr]) },
    ];
    // RFC 1628: no entry-added trap for OnBattery (it has its own) or TestInProgress; no removed trap for TestInProgress.
    for (const r of added) if (r.descr !== 2 && r.descr !== 24) this.notifier.notify([...UPS_TRAPS, 3], rowVarbinds(r), 'high');
    for (const r of removed) if (r.descr !== 24) this.notifier.notify([...UPS_TRAPS, 4], rowVarbinds(r), 'high');
  }

  private onBattery(): boolean {
    const snap = this.site.snapshot();
    return !!snap.ups && (snap.ups.output.source === 'battery' || this.upsAlarmRows.some((r) => r.descr === 2));
  }

  private sendOnBattery(): void {
    const u = this.site.snapshot().ups;
    if (!u) return;
    this.notifier.notify([...UPS_TRAPS, 1], [
      { oid: [...upsOid(2, 3), 0], value: int(u.battery.estimatedMinutesRemaining) },
      { oid: [...upsOid(2, 2), 0], value: int(u.battery.secondsOnBattery) },
      { oid: [...upsOid(9, 7), 0], value: int(u.config.lowBattTimeMin) },
    ], 'high');
  }

  /** upsTrapOnBattery when the UPS goes on battery, then every minute until it is off battery. */
  private checkOnBattery(): void {
    const on = this.onBattery();
    if (on && !this.onBatteryTimer) {
      this.sendOnBattery();
      this.onBatteryTimer = setInterval(() => (this.onBattery() ? this.sendOnBattery() : this.checkOnBattery()), this.options.onBatteryRepeatMs ?? 60_000);
      this.onBatteryTimer.unref();
    } else if (!on && this.onBatteryTimer) {
      clearInterval(this.onBatteryTimer);
      this.onBatteryTimer = null;
    }
  }

  private checkTestCompleted(): void {
    const u = this.site.snapshot().ups;
    const summary = u?.test.resultsSummary ?? null;
    const was = this.lastTestSummary;
    this.lastTestSummary = summary;
    if (!u || was !== 'inProgress' || summary === 'inProgress' || summary === 'noTestsInitiated') return;
    this.refresh();
    const index = this.index!;
    this.notifier.notify([...UPS_TRAPS, 2], upsTestVarbindOids().map((oid) => ({ oid, value: index.exact(oid)?.read() ?? int(0) })));
  }

  private onAlarm(alarm: Alarm, action: 'raised' | 'cleared'): void {
    const def = notificationFor(alarm, action);
    const snap = this.site.snapshot();
    this.ctx.snap = snap;
    const e = alarm.entity;
    const stringNo = e.kind === 'string' || e.kind === 'module' ? e.string : 0;
    const varbinds: VarBind[] = [];
    for (const name of def.objects) {
      const { table, column } = columnByName(name);
      let instance: number[];
      let row: unknown;
      if (table === (ALARM_TABLE as unknown)) {
        instance = [alarm.id];
        row = { alarm };
      } else if (table.name === 'bmsModule' && e.kind === 'module') {
        instance = [e.string, e.module];
        row = snap.modules[e.global - 1];
      } else {
        instance = [stringNo];
        row = snap.strings[stringNo - 1];
      }
      const value = row === undefined ? undefined : toSnmp(column.syntax, column.read(row, this.ctx));
      varbinds.push({ oid: [...entryOid(table), column.sub, ...instance], value: value ?? { tag: Tag.Null, value: null } });
    }
    this.notifier.notify([...BMS_NOTIFICATIONS, def.sub], varbinds, notificationPriority(alarm, action, def.name));
  }
}

/**
 * Safety notifications (thermal runaway, ground fault, any critical alarm) go out at once; other
 * alarms wait ahead of warnings. A clear never overtakes its raise: it is at most `high`.
 */
function notificationPriority(alarm: Alarm, action: 'raised' | 'cleared', notification: string): NotificationPriority {
  if (action === 'raised' && (alarm.severity === 'critical' || notification === 'bmsThermalRunaway' || notification === 'bmsGroundFault')) return 'immediate';
  return alarm.severity === 'warning' ? 'normal' : 'high';
}

function thresholdOf(snap: SiteSnapshot, key: ThresholdKey): Threshold | undefined {
  if (key.startsWith('sensors.')) return snap.thresholds.sensors[key.slice('sensors.'.length)];
  return (snap.thresholds as unknown as Record<string, Threshold>)[key];
}

function lengthOf(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0x81, n]);
  return Buffer.from([0x82, n >> 8, n & 0xff]);
}
