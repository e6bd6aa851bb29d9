import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChangeEvent, Command, CommandError, CommandInterface, Site } from '@kirchhoff/core';
import { memoryLogger } from '../../log';
import { HistoryLogger } from '@kirchhoff/history';
import type { JobConfig } from './config';
import { Scheduler } from './scheduler';
import { BatteryEngines } from '../../engine';
import { createHealthHost } from '../../engine/health-service';

const job = (c: Partial<JobConfig> & Pick<JobConfig, 'name' | 'cron' | 'action'>): JobConfig => ({
  enabled: true, test: 'quick', strings: [], format: 'json', pdf: false, directory: '', periodH: 24, keep: 31, upsTest: true, ...c,
});

/** A site with 2 strings x 3 modules and a UPS; the executor is the gateway's hardware boundary. */
function rig(execute: (c: Command) => Promise<{ ok: true; message: string }> = async (c) => ({ ok: true, message: `${c.type} done` })) {
  const site = new Site({ strings: [{ modules: 3, moduleType: 'C20' }, { modules: 3, moduleType: 'C20' }], ups: { ident: { name: 'UPS-A' } } });
  const executed: { command: Command; atMs: number }[] = [];
  const commands = new CommandInterface(site, { execute: async (c) => { executed.push({ command: c, atMs: Date.now() }); return execute(c); } }, { internal: 'all' });
  const audit: ChangeEvent[] = [];
  site.subscribe((e) => e.type === 'command' && audit.push(e));
  return { site, commands, executed, audit };
}

describe('Scheduler on a fake clock', () => {
  afterEach(() => jest.useRealTimers());

  it('runs a weekly UPS test and a daily Ri run at their minutes, through the command interface as internal/scheduler', async () => {
    jest.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00Z') });
    const { site, commands, executed, audit } = rig();
    const logger = memoryLogger();
    const s = new Scheduler({
      site, commands, logger, timeZone: 'utc', reportDirectory: '/nonexistent',
      jobs: [job({ name: 'ups-weekly', cron: '0 3 * * 1', action: 'ups-test', test: 'general' }), job({ name: 'ri', cron: '0 2 * * *', action: 'measure-ri', strings: [2] })],
    });
    s.start();
    expect(s.status().map((j) => [j.name, new Date(j.nextRunMs!).toISOString()])).toEqual([['ups-weekly', '2026-01-05T03:00:00.000Z'], ['ri', '2026-01-01T02:00:00.000Z']]);
    await jest.advanceTimersByTimeAsync(14 * 86_400_000);
    s.stop();

    const upsRuns = executed.filter((e) => e.command.type === 'ups-test');
    expect(upsRuns.map((e) => [new Date(e.atMs).toISOString(), e.command])).toEqual([
      ['2026-01-05T03:00:00.000Z', { type: 'ups-test', test: 'general' }],
      ['2026-01-12T03:00:00.000Z', { type: 'ups-test', test: 'general' }],
    ]);
    const riRuns = executed.filter((e) => e.command.type === 'module');
    expect(riRuns).toHaveLength(14 * 3);
    expect(riRuns.slice(0, 3).map((e) => [new Date(e.atMs).toISOString(), e.command])).toEqual([1, 2, 3].map((module) => ['2026-01-01T02:00:00.000Z', { type: 'module', action: 'measure-ri', string: 2, module }]));
    expect(new Set(riRuns.map((e) => new Date(e.atMs).toISOString().slice(11)))).toEqual(new Set(['02:00:00.000Z']));
    // Each command is audited on the change feed with the scheduler as its origin.
    expect(audit).toHaveLength(2 + 14 * 3);
    expect(new Set(audit.map((e) => e.type === 'command' && `${e.origin.protocol}/${e.origin.principal}/${e.outcome}`))).toEqual(new Set(['internal/scheduler/ok']));
    expect(s.status()[0].lastRun).toMatchObject({ outcome: 'ok', message: 'ups-test done', atMs: Date.parse('2026-01-12T03:00:00Z') });
    expect(logger.lines.filter((l) => /^job ups-weekly \(ups-test\) ok/.test(l.msg as string))).toHaveLength(2);
  });

  it('skips a run while the previous one is still going', async () => {
    jest.useFakeTimers({ now: Date.parse('2026-01-01T00:00:30Z') });
    let release = () => {};
    const { site, commands } = rig((c) => new Promise((r) => (release = () => r({ ok: true, message: `${c.type} done` }))));
    const s = new Scheduler({ site, commands, logger: memoryLogger(), timeZone: 'utc', reportDirectory: '/nonexistent', jobs: [job({ name: 'every-minute', cron: '* * * * *', action: 'ups-test' })] });
    s.start();
    await jest.advanceTimersByTimeAsync(30_000);
    expect(s.status()[0]).toMatchObject({ running: true, lastRun: null });
    await jest.advanceTimersByTimeAsync(60_000);
    expect(s.status()[0].lastRun).toMatchObject({ outcome: 'skipped', message: 'the previous run is still going', atMs: Date.parse('2026-01-01T00:02:00Z') });
    release();
    await jest.advanceTimersByTimeAsync(0);
    expect(s.status()[0]).toMatchObject({ running: false, lastRun: { outcome: 'ok', atMs: Date.parse('2026-01-01T00:01:00Z') } });
    s.stop();
  });

  it('after the clock jumps forward it runs at the next due minute, not every missed one', async () => {
    jest.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00Z') });
    const { site, commands, executed } = rig();
    const s = new Scheduler({ site, commands, logger: memoryLogger(), timeZone: 'utc', reportDirectory: '/nonexistent', jobs: [job({ name: 'hourly', cron: '@hourly', action: 'ups-test' })] });
    s.start();
    jest.setSystemTime(Date.parse('2026-01-03T00:30:00Z'));
    await jest.advanceTimersByTimeAsync(2 * 3_600_000);
    s.stop();
    // The 01:00 timer of 1 January fires at 01:30 on the 3rd: missed; 02:00 runs.
    expect(executed.map((e) => new Date(e.atMs).toISOString())).toEqual(['2026-01-03T02:00:00.000Z']);
  });
});

describe('Scheduler runs with the data logger', () => {
  let dir: string;
  let history: HistoryLogger;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kirchhoff-scheduler-'));
    history = await HistoryLogger.open({ path: join(dir, 'history.db'), retention: { rawDays: 7, minuteDays: 0, hourDays: 0, eventDays: 0, auditDays: 0 }, logger: memoryLogger(), flushIntervalMs: 50 });
  });
  afterEach(async () => {
    await history.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs and audits a failed UPS test with the reason', async () => {
    const { site, commands } = rig(async () => {
      throw new Error('the simulated UPS source cannot run battery tests');
    });
    const off = site.subscribe((e) => history.onChange(e));
    const s = new Scheduler({ site, commands, logger: memoryLogger(), timeZone: 'utc', reportDirectory: dir, history: () => history, jobs: [job({ name: 'ups-weekly', cron: '0 3 * * 1', action: 'ups-test' })] });
    const r = await s.run('ups-weekly');
    off();
    expect(r).toMatchObject({ outcome: 'failed', message: 'the simulated UPS source cannot run battery tests' });
    await history.flush();
    expect((await history.events({ category: 'schedule' })).map((e) => [e.action, e.severity, e.message])).toEqual([
      ['failed', 'warning', 'job ups-weekly (ups-test) failed: the simulated UPS source cannot run battery tests'],
    ]);
    expect((await history.audit()).map((a) => [a.kind, a.action, a.outcome, a.protocol, a.principal, a.error])).toEqual([
      ['command', 'ups-test', 'failed', 'internal', 'scheduler', 'failed: the simulated UPS source cannot run battery tests'],
      ['schedule', 'ups-test ups-weekly', 'failed', 'internal', 'scheduler', 'the simulated UPS source cannot run battery tests'],
    ]);
  });

  it('stops an Ri run at the first module when the bus cannot measure on demand', async () => {
    const { site, commands, executed } = rig(async () => {
      throw new CommandError('unsupported', 'measure-ri is not available on the battery bus driver yet');
    });
    const s = new Scheduler({ site, commands, logger: memoryLogger(), timeZone: 'utc', reportDirectory: dir, history: () => history, jobs: [job({ name: 'ri', cron: '@daily', action: 'measure-ri' })] });
    expect(await s.run('ri')).toMatchObject({ outcome: 'failed', message: 'measure-ri is not available on the battery bus driver yet' });
    expect(executed).toHaveLength(1);
  });

  it('writes a daily report of the logged period (JSON and CSV) and keeps the newest files', async () => {
    const { site, commands } = rig();
    const T = Date.parse('2026-01-05T00:00:00Z');
    history.enqueueSamples([
      ['string/1', 'sumVoltageV', T - 3 * 3600_000, 27.0, 0],
      ['string/1', 'sumVoltageV', T - 2 * 3600_000, 27.4, 0],
      ['string/1', 'sumVoltageV', T - 1 * 3600_000, 27.2, 0],
      ['string/1', 'sumVoltageV', T - 30 * 3600_000, 20.0, 0], // before the period
      ['string/1/module/2', 'temperatureC', T - 600_000, 24.5, 0],
    ]);
    history.recordEvent({ atMs: T - 5 * 3600_000, category: 'alarm', action: 'raised', severity: 'alarm', entity: 'string/1/module/2', message: 'hot', alarmId: 7, alarmKind: 'module-temperature-high' });
    const jobs = [job({ name: 'daily', cron: '5 0 * * *', action: 'report', keep: 2 }), job({ name: 'daily-csv', cron: '5 0 * * *', action: 'report', format: 'csv' })];
    const s = new Scheduler({ site, commands, logger: memoryLogger(), timeZone: 'utc', reportDirectory: join(dir, 'reports'), history: () => history, jobs });

    const r = await s.run('daily', T);
    expect(r).toMatchObject({ outcome: 'ok', file: join(dir, 'reports', 'daily-20260105T0000Z.json') });
    const report = JSON.parse(readFileSync(r.file!, 'utf8'));
    expect(report).toMatchObject({ job: 'daily', source: 'logger', fromMs: T - 86_400_000, toMs: T, alarms: { raised: 1, byKind: { 'module-temperature-high': 1 } } });
    expect(report.series).toEqual([
      { entity: 'string/1', field: 'sumVoltageV', min: 27.0, mean: expect.closeTo(27.2, 9), max: 27.4, count: 3 },
      { entity: 'string/1/module/2', field: 'temperatureC', min: 24.5, mean: 24.5, max: 24.5, count: 1 },
    ]);

    const csv = await s.run('daily-csv', T);
    expect(readFileSync(csv.file!, 'utf8').split('\r\n')).toEqual(['entity,field,min,mean,max,count', expect.stringMatching(/^string\/1,sumVoltageV,27,27\.2\d*,27\.4,3$/), 'string/1/module/2,temperatureC,24.5,24.5,24.5,1', '']);

    await s.run('daily', T + 86_400_000);
    await s.run('daily', T + 2 * 86_400_000);
    expect(readdirSync(join(dir, 'reports')).sort()).toEqual(['daily-20260106T0000Z.json', 'daily-20260107T0000Z.json', 'daily-csv-20260105T0000Z.csv']);
    await history.flush();
    expect((await history.audit({ kind: 'schedule' })).map((a) => [a.action, a.outcome, a.principal])).toEqual([
      ['report daily', 'ok', 'scheduler'], ['report daily-csv', 'ok', 'scheduler'], ['report daily', 'ok', 'scheduler'], ['report daily', 'ok', 'scheduler'],
    ]);
  });

  it('starts a capacity test on its strings with the UPS deep battery test, and withdraws it when the UPS refuses', async () => {
    const { site, commands, executed } = rig();
    const engines = new BatteryEngines({ actuator: { setBypassDuty: () => {} } });
    const health = createHealthHost(engines, site, memoryLogger());
    const s = new Scheduler({ site, commands, logger: memoryLogger(), timeZone: 'utc', reportDirectory: '/nonexistent', health: () => health,
      jobs: [job({ name: 'capacity-yearly', cron: '0 4 1 3 *', action: 'capacity-test', strings: [2] })] });
    const r = await s.run('capacity-yearly');
    expect(r).toMatchObject({ outcome: 'ok', message: 'capacity test of string 2 started with the UPS deep battery test' });
    expect(executed.map((e) => e.command)).toEqual([{ type: 'ups-test', test: 'deep' }]);
    expect(health.running()).toMatchObject({ trigger: 'scheduler', strings: [2], state: 'waiting', by: 'capacity-yearly' });
    // One test at a time: the next run fails and says why.
    expect(await s.run('capacity-yearly')).toMatchObject({ outcome: 'failed', message: expect.stringContaining('already running') });
    expect(health.abortTest()).toBe(true);

    const refusing = rig(async () => { throw new Error('UPS busy'); });
    const health2 = createHealthHost(new BatteryEngines({ actuator: { setBypassDuty: () => {} } }), refusing.site, memoryLogger());
    const s2 = new Scheduler({ site: refusing.site, commands: refusing.commands, logger: memoryLogger(), timeZone: 'utc', reportDirectory: '/nonexistent', health: () => health2,
      jobs: [job({ name: 'cap', cron: '@yearly', action: 'capacity-test' })] });
    expect(await s2.run('cap')).toMatchObject({ outcome: 'failed', message: expect.stringContaining('the UPS refused its deep battery test') });
    expect(health2.running()).toBeNull();
  });
});
