import { cronProblem, nextRun, parseCron } from './cron';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString().slice(0, 16));
/** The next `n` run times after `from`, in UTC. */
function runs(expr: string, from: string, n: number): (string | null)[] {
  const s = parseCron(expr);
  const out: (string | null)[] = [];
  let t = at(from);
  for (let i = 0; i < n; i++) {
    const next = nextRun(s, t, 'utc');
    out.push(iso(next));
    if (next === null) break;
    t = next;
  }
  return out;
}

describe('cron', () => {
  it.each([
    ['*/15 * * * *', '2026-01-05T10:07Z', ['2026-01-05T10:15', '2026-01-05T10:30', '2026-01-05T10:45', '2026-01-05T11:00']],
    ['0 3 * * 1', '2026-01-01T00:00Z', ['2026-01-05T03:00', '2026-01-12T03:00', '2026-01-19T03:00']],
    ['30 2 1 */3 *', '2026-01-01T00:00Z', ['2026-01-01T02:30', '2026-04-01T02:30', '2026-07-01T02:30']],
    ['0 9-17/4 * * mon-fri', '2026-01-09T16:00Z', ['2026-01-09T17:00', '2026-01-12T09:00', '2026-01-12T13:00']],
    ['0 0 29 feb *', '2026-01-01T00:00Z', ['2028-02-29T00:00']],
    ['@daily', '2026-12-31T23:59Z', ['2027-01-01T00:00', '2027-01-02T00:00']],
    ['@hourly', '2026-01-05T10:00Z', ['2026-01-05T11:00']],
    ['0 0 * * 7', '2026-01-01T00:00Z', ['2026-01-04T00:00']],
    ['5,10 0 * jan,JUL *', '2026-01-31T23:00Z', ['2026-07-01T00:05', '2026-07-01T00:10']],
  ])('%s after %s', (expr, from, expected) => {
    expect(runs(expr, from, expected.length)).toEqual(expected);
  });

  it('matches day-of-month OR day-of-week when both are restricted (Vixie cron)', () => {
    // 13th of the month or any Friday.
    expect(runs('0 12 13 * 5', '2026-02-01T00:00Z', 4)).toEqual(['2026-02-06T12:00', '2026-02-13T12:00', '2026-02-20T12:00', '2026-02-27T12:00']);
    expect(runs('0 12 13 * 5', '2026-03-01T00:00Z', 2)).toEqual(['2026-03-06T12:00', '2026-03-13T12:00']);
    expect(runs('0 12 14 * 5', '2026-03-01T00:00Z', 3)).toEqual(['2026-03-06T12:00', '2026-03-13T12:00', '2026-03-14T12:00']);
  });

  it('never matches 30 February', () => {
    expect(nextRun(parseCron('0 0 30 2 *'), at('2026-01-01T00:00Z'), 'utc')).toBeNull();
  });

  it('names what is wrong', () => {
    expect(cronProblem('0 3 * *')).toMatch(/has 4 fields: a cron expression has 5/);
    expect(cronProblem('61 * * * *')).toBe('minute 61 is out of range 0-59');
    expect(cronProblem('0 24 * * *')).toBe('hour 24 is out of range 0-23');
    expect(cronProblem('0 0 * * funday')).toMatch(/^day-of-week "funday" is not a number or a name/);
    expect(cronProblem('0 0 5-1 * *')).toBe('day-of-month range 5-1 runs backwards');
    expect(cronProblem('*/0 * * * *')).toBe('minute step 0 is out of range 1-59');
    expect(cronProblem('0 3 * * 1')).toBeNull();
  });

  it('reads local time when asked (the gateway default)', () => {
    const s = parseCron('30 4 * * *');
    const next = new Date(nextRun(s, Date.now(), 'local')!);
    expect([next.getHours(), next.getMinutes(), next.getSeconds()]).toEqual([4, 30, 0]);
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(25 * 3600_000);
  });
});
