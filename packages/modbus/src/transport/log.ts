// The logger shape the transports use (the gateway's structured logger fits it), and a limiter
// so a flood of bad clients produces one line per kind of problem per minute, not one per client.

export interface ModbusLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: ModbusLogger = { info: () => {}, warn: () => {} };

export class RateLimitedLog {
  private readonly last = new Map<string, { atMs: number; suppressed: number }>();

  constructor(
    private readonly logger: ModbusLogger,
    private readonly intervalMs = 60_000,
  ) {}

  warn(kind: string, message: string, fields: Record<string, unknown> = {}): void {
    const now = Date.now();
    const entry = this.last.get(kind);
    if (entry && now - entry.atMs < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.last.set(kind, { atMs: now, suppressed: 0 });
    this.logger.warn(message, suppressed ? { ...fields, suppressedSinceLast: suppressed } : fields);
  }
}
