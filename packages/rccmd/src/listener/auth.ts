// Authentication of one parsed message from one address: is the sender allowed there, is the
// message signed with its key (HMAC), fresh (timestamp window) and new (nonce not seen), or did
// it come over TLS with a client certificate, or are unauthenticated messages allowed. No I/O.
import type { Clock } from '@kirchhoff/core';
import { RccmdMessage, verifyMac } from '../codec';
import type { SenderEntry, SenderTable } from './senders';

const MAX_NONCES = 100_000;

export type AuthDecision =
  | { readonly ok: true; readonly entry: SenderEntry; readonly authenticated: boolean }
  | {
      readonly ok: false;
      /** A fixed name (the log line and the /metrics counter). */
      readonly kind: string;
      /** What happened this time. */
      readonly reason: string;
      /** The allowed sender to answer with a NAK carrying this reason (never a stranger: no reflection). */
      readonly nak?: { readonly entry: SenderEntry; readonly reason: string };
    };

export interface AuthenticatorOptions {
  readonly senders: SenderTable;
  readonly clock: Clock;
  /** Accepted clock difference for signed messages, s. */
  readonly replayWindowS: number;
  readonly allowUnauthenticated: boolean;
  readonly acceptRccmdMessages: boolean;
}

export class Authenticator {
  private readonly seenNonces = new Map<string, number>();

  constructor(private readonly o: AuthenticatorOptions) {}

  /** Whether `remote` may send at all (checked before a connection is served). */
  knows(remote: string): boolean {
    return this.o.senders.at(remote).length > 0;
  }

  /**
   * The decision for `message` from `remote`. `certOk`: the TLS client certificate was verified
   * (null for UDP and plain TCP). An accepted signed message's nonce is remembered.
   */
  check(message: RccmdMessage, remote: string, certOk: boolean | null): AuthDecision {
    const candidates = this.o.senders.at(remote);
    if (!candidates.length) return { ok: false, kind: 'unknown-sender', reason: 'unknown sender (not in the allowed-sender list)' };
    if (message.format === 'rccmd') {
      if (!this.o.acceptRccmdMessages) return { ok: false, kind: 'public-form-off', reason: 'public-form RCCMD message (unauthenticated; acceptRccmdMessages is off)' };
      return { ok: true, entry: candidates[0], authenticated: false };
    }
    if (message.kind === 'ack' || message.kind === 'nak') return { ok: false, kind: 'unexpected-reply', reason: `unexpected ${message.kind}` };
    const entry = this.o.senders.withId(candidates, message.from);
    if (!entry) return { ok: false, kind: 'sender-id', reason: `sender id ${JSON.stringify(message.from)} is not allowed from ${remote}` };

    if (entry.spec.key) {
      if (!message.mac) return { ok: false, kind: 'unsigned', reason: `unauthenticated: sender ${entry.name} must sign its messages` };
      if (!verifyMac(message, entry.spec.key)) return { ok: false, kind: 'bad-mac', reason: `bad mac from ${entry.name} (wrong key or altered message)` };
      const windowMs = this.o.replayWindowS * 1000;
      const now = this.o.clock.now();
      if (Math.abs(now - message.tsMs) > windowMs) {
        return { ok: false, kind: 'timestamp', reason: `stale or future timestamp from ${entry.name} (${Math.round((message.tsMs - now) / 1000)} s off; window ${windowMs / 1000} s): replay or clock drift` };
      }
      const nonce = `${entry.name}|${message.nonce}`;
      if (this.seenNonces.has(nonce)) return { ok: false, kind: 'replay', reason: `replayed message from ${entry.name} (nonce seen before)` };
      this.rememberNonce(nonce, message.tsMs + windowMs, now);
      return { ok: true, entry, authenticated: true };
    }
    if (certOk) return { ok: true, entry, authenticated: true };
    if (this.o.allowUnauthenticated) return { ok: true, entry, authenticated: false };
    return {
      ok: false, kind: 'unauthenticated', nak: { entry, reason: 'unauthenticated' },
      reason: `unauthenticated ${message.kind} from ${entry.name} (no key for it, not TLS, allowUnauthenticated is off)`,
    };
  }

  private rememberNonce(key: string, expiresMs: number, now: number): void {
    if (this.seenNonces.size >= MAX_NONCES) {
      for (const [k, exp] of this.seenNonces) if (exp < now) this.seenNonces.delete(k);
      // Still full of live nonces: drop the oldest; the timestamp window still bounds replays.
      while (this.seenNonces.size >= MAX_NONCES) this.seenNonces.delete(this.seenNonces.keys().next().value!);
    }
    this.seenNonces.set(key, expiresMs);
  }
}
