// RCCMD jobs: "when this happens on the site, after this timing, send this to these targets".
// Driven by the site's change feed and snapshots; every delay, repeat and countdown runs on the
// injected clock, so a test can walk an hour of power failure in microseconds.
import { ALARM_KIND_NAMES, AlarmKind, ChangeListener, SiteSnapshot, Clock, ClockTimer, systemClock } from '@kirchhoff/core';
import { NAME_PATTERN } from './codec';
import { RccmdError } from './errors';
import { emitToAll, RccmdLogger, silentLogger } from './log';
import { fillPlaceholders, runtimeS } from './placeholders';
import { RccmdFormat, RccmdSender, SendKind, SendResult } from './sender';
import { RccmdTarget, targetLabel } from './transport';

export type JobTrigger = 'ups-on-battery' | 'battery-low' | 'runtime-below' | 'thermal-runaway' | 'alarm';
export const JOB_TRIGGERS: readonly JobTrigger[] = ['ups-on-battery', 'battery-low', 'runtime-below', 'thermal-runaway', 'alarm'];

/**
 * - `immediately`: once, when the trigger becomes active.
 * - `after-delay`: once, `seconds` after it became active; cancelled if it clears first.
 * - `repeat`: when it becomes active, then every `seconds` while it stays active.
 * - `after-on-battery`: once the site has been on battery for `seconds` (and the trigger is active).
 * - `at-remaining-runtime`: once the remaining runtime on battery is `seconds` or less.
 */
export type JobTiming = 'immediately' | 'after-delay' | 'repeat' | 'after-on-battery' | 'at-remaining-runtime';
export const JOB_TIMINGS: readonly JobTiming[] = ['immediately', 'after-delay', 'repeat', 'after-on-battery', 'at-remaining-runtime'];

export interface RccmdJob {
  readonly name: string;
  readonly trigger: JobTrigger;
  /** runtime-below: active while the runtime on battery is below this many seconds. */
  readonly runtimeBelowS?: number;
  /** alarm: the alarm kind that activates the job. */
  readonly alarmKind?: AlarmKind;
  readonly timing: JobTiming;
  /** The timing's N (s); unused by `immediately`. */
  readonly seconds?: number;
  readonly kind: SendKind;
  readonly format: RccmdFormat;
  readonly targets: readonly RccmdTarget[];
  /** Message text with placeholders (#UPSNAME, #AUTONOMY, ...); a default per trigger when empty. */
  readonly text?: string;
  /** Sent as a message when the trigger clears after the job fired (e.g. `Powerfail on #UPSNAME: restored.`). */
  readonly clearText?: string;
  /** execute: the name of a command prepared on the listener. */
  readonly command?: string;
}

export type JobRunnerEvent =
  | { readonly type: 'armed'; readonly job: string; readonly dueAtMs: number | null }
  | { readonly type: 'cancelled'; readonly job: string; readonly reason: string }
  | { readonly type: 'fired'; readonly job: string; readonly kind: SendKind; readonly text: string; readonly targets: readonly string[] }
  | { readonly type: 'cleared'; readonly job: string };

/** What the runner needs of a site: `Site` from @kirchhoff/core fits. */
export interface SiteSource {
  snapshot(): SiteSnapshot;
  subscribe(listener: ChangeListener): () => void;
}

export interface JobRunnerOptions {
  readonly clock?: Clock;
  readonly logger?: RccmdLogger;
  readonly onEvent?: (event: JobRunnerEvent) => void;
}

interface JobState {
  active: boolean;
  sinceMs: number;
  fired: boolean;
  lastFiredMs: number;
  alarm: string | undefined;
  timer: ClockTimer | null;
  timerAtMs: number | null;
}

const NEEDS_SECONDS: readonly JobTiming[] = ['after-delay', 'repeat', 'after-on-battery', 'at-remaining-runtime'];

function defaultText(job: RccmdJob): string {
  if (job.trigger === 'ups-on-battery' && (job.kind === 'message' || job.kind === 'trap')) return 'Powerfail on #UPSNAME: Autonomietime #AUTONOMY min.';
  if (job.kind === 'shutdown') return 'Shutdown from #SITE: #EVENT';
  return '#SITE: #EVENT #ALARM';
}

/** Throws an RccmdError naming the job and what to change. */
export function checkJob(job: RccmdJob): void {
  const where = `RCCMD job ${JSON.stringify(job.name)}`;
  if (!NAME_PATTERN.test(job.name)) throw new RccmdError('rccmd.job', `${where}: the name must be 1..64 of A-Z a-z 0-9 . _ -`);
  if (!JOB_TRIGGERS.includes(job.trigger)) throw new RccmdError('rccmd.job', `${where}: trigger must be one of ${JOB_TRIGGERS.join(', ')}`);
  if (!JOB_TIMINGS.includes(job.timing)) throw new RccmdError('rccmd.job', `${where}: timing must be one of ${JOB_TIMINGS.join(', ')}`);
  if (job.trigger === 'alarm' && (!job.alarmKind || !ALARM_KIND_NAMES.includes(job.alarmKind))) {
    throw new RccmdError('rccmd.job', `${where}: trigger alarm needs alarmKind, one of ${ALARM_KIND_NAMES.join(', ')}`);
  }
  if (job.trigger === 'runtime-below' && !(typeof job.runtimeBelowS === 'number' && job.runtimeBelowS > 0)) {
    throw new RccmdError('rccmd.job', `${where}: trigger runtime-below needs runtimeBelowS > 0`);
  }
  if (NEEDS_SECONDS.includes(job.timing) && !(typeof job.seconds === 'number' && job.seconds > 0)) {
    throw new RccmdError('rccmd.job', `${where}: timing ${job.timing} needs seconds > 0`);
  }
  if (!job.targets.length) throw new RccmdError('rccmd.job', `${where}: no targets (give host:port targets or a broadcast address)`);
  try {
    RccmdSender.check(job);
  } catch (error) {
    throw new RccmdError('rccmd.job', `${where}: ${(error as Error).message}`);
  }
}

export class RccmdJobRunner {
  private readonly clock: Clock;
  private readonly logger: RccmdLogger;
  private readonly states = new Map<string, JobState>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly listeners = new Set<(e: JobRunnerEvent) => void>();
  private unsubscribe: (() => void) | null = null;
  private onBatterySinceMs: number | null = null;

  constructor(
    private readonly site: SiteSource,
    private readonly sender: RccmdSender,
    readonly jobs: readonly RccmdJob[],
    options: JobRunnerOptions = {},
  ) {
    const names = new Set<string>();
    for (const job of jobs) {
      checkJob(job);
      if (names.has(job.name)) throw new RccmdError('rccmd.job', `RCCMD job name ${JSON.stringify(job.name)} is used twice: names must be unique`);
      names.add(job.name);
    }
    this.clock = options.clock ?? systemClock();
    this.logger = options.logger ?? silentLogger;
    if (options.onEvent) this.listeners.add(options.onEvent);
    for (const job of jobs) this.states.set(job.name, { active: false, sinceMs: 0, fired: false, lastFiredMs: 0, alarm: undefined, timer: null, timerAtMs: null });
  }

  onEvent(listener: (e: JobRunnerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Follows the site's change feed from now on (and judges the current state at once). */
  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.site.subscribe((e) => {
      if (e.type === 'values' || e.type === 'alarm') this.evaluate();
    });
    this.evaluate();
  }

  /** Stops following the site and cancels pending timings (sends already under way finish). */
  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const st of this.states.values()) this.clearTimer(st);
  }

  /** Resolves when every send started so far has its outcome. */
  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  /** Judges every job against the current snapshot; called on each change, and by its timers. */
  evaluate(): void {
    const snap = this.site.snapshot();
    const now = this.clock.now();
    const onBattery = snap.ups?.output.source === 'battery' || snap.alarms.some((a) => a.kind === 'ups-on-battery');
    if (!onBattery) this.onBatterySinceMs = null;
    else if (this.onBatterySinceMs === null) this.onBatterySinceMs = now;

    for (const job of this.jobs) {
      const st = this.states.get(job.name)!;
      const { active, alarm } = this.triggerState(job, snap);
      if (!active) {
        if (st.active) this.deactivate(job, st, snap, now);
        continue;
      }
      if (!st.active) {
        Object.assign(st, { active: true, sinceMs: now, fired: false, lastFiredMs: 0, alarm });
        const due = this.dueAtMs(job, st, snap, now);
        this.emit({ type: 'armed', job: job.name, dueAtMs: due });
        this.logger.info(`RCCMD job ${job.name}: ${job.trigger} active${due === null ? '' : due <= now ? '' : `, ${job.kind} due in ${Math.round((due - now) / 100) / 10} s`}`, { job: job.name });
      }
      const due = this.dueAtMs(job, st, snap, now);
      if (due === null) {
        if (st.timer) this.cancel(job, st, 'no longer due');
      } else if (due <= now) {
        this.clearTimer(st);
        this.fire(job, st, snap, now);
        if (job.timing === 'repeat') this.schedule(st, now + job.seconds! * 1000);
      } else if (st.timerAtMs !== due) {
        this.schedule(st, due);
      }
    }
  }

  private triggerState(job: RccmdJob, snap: SiteSnapshot): { active: boolean; alarm?: string } {
    const alarmOf = (kinds: readonly string[]) => snap.alarms.find((a) => kinds.includes(a.kind));
    switch (job.trigger) {
      case 'ups-on-battery': {
        const a = alarmOf(['ups-on-battery']);
        return { active: !!a || snap.ups?.output.source === 'battery', alarm: a?.message };
      }
      case 'battery-low': {
        const a = alarmOf(['ups-battery-low', 'ups-battery-depleted']);
        const status = snap.ups?.battery.status;
        return { active: !!a || status === 'low' || status === 'depleted', alarm: a?.message };
      }
      case 'runtime-below': {
        const r = runtimeS(snap, true);
        return { active: r !== null && r < job.runtimeBelowS! };
      }
      case 'thermal-runaway': {
        const a = alarmOf(['thermal-runaway']);
        return { active: !!a, alarm: a?.message };
      }
      case 'alarm': {
        const a = alarmOf([job.alarmKind!]);
        return { active: !!a, alarm: a?.message };
      }
    }
  }

  private dueAtMs(job: RccmdJob, st: JobState, snap: SiteSnapshot, now: number): number | null {
    if (st.fired && job.timing !== 'repeat') return null;
    const ms = (job.seconds ?? 0) * 1000;
    switch (job.timing) {
      case 'immediately': return st.sinceMs;
      case 'after-delay': return st.sinceMs + ms;
      case 'repeat': return st.fired ? st.lastFiredMs + ms : st.sinceMs;
      case 'after-on-battery': return this.onBatterySinceMs === null ? null : this.onBatterySinceMs + ms;
      case 'at-remaining-runtime': {
        const r = runtimeS(snap, true);
        return r !== null && r <= job.seconds! ? now : null;
      }
    }
  }

  private schedule(st: JobState, atMs: number): void {
    this.clearTimer(st);
    st.timerAtMs = atMs;
    st.timer = this.clock.setTimeout(() => {
      st.timer = null;
      st.timerAtMs = null;
      this.evaluate();
    }, atMs - this.clock.now());
  }

  private clearTimer(st: JobState): void {
    this.clock.clearTimeout(st.timer);
    st.timer = null;
    st.timerAtMs = null;
  }

  private cancel(job: RccmdJob, st: JobState, reason: string): void {
    this.clearTimer(st);
    this.emit({ type: 'cancelled', job: job.name, reason });
    this.logger.info(`RCCMD job ${job.name}: ${job.kind} cancelled (${reason})`, { job: job.name });
  }

  private deactivate(job: RccmdJob, st: JobState, snap: SiteSnapshot, now: number): void {
    const wasPending = !!st.timer && !(job.timing === 'repeat' && st.fired);
    if (wasPending) this.cancel(job, st, `${job.trigger} cleared before it was due`);
    else this.clearTimer(st);
    const fired = st.fired;
    Object.assign(st, { active: false, fired: false, alarm: undefined });
    this.emit({ type: 'cleared', job: job.name });
    this.logger.info(`RCCMD job ${job.name}: ${job.trigger} cleared`, { job: job.name });
    if (fired && job.clearText) {
      const text = fillPlaceholders(job.clearText, { snapshot: snap, event: job.trigger, job: job.name, nowMs: now });
      this.track(this.sender.send({ kind: 'message', format: job.format, targets: job.targets, text, job: job.name }));
    }
  }

  private fire(job: RccmdJob, st: JobState, snap: SiteSnapshot, now: number): void {
    st.fired = true;
    st.lastFiredMs = now;
    const text = fillPlaceholders(job.text || defaultText(job), { snapshot: snap, event: job.trigger, job: job.name, nowMs: now, ...(st.alarm ? { alarm: st.alarm } : {}) });
    const targets = job.targets.map(targetLabel);
    this.emit({ type: 'fired', job: job.name, kind: job.kind, text, targets });
    this.logger.warn(`RCCMD job ${job.name}: sending ${job.kind}${job.command ? ` ${job.command}` : ''} to ${targets.join(', ')}`, { job: job.name, kind: job.kind, text });
    this.track(this.sender.send({ kind: job.kind, format: job.format, targets: job.targets, text, job: job.name, ...(job.command ? { command: job.command } : {}) }));
  }

  private track(p: Promise<SendResult[]>): void {
    const tracked = p.catch((error) => this.logger.error(`RCCMD send failed: ${(error as Error).message}`)).finally(() => this.inflight.delete(tracked));
    this.inflight.add(tracked);
  }

  private emit(event: JobRunnerEvent): void {
    emitToAll(this.listeners, event, this.logger, 'job');
  }
}
