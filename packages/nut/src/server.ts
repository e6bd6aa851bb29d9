// The NUT network server over a site: upsd's protocol on TCP (default port 3493) or on any
// stream given to `handle` (connection.ts serves each one), one session per connection,
// connection caps with eviction of the idle, STARTTLS with the gateway's certificate, forced
// shutdown (FSD) set by a primary or the gateway.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createSecureContext, type SecureContext } from 'node:tls';
import { CommandError, ProblemLog, systemClock, type Command, type CommandInterface, type Site, type SiteSnapshot } from '@kirchhoff/core';
import { serveNutConnection } from './connection';
import { validateOptions, type NutServerOptions } from './options';
import { NutSession, type NutUser, type SessionHost } from './session';
import { siteUps, stringUps, type NutUps, type VariableContext } from './variables';

export interface NutServer {
  /** The port as bound (port 0 resolved); 0 with `listen: false`. */
  readonly port: number;
  /** The NUT UPS names served, the site's UPS first. */
  readonly upsNames: readonly string[];
  /** Sets forced shutdown on one UPS name, or on all: every upsmon logged in to it shuts its host down. */
  setFsd(ups: string | null, by: string): void;
  /** Clears forced shutdown (an operator's decision once the hosts are down or the danger passed). */
  clearFsd(ups: string | null, by: string): void;
  fsd(ups: string): boolean;
  /**
   * Serves one NUT connection on any duplex stream (a TCP or TLS connection, or an in-memory pair):
   * request lines in, answers out, with the same line limit, bounded output, idle timeout,
   * STARTTLS and connection caps as the TCP listener's connections (which come through here too).
   */
  handle(stream: Duplex, peer: NutPeer): void;
  /** Open connections now. */
  connections(): number;
  /** Counters of refused and evicted connections and protocol errors, for /metrics. */
  stats(): Readonly<Record<string, number>>;
  close(): Promise<void>;
}

/** Who is at the other end of a stream given to `handle`. */
export interface NutPeer {
  /** The client's IP address (the per-address connection cap counts it). */
  readonly address: string;
  readonly port?: number;
}

interface Connection {
  readonly address: string;
  readonly session: NutSession;
  lastActivityMs: number;
  close(): void;
}

const VERSION = '0.1.0';

export async function createNutServer(site: Site, options: NutServerOptions = {}): Promise<NutServer> {
  validateOptions(options);
  const logger = options.logger ?? { info: () => {}, warn: () => {}, error: () => {} };
  const problems = (options.problems ?? new ProblemLog()).source('nut', logger);
  const upsName = options.upsName ?? 'kirchhoff';
  const maxLine = options.maxLineBytes ?? 1024;
  const maxConnections = options.maxConnections ?? 256;
  const perAddress = options.maxConnectionsPerAddress ?? 32;
  const idleMs = (options.idleTimeoutS ?? 300) * 1000;
  const clock = options.clock ?? systemClock();
  const limits = { chargePercent: options.lowBattery?.chargePercent ?? 20, runtimeS: options.lowBattery?.runtimeS ?? 300 };
  const commands: CommandInterface | null = options.commands ?? null;
  const tlsContext: SecureContext | null = options.tls ? createSecureContext({ cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2' }) : null;

  const upsList: NutUps[] = [siteUps(upsName, options.description ?? `${site.snapshot().info.name}: UPS and battery`)];
  if (options.strings) for (const s of site.snapshot().strings) upsList.push(stringUps(`${upsName}-string${s.string}`, s.string));
  const byName = new Map(upsList.map((u) => [u.name.toLowerCase(), u]));
  const fsd = new Set<string>();
  const conns = new Set<Connection>();
  const cache = new WeakMap<SiteSnapshot, Map<string, ReadonlyMap<string, string> | null>>();
  const counters = { evicted: 0, tooLong: 0, authFailures: 0, errors: 0 };

  const host: SessionHost = {
    version: VERSION,
    tlsAvailable: tlsContext !== null,
    ups: (name) => byName.get(name.toLowerCase()),
    upsList: () => upsList,
    variables(ups) {
      // Computed once per site change (the snapshot is the same object until then) and FSD state.
      const s = site.snapshot();
      const key = `${ups.name}\u0000${fsd.has(ups.name)}`;
      let perSnapshot = cache.get(s);
      if (!perSnapshot) cache.set(s, (perSnapshot = new Map()));
      let vars = perSnapshot.get(key);
      if (vars === undefined) {
        const stale = !(s.ups?.quality === 'fresh' || s.strings.some((x) => x.sumVoltageV.quality === 'fresh'));
        const context: VariableContext = { limits, fsd: fsd.has(ups.name), batteryDate: options.batteryDate ?? '', version: VERSION };
        vars = stale ? null : ups.variables(s, context);
        perSnapshot.set(key, vars);
      }
      return vars;
    },
    async authenticate(username, password, remote) {
      const user = options.authenticate ? await options.authenticate(username, password, remote) : null;
      if (!user) {
        counters.authFailures++;
        problems.warn('auth', `NUT: refused the credentials of user ${JSON.stringify(username)}`);
      }
      return user;
    },
    numLogins: (ups) => [...conns].filter((c) => c.session.loggedInTo === ups).length,
    clients: (ups) => [...conns].filter((c) => c.session.loggedInTo === ups).map((c) => c.address),
    setFsd: (ups, by) => server.setFsd(ups, by),
    allows: (command: Command) => commands !== null && commands.allows('nut', command.type),
    async execute(command: Command, user: NutUser, remote: string) {
      if (!commands) throw new CommandError('forbidden', 'NUT writes are off');
      await commands.submit(command, { protocol: 'nut', principal: user.name, remote });
    },
  };

    const evictOldestIdle = (among: Connection[]): void => {
    let oldest: Connection | null = null;
    for (const c of among) if (!oldest || c.lastActivityMs < oldest.lastActivityMs) oldest = c;
    if (oldest) {
      counters.evicted++;
      problems.warn('evict', `NUT: connection limit reached; closed the longest idle connection (from ${oldest.address})`);
      conns.delete(oldest);
      oldest.close();
    }
  };

  const handle = (stream: Duplex, peer: NutPeer): void => {
    const address = peer.address;
    const sameAddress = [...conns].filter((c) => c.address === address);
    if (sameAddress.length >= perAddress) evictOldestIdle(sameAddress);
    if (conns.size >= maxConnections) evictOldestIdle([...conns]);
    const session = new NutSession(host, `${address}:${peer.port ?? 0}`);
    const conn: Connection = { address, session, lastActivityMs: clock.now(), close: () => stream.destroy() };
    conns.add(conn);
    conn.close = serveNutConnection(stream, {
      session, address, maxLine, idleMs, clock, tls: tlsContext,
      activity: () => (conn.lastActivityMs = clock.now()),
      tooLong: () => {
        counters.tooLong++;
        problems.warn('too-long', `NUT: a request line from ${address} was longer than ${maxLine} bytes; connection closed`);
      },
      failed: (error) => {
        counters.errors++;
        problems.warn('internal', `NUT: a request from ${address} failed: ${error.message}`);
      },
      closed: () => conns.delete(conn),
    });
  };

  let tcp: Server | null = null;
  if (options.listen !== false) {
    const listener = createServer((socket: Socket) => {
      socket.setNoDelay(true);
      handle(socket, { address: socket.remoteAddress ?? 'unknown', port: socket.remotePort });
    });
    listener.on('error', (error) => logger.error(`NUT: ${error.message}`));
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(options.port ?? 3493, options.host ?? '127.0.0.1', () => {
        listener.removeListener('error', reject);
        resolve();
      });
    });
    tcp = listener;
  }

  const names = (ups: string | null): string[] => (ups === null ? upsList.map((u) => u.name) : [host.ups(ups)?.name ?? ups]);
  const server: NutServer = {
    port: tcp ? (tcp.address() as AddressInfo).port : 0,
    upsNames: upsList.map((u) => u.name),
    setFsd(ups, by) {
      for (const n of names(ups)) {
        if (!fsd.has(n)) logger.warn(`NUT: forced shutdown (FSD) set on ${n} by ${by}: every upsmon logged in to it shuts its host down`);
        fsd.add(n);
      }
    },
    clearFsd(ups, by) {
      for (const n of names(ups)) if (fsd.delete(n)) logger.info(`NUT: forced shutdown cleared on ${n} by ${by}`);
    },
    fsd: (ups) => fsd.has(host.ups(ups)?.name ?? ups),
    handle,
    connections: () => conns.size,
    stats: () => ({ ...counters, connections: conns.size }),
    async close() {
      for (const c of conns) c.close();
      conns.clear();
      const listener = tcp;
      if (listener) await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
  return server;
}
