// The RCCMD listener for hosts that must shut down: accepts messages over UDP, TCP and TLS 1.3
// from allowed senders only, authenticates them (HMAC with a replay window, or a client
// certificate), waits for N of M senders when asked to, and runs the configured shutdown or
// execute command (or only logs it in dry-run mode). Hostile input is one log line, never a crash.
import { spawn } from 'node:child_process';
import { createSocket, RemoteInfo, Socket as UdpSocket } from 'node:dgram';
import { BlockList, createServer as createTcpServer, isIPv4, isIPv6, Server, Socket } from 'node:net';
import { createServer as createTlsServer, TLSSocket } from 'node:tls';
import { encodeKirchhoff, KirchhoffMessage, NAME_PATTERN, parseMessage, RccmdMessage, verifyMac } from './codec';
import { Clock, ClockTimer, ProblemLog, RateLimitedLog, systemClock } from '@kirchhoff/core';
import { RccmdError } from './errors';
import { LineFramer } from './framing';
import { RccmdLogger, silentLogger } from './log';
import type { TlsIdentity } from './transport';

export interface AllowedSender {
  /** An IP address or CIDR range (`10.0.0.0/24`, `fd00::/8`). */
  readonly address: string;
  /** The sender id it signs with (this project's format); absent = any id from this address. */
  readonly id?: string;
  /** HMAC key shared with this sender; its messages in this project's format must carry a valid mac. */
  readonly key?: string | Buffer;
}

export interface ListenerActions {
  /** Shell command run on an accepted shutdown (e.g. `systemctl poweroff`). */
  readonly shutdown?: string;
  /** Commands an execute may name: name -> shell command. Anything else is refused. */
  readonly execute?: Readonly<Record<string, string>>;
  /** Shell command run for each accepted message, with the text in $RCCMD_TEXT (e.g. `wall "$RCCMD_TEXT"`). */
  readonly message?: string;
}

export interface ListenerOptions {
  /** Id in this listener's ACK/NAK answers. */
  readonly id?: string;
  readonly udp?: { readonly host?: string; readonly port: number } | null;
  readonly tcp?: { readonly host?: string; readonly port: number } | null;
  /** TLS 1.3 with client certificates signed by `ca` (mutual authentication). */
  readonly tls?: ({ readonly host?: string; readonly port: number } & TlsIdentity) | null;
  /** Messages from anyone else are refused. */
  readonly senders: readonly AllowedSender[];
  /** Accept this project's format without mac (and without TLS) from allowed senders: warned about. */
  readonly allowUnauthenticated?: boolean;
  /** Accept the public RCCMD text message (always unauthenticated; it can only show a text). */
  readonly acceptRccmdMessages?: boolean;
  /** Act on a shutdown or execute only after this many different senders sent it (N of M). */
  readonly redundancy?: number;
  /** How long a sender's vote counts, s. */
  readonly voteWindowS?: number;
  /** A sender not heard from (alive or any message) for this long is reported silent; 0 = no checks. */
  readonly aliveTimeoutS?: number;
  /** Accepted clock difference between sender and listener for signed messages, s. */
  readonly replayWindowS?: number;
  readonly actions?: ListenerActions;
  /** Log what would run instead of running it. */
  readonly dryRun?: boolean;
  readonly clock?: Clock;
  readonly logger?: RccmdLogger;
  /** Counts refused input (for /metrics) and limits its lines; the gateway shares one across adapters. Default: a private one. */
  readonly problems?: ProblemLog;
  readonly onEvent?: (event: ListenerEvent) => void;
  /** Runs a shell command (injectable for embedding); default `/bin/sh -c` with the RCCMD_* environment. */
  readonly runCommand?: (command: string, env: Readonly<Record<string, string>>) => Promise<number | null>;
}

export type ListenerAction = 'shutdown' | 'execute' | 'message';

export type ListenerEvent =
  | { readonly type: 'accepted'; readonly sender: string; readonly remote: string; readonly transport: 'udp' | 'tcp' | 'tls'; readonly message: RccmdMessage; readonly authenticated: boolean }
  | { readonly type: 'rejected'; readonly remote: string; readonly transport: 'udp' | 'tcp' | 'tls'; readonly reason: string }
  | { readonly type: 'vote'; readonly action: ListenerAction; readonly command?: string; readonly sender: string; readonly votes: readonly string[]; readonly required: number }
  | { readonly type: 'action'; readonly action: ListenerAction; readonly command: string | null; readonly dryRun: boolean; readonly senders: readonly string[]; readonly text?: string }
  | { readonly type: 'action-done'; readonly action: ListenerAction; readonly exitCode: number | null }
  | { readonly type: 'sender-silent' | 'sender-alive'; readonly sender: string };

export interface SenderStatus {
  readonly sender: string;
  readonly lastSeenMs: number | null;
  readonly alive: boolean;
}

interface SenderEntry {
  readonly name: string;
  readonly spec: AllowedSender;
  readonly block: BlockList;
  lastSeenMs: number | null;
  silent: boolean;
}

const MAX_CONNECTIONS = 64;
/** Message commands (actions.message) running at once; further messages meanwhile run nothing. */
const MAX_MESSAGE_COMMANDS = 4;
const CONNECTION_IDLE_MS = 10_000;
const MAX_NONCES = 100_000;

function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

function blockFor(address: string): BlockList {
  const block = new BlockList();
  const [ip, bits] = address.split('/');
  const family = isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : null;
  const prefix = bits === undefined ? (family === 'ipv4' ? 32 : 128) : Number(bits);
  if (!family || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 'ipv4' ? 32 : 128) || (bits !== undefined && !/^\d+$/.test(bits))) {
    throw new RccmdError('rccmd.sender', `allowed sender ${JSON.stringify(address)} is not an IP address or CIDR range`);
  }
  block.addSubnet(ip, prefix, family);
  return block;
}

function defaultRunCommand(command: string, env: Readonly<Record<string, string>>): Promise<number | null> {
  return new Promise((resolve) => {
    // The message text reaches the command only through the environment, never the command line.
    const child = spawn('/bin/sh', ['-c', command], { env: { ...process.env, ...env }, stdio: 'ignore' });
    child.on('error', () => resolve(null));
    child.on('exit', (code) => resolve(code));
  });
}

export class RccmdListener {
  private readonly clock: Clock;
  private readonly logger: RccmdLogger;
  private readonly problems: RateLimitedLog;
  private readonly entries: SenderEntry[];
  private readonly listeners = new Set<(e: ListenerEvent) => void>();
  private readonly seenNonces = new Map<string, number>();
  private readonly votes = new Map<string, Map<string, number>>();
  private readonly connections = new Set<Socket>();
  private readonly running = new Set<Promise<unknown>>();
  private runningMessages = 0;
  private readonly redundancy: number;
  private udp: UdpSocket | null = null;
  private tcp: Server | null = null;
  private tls: Server | null = null;
  private aliveTimer: ClockTimer | null = null;
  private shutdownStarted = false;
  private readonly id: string;

  constructor(private readonly options: ListenerOptions) {
    this.clock = options.clock ?? systemClock();
    this.logger = options.logger ?? silentLogger;
    this.problems = (options.problems ?? new ProblemLog({ clock: this.clock })).source('rccmd-listener', this.logger);
    this.id = options.id ?? 'listener';
    if (!NAME_PATTERN.test(this.id)) throw new RccmdError('rccmd.listener', `listener id ${JSON.stringify(this.id)} is not valid: 1..64 of A-Z a-z 0-9 . _ -`);
    this.entries = options.senders.map((s) => {
      if (s.id !== undefined && !NAME_PATTERN.test(s.id)) throw new RccmdError('rccmd.sender', `allowed sender id ${JSON.stringify(s.id)} is not valid: 1..64 of A-Z a-z 0-9 . _ -`);
      if (s.key !== undefined && s.key.length < 16) throw new RccmdError('rccmd.sender', `the HMAC key of sender ${s.id ?? s.address} is shorter than 16 characters`);
      return { name: s.id ?? s.address, spec: s, block: blockFor(s.address), lastSeenMs: null, silent: false };
    });
    const names = new Set(this.entries.map((e) => e.name));
    if (names.size !== this.entries.length) throw new RccmdError('rccmd.sender', 'allowed senders must have distinct ids (or addresses): redundancy counts them');
    this.redundancy = options.redundancy ?? 1;
    if (!Number.isInteger(this.redundancy) || this.redundancy < 1 || this.redundancy > Math.max(1, this.entries.length)) {
      throw new RccmdError('rccmd.redundancy', `redundancy ${options.redundancy} is not valid: from 1 to the number of allowed senders (${this.entries.length})`);
    }
    for (const [name, cmd] of Object.entries(options.actions?.execute ?? {})) {
      if (!NAME_PATTERN.test(name) || !cmd) throw new RccmdError('rccmd.execute', `execute command ${JSON.stringify(name)} needs a name of 1..64 of A-Z a-z 0-9 . _ - and a command line`);
    }
    if (options.onEvent) this.listeners.add(options.onEvent);
  }

  onEvent(listener: (e: ListenerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Binds the configured transports; warns about every setting that weakens authentication. */
  async start(): Promise<void> {
    const o = this.options;
    if (!o.udp && !o.tcp && !o.tls) throw new RccmdError('rccmd.listener', 'the RCCMD listener has no transport: configure udp, tcp or tls');
    if (!this.entries.length) this.logger.warn('RCCMD listener: no allowed senders configured: every message will be refused');
    if (o.allowUnauthenticated) this.logger.warn('RCCMD listener: UNAUTHENTICATED shutdown and execute messages are accepted from allowed addresses (allowUnauthenticated): anyone who can spoof such an address can shut this host down. Give each sender a key, or use TLS.');
    const unkeyed = this.entries.filter((e) => !e.spec.key).map((e) => e.name);
    if (!o.allowUnauthenticated && unkeyed.length && !o.tls) this.logger.warn(`RCCMD listener: senders without key (${unkeyed.join(', ')}) can only be accepted over TLS, which is off: their shutdowns will be refused`);
    if (o.acceptRccmdMessages) this.logger.info('RCCMD listener: public-form RCCMD text messages are accepted (unauthenticated, text only: they never shut down or execute)');
    if (o.dryRun) this.logger.warn('RCCMD listener: DRY RUN: shutdown and execute commands are only logged, never run');
    try {
      if (o.udp) await this.startUdp(o.udp.host ?? '0.0.0.0', o.udp.port);
      if (o.tcp) this.tcp = await this.listen(createTcpServer((s) => this.onConnection(s, 'tcp')), o.tcp.host ?? '0.0.0.0', o.tcp.port);
      if (o.tls) {
        const server = createTlsServer({ cert: o.tls.cert, key: o.tls.key, ca: o.tls.ca, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' }, (s) => this.onConnection(s, 'tls'));
        server.on('tlsClientError', (error, socket) => this.reject(plainAddress(socket.remoteAddress ?? '?'), 'tls', 'tls-handshake', `TLS handshake refused: ${error.message}`));
        this.tls = await this.listen(server, o.tls.host ?? '0.0.0.0', o.tls.port);
      }
    } catch (error) {
      await this.close();
      throw error;
    }
    if (o.aliveTimeoutS && o.aliveTimeoutS > 0) this.scheduleAliveCheck();
    this.logger.info(`RCCMD listener on ${this.endpoints().join(', ')}: ${this.entries.length} allowed sender(s), redundancy ${this.redundancy} of ${this.entries.length}${o.dryRun ? ', dry run' : ''}`);
  }

  /** Bound endpoints, e.g. `udp 0.0.0.0:6003`. */
  endpoints(): string[] {
    const out: string[] = [];
    if (this.udp) out.push(`udp ${this.udp.address().address}:${this.udp.address().port}`);
    for (const [name, s] of [['tcp', this.tcp], ['tls', this.tls]] as const) {
      const a = s?.address();
      if (a && typeof a === 'object') out.push(`${name} ${a.address}:${a.port}`);
    }
    return out;
  }

  /** Bound ports (port 0 resolved). */
  ports(): { udp?: number; tcp?: number; tls?: number } {
    const port = (s: Server | null) => {
      const a = s?.address();
      return a && typeof a === 'object' ? a.port : undefined;
    };
    return { udp: this.udp?.address().port, tcp: port(this.tcp), tls: port(this.tls) };
  }

  senderStatus(): SenderStatus[] {
    return this.entries.map((e) => ({ sender: e.name, lastSeenMs: e.lastSeenMs, alive: !e.silent && e.lastSeenMs !== null }));
  }

  /** Resolves when every command started so far has ended. */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  async close(): Promise<void> {
    this.clock.clearTimeout(this.aliveTimer);
    this.aliveTimer = null;
    for (const c of this.connections) c.destroy();
    this.connections.clear();
    const udp = this.udp;
    this.udp = null;
    if (udp) await new Promise<void>((r) => udp.close(() => r()));
    for (const s of [this.tcp, this.tls]) if (s) await new Promise<void>((r) => s.close(() => r()));
    this.tcp = null;
    this.tls = null;
  }

  // --- transports ------------------------------------------------------------------------

  private startUdp(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.off('error', reject);
        socket.on('error', (e) => this.logger.error(`RCCMD listener UDP socket error: ${e.message}`));
        socket.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo));
        this.udp = socket;
        resolve();
      });
    });
  }

  private listen(server: Server, host: string, port: number): Promise<Server> {
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        server.on('error', (e) => this.logger.error(`RCCMD listener server error: ${e.message}`));
        resolve(server);
      });
    });
  }

  private onDatagram(msg: Buffer, rinfo: RemoteInfo): void {
    try {
      const remote = plainAddress(rinfo.address);
      const reply = (bytes: Buffer) => this.udp?.send(bytes, rinfo.port, rinfo.address, () => {});
      this.handle(msg, remote, 'udp', reply, null);
    } catch (error) {
      this.logger.error(`RCCMD listener: datagram from ${rinfo.address} failed: ${(error as Error).message}`);
    }
  }

  private onConnection(socket: Socket, transport: 'tcp' | 'tls'): void {
    const remote = plainAddress(socket.remoteAddress ?? '?');
    socket.on('error', () => socket.destroy());
    if (!this.entries.some((e) => e.block.check(remote, isIPv6(remote) ? 'ipv6' : 'ipv4'))) {
      this.reject(remote, transport, 'unknown-sender', 'unknown sender (not in the allowed-sender list)');
      socket.destroy();
      return;
    }
    if (this.connections.size >= MAX_CONNECTIONS) {
      this.reject(remote, transport, 'too-many-connections', `too many connections (${MAX_CONNECTIONS})`);
      socket.destroy();
      return;
    }
    this.connections.add(socket);
    socket.on('close', () => this.connections.delete(socket));
    socket.setTimeout(CONNECTION_IDLE_MS, () => socket.destroy());
    const certOk = transport === 'tls' && (socket as TLSSocket).authorized;
    const framer = new LineFramer();
    const reply = (bytes: Buffer) => {
      if (!socket.destroyed && socket.writable) socket.write(bytes);
    };
    socket.on('data', (chunk: Buffer) => {
      try {
        const { frames, overflow } = framer.push(chunk);
        for (const f of frames) this.handle(f, remote, transport, reply, certOk);
        if (overflow) {
          this.reject(remote, transport, 'too-long', 'message longer than the limit without a line end: connection closed');
          socket.destroy();
        }
      } catch (error) {
        this.logger.error(`RCCMD listener: stream from ${remote} failed: ${(error as Error).message}`);
        socket.destroy();
      }
    });
    socket.on('end', () => {
      try {
        const last = framer.end();
        if (last) this.handle(last, remote, transport, reply, certOk);
      } catch (error) {
        this.logger.error(`RCCMD listener: stream from ${remote} failed: ${(error as Error).message}`);
      }
      socket.end();
    });
  }

  // --- messages --------------------------------------------------------------------------

  /** `kind` is a fixed name (the log line and the /metrics counter); `reason` says what happened this time. */
  private reject(remote: string, transport: 'udp' | 'tcp' | 'tls', kind: string, reason: string): void {
    this.emit({ type: 'rejected', remote, transport, reason });
    this.problems.warn(kind, `RCCMD listener: refused ${transport} message from ${remote}: ${reason}`, { remote, transport });
  }

  private nak(message: KirchhoffMessage, entry: SenderEntry | null, reason: string, reply: (b: Buffer) => void): void {
    // Only answer addresses on the allow list: a spoofed datagram must not turn us into a reflector.
    if (!entry) return;
    reply(encodeKirchhoff({ kind: 'nak', from: this.id, tsMs: this.clock.now(), re: message.nonce, reason }, entry.spec.key));
  }

  private handle(bytes: Buffer, remote: string, transport: 'udp' | 'tcp' | 'tls', reply: (b: Buffer) => void, certOk: boolean | null): void {
    const family = isIPv6(remote) ? 'ipv6' : 'ipv4';
    const candidates = this.entries.filter((e) => e.block.check(remote, family));
    if (!candidates.length) return this.reject(remote, transport, 'unknown-sender', 'unknown sender (not in the allowed-sender list)');
    const parsed = parseMessage(bytes);
    if (!parsed.ok) return this.reject(remote, transport, 'malformed', `malformed: ${parsed.reason}`);
    const message = parsed.message;

    if (message.format === 'rccmd') {
      if (!this.options.acceptRccmdMessages) return this.reject(remote, transport, 'public-form-off', 'public-form RCCMD message (unauthenticated; acceptRccmdMessages is off)');
      const entry = candidates[0];
      this.seen(entry);
      this.emit({ type: 'accepted', sender: entry.name, remote, transport, message, authenticated: false });
      // Unauthenticated and cheap to send: logged like hostile input (one line a minute, all counted).
      this.problems.warn('public-message', `RCCMD public-form message from ${entry.name}: ${message.text}`, { sender: entry.name, event: message.event.type });
      this.act('message', null, [entry.name], message.text, entry.name);
      return;
    }

    if (message.kind === 'ack' || message.kind === 'nak') return this.reject(remote, transport, 'unexpected-reply', `unexpected ${message.kind}`);
    const entry = candidates.find((e) => e.spec.id === message.from) ?? candidates.find((e) => e.spec.id === undefined) ?? null;
    if (!entry) return this.reject(remote, transport, 'sender-id', `sender id ${JSON.stringify(message.from)} is not allowed from ${remote}`);

    let authenticated = false;
    if (entry.spec.key) {
      if (!message.mac) return this.reject(remote, transport, 'unsigned', `unauthenticated: sender ${entry.name} must sign its messages`);
      if (!verifyMac(message, entry.spec.key)) return this.reject(remote, transport, 'bad-mac', `bad mac from ${entry.name} (wrong key or altered message)`);
      const windowMs = (this.options.replayWindowS ?? 30) * 1000;
      const now = this.clock.now();
      if (Math.abs(now - message.tsMs) > windowMs) return this.reject(remote, transport, 'timestamp', `stale or future timestamp from ${entry.name} (${Math.round((message.tsMs - now) / 1000)} s off; window ${windowMs / 1000} s): replay or clock drift`);
      if (this.seenNonces.has(`${entry.name}|${message.nonce}`)) return this.reject(remote, transport, 'replay', `replayed message from ${entry.name} (nonce seen before)`);
      this.rememberNonce(`${entry.name}|${message.nonce}`, message.tsMs + windowMs, now);
      authenticated = true;
    } else if (certOk) {
      authenticated = true;
    } else if (!this.options.allowUnauthenticated) {
      this.nak(message, entry, 'unauthenticated', reply);
      return this.reject(remote, transport, 'unauthenticated', `unauthenticated ${message.kind} from ${entry.name} (no key for it, not TLS, allowUnauthenticated is off)`);
    }

    this.seen(entry);
    this.emit({ type: 'accepted', sender: entry.name, remote, transport, message, authenticated });
    if (message.kind === 'alive') return;

    if (message.kind === 'execute' && !this.options.actions?.execute?.[message.command!]) {
      this.nak(message, entry, `unknown command ${message.command}`, reply);
      return this.reject(remote, transport, 'unknown-command', `execute ${message.command} from ${entry.name}: no such command is configured here`);
    }
    reply(encodeKirchhoff({ kind: 'ack', from: this.id, tsMs: this.clock.now(), re: message.nonce }, entry.spec.key));
    this.logger.info(`RCCMD ${message.kind}${message.command ? ` ${message.command}` : ''} from ${entry.name}${message.text ? `: ${message.text}` : ''}`, { sender: entry.name, kind: message.kind, authenticated });
    if (message.kind === 'message' || message.kind === 'trap') this.act('message', null, [entry.name], message.text ?? '', entry.name);
    else this.vote(message.kind, message.command ?? null, entry.name, message.text ?? '');
  }

  private rememberNonce(key: string, expiresMs: number, now: number): void {
    if (this.seenNonces.size >= MAX_NONCES) {
      for (const [k, exp] of this.seenNonces) if (exp < now) this.seenNonces.delete(k);
      // Still full of live nonces: drop the oldest; the timestamp window still bounds replays.
      while (this.seenNonces.size >= MAX_NONCES) this.seenNonces.delete(this.seenNonces.keys().next().value!);
    }
    this.seenNonces.set(key, expiresMs);
  }

  private vote(action: 'shutdown' | 'execute', command: string | null, sender: string, text: string): void {
    if (action === 'shutdown' && this.shutdownStarted) {
      this.logger.info(`RCCMD shutdown from ${sender}: the shutdown already started`);
      return;
    }
    const key = `${action}|${command ?? ''}`;
    const now = this.clock.now();
    const windowMs = (this.options.voteWindowS ?? 600) * 1000;
    const votes = this.votes.get(key) ?? new Map<string, number>();
    for (const [s, at] of votes) if (now - at > windowMs) votes.delete(s);
    votes.set(sender, now);
    this.votes.set(key, votes);
    const voters = [...votes.keys()];
    this.emit({ type: 'vote', action, ...(command ? { command } : {}), sender, votes: voters, required: this.redundancy });
    if (voters.length < this.redundancy) {
      this.logger.warn(`RCCMD ${action}${command ? ` ${command}` : ''} from ${sender}: ${voters.length} of ${this.redundancy} required senders so far (${voters.join(', ')}); waiting`);
      return;
    }
    this.votes.delete(key);
    if (action === 'shutdown') this.shutdownStarted = true;
    this.act(action, command, voters, text, sender);
  }

  private act(action: ListenerAction, name: string | null, senders: readonly string[], text: string, sender: string): void {
    const a = this.options.actions ?? {};
    const command = action === 'shutdown' ? a.shutdown : action === 'execute' ? a.execute?.[name!] : a.message;
    const dryRun = !!this.options.dryRun;
    this.emit({ type: 'action', action, command: command ?? null, dryRun, senders, ...(text ? { text } : {}) });
    const what = `${action}${name ? ` ${name}` : ''}`;
    if (!command) {
      if (action !== 'message') this.logger.error(`RCCMD ${what} accepted from ${senders.join(', ')}, but no ${action} command is configured`);
      return;
    }
    if (dryRun) {
      this.logger.warn(`RCCMD DRY RUN: would run ${what}: ${command}`, { senders, text });
      return;
    }
    // Message commands follow any text a sender (or, in public form, anyone on an allowed address)
    // sends: bounded in number, and logged only when they fail. Shutdown and execute are voted on.
    const isMessage = action === 'message';
    if (isMessage && this.runningMessages >= MAX_MESSAGE_COMMANDS) {
      this.problems.warn('message-command-busy', `RCCMD message from ${sender}: ${MAX_MESSAGE_COMMANDS} message commands still running: not run`, { senders });
      return;
    }
    if (!isMessage) this.logger.warn(`RCCMD ${what}: running ${command}`, { senders });
    const env = { RCCMD_ACTION: action, RCCMD_COMMAND: name ?? '', RCCMD_SENDER: sender, RCCMD_SENDERS: senders.join(','), RCCMD_TEXT: text };
    if (isMessage) this.runningMessages++;
    const run = (this.options.runCommand ?? defaultRunCommand)(command, env).then(
      (code) => {
        this.emit({ type: 'action-done', action, exitCode: code });
        if (isMessage) {
          if (code !== 0) this.problems.warn('message-command-failed', `RCCMD ${what}: command failed`, { exitCode: code });
        } else if (code === 0) this.logger.info(`RCCMD ${what}: command ended`, { exitCode: code });
        else this.logger.error(`RCCMD ${what}: command failed`, { exitCode: code });
      },
      (error) => this.logger.error(`RCCMD ${what}: command could not run: ${(error as Error).message}`),
    ).finally(() => {
      this.running.delete(run);
      if (isMessage) this.runningMessages--;
    });
    this.running.add(run);
  }

  // --- alive checks ----------------------------------------------------------------------

  private seen(entry: SenderEntry): void {
    entry.lastSeenMs = this.clock.now();
    if (entry.silent) {
      entry.silent = false;
      this.emit({ type: 'sender-alive', sender: entry.name });
      this.logger.info(`RCCMD sender ${entry.name} is back`);
    }
  }

  private scheduleAliveCheck(): void {
    const timeoutMs = this.options.aliveTimeoutS! * 1000;
    const since = this.clock.now();
    const check = () => {
      const now = this.clock.now();
      let changed = false;
      for (const e of this.entries) {
        const last = e.lastSeenMs ?? since;
        if (!e.silent && now - last >= timeoutMs) {
          e.silent = true;
          changed = true;
          this.emit({ type: 'sender-silent', sender: e.name });
          this.logger.warn(`RCCMD sender ${e.name} silent for ${Math.round((now - last) / 1000)} s (alive check ${timeoutMs / 1000} s)`);
        }
      }
      const alive = this.entries.filter((e) => !e.silent).length;
      if (changed && alive < this.redundancy) this.logger.error(`RCCMD redundancy ${this.redundancy} of ${this.entries.length} cannot be reached: only ${alive} sender(s) alive`);
      this.aliveTimer = this.clock.setTimeout(check, Math.max(250, Math.min(timeoutMs / 4, 5000)));
    };
    this.aliveTimer = this.clock.setTimeout(check, Math.max(250, Math.min(timeoutMs / 4, 5000)));
  }

  private emit(event: ListenerEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch (error) {
        this.logger.error('RCCMD listener event listener failed', { error: (error as Error).message });
      }
    }
  }
}
