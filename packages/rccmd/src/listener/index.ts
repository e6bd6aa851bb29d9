// The RCCMD listener for hosts that must shut down, composed of its parts: the sockets
// (sockets.ts: UDP, TCP, TLS 1.3) and the stream framing (stream.ts), the allowed senders
// (senders.ts), authentication (auth.ts: HMAC with a replay window, or a client certificate),
// the N-of-M quorum (quorum.ts) and the command runner (runner.ts: shutdown, execute, message, or
// dry run). `handle(stream, peer)` and `handleDatagram(bytes, remote, reply)` serve RCCMD on a
// stream or datagrams of your own. Hostile input is one log line, never a crash.
import type { Duplex } from 'node:stream';
import { Clock, ProblemLog, RateLimitedLog, systemClock } from '@kirchhoff/core';
import { encodeKirchhoff, KirchhoffMessage, NAME_PATTERN, parseMessage } from '../codec';
import { RccmdError } from '../errors';
import { emitToAll, RccmdLogger, silentLogger } from '../log';
import { Authenticator } from './auth';
import type { ListenerEvent, ListenerOptions, ListenerTransport, SenderStatus } from './options';
import { Quorum } from './quorum';
import { CommandRunner, defaultRunCommand } from './runner';
import { SenderEntry, SenderTable } from './senders';
import { ListenerSockets } from './sockets';
import { serveStream } from './stream';

export type { AllowedSender, ListenerAction, ListenerActions, ListenerEvent, ListenerOptions, ListenerTransport, SenderStatus } from './options';

/** Who is at the other end of a stream given to `handle`. */
export interface RccmdStreamPeer {
  /** The peer's IP address (the allowed-sender list is checked against it). */
  readonly remote: string;
  /** Default 'tcp'. */
  readonly transport?: 'tcp' | 'tls';
  /** The peer presented a client certificate the CA signed (TLS): it authenticates unkeyed senders. */
  readonly certOk?: boolean;
}

export class RccmdListener {
  private readonly clock: Clock;
  private readonly logger: RccmdLogger;
  private readonly problems: RateLimitedLog;
  private readonly senders: SenderTable;
  private readonly auth: Authenticator;
  private readonly quorum: Quorum;
  private readonly runner: CommandRunner;
  private readonly sockets: ListenerSockets;
  private readonly listeners = new Set<(e: ListenerEvent) => void>();
  private readonly id: string;

  constructor(private readonly options: ListenerOptions) {
    this.clock = options.clock ?? systemClock();
    this.logger = options.logger ?? silentLogger;
    this.problems = (options.problems ?? new ProblemLog({ clock: this.clock })).source('rccmd-listener', this.logger);
    this.id = options.id ?? 'listener';
    if (!NAME_PATTERN.test(this.id)) throw new RccmdError('rccmd.listener', `listener id ${JSON.stringify(this.id)} is not valid: 1..64 of A-Z a-z 0-9 . _ -`);
    this.senders = new SenderTable(options.senders, this.clock);
    const count = this.senders.entries.length;
    const redundancy = options.redundancy ?? 1;
    if (!Number.isInteger(redundancy) || redundancy < 1 || redundancy > Math.max(1, count)) {
      throw new RccmdError('rccmd.redundancy', `redundancy ${options.redundancy} is not valid: from 1 to the number of allowed senders (${count})`);
    }
    for (const [name, cmd] of Object.entries(options.actions?.execute ?? {})) {
      if (!NAME_PATTERN.test(name) || !cmd) throw new RccmdError('rccmd.execute', `execute command ${JSON.stringify(name)} needs a name of 1..64 of A-Z a-z 0-9 . _ - and a command line`);
    }
    this.auth = new Authenticator({
      senders: this.senders, clock: this.clock, replayWindowS: options.replayWindowS ?? 30,
      allowUnauthenticated: !!options.allowUnauthenticated, acceptRccmdMessages: !!options.acceptRccmdMessages,
    });
    this.quorum = new Quorum(redundancy, options.voteWindowS ?? 600, this.clock);
    const emit = (e: ListenerEvent) => this.emit(e);
    this.runner = new CommandRunner({
      actions: options.actions ?? {}, dryRun: !!options.dryRun, runCommand: options.runCommand ?? defaultRunCommand, logger: this.logger, problems: this.problems, emit,
    });
    this.sockets = new ListenerSockets({
      datagram: (bytes, remote, reply) => this.handleDatagram(bytes, remote, reply),
      accepts: (remote) => this.auth.knows(remote),
      stream: (socket, peer) => this.handle(socket, peer),
      reject: (remote, transport, kind, reason) => this.reject(remote, transport, kind, reason),
    }, this.logger);
    if (options.onEvent) this.listeners.add(options.onEvent);
  }

  onEvent(listener: (e: ListenerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Binds the configured transports; warns about every setting that weakens authentication. */
  async start(): Promise<void> {
    const o = this.options;
    const entries = this.senders.entries;
    if (!o.udp && !o.tcp && !o.tls) throw new RccmdError('rccmd.listener', 'the RCCMD listener has no transport: configure udp, tcp or tls');
    if (!entries.length) this.logger.warn('RCCMD listener: no allowed senders configured: every message will be refused');
    if (o.allowUnauthenticated) this.logger.warn('RCCMD listener: UNAUTHENTICATED shutdown and execute messages are accepted from allowed addresses (allowUnauthenticated): anyone who can spoof such an address can shut this host down. Give each sender a key, or use TLS.');
    const unkeyed = entries.filter((e) => !e.spec.key).map((e) => e.name);
    if (!o.allowUnauthenticated && unkeyed.length && !o.tls) this.logger.warn(`RCCMD listener: senders without key (${unkeyed.join(', ')}) can only be accepted over TLS, which is off: their shutdowns will be refused`);
    if (o.acceptRccmdMessages) this.logger.info('RCCMD listener: public-form RCCMD text messages are accepted (unauthenticated, text only: they never shut down or execute)');
    if (o.dryRun) this.logger.warn('RCCMD listener: DRY RUN: shutdown and execute commands are only logged, never run');
    await this.sockets.start(o);
    if (o.aliveTimeoutS && o.aliveTimeoutS > 0) this.senders.startAliveChecks(o.aliveTimeoutS, this.quorum.redundancy, (e) => this.emit(e), this.logger);
    this.logger.info(`RCCMD listener on ${this.endpoints().join(', ')}: ${entries.length} allowed sender(s), redundancy ${this.quorum.redundancy} of ${entries.length}${o.dryRun ? ', dry run' : ''}`);
  }

  /** Bound endpoints, e.g. `udp 0.0.0.0:6003`. */
  endpoints(): string[] {
    return this.sockets.endpoints();
  }

  /** Bound ports (port 0 resolved). */
  ports(): { udp?: number; tcp?: number; tls?: number } {
    return this.sockets.ports();
  }

  senderStatus(): SenderStatus[] {
    return this.senders.status();
  }

  /** Resolves when every command started so far has ended. */
  idle(): Promise<void> {
    return this.runner.idle();
  }

  async close(): Promise<void> {
    this.senders.stopAliveChecks();
    await this.sockets.close();
  }

  /**
   * Serves RCCMD on a stream (a TCP or TLS connection, or an in-memory duplex): one message per
   * line, or one per stream in the public form; ACK/NAK answers go back on the stream.
   */
  handle(stream: Duplex, peer: RccmdStreamPeer): void {
    const transport = peer.transport ?? 'tcp';
    if (!this.auth.knows(peer.remote)) {
      this.reject(peer.remote, transport, 'unknown-sender', 'unknown sender (not in the allowed-sender list)');
      stream.destroy();
      return;
    }
    const certOk = transport === 'tls' && !!peer.certOk;
    serveStream(stream, {
      message: (bytes, reply) => this.handleMessage(bytes, peer.remote, transport, reply, certOk),
      overflow: () => this.reject(peer.remote, transport, 'too-long', 'message longer than the limit without a line end: connection closed'),
      failed: (error) => this.logger.error(`RCCMD listener: stream from ${peer.remote} failed: ${error.message}`),
    });
  }

  /** Serves one UDP datagram from `remote` (a plain IP address); `reply` sends a datagram back. */
  handleDatagram(bytes: Buffer, remote: string, reply: (bytes: Buffer) => void): void {
    this.handleMessage(bytes, remote, 'udp', reply, null);
  }

  // --- messages --------------------------------------------------------------------------

  /** `kind` is a fixed name (the log line and the /metrics counter); `reason` says what happened this time. */
  private reject(remote: string, transport: ListenerTransport, kind: string, reason: string): void {
    this.emit({ type: 'rejected', remote, transport, reason });
    this.problems.warn(kind, `RCCMD listener: refused ${transport} message from ${remote}: ${reason}`, { remote, transport });
  }

  private nak(message: KirchhoffMessage, entry: SenderEntry, reason: string, reply: (b: Buffer) => void): void {
    reply(encodeKirchhoff({ kind: 'nak', from: this.id, tsMs: this.clock.now(), re: message.nonce, reason }, entry.spec.key));
  }

  private handleMessage(bytes: Buffer, remote: string, transport: ListenerTransport, reply: (b: Buffer) => void, certOk: boolean | null): void {
    // An address no sender is allowed at is refused before its bytes are even parsed.
    if (!this.auth.knows(remote)) return this.reject(remote, transport, 'unknown-sender', 'unknown sender (not in the allowed-sender list)');
    const parsed = parseMessage(bytes);
    if (!parsed.ok) return this.reject(remote, transport, 'malformed', `malformed: ${parsed.reason}`);
    const message = parsed.message;
    const decision = this.auth.check(message, remote, certOk);
    if (!decision.ok) {
      // Only allowed senders get a NAK: a spoofed datagram must not turn us into a reflector.
      if (decision.nak && message.format === 'kirchhoff') this.nak(message, decision.nak.entry, decision.nak.reason, reply);
      return this.reject(remote, transport, decision.kind, decision.reason);
    }
    const { entry, authenticated } = decision;
    this.senders.seen(entry, (e) => this.emit(e), this.logger);
    this.emit({ type: 'accepted', sender: entry.name, remote, transport, message, authenticated });

    if (message.format === 'rccmd') {
      // Unauthenticated and cheap to send: logged like hostile input (one line a minute, all counted).
      this.problems.warn('public-message', `RCCMD public-form message from ${entry.name}: ${message.text}`, { sender: entry.name, event: message.event.type });
      this.runner.run('message', null, [entry.name], message.text, entry.name);
      return;
    }
    // (Authentication refused ack and nak: a listener answers, it is not answered.)
    if (message.kind === 'alive' || message.kind === 'ack' || message.kind === 'nak') return;
    if (message.kind === 'execute' && !this.runner.canExecute(message.command)) {
      this.nak(message, entry, `unknown command ${message.command}`, reply);
      return this.reject(remote, transport, 'unknown-command', `execute ${message.command} from ${entry.name}: no such command is configured here`);
    }
    reply(encodeKirchhoff({ kind: 'ack', from: this.id, tsMs: this.clock.now(), re: message.nonce }, entry.spec.key));
    this.logger.info(`RCCMD ${message.kind}${message.command ? ` ${message.command}` : ''} from ${entry.name}${message.text ? `: ${message.text}` : ''}`, { sender: entry.name, kind: message.kind, authenticated });
    if (message.kind === 'message' || message.kind === 'trap') this.runner.run('message', null, [entry.name], message.text ?? '', entry.name);
    else this.vote(message.kind, message.command ?? null, entry.name, message.text ?? '');
  }

  private vote(action: 'shutdown' | 'execute', command: string | null, sender: string, text: string): void {
    const result = this.quorum.vote(action, command, sender);
    if (result.outcome === 'already-started') {
      this.logger.info(`RCCMD shutdown from ${sender}: the shutdown already started`);
      return;
    }
    const required = this.quorum.redundancy;
    this.emit({ type: 'vote', action, ...(command ? { command } : {}), sender, votes: result.voters, required });
    if (result.outcome === 'waiting') {
      this.logger.warn(`RCCMD ${action}${command ? ` ${command}` : ''} from ${sender}: ${result.voters.length} of ${required} required senders so far (${result.voters.join(', ')}); waiting`);
      return;
    }
    this.runner.run(action, command, result.voters, text, sender);
  }

  private emit(event: ListenerEvent): void {
    emitToAll(this.listeners, event, this.logger, 'listener');
  }
}
