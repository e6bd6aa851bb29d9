// Five-field cron expressions (minute hour day-of-month month day-of-week), as crontab(5) reads
// them: lists, ranges, steps, month and day names, 7 = Sunday, the @hourly/@daily/... shorthands,
// and Vixie cron's rule that a restricted day-of-month OR day-of-week matches.

export class CronError extends Error {
  readonly code = 'cron.invalid';
}

export interface CronSchedule {
  readonly source: string;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly weekdays: ReadonlySet<number>;
  readonly daysRestricted: boolean;
  readonly weekdaysRestricted: boolean;
}

const SHORTHANDS: Record<string, string> = {
  '@yearly': '0 0 1 1 *', '@annually': '0 0 1 1 *', '@monthly': '0 0 1 * *', '@weekly': '0 0 * * 0', '@daily': '0 0 * * *', '@midnight': '0 0 * * *', '@hourly': '0 * * * *',
};
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface FieldSpec { readonly name: string; readonly lo: number; readonly hi: number; readonly names?: readonly string[]; readonly nameBase?: number }
const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', lo: 0, hi: 59 },
  { name: 'hour', lo: 0, hi: 23 },
  { name: 'day-of-month', lo: 1, hi: 31 },
  { name: 'month', lo: 1, hi: 12, names: MONTHS, nameBase: 1 },
  { name: 'day-of-week', lo: 0, hi: 7, names: WEEKDAYS, nameBase: 0 },
];

function value(text: string, f: FieldSpec): number {
  const byName = f.names?.indexOf(text.toLowerCase()) ?? -1;
  if (byName >= 0) return byName + f.nameBase!;
  if (!/^\d+$/.test(text)) throw new CronError(`${f.name} ${JSON.stringify(text)} is not a number${f.names ? ` or a name (${f.names.join(', ')})` : ''}`);
  const n = Number(text);
  if (n < f.lo || n > f.hi) throw new CronError(`${f.name} ${n} is out of range ${f.lo}-${f.hi}`);
  return n;
}

function field(text: string, f: FieldSpec): { set: Set<number>; restricted: boolean } {
  const set = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^([^/]+)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new CronError(`${f.name} ${JSON.stringify(part)} is not a value, range or step`);
    const step = m[2] === undefined ? 1 : Number(m[2]);
    if (step < 1 || step > f.hi) throw new CronError(`${f.name} step ${m[2]} is out of range 1-${f.hi}`);
    let lo: number;
    let hi: number;
    if (m[1] === '*') [lo, hi] = [f.lo, f.hi];
    else if (m[1].includes('-')) {
      const [a, b, ...rest] = m[1].split('-');
      if (rest.length) throw new CronError(`${f.name} ${JSON.stringify(part)} has more than one -`);
      [lo, hi] = [value(a, f), value(b, f)];
      if (hi < lo) throw new CronError(`${f.name} range ${m[1]} runs backwards`);
    } else {
      lo = value(m[1], f);
      // `5/15` means from 5 to the end in steps of 15, as in Vixie cron.
      hi = m[2] === undefined ? lo : f.hi;
    }
    for (let v = lo; v <= hi; v += step) set.add(f.name === 'day-of-week' && v === 7 ? 0 : v);
  }
  return { set, restricted: !text.startsWith('*') };
}

export function parseCron(source: string): CronSchedule {
  const text = SHORTHANDS[source.trim().toLowerCase()] ?? source.trim();
  const parts = text.split(/\s+/);
  if (parts.length !== 5) throw new CronError(`${JSON.stringify(source)} has ${parts.length} fields: a cron expression has 5 (minute hour day-of-month month day-of-week) or is one of ${Object.keys(SHORTHANDS).join(', ')}`);
  const [minute, hour, day, month, weekday] = parts.map((p, i) => field(p, FIELDS[i]));
  return {
    source, minutes: minute.set, hours: hour.set, days: day.set, months: month.set, weekdays: weekday.set,
    daysRestricted: day.restricted, weekdaysRestricted: weekday.restricted,
  };
}

/** Null when valid, else why not: for configuration checks. */
export function cronProblem(source: string): string | null {
  try {
    parseCron(source);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

interface Calendar {
  parts(ms: number): { year: number; month: number; day: number; hour: number; minute: number; weekday: number };
  make(year: number, month: number, day: number, hour: number, minute: number): number;
}
const LOCAL: Calendar = {
  parts: (ms) => { const d = new Date(ms); return { year: d.getFullYear(), month: d.getMonth() + 1, day: d.getDate(), hour: d.getHours(), minute: d.getMinutes(), weekday: d.getDay() }; },
  make: (y, mo, d, h, mi) => new Date(y, mo - 1, d, h, mi).getTime(),
};
const UTC: Calendar = {
  parts: (ms) => { const d = new Date(ms); return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), weekday: d.getUTCDay() }; },
  make: (y, mo, d, h, mi) => Date.UTC(y, mo - 1, d, h, mi),
};

function dayMatches(s: CronSchedule, day: number, weekday: number): boolean {
  if (s.daysRestricted && s.weekdaysRestricted) return s.days.has(day) || s.weekdays.has(weekday);
  return s.days.has(day) && s.weekdays.has(weekday);
}

/**
 * The first minute strictly after `afterMs` that the schedule matches, in local time or UTC; null
 * when none within 5 years (e.g. 30 February). A local time skipped by a DST change is not run.
 */
export function nextRun(s: CronSchedule, afterMs: number, zone: 'local' | 'utc' = 'local'): number | null {
  const cal = zone === 'utc' ? UTC : LOCAL;
  let t = Math.floor(afterMs / 60_000) * 60_000 + 60_000;
  const limit = afterMs + 5 * 366 * 86_400_000;
  while (t <= limit) {
    const p = cal.parts(t);
    if (!s.months.has(p.month)) {
      t = p.month === 12 ? cal.make(p.year + 1, 1, 1, 0, 0) : cal.make(p.year, p.month + 1, 1, 0, 0);
    } else if (!dayMatches(s, p.day, p.weekday)) {
      t = cal.make(p.year, p.month, p.day + 1, 0, 0);
    } else if (!s.hours.has(p.hour)) {
      const next = cal.make(p.year, p.month, p.day, p.hour + 1, 0);
      // A DST gap can map the next hour back onto this one: step by real time instead.
      t = next > t ? next : t + 3_600_000 - (t % 3_600_000);
    } else if (!s.minutes.has(p.minute)) {
      t += 60_000;
    } else {
      return t;
    }
  }
  return null;
}
