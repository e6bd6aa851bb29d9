// The service report from a data logger file: what it gathers for the period (alarms in it and not
// before, the capacity test with its collapsed block, the SoH ranking, the Ri projection), that the
// HTML is one self-contained file with every value escaped, and `kirchhoff report`'s options.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Site, CommandInterface } from '@kirchhoff/core';
import { run } from '../cli';
import { memoryLogger } from '../log';
import { HistoryLogger, openHistoryFile } from '@kirchhoff/history';
import { Scheduler } from '../services/scheduler/scheduler';
import type { JobConfig } from '../services/scheduler/config';
import { BASELINE_OHM, buildReportDb, DAY_MS, EARLIER_TEST, FROM, RI_START, TO } from './fixture.test-support';
import { reportHtml, serviceReport, sohRanking, thin } from '.';

/** The text of one table row's cells, tags removed. */
const cells = (row: string) => [...row.matchAll(/<td>(.*?)<\/td>/g)].map((m) => m[1].replace(/<[^>]+>/g, ''));
const section = (html: string, id: string) => html.slice(html.indexOf(`<section id="${id}">`), html.indexOf('</section>', html.indexOf(`<section id="${id}">`)));

describe('service report', () => {
  let dir: string;
  let db: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kirchhoff-report-'));
    db = join(dir, 'h.db');
    buildReportDb(db);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gathers the period: its alarms only, the capacity test with the collapsed block, health ranked, the Ri rise of block 2', async () => {
    const reader = openHistoryFile(db);
    try {
      const { data } = await serviceReport(reader, { fromMs: FROM, toMs: TO, nowMs: TO });
      expect(data.site).toEqual({ name: 'Plant <North> & "Co"', location: 'Battery room 2', contact: null });
      expect(data.strings).toEqual([expect.objectContaining({ string: 1, name: 'UPS A', modules: 3, moduleType: 'C20', capacityAh: 10, identity: expect.objectContaining({ manufacturer: 'Acme Batteries GmbH', serial: 'SYS-0042', commissioningDate: '2024-05-14' }) })]);
      expect(data.strings[0].voltage).toHaveLength(48);
      // The alarm raised the day before the period is not in it.
      expect(data.alarms.map((e) => [e.action, e.alarmKind])).toEqual([['raised', 'module-voltage-low'], ['cleared', 'module-voltage-low']]);
      expect(data.raisedByKind).toEqual({ 'module-voltage-low': 1 });
      expect(data.events.map((e) => e.action)).toEqual(['test-ended']);
      expect(data.tests).toHaveLength(1);
      expect(data.tests[0].record.strings[0].endOfDischarge.collapsedEarly).toEqual([2]);
      // Every block's curve is thinned to at most 400 points, from the start to the end of the test.
      const curves = data.tests[0].curves[0].blocks;
      expect(curves.map((c) => [c.length <= 400, c.length > 100, c[0][0], c[0][1]])).toEqual([[true, true, 0, 12.6], [true, true, 0, 12.6], [true, true, 0, 12.6]]);
      // Health from the engine state: block 2 (5.8 Ah to the end voltage) lowest; block 3 has only its
      // Ri, flat (100 %); block 1 gave 10.5 Ah of its 10.
      const ranked = sohRanking(data.health!.blocks);
      expect(ranked.map((b) => [b.module, b.sohMethod])).toEqual([[2, 'capacity-test'], [3, 'resistance'], [1, 'capacity-test']]);
      // 1 % of the baseline a day from RI_START reaches +50 % on day 50.
      expect(data.health!.blocks[1].resistance.trend?.endOfLifeAtMs).toBe(RI_START + 50 * DAY_MS);
      expect(data.ri.map((r) => [r.module, r.points.length, r.baselineOhm])).toEqual([[1, 31, BASELINE_OHM], [2, 31, BASELINE_OHM], [3, 31, 0.0052]]);
      // The test a year earlier is not the period's, but it is in each block's capacity history:
      // block 2 lost capacity since, the others did not.
      expect(data.tests.map((t) => t.record.startMs)).toEqual([data.tests[0].record.startMs]);
      const history = new Map(data.capacityHistory.map((h) => [h.module, h.points]));
      expect(history.get(2)!.map((p) => p[0])).toEqual([EARLIER_TEST, data.tests[0].record.startMs]);
      expect(history.get(2)![0][1] - history.get(2)![1][1]).toBeGreaterThan(20);
      expect(Math.abs(history.get(1)![0][1] - history.get(1)![1][1])).toBeLessThan(0.5);
      // The per-string figures come only with the gateway's kept copy of the health figures.
      expect(reportHtml(data, 'test')).not.toContain('<h3>Strings</h3>');
      const diagnosis = { message: 'no block has bypassed while the string floats out of balance: battery breaker open?', sinceHours: 7 };
      const withStrings = reportHtml({ ...data, health: { ...data.health!, strings: [{ string: 1, currentSharePercent: 100, roundTripEfficiencyPercent: 82.46, balancingDiagnosis: diagnosis }] } }, 'test');
      expect(cells(section(withStrings, 'health').split('<h3>Strings</h3>')[1].split('<tr>')[2])).toEqual(['1', '100 %', '82.5 %', `${diagnosis.message} (7 h)`]);
    } finally {
      reader.close();
    }
  });

  it('renders one self-contained HTML page: no script, no outside resource, names escaped, plots with data', async () => {
    const reader = openHistoryFile(db);
    let html: string;
    let record;
    try {
      const r = await serviceReport(reader, { fromMs: FROM, toMs: TO, nowMs: TO });
      html = r.html;
      record = r.data.tests[0].record;
    } finally {
      reader.close();
    }
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\b(src|href)=|url\(/i);
    expect(html).toContain('<title>Battery service report: Plant &lt;North&gt; &amp; &quot;Co&quot;</title>');
    expect(html).not.toContain('<North>');
    for (const id of ['summary', 'alarms', 'tests', 'health', 'ri']) expect(html).toContain(`<section id="${id}">`);
    expect(section(html, 'alarms')).toContain('S01-M02 voltage 10.2 V below 10.5 V');
    expect(html).not.toContain('temperature high before the period');
    expect(section(html, 'tests')).toContain('Collapsed early: S01-M02.');
    // The SoH table lists block 2 first with the capacity the test measured.
    const healthRows = section(html, 'health').split('<tr>').slice(2).map(cells);
    const b2 = record.strings[0].blocks[1];
    expect(healthRows[0].slice(0, 3)).toEqual(['S01-M02', `${b2.capacityPercent!.toFixed(0)} %`, 'capacity-test']);
    expect(healthRows[0][7]).toBe('2026-06-21');
    // Every plot draws data: the string voltage, 3 discharge curves, the end ranking, SoH bars, Ri lines and the projection.
    expect(html).not.toContain('no data');
    const polylines = [...html.matchAll(/<polyline data-series="([^"]*)" points="([^"]*)"/g)].map((m) => [m[1], m[2].split(' ').length]);
    expect(polylines.filter(([, n]) => (n as number) < 2)).toEqual([]);
    expect(polylines.map(([name]) => name)).toEqual(expect.arrayContaining(['string 1', 'S01-M01', 'S01-M02', 'S01-M03', 'S01-M02 projection: +50 % on 2026-06-21']));
    expect([...html.matchAll(/<rect class="bar"/g)]).toHaveLength(6);
    expect(polylines.filter(([name]) => name === 'S01-M02')).toHaveLength(3);
  });

  it('thins a series evenly and keeps both ends', () => {
    const xs = Array.from({ length: 1001 }, (_, i) => i);
    expect(thin(xs, 5)).toEqual([0, 250, 500, 750, 1000]);
    expect(thin([1, 2], 5)).toEqual([1, 2]);
  });

  it('kirchhoff report writes the HTML; bad options are named with what is valid', async () => {
    const lines: string[] = [];
    const io = { out: (t: string) => lines.push(t), err: (t: string) => lines.push(t) };
    const out = join(dir, 'out', 'report.html');
    expect(await run(['report', '--db', db, '--from', new Date(FROM).toISOString(), '--to', new Date(TO).toISOString(), '--out', out], io)).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('Collapsed early: S01-M02.');
    expect(lines.pop()).toBe(`wrote ${out}: 1 strings, 2 alarm log entries, 1 capacity tests, 3 blocks with health figures`);
    // Relative times as the export command takes them: the test lies months back, outside -2h.
    const recent = join(dir, 'recent.html');
    expect(await run(['report', '--db', db, '--from', '-2h', '--out', recent], io)).toBe(0);
    expect(readFileSync(recent, 'utf8')).toContain('No capacity test or recorded discharge started in the period.');

    // --pdf without a Chromium: the HTML is written, the command says why there is no PDF and exits 1.
    const saved = process.env.KIRCHHOFF_CHROMIUM;
    process.env.KIRCHHOFF_CHROMIUM = join(dir, 'no-such-chromium');
    try {
      expect(await run(['report', '--db', db, '--out', join(dir, 'nopdf.html'), '--pdf', join(dir, 'nopdf.pdf')], io)).toBe(1);
    } finally {
      if (saved === undefined) delete process.env.KIRCHHOFF_CHROMIUM;
      else process.env.KIRCHHOFF_CHROMIUM = saved;
    }
    expect(lines.pop()).toBe('kirchhoff report: no PDF written: no Chromium found to print the PDF (install the Debian package chromium, or set KIRCHHOFF_CHROMIUM to its path)');
    expect([existsSync(join(dir, 'nopdf.html')), existsSync(join(dir, 'nopdf.pdf'))]).toEqual([true, false]);

    expect(await run(['report', '--db', db, '--from', 'yesterday', '--out', out], io)).toBe(2);
    expect(lines.join('\n')).toContain('--from "yesterday" is not a time: use ISO 8601 (2026-01-05T10:00:00Z), ms since the epoch, now, or -30m/-2h/-7d');
    expect(await run(['report', '--db', db, '--out', join(dir, 'r.txt')], io)).toBe(2);
    expect(lines.join('\n')).toContain('--out must name an .html file, got');
    expect(await run(['report', '--db', db, '--from', '2026-06-02', '--to', '2026-06-01', '--out', out], io)).toBe(2);
    expect(lines.join('\n')).toContain('--to (2026-06-01T00:00:00.000Z) must be after --from (2026-06-02T00:00:00.000Z)');
    expect(await run(['report', '--db', join(dir, 'none.db'), '--out', join(dir, 'n.html')], io)).toBe(1);
    expect(existsSync(join(dir, 'n.html'))).toBe(false);
  });

  it('a scheduler job writes the service report of its period (format html), keeps the newest runs, and says when it cannot print the PDF', async () => {
    const history = await HistoryLogger.open({ path: db, retention: { rawDays: 0, minuteDays: 0, hourDays: 0, eventDays: 0, auditDays: 0 }, logger: memoryLogger(), flushIntervalMs: 50, maintenanceIntervalMs: 3_600_000 });
    const site = new Site({ strings: [{ modules: 3, moduleType: 'C20' }] });
    const commands = new CommandInterface(site, { execute: async () => ({ ok: true, message: 'done' }) }, { internal: 'all' });
    const job = (c: Partial<JobConfig>): JobConfig => ({
      name: 'service', cron: '0 6 1 * *', action: 'report', enabled: true, test: 'quick', strings: [], format: 'html', pdf: false, directory: '', periodH: 11 * 24, keep: 1, upsTest: true, ...c,
    });
    const reports = join(dir, 'reports');
    const s = new Scheduler({ site, commands, logger: memoryLogger(), timeZone: 'utc', reportDirectory: reports, history: () => history, jobs: [job({}), job({ name: 'service-pdf', pdf: true })] });
    const saved = process.env.KIRCHHOFF_CHROMIUM;
    try {
      const r = await s.run('service', TO);
      expect(r).toMatchObject({ outcome: 'ok', file: join(reports, 'service-20260602T0800Z.html'), message: `service report (2 alarm log entries, 1 capacity tests, 3 blocks with health figures) written to ${join(reports, 'service-20260602T0800Z.html')}` });
      expect(readFileSync(r.file!, 'utf8')).toContain('Collapsed early: S01-M02.');
      // keep: 1: the next run's file replaces it.
      await s.run('service', TO + DAY_MS);
      expect(readdirSync(reports)).toEqual(['service-20260603T0800Z.html']);

      process.env.KIRCHHOFF_CHROMIUM = join(dir, 'no-such-chromium');
      const failed = await s.run('service-pdf', TO);
      expect(failed.outcome).toBe('failed');
      expect(failed.message).toMatch(/written to .*service-pdf-20260602T0800Z\.html; no PDF: no Chromium found to print the PDF \(install the Debian package chromium, or set KIRCHHOFF_CHROMIUM to its path\)$/);
    } finally {
      if (saved === undefined) delete process.env.KIRCHHOFF_CHROMIUM;
      else process.env.KIRCHHOFF_CHROMIUM = saved;
      await history.close();
    }
  });

  it('a scheduler job without the data logger cannot write the service report and says why', async () => {
    const site = new Site({ strings: [{ modules: 3, moduleType: 'C20' }] });
    const commands = new CommandInterface(site, { execute: async () => ({ ok: true, message: 'done' }) }, { internal: 'all' });
    const s = new Scheduler({ site, commands, logger: memoryLogger(), timeZone: 'utc', reportDirectory: join(dir, 'none'), jobs: [{ name: 'service', cron: '@daily', action: 'report', enabled: true, test: 'quick', strings: [], format: 'html', pdf: false, directory: '', periodH: 24, keep: 1, upsTest: true }] });
    expect(await s.run('service', TO)).toMatchObject({ outcome: 'failed', message: 'format html (the service report) needs the data logger: set history.enabled: true' });
  });
});
