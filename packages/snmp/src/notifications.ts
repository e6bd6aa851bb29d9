// Sends traps and informs (v2c, v3) to the configured receivers through net-snmp sessions, at
// most one notification per receiver every `minIntervalMs` (RFC 1628): the rest wait in a queue,
// the more urgent first. Safety notifications (priority `immediate`: thermal runaway, ground fault,
// any critical alarm) never wait: a burst of module-lost traps must not hold them back.
import * as snmp from 'net-snmp';
import { Tag } from './ber';
import type { SnmpValue, VarBind } from './message';
import type { AuthProtocol, PrivProtocol, SecurityLevel } from './usm';
import type { Logger as SnmpLogger } from '@kirchhoff/core';

export interface NotificationReceiver {
  readonly host: string;
  /** Default 162. */
  readonly port?: number;
  /** Default 'trap'. Informs are acknowledged by the receiver and retried. */
  readonly type?: 'trap' | 'inform';
  readonly version: '2c' | '3';
  /** v2c community. */
  readonly community?: string;
  /** v3 user (the receiver must know it; for traps under this agent's engine id). */
  readonly user?: {
    readonly name: string;
    readonly securityLevel: SecurityLevel;
    readonly auth?: { readonly protocol: AuthProtocol; readonly password: string };
    readonly priv?: { readonly protocol: PrivProtocol; readonly password: string };
  };
  /** Inform retries (default 3) and timeout per try (default 2000 ms). */
  readonly retries?: number;
  readonly timeoutMs?: number;
}

export interface NotificationStats {
  sent: number;
  acknowledged: number;
  failed: number;
  dropped: number;
}

const AUTH_NET: Record<AuthProtocol, snmp.AuthProtocols> = {
  sha: snmp.AuthProtocols.sha, sha224: snmp.AuthProtocols.sha224, sha256: snmp.AuthProtocols.sha256, sha384: snmp.AuthProtocols.sha384, sha512: snmp.AuthProtocols.sha512,
};
const PRIV_NET: Record<PrivProtocol, snmp.PrivProtocols> = { aes: snmp.PrivProtocols.aes, aes256b: snmp.PrivProtocols.aes256b, aes256r: snmp.PrivProtocols.aes256r };
const LEVEL_NET: Record<SecurityLevel, snmp.SecurityLevel> = {
  noAuthNoPriv: snmp.SecurityLevel.noAuthNoPriv, authNoPriv: snmp.SecurityLevel.authNoPriv, authPriv: snmp.SecurityLevel.authPriv,
};

function toNetVarbind(vb: VarBind): snmp.Varbind {
  const oid = vb.oid.join('.');
  const v: SnmpValue = vb.value;
  switch (v.tag) {
    case Tag.Integer: return { oid, type: snmp.ObjectType.Integer, value: v.value };
    case Tag.Counter32: return { oid, type: snmp.ObjectType.Counter, value: v.value };
    case Tag.Gauge32: return { oid, type: snmp.ObjectType.Gauge, value: v.value };
    case Tag.TimeTicks: return { oid, type: snmp.ObjectType.TimeTicks, value: v.value };
    case Tag.OctetString: return { oid, type: snmp.ObjectType.OctetString, value: v.value };
    case Tag.Oid: return { oid, type: snmp.ObjectType.OID, value: v.value.join('.') };
    default: return { oid, type: snmp.ObjectType.Null, value: null };
  }
}

/**
 * How urgent a notification is. `immediate` goes out at once, outside the pacing; `high` (alarms,
 * UPS on battery) waits ahead of `normal` (warnings, test results) in a receiver's queue.
 */
export type NotificationPriority = 'immediate' | 'high' | 'normal';
const RANK: Record<NotificationPriority, number> = { immediate: 0, high: 1, normal: 2 };

interface Pending {
  readonly trapOid: readonly number[];
  readonly varbinds: readonly VarBind[];
  readonly priority: NotificationPriority;
}

class ReceiverQueue {
  private readonly session: snmp.Session;
  private readonly queue: Pending[] = [];
  private lastSentMs = -Infinity;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    readonly receiver: NotificationReceiver,
    engineId: Buffer,
    private readonly uptime: () => number,
    private readonly minIntervalMs: number,
    private readonly stats: NotificationStats,
    private readonly logger: SnmpLogger,
    private readonly maxQueue = 100,
  ) {
    const common = {
      trapPort: receiver.port ?? 162,
      port: receiver.port ?? 162,
      retries: receiver.retries ?? 3,
      timeout: receiver.timeoutMs ?? 2000,
      engineID: engineId.toString('hex'),
    };
    if (receiver.version === '3') {
      const u = receiver.user!;
      this.session = snmp.createV3Session(receiver.host, {
        name: u.name,
        level: LEVEL_NET[u.securityLevel],
        ...(u.auth ? { authProtocol: AUTH_NET[u.auth.protocol], authKey: u.auth.password } : {}),
        ...(u.priv ? { privProtocol: PRIV_NET[u.priv.protocol], privKey: u.priv.password } : {}),
      } as snmp.User, { ...common, version: snmp.Version3 } as unknown as snmp.SessionOptionsV3);
    } else {
      this.session = snmp.createSession(receiver.host, receiver.community ?? '', { ...common, version: snmp.Version2c } as snmp.SessionOptions);
    }
    this.session.on('error', (e: unknown) => this.logger.warn(`snmp notification socket error for ${this.label}: ${String(e)}`));
  }

  get label(): string {
    return `${this.receiver.type ?? 'trap'} v${this.receiver.version} ${this.receiver.host}:${this.receiver.port ?? 162}`;
  }

  enqueue(p: Pending): void {
    if (this.closed) return;
    if (p.priority === 'immediate') {
      this.send(p);
      return;
    }
    // Behind every queued notification of the same or higher priority, ahead of the rest.
    const at = this.queue.findIndex((q) => RANK[q.priority] > RANK[p.priority]);
    this.queue.splice(at < 0 ? this.queue.length : at, 0, p);
    if (this.queue.length > this.maxQueue) {
      // The oldest of the least urgent goes.
      const worst = Math.max(...this.queue.map((q) => RANK[q.priority]));
      this.queue.splice(this.queue.findIndex((q) => RANK[q.priority] === worst), 1);
      this.stats.dropped++;
      this.logger.warn(`snmp notifications to ${this.label} are queued faster than one per ${this.minIntervalMs} ms: dropped the oldest of the least urgent`);
    }
    this.pump();
  }

  private pump(): void {
    if (this.timer || this.closed || !this.queue.length) return;
    const wait = this.lastSentMs + this.minIntervalMs - Date.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.pump();
      }, wait);
      return;
    }
    const p = this.queue.shift()!;
    this.lastSentMs = Date.now();
    this.send(p);
    this.pump();
  }

  private send(p: Pending): void {
    const oid = p.trapOid.join('.');
    const varbinds = p.varbinds.map(toNetVarbind);
    const options = { upTime: Math.max(1, this.uptime()) };
    this.stats.sent++;
    try {
      if ((this.receiver.type ?? 'trap') === 'inform') {
        this.session.inform(oid, varbinds, options, (error: Error | null) => {
          if (error) {
            this.stats.failed++;
            this.logger.warn(`snmp inform ${oid} to ${this.label} not acknowledged: ${error.message}`);
          } else this.stats.acknowledged++;
        });
      } else {
        this.session.trap(oid, varbinds, options, (error: Error | null) => {
          if (error) {
            this.stats.failed++;
            this.logger.warn(`snmp trap ${oid} to ${this.label} failed: ${error.message}`);
          }
        });
      }
    } catch (error) {
      this.stats.failed++;
      this.logger.warn(`snmp ${this.receiver.type ?? 'trap'} ${oid} to ${this.label} failed: ${String(error)}`);
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    try {
      this.session.close();
    } catch {
      // already closed
    }
  }
}

export class Notifier {
  readonly stats: NotificationStats = { sent: 0, acknowledged: 0, failed: 0, dropped: 0 };
  private readonly queues: ReceiverQueue[];

  constructor(receivers: readonly NotificationReceiver[], engineId: Buffer, uptime: () => number, minIntervalMs: number, logger: SnmpLogger, private readonly mapOid: (oid: readonly number[]) => readonly number[] = (o) => o) {
    this.queues = receivers.map((r) => new ReceiverQueue(r, engineId, uptime, minIntervalMs, this.stats, logger));
  }

  /** Sends `trapOid` with `varbinds` (sysUpTime and snmpTrapOID are added) to every receiver. */
  notify(trapOid: readonly number[], varbinds: readonly VarBind[], priority: NotificationPriority = 'normal'): void {
    const p = { trapOid: this.mapOid(trapOid), varbinds: varbinds.map((vb) => ({ ...vb, oid: this.mapOid(vb.oid) })), priority };
    for (const q of this.queues) q.enqueue(p);
  }

  close(): void {
    for (const q of this.queues) q.close();
  }
}
