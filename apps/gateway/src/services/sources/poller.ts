// Polling on a fixed period, one poll at a time: a poll asked for on demand (after a command)
// joins the one under way instead of interleaving with it. Used by every UPS and sensor source.

export class Poller<T> {
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private running: Promise<T> | null = null;

  constructor(private readonly once: () => Promise<T>, private readonly intervalMs: number) {}

  /** Polls now, or returns the poll already under way. */
  poll(): Promise<T> {
    this.running ??= this.once().finally(() => (this.running = null));
    return this.running;
  }

  /** Polls at once, then every interval after each poll ends. */
  start(): void {
    const loop = async () => {
      await this.poll();
      if (!this.closed) this.timer = setTimeout(loop, this.intervalMs);
    };
    void loop();
  }

  /** No more polls; resolves when the one under way has ended. */
  async stop(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
