// The logger shape sender and listener use (the gateway's structured logger fits it), and a
// limiter so a flood of bad datagrams gives one line per sender and problem per minute.
import type { Clock } from '@kirchhoff/core';

export interface RccmdLogger {
  debug?(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: RccmdLogger = { info: () => {}, warn: () => {}, error: () => {} };

export class RateLimitedLog {
  private readonly last = new Map<string, { atMs: number; suppressed: number }>();

  constructor(
    private readonly logger: RccmdLogger,
    private readonly clock: Clock,
    private readonly intervalMs = 60_000,
  ) {}

  warn(key: string, message: string, fields: Record<string, unknown> = {}): boolean {
    const now = this.clock.now();
    const entry = this.last.get(key);
    if (entry && now - entry.atMs < this.intervalMs) {
      entry.suppressed++;
      return false;
    }
    if (this.last.size > 10_000) this.last.clear();
    const suppressed = entry?.suppressed ?? 0;
    this.last.set(key, { atMs: now, suppressed: 0 });
    this.logger.warn(message, suppressed ? { ...fields, suppressedSinceLast: suppressed } : fields);
    return true;
  }
}
