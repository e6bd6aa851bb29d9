// One rate-limited log for hostile or broken input, shared by every protocol adapter: at most one
// line per source and kind of problem per interval (a minute by default), every problem counted
// (for /metrics), so a flood of bad clients costs a counter increment, not a log line each.
import { Clock, systemClock } from './clock';
import type { Logger } from './logger';

/** The part of the logger a rate-limited log writes to. */
export type WarnLogger = Pick<Logger, 'warn'>;

export interface ProblemCount {
  /** The adapter or listener: `modbus`, `snmp`, `bacnet`, `rccmd-listener`, ... */
  readonly source: string;
  /** A fixed name for the kind of problem: `bad-frame`, `too-many-connections`, ... */
  readonly kind: string;
  /** Problems seen. */
  readonly count: number;
  /** Lines written for them (the rest were suppressed). */
  readonly logged: number;
}

export interface ProblemLogOptions {
  readonly clock?: Clock;
  /** One line per source and kind per this interval. Default 60 s. */
  readonly intervalMs?: number;
  /** Distinct kinds per source before new ones are counted as `other` (keeps /metrics bounded). Default 64. */
  readonly maxKindsPerSource?: number;
}

interface Entry {
  count: number;
  logged: number;
  lastLogMs: number;
  suppressed: number;
}

/**
 * The counters and the limiter for a whole process (the gateway makes one and hands it to each
 * adapter) or for one server used on its own (each package makes its own when none is given).
 */
export class ProblemLog {
  readonly intervalMs: number;
  private readonly clock: Clock;
  private readonly maxKinds: number;
  private readonly entries = new Map<string, Map<string, Entry>>();

  constructor(options: ProblemLogOptions = {}) {
    this.clock = options.clock ?? systemClock();
    this.intervalMs = options.intervalMs ?? 60_000;
    this.maxKinds = options.maxKindsPerSource ?? 64;
  }

  /** The log one adapter writes to: its lines go to `logger`, its counts are labelled `source`. */
  source(source: string, logger: WarnLogger): RateLimitedLog {
    return new RateLimitedLog(this, source, logger);
  }

  /** Every count so far, in order of first appearance. */
  counts(): ProblemCount[] {
    const out: ProblemCount[] = [];
    for (const [source, kinds] of this.entries) for (const [kind, e] of kinds) out.push({ source, kind, count: e.count, logged: e.logged });
    return out;
  }

  /** Counts the problem; returns the number suppressed since the last line when a line is due now, else null. */
  record(source: string, kind: string): number | null {
    let kinds = this.entries.get(source);
    if (!kinds) this.entries.set(source, (kinds = new Map()));
    let entry = kinds.get(kind);
    if (!entry) {
      if (kinds.size >= this.maxKinds && kind !== 'other') return this.record(source, 'other');
      kinds.set(kind, (entry = { count: 0, logged: 0, lastLogMs: -Infinity, suppressed: 0 }));
    }
    entry.count++;
    const now = this.clock.now();
    if (now - entry.lastLogMs < this.intervalMs) {
      entry.suppressed++;
      return null;
    }
    const suppressed = entry.suppressed;
    entry.lastLogMs = now;
    entry.suppressed = 0;
    entry.logged++;
    return suppressed;
  }
}

/** One adapter's view of a ProblemLog. */
export class RateLimitedLog {
  constructor(
    private readonly problems: ProblemLog,
    readonly sourceName: string,
    private readonly logger: WarnLogger,
  ) {}

  /**
   * Counts a problem of `kind` (a fixed name, never an address or a value from the input) and
   * writes `message` when this kind has not been logged within the interval. Returns whether it wrote.
   */
  warn(kind: string, message: string, fields: Record<string, unknown> = {}): boolean {
    const suppressed = this.problems.record(this.sourceName, kind);
    if (suppressed === null) return false;
    this.logger.warn(message, suppressed ? { ...fields, suppressedSinceLast: suppressed } : fields);
    return true;
  }
}
