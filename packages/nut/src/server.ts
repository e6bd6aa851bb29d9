// The NUT network server over a site: upsd's protocol on TCP (default port 3493), one session
// per connection, bounded lines, bounded output, connection caps with eviction of the idle,
// STARTTLS with the gateway's certificate, forced shutdown (FSD) set by a primary or the gateway.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import { CommandError, ProblemLog, type Command, type CommandInterface, type Site, type SiteSnapshot } from '@kirchhoff/core';
import { validateOptions, type NutServerOptions } from './options';
import { NutSession, type NutUser, type SessionHost } from './session';
import { siteUps, stringUps, type NutUps, type VariableContext } from './variables';

export interface NutServer {
  /** The port as bound (port 0 resolved). */
  readonly port: number;
  /** The NUT UPS names served, the site's UPS first. */
  readonly upsNames: readonly string[];
  /** Sets forced shutdown on one UPS name, or on all: every upsmon logged in to it shuts its host down. */
  setFsd(ups: string | null, by: string): void;
  /** Clears forced shutdown (an operator's decision once the hosts are down or the danger passed). */
  clearFsd(ups: string | null, by: string): void;
  fsd(ups: string): boolean;
  /** Open connections now. */
  connections(): number;
  /** Counters of refused and evicted connections and protocol errors, for /metrics. */
  stats(): Readonly<Record<string, number>>;
  close(): Promise<void>;
}

interface Connection {
  readonly socket: Socket;
  readonly address: string;
  readonly session: NutSession;
  lastActivityMs: number;
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
      oldest.socket.destroy();
      conns.delete(oldest);
    }
  };

  const serve = (raw: Socket): void => {
    const address = raw.remoteAddress ?? 'unknown';
    const sameAddress = [...conns].filter((c) => c.address === address);
    if (sameAddress.length >= perAddress) evictOldestIdle(sameAddress);
    if (conns.size >= maxConnections) evictOldestIdle([...conns]);
    const conn: Connection = { socket: raw, address, session: new NutSession(host, `${address}:${raw.remotePort ?? 0}`), lastActivityMs: Date.now() };
    conns.add(conn);
    let stream: Socket = raw;
    let buffer = '';
    let queue: string[] = [];
    let busy = false;
    let upgrading = false;

    raw.setNoDelay(true);
    raw.setTimeout(idleMs, () => raw.destroy());
    raw.on('error', () => {});
    raw.on('close', () => {
      conns.delete(conn);
      queue = [];
    });

    const write = (lines: readonly string[]): void => {
      if (lines.length && !stream.destroyed) stream.write(lines.map((l) => `${l}\n`).join(''));
    };

    const pump = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      try {
        while (queue.length && !stream.destroyed) {
          const line = queue.shift() as string;
          const answer = await conn.session.handle(line);
          write(answer.lines);
          if (answer.close) {
            stream.end();
            return;
          }
          if (answer.startTls && tlsContext) {
            upgrading = true;
            queue = [];
            buffer = '';
            stream.removeListener('data', onData);
            const secure = new TLSSocket(raw, { isServer: true, secureContext: tlsContext });
            secure.on('error', () => raw.destroy());
            secure.on('data', onData);
            stream = secure;
            upgrading = false;
            return;
          }
          // Bounded output: a client that does not read its answers stops being read.
          if (stream.writableLength > 256 * 1024) {
            stream.pause();
            await new Promise<void>((resolve) => {
              stream.once('drain', resolve);
              stream.once('close', resolve);
            });
            stream.resume();
          }
        }
      } catch (error) {
        counters.errors++;
        problems.warn('internal', `NUT: a request from ${address} failed: ${(error as Error).message}`);
        write(['ERR INVALID-ARGUMENT']);
      } finally {
        busy = false;
      }
      if (queue.length === 0 && stream.isPaused() && !stream.destroyed) stream.resume();
    };

    const onData = (chunk: Buffer | string): void => {
      if (upgrading) return;
      conn.lastActivityMs = Date.now();
      buffer += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        queue.push(buffer.slice(0, nl).replace(/\r$/, ''));
        buffer = buffer.slice(nl + 1);
      }
      if (buffer.length > maxLine || queue.some((l) => l.length > maxLine)) {
        counters.tooLong++;
        problems.warn('too-long', `NUT: a request line from ${address} was longer than ${maxLine} bytes; connection closed`);
        stream.end('ERR INVALID-ARGUMENT\n');
        queue = [];
        buffer = '';
        stream.removeListener('data', onData);
        return;
      }
      // Bounded input: at most 64 lines wait; the socket is not read meanwhile.
      if (queue.length > 64) stream.pause();
      void pump();
    };
    raw.on('data', onData);
  };

  const tcp: Server = createServer(serve);
  tcp.on('error', (error) => logger.error(`NUT: ${error.message}`));
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(options.port ?? 3493, options.host ?? '127.0.0.1', () => {
      tcp.removeListener('error', reject);
      resolve();
    });
  });

  const names = (ups: string | null): string[] => (ups === null ? upsList.map((u) => u.name) : [host.ups(ups)?.name ?? ups]);
  const server: NutServer = {
    port: (tcp.address() as AddressInfo).port,
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
    connections: () => conns.size,
    stats: () => ({ ...counters, connections: conns.size }),
    async close() {
      for (const c of conns) c.socket.destroy();
      conns.clear();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    },
  };
  return server;
}
