// The answer state of a polled device (a UPS card, a Q1 UPS, a Modbus sensor device): its missed
// polls, whether that makes its values stale or failed, and the log lines: one warning per distinct
// reason (a dead line does not flood the log) and one line when it answers again.
import type { Logger } from '../../log';

export class LinkState {
  private missCount = 0;
  private lastProblem = '';

  /** `name` starts every line (`SNMP UPS 10.0.0.5:161`). */
  constructor(private readonly logger: Pick<Logger, 'info' | 'warn'>, private readonly name: string, private readonly failAfterMisses: number) {}

  get misses(): number {
    return this.missCount;
  }

  /** A problem that is not (yet) a missed poll, such as a session error. */
  problem(reason: string): void {
    if (reason !== this.lastProblem) this.logger.warn(`${this.name}: ${reason}`);
    this.lastProblem = reason;
  }

  /** A missed poll; the quality the device's values have now. */
  miss(reason: string): 'stale' | 'failed' {
    this.missCount++;
    this.problem(reason);
    return this.missCount >= this.failAfterMisses ? 'failed' : 'stale';
  }

  /** A poll answered. */
  answered(): void {
    if (this.missCount || this.lastProblem) this.logger.info(`${this.name} answers again`);
    this.missCount = 0;
    this.lastProblem = '';
  }
}
