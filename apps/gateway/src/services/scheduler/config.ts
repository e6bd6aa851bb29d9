// The `schedule` configuration section: jobs configured like cron (UPS battery tests, Ri
// measurement runs, reports). Off by default; a cron expression is checked when the file loads.
import { arr, bool, int, obj, str } from '../../config/schema-dsl';
import { cronProblem } from './cron';

/** A pattern whose test is the cron parser, so `config check` names the bad job's key. */
class CronPattern extends RegExp {
  constructor() {
    super('^.+$');
  }
  override test(text: string): boolean {
    return cronProblem(text) === null;
  }
}

export const JOB_ACTIONS = ['ups-test', 'measure-ri', 'report', 'capacity-test'] as const;
export type JobAction = (typeof JOB_ACTIONS)[number];

export const SCHEDULE_SCHEMA = obj('Scheduler: jobs run at times given like cron. Commands go through the command interface as internal/scheduler; every run is logged and audited.', {
  enabled: bool('Run the jobs.', false),
  timeZone: str('Zone the cron fields are read in.', { enum: ['local', 'utc'], default: 'local' }),
  jobs: arr('The jobs.', obj('A job', {
    name: str('Name, in logs, the audit log and report file names.', { pattern: /^[A-Za-z0-9_.-]{1,64}$/, patternDoc: 'letters, digits, _ . - (1 to 64)' }),
    cron: str('When: minute hour day-of-month month day-of-week (e.g. "0 3 * * 1" = Mondays 03:00), or @hourly, @daily, @weekly, @monthly, @yearly.', {
      pattern: new CronPattern(), patternDoc: 'a cron expression: 5 fields (minute hour day-of-month month day-of-week, with * , - / and names) or @hourly/@daily/@weekly/@monthly/@yearly',
    }),
    action: str('ups-test: a UPS battery test; measure-ri: an internal-resistance measurement of every module of `strings`; report: a summary file or the service report; capacity-test: a capacity test of `strings` recorded to the end voltage (docs/health.md).', { enum: JOB_ACTIONS }),
    enabled: bool('Run this job.', true),
    test: str('ups-test: which test (deep discharges the battery).', { enum: ['quick', 'general', 'deep'], default: 'quick' }),
    strings: arr('measure-ri, capacity-test: strings to measure or test; empty = all.', int('A string number', { min: 1, max: 16 }), { default: [] }),
    format: str('report: json (summary, alarms, logger stats), csv (the summary table) or html (the service report: site summary, alarms, capacity tests, health rankings and plots in one file; needs the data logger; docs/health.md).', { enum: ['json', 'csv', 'html'], default: 'json' }),
    pdf: bool('report, format html: also print it to PDF beside the HTML with headless Chromium (Debian package chromium); without Chromium the run fails and says so, the HTML is kept.', false),
    directory: str('report: folder for the files; empty = reports/ beside history.path.', { default: '' }),
    periodH: int('report: hours covered, ending at the run.', { min: 1, max: 8784, default: 24, unit: 'h' }),
    keep: int('report: newest files of this job kept; 0 = all.', { min: 0, max: 100_000, default: 31 }),
    upsTest: bool('capacity-test: start the discharge with the UPS deep battery test (false: a load bank or the UPS panel starts it within the hour).', true),
  }), { default: [], maxItems: 100 }),
});

export interface JobConfig {
  name: string;
  cron: string;
  action: JobAction;
  enabled: boolean;
  test: 'quick' | 'general' | 'deep';
  strings: number[];
  format: 'json' | 'csv' | 'html';
  pdf: boolean;
  directory: string;
  periodH: number;
  keep: number;
  upsTest: boolean;
}

export interface ScheduleConfig {
  enabled: boolean;
  timeZone: 'local' | 'utc';
  jobs: JobConfig[];
}
