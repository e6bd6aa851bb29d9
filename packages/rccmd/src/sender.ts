// The RCCMD sender: delivers one message to many targets, each retried (for up to 30 s by
// default) until delivered, acknowledged or refused; every outcome is logged and reported as an
// event. Alive messages let listeners check that their senders still exist.
import { encodeKirchhoff, encodeLegacyMessage, KirchhoffKind, KirchhoffMessage, NAME_PATTERN, newNonce, verifyMac } from './codec';
import { Clock, ClockTimer, systemClock } from '@kirchhoff/core';
import { RccmdError } from './errors';
import { emitToAll, RccmdLogger, silentLogger } from './log';
import { attemptDelivery, RccmdTarget, targetLabel, TlsIdentity } from './transport';

/** `rccmd`: the public capture form (messages only); `kirchhoff`: this project's format. */
export type RccmdFormat = 'rccmd' | 'kirchhoff';
export type SendKind = 'shutdown' | 'execute' | 'message' | 'trap';

export interface SendRequest {
  readonly kind: SendKind;
  readonly format: RccmdFormat;
  readonly targets: readonly RccmdTarget[];
  readonly text?: string;
  /** execute: the name of a command prepared on the listener. */
  readonly command?: string;
  /** For logs and the message's `job` field. */
  readonly job?: string;
}

/**
 * - `acknowledged`: the listener answered ACK (this project's format, unicast).
 * - `sent`: handed to the network with nothing to confirm it (public form, broadcast).
 * - `rejected`: the listener answered NAK with a reason; not retried.
 * - `failed`: no delivery within the retry time.
 */
export type SendOutcome = 'acknowledged' | 'sent' | 'rejected' | 'failed';

export interface SendResult {
  readonly job?: string;
  readonly kind: SendKind;
  readonly format: RccmdFormat;
  readonly target: string;
  readonly outcome: SendOutcome;
  readonly attempts: number;
  readonly detail?: string;
  readonly atMs: number;
}

export type SenderEvent =
  | { readonly type: 'send'; readonly result: SendResult }
  | { readonly type: 'attempt-failed'; readonly job?: string; readonly target: string; readonly attempt: number; readonly error: string; readonly retryInMs: number | null };

export interface SenderOptions {
  /** This sender's id (the listener's senders[].id). */
  readonly id: string;
  /** Shared secret: every message in this project's format is signed with HMAC-SHA256. */
  readonly hmacKey?: string | Buffer | null;
  /** Client certificate for targets with transport `tls`. */
  readonly tls?: TlsIdentity | null;
  /** Keep retrying a target this long after the first attempt (default and maximum 30 s). */
  readonly retryForMs?: number;
  /** Socket-level limit for one attempt (connect, write, acknowledgement). */
  readonly ioTimeoutMs?: number;
  readonly clock?: Clock;
  readonly logger?: RccmdLogger;
  readonly onEvent?: (event: SenderEvent) => void;
}

export const MAX_RETRY_MS = 30_000;

export class RccmdSender {
  readonly id: string;
  private readonly clock: Clock;
  private readonly logger: RccmdLogger;
  private readonly retryForMs: number;
  private readonly ioTimeoutMs: number;
  private readonly listeners = new Set<(e: SenderEvent) => void>();
  /** Retries waiting on the clock, each with what ends it as failed when the sender closes. */
  private readonly pendingTimers = new Map<ClockTimer, () => void>();
  private aliveTimer: ClockTimer | null = null;
  private closed = false;

  constructor(private readonly options: SenderOptions) {
    if (!NAME_PATTERN.test(options.id)) throw new RccmdError('rccmd.sender-id', `RCCMD sender id ${JSON.stringify(options.id)} is not valid: 1..64 of A-Z a-z 0-9 . _ -`);
    this.id = options.id;
    this.clock = options.clock ?? systemClock();
    this.logger = options.logger ?? silentLogger;
    this.retryForMs = Math.min(MAX_RETRY_MS, Math.max(0, options.retryForMs ?? MAX_RETRY_MS));
    this.ioTimeoutMs = options.ioTimeoutMs ?? 2000;
    if (options.onEvent) this.listeners.add(options.onEvent);
  }

  /** Adds an event listener; returns the function that removes it. */
  onEvent(listener: (e: SenderEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Throws when the request cannot be sent as asked (the public form has no shutdown, ...). */
  static check(req: Omit<SendRequest, 'targets'> & { targets?: readonly RccmdTarget[] }): void {
    if (req.format === 'rccmd' && (req.kind === 'shutdown' || req.kind === 'execute')) {
      throw new RccmdError('rccmd.format', `an RCCMD ${req.kind} cannot be sent in the public RCCMD form (its ${req.kind} string is not public): use format kirchhoff, which RCCMD clients do not understand, or kind message/trap`);
    }
    if (req.format === 'rccmd' && req.targets?.some((t) => t.transport === 'tls')) {
      throw new RccmdError('rccmd.format', 'the public RCCMD form is plain text over UDP or TCP: TLS needs format kirchhoff');
    }
    if (req.kind === 'execute' && (!req.command || !NAME_PATTERN.test(req.command))) {
      throw new RccmdError('rccmd.command', `an execute needs the name of a command prepared on the listener (1..64 of A-Z a-z 0-9 . _ -), not ${JSON.stringify(req.command ?? '')}`);
    }
  }

  /** Sends to every target in parallel; resolves when each has its final outcome. */
  async send(req: SendRequest): Promise<SendResult[]> {
    RccmdSender.check(req);
    return Promise.all(req.targets.map((t) => this.deliver(req, t)));
  }

  /** Sends ALIVE to these targets every `intervalMs` (this project's format only); once, no retries. */
  startAlive(targets: readonly RccmdTarget[], intervalMs: number): void {
    this.stopAlive();
    if (intervalMs <= 0 || !targets.length) return;
    const beat = () => {
      if (this.closed) return;
      for (const t of targets) {
        const bytes = encodeKirchhoff({ kind: 'alive', from: this.id, tsMs: this.clock.now() }, this.options.hmacKey);
        attemptDelivery(t, bytes, { ioTimeoutMs: this.ioTimeoutMs, tls: this.options.tls }).catch((error) => {
          this.logger.debug?.(`RCCMD alive to ${targetLabel(t)} failed: ${(error as Error).message}`);
        });
      }
      this.aliveTimer = this.clock.setTimeout(beat, intervalMs);
    };
    beat();
  }

  stopAlive(): void {
    this.clock.clearTimeout(this.aliveTimer);
    this.aliveTimer = null;
  }

  /** Stops alive messages and pending retries (their sends end as failed). */
  close(): void {
    this.closed = true;
    this.stopAlive();
    const abandoned = [...this.pendingTimers];
    this.pendingTimers.clear();
    for (const [t, abandon] of abandoned) {
      this.clock.clearTimeout(t);
      abandon();
    }
  }

  private emit(event: SenderEvent): void {
    emitToAll(this.listeners, event, this.logger, 'sender');
  }

  private encode(req: SendRequest, nonce: string): Buffer {
    if (req.format === 'rccmd') return encodeLegacyMessage(req.text ?? '');
    return encodeKirchhoff({
      kind: req.kind as KirchhoffKind, from: this.id, tsMs: this.clock.now(), nonce,
      ...(req.job ? { job: req.job } : {}),
      ...(req.command ? { command: req.command } : {}),
      ...(req.text !== undefined && req.text !== '' ? { text: req.text } : {}),
    }, this.options.hmacKey);
  }

  private isReplyTo(nonce: string): (reply: KirchhoffMessage) => boolean {
    const key = this.options.hmacKey;
    // With a key, only a signed answer counts: anyone can forge an unsigned ACK.
    return (reply) => reply.re === nonce && (!key || verifyMac(reply, key));
  }

  private deliver(req: SendRequest, target: RccmdTarget): Promise<SendResult> {
    const label = targetLabel(target);
    const startMs = this.clock.now();
    let attempts = 0;
    let backoffMs = 1000;
    const finish = (outcome: SendOutcome, detail?: string): SendResult => {
      const result: SendResult = {
        ...(req.job ? { job: req.job } : {}), kind: req.kind, format: req.format, target: label, outcome, attempts, atMs: this.clock.now(),
        ...(detail ? { detail } : {}),
      };
      const what = `RCCMD ${req.kind}${req.job ? ` (job ${req.job})` : ''} to ${label}: ${outcome}${detail ? ` (${detail})` : ''}${attempts > 1 ? ` after ${attempts} attempts` : ''}`;
      const fields = { job: req.job, kind: req.kind, format: req.format, target: label, outcome, attempts };
      if (outcome === 'failed' || outcome === 'rejected') this.logger.error(what, fields);
      else this.logger.info(what, fields);
      this.emit({ type: 'send', result });
      return result;
    };
    return new Promise<SendResult>((resolve) => {
      const attempt = () => {
        attempts++;
        const nonce = newNonce();
        let bytes: Buffer;
        try {
          bytes = this.encode(req, nonce);
        } catch (error) {
          // A text that placeholders made too long, or with control characters: nothing to retry.
          resolve(finish('failed', (error as Error).message));
          return;
        }
        const expectReply = req.format === 'kirchhoff' && !target.broadcast;
        attemptDelivery(target, bytes, { ioTimeoutMs: this.ioTimeoutMs, tls: this.options.tls, ...(expectReply ? { isReply: this.isReplyTo(nonce) } : {}) }).then(
          (r) => resolve(r.outcome === 'rejected' ? finish('rejected', r.reason) : finish(r.outcome)),
          (error: Error) => {
            const elapsed = this.clock.now() - startMs;
            const retryInMs = this.closed || elapsed >= this.retryForMs ? null : Math.min(backoffMs, this.retryForMs - elapsed);
            this.emit({ type: 'attempt-failed', ...(req.job ? { job: req.job } : {}), target: label, attempt: attempts, error: error.message, retryInMs });
            if (retryInMs === null) {
              resolve(finish('failed', error.message));
              return;
            }
            this.logger.warn(`RCCMD ${req.kind} to ${label}: attempt ${attempts} failed (${error.message}); retrying in ${Math.round(retryInMs / 100) / 10} s`, { job: req.job, target: label });
            backoffMs = Math.min(backoffMs * 2, 8000);
            // Kept alive: the caller awaits this send (a script's `await sender.send(...)` must not end first).
            const timer = this.clock.setTimeout(() => {
              this.pendingTimers.delete(timer);
              attempt();
            }, retryInMs, { keepAlive: true });
            this.pendingTimers.set(timer, () => resolve(finish('failed', `sender closed: ${error.message}`)));
          },
        );
      };
      attempt();
    });
  }
}
