// The allowed senders: who may send from which address (IP or CIDR), with which id and key, and
// when each was last heard from (the alive check: a silent sender is reported, and when fewer
// than the redundancy remain the listener says the quorum cannot be reached).
import { isIPv4 } from 'node:net';
import { addressMatcher, type Clock, type ClockTimer } from '@kirchhoff/core';
import { NAME_PATTERN } from '../codec';
import { RccmdError } from '../errors';
import type { RccmdLogger } from '../log';
import type { AllowedSender, ListenerEvent, SenderStatus } from './options';

export interface SenderEntry {
  /** The id, else the address: what votes and log lines name. */
  readonly name: string;
  readonly spec: AllowedSender;
  /** Whether a remote address is this sender's address or range. */
  readonly matches: (remote: string) => boolean;
  lastSeenMs: number | null;
  silent: boolean;
}

/** An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) as the IPv4 address it is. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

function matcherFor(address: string): (remote: string) => boolean {
  return addressMatcher([address], () => new RccmdError('rccmd.sender', `allowed sender ${JSON.stringify(address)} is not an IP address or CIDR range`));
}

export class SenderTable {
  readonly entries: readonly SenderEntry[];
  private aliveTimer: ClockTimer | null = null;

  /** Checks every sender; throws RccmdError with a message a user can act on. */
  constructor(senders: readonly AllowedSender[], private readonly clock: Clock) {
    this.entries = senders.map((s) => {
      if (s.id !== undefined && !NAME_PATTERN.test(s.id)) throw new RccmdError('rccmd.sender', `allowed sender id ${JSON.stringify(s.id)} is not valid: 1..64 of A-Z a-z 0-9 . _ -`);
      if (s.key !== undefined && s.key.length < 16) throw new RccmdError('rccmd.sender', `the HMAC key of sender ${s.id ?? s.address} is shorter than 16 characters`);
      return { name: s.id ?? s.address, spec: s, matches: matcherFor(s.address), lastSeenMs: null, silent: false };
    });
    const names = new Set(this.entries.map((e) => e.name));
    if (names.size !== this.entries.length) throw new RccmdError('rccmd.sender', 'allowed senders must have distinct ids (or addresses): redundancy counts them');
  }

  /** The senders allowed at `remote` (a plain address), in configuration order. */
  at(remote: string): SenderEntry[] {
    return this.entries.filter((e) => e.matches(remote));
  }

  /** Which of `candidates` a message signed `from` comes from: the one with that id, else one without an id. */
  withId(candidates: readonly SenderEntry[], from: string): SenderEntry | null {
    return candidates.find((e) => e.spec.id === from) ?? candidates.find((e) => e.spec.id === undefined) ?? null;
  }

  status(): SenderStatus[] {
    return this.entries.map((e) => ({ sender: e.name, lastSeenMs: e.lastSeenMs, alive: !e.silent && e.lastSeenMs !== null }));
  }

  /** Records that `entry` was heard from now; a silent sender is back. */
  seen(entry: SenderEntry, emit: (e: ListenerEvent) => void, logger: RccmdLogger): void {
    entry.lastSeenMs = this.clock.now();
    if (entry.silent) {
      entry.silent = false;
      emit({ type: 'sender-alive', sender: entry.name });
      logger.info(`RCCMD sender ${entry.name} is back`);
    }
  }

  /** Reports every sender not heard from for `timeoutS` (counted from now for those never heard). */
  startAliveChecks(timeoutS: number, redundancy: number, emit: (e: ListenerEvent) => void, logger: RccmdLogger): void {
    const timeoutMs = timeoutS * 1000;
    const since = this.clock.now();
    const period = Math.max(250, Math.min(timeoutMs / 4, 5000));
    const check = () => {
      const now = this.clock.now();
      let changed = false;
      for (const e of this.entries) {
        const last = e.lastSeenMs ?? since;
        if (!e.silent && now - last >= timeoutMs) {
          e.silent = true;
          changed = true;
          emit({ type: 'sender-silent', sender: e.name });
          logger.warn(`RCCMD sender ${e.name} silent for ${Math.round((now - last) / 1000)} s (alive check ${timeoutMs / 1000} s)`);
        }
      }
      const alive = this.entries.filter((e) => !e.silent).length;
      if (changed && alive < redundancy) logger.error(`RCCMD redundancy ${redundancy} of ${this.entries.length} cannot be reached: only ${alive} sender(s) alive`);
      this.aliveTimer = this.clock.setTimeout(check, period);
    };
    this.aliveTimer = this.clock.setTimeout(check, period);
  }

  stopAliveChecks(): void {
    this.clock.clearTimeout(this.aliveTimer);
    this.aliveTimer = null;
  }
}
