import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CommandInterface, Site } from '@kirchhoff/core';
import { memoryLog } from './test-helpers/memory-log';
import { HistoryLogger } from './store';
import type { Retention } from './db';

const RETENTION: Retention = { rawDays: 7, minuteDays: 90, hourDays: 0, eventDays: 0, auditDays: 0 };
const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);

describe('HistoryLogger', () => {
  let dir: string;
  let logger: HistoryLogger | null = null;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kirchhoff-history-'));
  });
  afterEach(async () => {
    await logger?.close();
    logger = null;
    rmSync(dir, { recursive: true, force: true });
  });

  const open = (extra: Partial<Parameters<typeof HistoryLogger.open>[0]> = {}) =>
    HistoryLogger.open({ path: join(dir, 'h.db'), retention: RETENTION, logger: memoryLog(), flushIntervalMs: 50, ...extra });

  it('creates a WAL database and reads back what it committed', async () => {
    logger = await open();
    logger.enqueueSamples([
      ['string/1/module/1', 'voltageV', T0, 13.5, 0],
      ['string/1/module/1', 'voltageV', T0 + 1000, 13.6, 0],
      ['string/1/module/1', 'voltageV', T0 + 2000, null, 1],
    ]);
    await logger.flush();
    const s = await logger.measurements({ entity: 'string/1/module/1', field: 'voltageV', fromMs: T0, toMs: T0 + 3000, resolution: 'raw' });
    expect(s.points.map((p) => [p.atMs - T0, p.value, p.quality])).toEqual([[0, 13.5, 'fresh'], [1000, 13.6, 'fresh'], [2000, null, 'stale']]);
    // Another connection sees it too: it is in the file, not only in the writer's memory.
    const db = new Database(join(dir, 'h.db'), { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare('SELECT count(*) AS n FROM samples').get()).toEqual({ n: 3 });
    db.close();
    expect(logger.stats()).toMatchObject({ written: 3, queued: 0, lagMs: 0, dropped: { measurements: 0, events: 0, audit: 0 } });
    // A range starting before the first sample of a young database is still answered raw.
    const auto = await logger.measurements({ entity: 'string/1/module/1', field: 'voltageV', fromMs: T0 - 3600_000, toMs: T0 + 3000 });
    expect([auto.resolution, auto.points.length]).toEqual(['raw', 3]);
    // Bad queries are refused with the reason; the logger keeps working.
    await expect(logger.measurements({ entity: 'string/1/module/1', field: 'voltageV', fromMs: Number.NaN, toMs: 1 })).rejects.toThrow('fromMs and toMs must be numbers');
    await expect(logger.measurements({ entity: 'string/1/module/1', field: 'voltageV', fromMs: 0, toMs: 1, resolution: 'second' as 'raw' })).rejects.toThrow('resolution must be one of raw, minute, hour, auto; got "second"');
    expect(await logger.events({ entity: "%' OR 1=1 --*", limit: -5 })).toEqual([]);
    expect((await logger.series('string/1/*')).length).toBe(1);
  });

  it('keeps engine state across a close and reopen (the SoC estimator after a gateway restart)', async () => {
    logger = await open();
    expect(await logger.loadEngineState('soc')).toBeNull();
    await logger.saveEngineState('soc', T0, { version: 1, blocks: [{ socPercent: 97.5 }] });
    await logger.saveEngineState('soc', T0 + 60_000, { version: 1, blocks: [{ socPercent: 97.4 }] });
    await logger.close();
    logger = await open();
    expect(await logger.loadEngineState('soc')).toEqual({ version: 1, blocks: [{ socPercent: 97.4 }] });
  });

  it('downsamples to minute and hour min/mean/max, with the newest buckets computed on the fly', async () => {
    logger = await open();
    const rows: [string, string, number, number, number][] = [];
    // Two hours of one sample every 10 s: value = minute index, plus 0..5 within the minute.
    for (let t = 0; t < 2 * 3600_000; t += 10_000) rows.push(['string/1', 'dcCurrentA', T0 + t, Math.floor(t / 60_000) + (t % 60_000) / 10_000, 0]);
    logger.enqueueSamples(rows);
    await logger.flush();
    const q = { entity: 'string/1', field: 'dcCurrentA', fromMs: T0, toMs: T0 + 2 * 3600_000 } as const;
    const before = await logger.measurements({ ...q, resolution: 'minute' });
    expect(before.points).toHaveLength(120);
    expect(before.points[3]).toEqual({ atMs: T0 + 180_000, value: 5.5, min: 3, max: 8, count: 6, quality: 'fresh' });

    const done = await logger.maintain(T0 + 90 * 60_000);
    expect(done.minutes).toBe(88 * 1); // 88 complete minutes older than the 2-minute grace, one series
    const after = await logger.measurements({ ...q, resolution: 'minute' });
    expect(after.points).toEqual(before.points);
    const hours = await logger.measurements({ ...q, resolution: 'hour' });
    expect(hours.points.map((p) => [p.atMs - T0, p.min, p.max, p.count])).toEqual([[0, 0, 64, 360], [3600_000, 60, 124, 360]]);
    expect(hours.points[0].value).toBeCloseTo(29.5 + 2.5, 9);
  });

  it('applies retention only to what is already aggregated', async () => {
    logger = await open({ retention: { ...RETENTION, rawDays: 1 } });
    logger.enqueueSamples([['sensor/1', 'reading', T0, 20, 0], ['sensor/1', 'reading', T0 + 3 * 86_400_000, 21, 0]]);
    await logger.flush();
    await logger.maintain(T0 + 3 * 86_400_000 + 600_000);
    const raw = await logger.measurements({ entity: 'sensor/1', field: 'reading', fromMs: 0, toMs: T0 + 4 * 86_400_000, resolution: 'raw' });
    expect(raw.points.map((p) => p.value)).toEqual([21]);
    const minutes = await logger.measurements({ entity: 'sensor/1', field: 'reading', fromMs: 0, toMs: T0 + 4 * 86_400_000, resolution: 'minute' });
    expect(minutes.points.map((p) => [p.atMs, p.value])).toEqual([[T0, 20], [T0 + 3 * 86_400_000, 21]]);
    const auto = await logger.measurements({ entity: 'sensor/1', field: 'reading', fromMs: T0, toMs: T0 + 4 * 86_400_000 });
    expect(auto.resolution).toBe('minute');
    // Raw still holds everything after the cut: a range there is answered raw.
    const recent = await logger.measurements({ entity: 'sensor/1', field: 'reading', fromMs: T0 + 2.5 * 86_400_000, toMs: T0 + 4 * 86_400_000 });
    expect([recent.resolution, recent.points.map((p) => p.value)]).toEqual(['raw', [21]]);
  });

  it('logs alarms raised/acknowledged/cleared and audits every command with who and from where', async () => {
    const site = new Site({ strings: [{ modules: 2, moduleType: 'C20' }], relays: [{ name: 'Beacon' }], clock: () => T0 });
    const commands = new CommandInterface(site, { execute: async () => ({ ok: true, message: 'done' }) }, { http: 'all' });
    logger = await open({ clock: () => T0 });
    const detach = logger.attach(site, { modules: 0, strings: 0, ups: 0, sensors: 0 });
    const entity = { kind: 'module', string: 1, module: 2, global: 2 } as const;
    const [raised] = site.reconcileAlarms('test', [{ kind: 'module-voltage-high', severity: 'alarm', entity, message: 'S01-M02 voltage high', value: 14.9, limit: 14.4 }]);
    await commands.submit({ type: 'acknowledge-alarm', alarmId: raised.alarm.id }, { protocol: 'http', principal: 'alice', remote: '10.0.0.7:5123' });
    await expect(commands.submit({ type: 'set-relay', relay: 1, on: true }, { protocol: 'snmp', principal: 'public', remote: '10.0.0.8:161' })).rejects.toThrow(/not enabled/);
    site.reconcileAlarms('test', []);
    detach();
    await logger.flush();

    const events = await logger.events({ category: 'alarm' });
    expect(events.map((e) => [e.action, e.alarmId, e.alarmKind, e.entity, e.severity])).toEqual([
      ['raised', raised.alarm.id, 'module-voltage-high', 'string/1/module/2', 'alarm'],
      ['acknowledged', raised.alarm.id, 'module-voltage-high', 'string/1/module/2', 'alarm'],
      ['cleared', raised.alarm.id, 'module-voltage-high', 'string/1/module/2', 'alarm'],
    ]);
    expect(events[1].detail).toMatchObject({ by: 'alice', value: 14.9, limit: 14.4 });
    const audit = await logger.audit();
    expect(audit.map((a) => [a.kind, a.action, a.outcome, a.protocol, a.principal, a.remote])).toEqual([
      ['command', 'acknowledge-alarm', 'ok', 'http', 'alice', '10.0.0.7:5123'],
      ['command', 'set-relay', 'rejected', 'snmp', 'public', '10.0.0.8:161'],
    ]);
    expect(audit[1].detail).toEqual({ type: 'set-relay', relay: 1, on: true });
    expect(audit[1].error).toMatch(/^forbidden: /);
    expect((await logger.audit({ order: 'desc', limit: 1 }))[0].action).toBe('set-relay');
  });

  it('drops samples beyond the queue capacity and counts them, but keeps audit entries', async () => {
    logger = await open({ queueCapacity: 10, flushIntervalMs: 60_000 });
    logger.enqueueSamples(Array.from({ length: 25 }, (_, i) => ['sensor/1', 'reading', T0 + i, i, 0] as [string, string, number, number, number]));
    logger.recordAudit({ kind: 'config', action: 'reload', outcome: 'ok', principal: 'admin' });
    expect(logger.stats()).toMatchObject({ queued: 11, dropped: { measurements: 15, events: 0, audit: 0 } });
    await logger.flush();
    const raw = await logger.measurements({ entity: 'sensor/1', field: 'reading', fromMs: 0, toMs: T0 + 100, resolution: 'raw' });
    expect(raw.points.map((p) => p.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect((await logger.audit())[0]).toMatchObject({ action: 'reload', principal: 'admin' });
  });

  it('answers a query with what was recorded just before it, without waiting for the flush timer', async () => {
    logger = await open({ flushIntervalMs: 60_000 });
    logger.recordEvent({ category: 'alarm', action: 'raised', severity: 'warning', message: 'Room temperature high' });
    logger.recordAudit({ kind: 'command', action: 'set-relay', outcome: 'ok', principal: 'operator' });
    expect((await logger.events({ category: 'alarm' })).map((e) => e.message)).toEqual(['Room temperature high']);
    expect((await logger.audit()).map((a) => a.action)).toEqual(['set-relay']);
  });

  // The kill -9 test found this on a busy machine: audit entries recorded after a flush() go into
  // the next batch ahead of older samples, and a flush that counted all records together
  // resolved (and the crash writer acknowledged) while 5,000 of its samples were still queued.
  it('resolves flush() only when every sample accepted before it is in the file, whatever was recorded after', async () => {
    logger = await open({ flushIntervalMs: 60_000 });
    // 35,000 samples: the first 20,000 leave at once as one batch, 15,000 wait behind it.
    logger.enqueueSamples(Array.from({ length: 35_000 }, (_, i) => ['sensor/1', 'reading', T0 + i, i, 0] as [string, string, number, number, number]));
    const flushed = logger.flush();
    for (let i = 0; i < 10_000; i++) logger.recordAudit({ kind: 'command', action: 'later', outcome: 'ok', detail: { i } });
    await flushed;
    const db = new Database(join(dir, 'h.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) AS n, max(value) AS hi FROM samples').get()).toEqual({ n: 35_000, hi: 34_999 });
    } finally {
      db.close();
    }
  });

  it('fails to open with a message naming the path', async () => {
    writeFileSync(join(dir, 'a-file'), '');
    const path = join(dir, 'a-file', 'h.db');
    await expect(HistoryLogger.open({ path, retention: RETENTION, logger: memoryLog() })).rejects.toThrow(`cannot open the history database ${path}: EEXIST`);
  });
});
