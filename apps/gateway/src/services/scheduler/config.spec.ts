import { ConfigError, finishConfig, parseConfigText } from '../../config/load';
import { demoConfig } from '../../config/demo-config';

const load = (yaml: string) => finishConfig(parseConfigText(yaml, 'site.yaml'));
const problems = (yaml: string) => {
  try {
    load(yaml);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
  throw new Error('expected a ConfigError');
};

describe('history and schedule configuration', () => {
  it('is off by default with conservative rates', () => {
    const c = load('strings: [{modules: 4}]\n');
    expect(c.history).toMatchObject({ enabled: false, synchronous: 'full', rates: { modules: 300, strings: 60, ups: 60, sensors: 60 }, retention: { rawDays: 7 } });
    expect(c.schedule).toEqual({ enabled: false, timeZone: 'local', jobs: [] });
  });

  it('fills a job\'s defaults', () => {
    const c = load('strings: [{modules: 4}]\nschedule:\n  enabled: true\n  jobs:\n    - {name: ups-monthly, cron: "0 10 1 * *", action: ups-test}\n');
    expect(c.schedule.jobs).toEqual([{ name: 'ups-monthly', cron: '0 10 1 * *', action: 'ups-test', enabled: true, test: 'quick', strings: [], format: 'json', pdf: false, directory: '', periodH: 24, keep: 31, upsTest: true }]);
  });

  it('names the job key of a bad cron expression, action or rate', () => {
    expect(problems('strings: [{modules: 4}]\nschedule:\n  jobs:\n    - {name: a, cron: "61 * * * *", action: report}\n    - {name: b, cron: "@daily", action: reboot}\nhistory:\n  rates: {modules: -1}\n')).toEqual([
      'history.rates.modules (line 7): -1 is not valid: expected a whole number from 0 to 86400 (s) (out of range)',
      'schedule.jobs.0.cron (line 4): "61 * * * *" is not valid: expected a cron expression: 5 fields (minute hour day-of-month month day-of-week, with * , - / and names) or @hourly/@daily/@weekly/@monthly/@yearly',
      'schedule.jobs.1.action (line 5): "reboot" is not valid: expected one of ups-test, measure-ri, report, capacity-test (did you mean report?)',
    ]);
  });

  it('the demo logs to a temporary folder and schedules only a report and an Ri run', () => {
    const c = finishConfig(demoConfig());
    expect(c.history.enabled).toBe(true);
    expect(c.history.path).toMatch(/kirchhoff-demo[/\\]history\.db$/);
    expect(c.schedule.jobs.map((j) => j.action).sort()).toEqual(['measure-ri', 'report']);
  });
});
