// The scheduler: runs each job at the minutes its cron expression names. Commands go through the
// command interface as {protocol: internal, principal: scheduler}, so they are validated,
// authorized and audited like any other; every run is also logged, put in the event log and
// audited as a `schedule` entry. A run still going when the next is due is skipped, not stacked.
import { join } from 'node:path';
import { CommandError, type CommandInterface, type CommandOrigin, type Site } from '@kirchhoff/core';
import type { Logger } from '../../log';
import type { HistoryStore } from '@kirchhoff/history';
import type { HealthService } from '../../engine/health-service';
import type { JobConfig } from './config';
import { CronSchedule, nextRun, parseCron } from './cron';
import { serviceReport, findChromium, NO_CHROMIUM, printPdf } from '../../report';
import { buildReport, pruneReports, reportFileName, reportText, writeReport } from './report';

export const SCHEDULER_ORIGIN: CommandOrigin = { protocol: 'internal', principal: 'scheduler' };
/** Timers are re-armed at least this often, so a changed wall clock is noticed. */
const MAX_SLEEP_MS = 3_600_000;
/** A run this late is missed, not made up. */
const LATE_LIMIT_MS = 5 * 60_000;

export interface RunResult {
  readonly job: string;
  readonly atMs: number;
  readonly outcome: 'ok' | 'failed' | 'skipped';
  readonly message: string;
  readonly durationMs: number;
  /** A report's file. */
  readonly file?: string;
}

export interface JobStatus {
  readonly name: string;
  readonly cron: string;
  readonly action: JobConfig['action'];
  readonly nextRunMs: number | null;
  readonly running: boolean;
  readonly lastRun: RunResult | null;
}

export interface SchedulerOptions {
  readonly site: Site;
  readonly commands: CommandInterface;
  readonly logger: Logger;
  readonly jobs: readonly JobConfig[];
  readonly timeZone: 'local' | 'utc';
  /** Where reports go when a job names no directory. */
  readonly reportDirectory: string;
  readonly history?: () => HistoryStore | undefined;
  /** The battery health engine (capacity-test jobs). */
  readonly health?: () => HealthService | undefined;
  readonly clock?: () => number;
}

interface Job {
  readonly config: JobConfig;
  readonly schedule: CronSchedule;
  nextMs: number | null;
  timer: NodeJS.Timeout | null;
  running: boolean;
  last: RunResult | null;
}

export class Scheduler {
  private readonly jobs: Job[];
  private readonly clock: () => number;
  private stopped = true;

  constructor(private readonly options: SchedulerOptions) {
    this.clock = options.clock ?? Date.now;
    this.jobs = options.jobs.filter((j) => j.enabled).map((config) => ({ config, schedule: parseCron(config.cron), nextMs: null, timer: null, running: false, last: null }));
  }

  start(): void {
    this.stopped = false;
    for (const job of this.jobs) this.arm(job);
  }

  stop(): void {
    this.stopped = true;
    for (const job of this.jobs) {
      if (job.timer) clearTimeout(job.timer);
      job.timer = null;
    }
  }

  status(): JobStatus[] {
    return this.jobs.map((j) => ({ name: j.config.name, cron: j.config.cron, action: j.config.action, nextRunMs: j.nextMs, running: j.running, lastRun: j.last }));
  }

  private arm(job: Job): void {
    if (this.stopped) return;
    const now = this.clock();
    if (job.nextMs === null || job.nextMs <= now - 60_000) job.nextMs = nextRun(job.schedule, now, this.options.timeZone);
    if (job.nextMs === null) {
      this.options.logger.warn(`job ${job.config.name}: "${job.config.cron}" never matches; it will not run`);
      return;
    }
    job.timer = setTimeout(() => {
      job.timer = null;
      if (this.stopped) return;
      const now = this.clock();
      if (job.nextMs !== null && now >= job.nextMs) {
        const due = job.nextMs;
        job.nextMs = nextRun(job.schedule, Math.max(due, now), this.options.timeZone);
        // Far too late (the clock jumped, the machine slept): a battery test at an unplanned hour
        // is worse than none, so the run is recorded as missed and the next one waits its turn.
        if (now - due > LATE_LIMIT_MS) this.record(job, { job: job.config.name, atMs: due, outcome: 'skipped', message: `missed: due ${new Date(due).toISOString()}, the timer fired ${Math.round((now - due) / 1000)} s late`, durationMs: 0 });
        else void this.run(job.config.name, due);
      }
      this.arm(job);
    }, Math.min(Math.max(0, job.nextMs - now), MAX_SLEEP_MS));
    job.timer.unref();
  }

  /** Runs a job now (its schedule is unchanged); resolves when the run has finished. */
  async run(name: string, atMs = this.clock()): Promise<RunResult> {
    const job = this.jobs.find((j) => j.config.name === name);
    if (!job) throw new CommandError('not-found', `no scheduled job named ${JSON.stringify(name)}`);
    if (job.running) return this.record(job, { job: name, atMs, outcome: 'skipped', message: 'the previous run is still going', durationMs: 0 });
    job.running = true;
    const started = this.clock();
    try {
      const { message, file } = await this.execute(job.config, atMs);
      return this.record(job, { job: name, atMs, outcome: 'ok', message, durationMs: this.clock() - started, ...(file ? { file } : {}) });
    } catch (error) {
      return this.record(job, { job: name, atMs, outcome: 'failed', message: (error as Error).message, durationMs: this.clock() - started });
    } finally {
      job.running = false;
    }
  }

  private async execute(c: JobConfig, atMs: number): Promise<{ message: string; file?: string }> {
    const { site, commands } = this.options;
    switch (c.action) {
      case 'ups-test': {
        const r = await commands.submit({ type: 'ups-test', test: c.test }, SCHEDULER_ORIGIN);
        return { message: r.message };
      }
      case 'measure-ri': {
        const topology = site.topology;
        const strings = c.strings.length ? c.strings : topology.strings.map((_, i) => i + 1);
        let sent = 0;
        const failures: string[] = [];
        for (const string of strings) {
          const modules = topology.strings[string - 1]?.modules ?? 0;
          if (!modules) {
            failures.push(`string ${string} does not exist`);
            continue;
          }
          for (let module = 1; module <= modules; module++) {
            try {
              await commands.submit({ type: 'module', action: 'measure-ri', string, module }, SCHEDULER_ORIGIN);
              sent++;
            } catch (error) {
              // Every module would answer the same: one reason is enough.
              if (error instanceof CommandError && (error.code === 'unsupported' || error.code === 'forbidden')) throw error;
              failures.push(`${string}/${module}: ${(error as Error).message}`);
            }
          }
        }
        if (failures.length) throw new Error(`measure-ri sent to ${sent} modules, ${failures.length} failed: ${failures.slice(0, 5).join('; ')}${failures.length > 5 ? '; ...' : ''}`);
        return { message: `measure-ri sent to ${sent} modules of string${strings.length === 1 ? '' : 's'} ${strings.join(', ')}` };
      }
      case 'capacity-test': {
        const health = this.options.health?.();
        if (!health) throw new Error('no battery health engine runs in this gateway (no battery bus, no demo): no capacity test');
        const test = health.startTest({ trigger: 'scheduler', strings: c.strings, by: c.name });
        if (c.upsTest) {
          try {
            await commands.submit({ type: 'ups-test', test: 'deep' }, SCHEDULER_ORIGIN);
          } catch (error) {
            health.abortTest();
            throw new Error(`capacity test not started: the UPS refused its deep battery test (${(error as Error).message})`);
          }
        }
        return { message: `capacity test of string${test.strings.length === 1 ? '' : 's'} ${test.strings.join(', ')} started${c.upsTest ? ' with the UPS deep battery test' : '; waiting for the discharge'}` };
      }
      case 'report': {
        const history = this.options.history?.();
        await history?.flush();
        const directory = c.directory || this.options.reportDirectory;
        if (c.format === 'html') {
          if (!history) throw new Error('format html (the service report) needs the data logger: set history.enabled: true');
          const { html, data } = await serviceReport(history, { fromMs: atMs - c.periodH * 3_600_000, toMs: atMs, nowMs: atMs });
          const file = writeReport(directory, c.name, atMs, 'html', html, c.keep);
          const what = `service report (${data.alarms.length} alarm log entries, ${data.tests.length} capacity tests, ${data.health?.blocks.length ?? 0} blocks with health figures) written to ${file}`;
          if (!c.pdf) return { message: what, file };
          const chromium = findChromium();
          if (!chromium) throw new Error(`${what}; no PDF: ${NO_CHROMIUM}`);
          const pdf = join(directory, reportFileName(c.name, atMs, 'pdf'));
          await printPdf(file, pdf, chromium);
          pruneReports(directory, c.name, c.keep);
          return { message: `${what}, PDF ${pdf}`, file };
        }
        const report = await buildReport(c.name, atMs - c.periodH * 3_600_000, atMs, site.snapshot(), history);
        const file = writeReport(directory, c.name, atMs, c.format, reportText(report, c.format), c.keep);
        return { message: `report of ${report.series.length} series${report.alarms ? `, ${report.alarms.raised} alarms raised` : ''} written to ${file}`, file };
      }
    }
  }

  private record(job: Job, result: RunResult): RunResult {
    job.last = result;
    const { logger } = this.options;
    const line = `job ${result.job} (${job.config.action}) ${result.outcome}: ${result.message}`;
    if (result.outcome === 'ok') logger.info(line, { durationMs: result.durationMs });
    else logger.warn(line, { durationMs: result.durationMs });
    const history = this.options.history?.();
    const detail = { job: result.job, action: job.config.action, cron: job.config.cron, scheduledAtMs: result.atMs, durationMs: result.durationMs, ...(result.file ? { file: result.file } : {}) };
    history?.recordEvent({ category: 'schedule', action: result.outcome, severity: result.outcome === 'failed' ? 'warning' : 'info', message: line, detail });
    history?.recordAudit({
      kind: 'schedule', action: `${job.config.action} ${result.job}`, outcome: result.outcome === 'ok' ? 'ok' : result.outcome === 'failed' ? 'failed' : 'rejected',
      protocol: SCHEDULER_ORIGIN.protocol, principal: SCHEDULER_ORIGIN.principal!, detail, error: result.outcome === 'ok' ? null : result.message,
    });
    return result;
  }
}
