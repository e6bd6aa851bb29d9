// The bounded outgoing buffer of one connection: retained state coalesces per topic (only the
// latest state of a topic is worth sending, so states never exceed the number of topics), events
// queue in order up to a limit, past which the oldest event is dropped and counted. Nothing here
// waits, so the site's writer is never blocked.

export interface OutMessage {
  readonly topic: string;
  readonly payload: string | Buffer;
  readonly qos: 0 | 1;
  readonly retain: boolean;
  /** Sparkplug messages belong to one session (bdSeq): dropped when that session ends. */
  readonly session?: number;
}

export interface OutboxStats {
  readonly queued: number;
  /** Messages that will never be sent: queue overflow, or a Sparkplug session that ended. */
  readonly dropped: number;
  /** States replaced by a newer state of the same topic before they were sent. */
  readonly coalesced: number;
}

export class Outbox {
  private readonly latest = new Map<string, OutMessage>();
  private events: OutMessage[] = [];
  private head = 0;
  dropped = 0;
  coalesced = 0;

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.latest.size + this.events.length - this.head;
  }

  /** Queues a state: replaces a queued state of the same topic, keeping its place in line. */
  putState(m: OutMessage): void {
    if (this.latest.has(m.topic)) this.coalesced++;
    this.latest.set(m.topic, m);
    this.trim();
  }

  putEvent(m: OutMessage): void {
    this.events.push(m);
    this.trim();
  }

  /** Events first (they are ordered and time-critical), then states in the order they came. */
  shift(): OutMessage | undefined {
    if (this.head < this.events.length) {
      const m = this.events[this.head++];
      if (this.head > 1024 && this.head * 2 > this.events.length) {
        this.events = this.events.slice(this.head);
        this.head = 0;
      }
      return m;
    }
    const first = this.latest.entries().next();
    if (first.done) return undefined;
    this.latest.delete(first.value[0]);
    return first.value[1];
  }

  /** Drops queued events that match (e.g. the messages of a Sparkplug session that ended). */
  discardEvents(match: (m: OutMessage) => boolean): void {
    const keep = this.events.slice(this.head).filter((m) => !match(m));
    this.dropped += this.events.length - this.head - keep.length;
    this.events = keep;
    this.head = 0;
  }

  stats(): OutboxStats {
    return { queued: this.size, dropped: this.dropped, coalesced: this.coalesced };
  }

  private trim(): void {
    while (this.events.length - this.head > this.limit) {
      this.head++;
      this.dropped++;
    }
  }
}

/** Token bucket: at most `perSecond` messages a second, in bursts of at most a tenth of that. */
export class RateLimiter {
  private tokens: number;
  private lastMs: number;
  readonly burst: number;

  constructor(readonly perSecond: number, private readonly now: () => number = () => performance.now()) {
    this.burst = Math.max(1, Math.ceil(perSecond / 10));
    this.tokens = this.burst;
    this.lastMs = now();
  }

  /** True and one token spent, or false when the caller must wait `waitMs()`. */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }

  waitMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.perSecond) * 1000);
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.lastMs) / 1000) * this.perSecond);
    this.lastMs = t;
  }
}
