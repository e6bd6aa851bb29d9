// The SNMP agent, composed along RFC 3411's roles: the dispatcher and message processing
// (dispatcher.ts, v2c and v3), the USM (usm.ts), the command responder (command-responder.ts),
// the notification originator (notification-originator.ts, sent by notifications.ts) and the MIB
// index over the site (UPS-MIB, BMS MIB, the agent's own objects). `createSnmpHandler` is all of
// it without a socket (`handle(datagram, source, reply)`); `createSnmpAgent` adds the UDP transport.
import { hostname } from 'node:os';
import { CommandType, ProblemLog, Site, SiteSnapshot } from '@kirchhoff/core';
import { OidIndex, parseOid } from './oid-index';
import type { MibContext } from './context';
import { upsMibLeaves } from './ups-mib';
import { PRODUCT_GATEWAY_OID, bmsMibLeaves, enterpriseMapper } from './bms-mib';
import { EngineIdentity, resolveEngine } from './engine';
import { Notifier, NotificationStats } from './notifications';
import { SnmpAgentOptions, SnmpLogger, securityWarnings, stderrLogger, validateOptions } from './options';
import { localizeUser } from './usm';
import { CommandResponder, Principal } from './command-responder';
import { MessageDispatcher, SnmpRemote, SnmpReply, V3User } from './dispatcher';
import { NotificationOriginator } from './notification-originator';
import { SnmpCounters, newCounters, systemLeaves } from './system-mib';
import { SnmpUdpTransport } from './udp-transport';

export type { SnmpCounters } from './system-mib';
export type { SnmpRemote, SnmpReply } from './dispatcher';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION: string = require('../package.json').version;

/** The agent without a socket: feed it datagrams, it answers through the reply function. */
export interface SnmpHandler {
  readonly engineId: string;
  readonly engineBoots: number;
  readonly counters: Readonly<SnmpCounters>;
  readonly notifications: Readonly<NotificationStats>;
  /** sysUpTime now, hundredths of a second. */
  uptimeTicks(): number;
  /**
   * Processes one request datagram from `source` and sends the answer, if any, through `reply`
   * (at most once). Resolves when answered or dropped (a SET waits for its commands); never rejects.
   */
  handle(datagram: Buffer, source: SnmpRemote, reply: SnmpReply): Promise<void>;
  /** Stops following the site and closes the notification sessions. */
  close(): Promise<void>;
}

export interface SnmpAgent extends SnmpHandler {
  /** The UDP port the agent listens on (useful with port 0). */
  readonly port: number;
}

/** The agent over `site` with no socket of its own: for a transport of your own, or tests. */
export function createSnmpHandler(site: Site, options: SnmpAgentOptions = {}): SnmpHandler {
  validateOptions(options);
  const logger = options.logger ?? stderrLogger;
  const engine = resolveEngine({ engineId: options.engineId, stateFile: options.stateFile, seed: `${hostname()}:${site.snapshot().info.name}:${options.port ?? 161}` });
  const handler = new Handler(site, options, logger, engine);
  if (!options.communities?.length && !options.users?.length) logger.warn('SNMP agent has no communities and no users: it answers nobody (configure snmp.communities or snmp.users)');
  for (const w of securityWarnings(options)) logger.warn(w);
  return handler;
}

/** The agent over `site`, listening on UDP `options.port` (default 161). */
export async function createSnmpAgent(site: Site, options: SnmpAgentOptions = {}): Promise<SnmpAgent> {
  const handler = createSnmpHandler(site, options) as Handler;
  const address = options.address ?? '0.0.0.0';
  const transport = new SnmpUdpTransport((datagram, source, reply) => handler.handle(datagram, source, reply), handler.logger);
  try {
    await transport.listen(options.port ?? 161, address);
  } catch (e) {
    await handler.close();
    await transport.close().catch(() => undefined);
    throw e;
  }
  handler.logger.info(`SNMP agent listening on udp ${address}:${transport.port}, engine id ${handler.engineId} (${handler.engine.source}), boots ${handler.engineBoots}`);
  handler.transport = transport;
  return handler;
}

class Handler implements SnmpAgent {
  /** Set by createSnmpAgent. */
  transport: SnmpUdpTransport | null = null;
  readonly counters: SnmpCounters = newCounters();
  /** Milliseconds on the uptime clock (monotonic unless options.clock is given). */
  private readonly uptimeClockMs: () => number;
  private readonly startedAt: number;
  /** Wall-clock start (alarm times are wall-clock). */
  private readonly startedAtMs: number;
  private readonly ctx: MibContext;
  private readonly notifier: Notifier;
  private readonly originator: NotificationOriginator;
  private readonly dispatcher: MessageDispatcher;
  /** Moves the BMS MIB's OIDs under `enterpriseNumber`. */
  private readonly toEnterprise: (oid: readonly number[]) => number[];
  private index: OidIndex | null = null;
  private indexedSnap: SiteSnapshot | null = null;
  private shapeKey = '';

  constructor(private readonly site: Site, private readonly options: SnmpAgentOptions, readonly logger: SnmpLogger, readonly engine: EngineIdentity) {
    const clock = options.clock;
    this.uptimeClockMs = clock ? () => clock.now() : () => Number(process.hrtime.bigint() / 1_000_000n);
    this.startedAt = this.uptimeClockMs();
    this.startedAtMs = clock ? clock.now() : Date.now();
    const commands = options.commands ?? null;
    this.toEnterprise = enterpriseMapper(options.enterpriseNumber ?? 32473);
    const log = (options.problems ?? new ProblemLog()).source('snmp', logger);
    const views = (v: readonly string[] | undefined) => (v && v.length ? v.map(parseOid) : null);
    const communities = new Map<string, Principal>();
    const users = new Map<string, V3User>();
    for (const c of options.communities ?? []) communities.set(c.name, { name: c.name, access: c.access ?? 'read-only', view: views(c.view) });
    for (const u of options.users ?? []) {
      users.set(u.name, { name: u.name, access: u.access ?? 'read-only', view: views(u.view), localized: localizeUser(u.name, u.securityLevel, engine.engineId, u.auth, u.priv) });
    }
    const snap = site.snapshot();
    this.ctx = {
      snap,
      startedAtMs: this.startedAtMs,
      uptimeTicks: () => this.uptimeTicks(),
      // The wall clock (alarm times) and the monotonic clock sysUpTime counts on can differ by a
      // tick: a time that has passed is never later than sysUpTime now.
      ticksAt: (ms) => Math.max(0, Math.min(this.elapsedTicks(), Math.floor((ms - this.startedAtMs) / 10))) % 2 ** 32,
      upsAlarms: () => this.originator.upsAlarms(),
      testSpinLock: snap.ups?.test.spinLock ?? 1,
      commands,
      canWrite: (type: CommandType) => !!commands && commands.allows('snmp', type),
      agentVersion: options.agentVersion ?? `Kirchhoff ${VERSION}`,
    };
    this.notifier = new Notifier(options.receivers ?? [], engine.engineId, () => this.uptimeTicks(), options.notificationIntervalMs ?? 5000, logger, this.toEnterprise);
    this.originator = new NotificationOriginator({
      site, sink: this.notifier, ctx: this.ctx, index: () => this.refresh(), uptimeTicks: () => this.uptimeTicks(), onBatteryRepeatMs: options.onBatteryRepeatMs ?? 60_000,
    });
    const responder = new CommandResponder({ index: () => this.refresh(), snapshot: () => this.ctx.snap, commands, counters: this.counters, log, logger });
    this.dispatcher = new MessageDispatcher({
      engine, engineTime: () => this.engineTime(), communities, users, maxMessageSize: options.maxMessageSize ?? 1472, counters: this.counters, log,
      respond: (pdu, request) => responder.respond(pdu, request),
    });
    this.originator.start();
  }

  get port(): number {
    return this.transport?.port ?? 0;
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

  handle(datagram: Buffer, source: SnmpRemote, reply: SnmpReply): Promise<void> {
    return this.dispatcher.handle(datagram, source, reply);
  }

  uptimeTicks(): number {
    return this.elapsedTicks() % 2 ** 32;
  }

  /** Hundredths of a second since the start, not wrapped. */
  private elapsedTicks(): number {
    return Math.floor((this.uptimeClockMs() - this.startedAt) / 10);
  }

  private engineTime(): number {
    return Math.floor(this.uptimeTicks() / 100);
  }

  async close(): Promise<void> {
    this.originator.close();
    this.notifier.close();
    await this.transport?.close();
    this.transport = null;
  }

  /** Takes the current snapshot for this request; rebuilds the index when rows appeared or went. */
  private refresh(): OidIndex {
    const snap = this.site.snapshot();
    this.ctx.snap = snap;
    if (snap !== this.indexedSnap || !this.index) {
      this.indexedSnap = snap;
      const u = snap.ups;
      const key = `${snap.alarms.map((a) => a.id).join(',')}|${this.originator.upsAlarms().map((r) => r.id).join(',')}|${u ? `${u.input.lines.length},${u.output.lines.length},${u.bypass.lines.length}` : '-'}`;
      if (key !== this.shapeKey || !this.index) {
        this.shapeKey = key;
        const own = systemLeaves({
          system: this.options.system ?? {}, site: () => this.ctx.snap.info, agentVersion: this.ctx.agentVersion, sysObjectId: this.toEnterprise(PRODUCT_GATEWAY_OID),
          counters: this.counters, engineId: this.engine.engineId, engineBoots: this.engine.boots, uptimeTicks: () => this.uptimeTicks(), engineTime: () => this.engineTime(),
        });
        this.index = new OidIndex([...own, ...upsMibLeaves(this.ctx), ...bmsMibLeaves(this.ctx).map((l) => ({ ...l, oid: this.toEnterprise(l.oid) }))]);
      }
    }
    return this.index!;
  }
}
