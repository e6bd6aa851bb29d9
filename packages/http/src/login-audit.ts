// Audit rows for refused logins, aggregated per client address: the first refusal is recorded at
// once, the rest within the next minute become one summary row (count, user names, reasons), so a
// password-guessing flood costs one row a minute per address instead of one per attempt.
import { Clock, ClockTimer, systemClock } from '@kirchhoff/core';
import type { NewAudit } from '@kirchhoff/history';

interface Window {
  count: number;
  readonly users: Set<string>;
  readonly reasons: Map<string, number>;
  readonly timer: ClockTimer;
}

/** Addresses tracked at once; beyond it refusals from new addresses are summed under `*`. */
const MAX_ADDRESSES = 10_000;
/** User names listed in a summary row. */
const MAX_NAMES = 10;

export class RefusedLoginAudit {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly record: (entry: NewAudit) => void,
    private readonly clock: Clock = systemClock(),
    readonly windowMs = 60_000,
  ) {}

  /** A refused login from `remote` (`address:port`) for `username`; `reason` is the answer's message. */
  refused(username: string, address: string, remote: string, reason: string): void {
    const key = this.windows.has(address) || this.windows.size < MAX_ADDRESSES ? address : '*';
    const w = this.windows.get(key);
    if (!w) {
      this.record({ kind: 'auth', action: 'login', outcome: 'rejected', protocol: 'http', principal: username, remote, error: reason });
      this.windows.set(key, { count: 0, users: new Set(), reasons: new Map(), timer: this.clock.setTimeout(() => this.flush(key), this.windowMs) });
      return;
    }
    w.count++;
    if (w.users.size < MAX_NAMES) w.users.add(username);
    // Reasons carry a retry time ("try again in 283 s"): group them without it.
    const kind = reason.replace(/\d+ s\b/, 'N s');
    w.reasons.set(kind, (w.reasons.get(kind) ?? 0) + 1);
  }

  /** Writes the pending summaries (at shutdown). */
  close(): void {
    for (const key of [...this.windows.keys()]) this.flush(key);
  }

  private flush(key: string): void {
    const w = this.windows.get(key);
    if (!w) return;
    this.windows.delete(key);
    this.clock.clearTimeout(w.timer);
    if (!w.count) return;
    const reasons = [...w.reasons].map(([r, n]) => `${n} x ${r}`).join('; ');
    this.record({
      kind: 'auth', action: 'login', outcome: 'rejected', protocol: 'http', principal: [...w.users].join(','), remote: key,
      detail: { refused: w.count, windowS: this.windowMs / 1000, users: [...w.users] },
      error: `${w.count} more refused login${w.count === 1 ? '' : 's'} from ${key === '*' ? 'other addresses' : key} within ${this.windowMs / 1000} s: ${reasons}`,
    });
  }
}
