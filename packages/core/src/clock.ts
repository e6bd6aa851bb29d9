// Time for the parts that wait (job delays, repeats, retries, replay windows): the system clock
// in production, a virtual clock in tests so minutes of waiting run at once. No I/O: timers only.

export interface ClockTimer {
  readonly id: number;
}

export interface Clock {
  /** ms since the epoch */
  now(): number;
  /** `keepAlive`: the timer keeps the process running (something awaits it); otherwise it does not. */
  setTimeout(fn: () => void, ms: number, options?: { readonly keepAlive?: boolean }): ClockTimer;
  clearTimeout(timer: ClockTimer | null | undefined): void;
}

/** Date.now and the host's timers. */
export function systemClock(): Clock {
  const handles = new Map<number, NodeJS.Timeout>();
  let next = 1;
  return {
    now: () => Date.now(),
    setTimeout(fn, ms, options) {
      const id = next++;
      const h = setTimeout(() => {
        handles.delete(id);
        fn();
      }, Math.max(0, ms));
      // A pending timer must not keep a process alive that has nothing else to do, unless a caller
      // awaits what it leads to (a send's retry).
      if (!options?.keepAlive) h.unref?.();
      handles.set(id, h);
      return { id };
    },
    clearTimeout(timer) {
      if (!timer) return;
      const h = handles.get(timer.id);
      if (h) clearTimeout(h);
      handles.delete(timer.id);
    },
  };
}

/** A clock that moves only when told to; due timers run in time order as it advances. */
export class VirtualClock implements Clock {
  private nowMs: number;
  private nextId = 1;
  private readonly timers = new Map<number, { atMs: number; fn: () => void }>();

  constructor(startMs = 1_700_000_000_000) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  setTimeout(fn: () => void, ms: number): ClockTimer {
    const id = this.nextId++;
    this.timers.set(id, { atMs: this.nowMs + Math.max(0, ms), fn });
    return { id };
  }

  clearTimeout(timer: ClockTimer | null | undefined): void {
    if (timer) this.timers.delete(timer.id);
  }

  /** Timers still pending. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time to the earliest pending timer and runs it (and only it); false when none is
   *  pending. For tests that let time jump whenever nothing else is under way. */
  advanceToNext(): boolean {
    let due: [number, { atMs: number; fn: () => void }] | undefined;
    for (const entry of this.timers) if (!due || entry[1].atMs < due[1].atMs) due = entry;
    if (!due) return false;
    this.timers.delete(due[0]);
    this.nowMs = Math.max(this.nowMs, due[1].atMs);
    due[1].fn();
    return true;
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way. */
  advance(ms: number): void {
    const until = this.nowMs + ms;
    while (true) {
      let due: [number, { atMs: number; fn: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].atMs <= until && (!due || entry[1].atMs < due[1].atMs)) due = entry;
      if (!due) break;
      this.timers.delete(due[0]);
      this.nowMs = Math.max(this.nowMs, due[1].atMs);
      due[1].fn();
    }
    this.nowMs = until;
  }
}
