/// <reference lib="dom" />
// The service report as a customer opens it: `kirchhoff report` on a data logger file, the HTML in
// Debian's Chromium (playwright-core) with the network cut off, and the PDF Chromium prints of it.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeWithTools } from '@kirchhoff/test-support';
import type { Browser } from 'playwright-core';
import { CommandInterface, Site } from '@kirchhoff/core';
import { launchChromium } from '../../web-tests/harness';
import { run } from '../cli';
import { memoryLogger } from '../log';
import { HistoryLogger } from '@kirchhoff/history';
import { Scheduler } from '../services/scheduler/scheduler';
import { buildReportDb, DAY_MS, FROM, TO } from './fixture.test-support';

describeWithTools(['chromium'], 'service report in Chromium', () => {
  jest.setTimeout(120_000);
  let dir: string;
  let browser: Browser;
  const lines: string[] = [];
  const io = { out: (t: string) => lines.push(t), err: (t: string) => lines.push(t) };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kirchhoff-report-e2e-'));
    buildReportDb(join(dir, 'h.db'));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('renders every section with plots that draw data, loads nothing else, and prints to a PDF', async () => {
    const html = join(dir, 'report.html');
    const pdf = join(dir, 'report.pdf');
    expect(await run(['report', '--db', join(dir, 'h.db'), '--from', new Date(FROM).toISOString(), '--to', new Date(TO).toISOString(), '--out', html, '--pdf', pdf], io)).toBe(0);
    expect(lines).toContain(`wrote ${pdf}`);

    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    const url = pathToFileURL(html).href;
    await page.goto(url);

    expect(await page.title()).toBe('Battery service report: Plant <North> & "Co"');
    expect(await page.locator('h2').allTextContents()).toEqual(['Site summary', 'Alarms', 'Capacity tests and discharges', 'State of health', 'Internal resistance trend']);
    await expect(page.locator('#tests .bad').first().textContent()).resolves.toBe('Collapsed early: S01-M02.');
    // Each plot is laid out with a size, and each line in it has points inside the plot's frame.
    const plots = await page.locator('svg.plot').evaluateAll((svgs) => svgs.map((svg) => {
      const box = svg.getBoundingClientRect();
      const frame = (svg.querySelector('rect.frame') as SVGRectElement).getBBox();
      const lines = [...svg.querySelectorAll('polyline')].map((p) => {
        const pts = [...(p as SVGPolylineElement).points];
        return { series: p.getAttribute('data-series'), points: pts.length, inside: pts.every((q) => q.x >= frame.x - 0.5 && q.x <= frame.x + frame.width + 0.5 && q.y >= frame.y - 0.5 && q.y <= frame.y + frame.height + 0.5) };
      });
      const bars = [...svg.querySelectorAll('rect.bar')].map((b) => (b as SVGRectElement).getBBox().height);
      return { title: svg.getAttribute('aria-label'), width: box.width, height: box.height, lines, bars };
    }));
    expect(plots.map((p) => p.title)).toEqual([
      'String voltage over the period',
      'Record 2, string 1: block voltages under load (collapsed early in red)',
      'Record 2, string 1: voltage at the end of the discharge, ranked (mean 9.98 V)',
      'Capacity per block across capacity tests and discharges',
      'State of health per block, lowest first',
      'Ri increase over the baseline, with the end-of-life projection',
    ]);
    for (const p of plots) {
      expect(p.width).toBeGreaterThan(300);
      expect(p.height).toBeGreaterThan(100);
      expect(p.lines.length + p.bars.length).toBeGreaterThan(0);
      for (const l of p.lines) expect(l).toEqual({ series: l.series, points: expect.any(Number), inside: true });
      expect(p.lines.filter((l) => l.points < 2)).toEqual([]);
      expect(p.bars.filter((h) => !(h > 0))).toEqual([]);
    }
    expect(plots[1].lines.map((l) => l.series)).toEqual(['S01-M01', 'S01-M03', 'S01-M02']);
    expect(plots[1].lines.every((l) => l.points > 100)).toBe(true);
    // Block 3 had not reached the end voltage in either test: no capacity, no point.
    expect(plots[3].lines.map((l) => l.series)).toEqual(['S01-M02', 'S01-M01']);
    expect(plots[5].lines.map((l) => l.series)).toContain('S01-M02 projection: +50 % on 2026-06-21');
    // Self-contained: the page asked for nothing but itself, and ran without an error.
    expect(requests).toEqual([url]);
    expect(errors).toEqual([]);
    await page.close();

    const bytes = readFileSync(pdf);
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(bytes.subarray(-8).toString('latin1')).toContain('%%EOF');
    expect(statSync(pdf).size).toBeGreaterThan(30_000);
  });

  it('a scheduler job with pdf: true writes the HTML and its PDF, and keeps both of the newest run', async () => {
    const history = await HistoryLogger.open({ path: join(dir, 'h.db'), retention: { rawDays: 0, minuteDays: 0, hourDays: 0, eventDays: 0, auditDays: 0 }, logger: memoryLogger(), flushIntervalMs: 50, maintenanceIntervalMs: 3_600_000 });
    const site = new Site({ strings: [{ modules: 3, moduleType: 'C20' }] });
    const commands = new CommandInterface(site, { execute: async () => ({ ok: true, message: 'done' }) }, { internal: 'all' });
    const reports = join(dir, 'reports');
    const s = new Scheduler({
      site, commands, logger: memoryLogger(), timeZone: 'utc', reportDirectory: reports, history: () => history,
      jobs: [{ name: 'monthly', cron: '0 6 1 * *', action: 'report', enabled: true, test: 'quick', strings: [], format: 'html', pdf: true, directory: '', periodH: 11 * 24, keep: 1, upsTest: true }],
    });
    try {
      expect(await s.run('monthly', TO)).toMatchObject({ outcome: 'ok', message: expect.stringMatching(/, PDF .*monthly-20260602T0800Z\.pdf$/) });
      expect(await s.run('monthly', TO + DAY_MS)).toMatchObject({ outcome: 'ok' });
    } finally {
      await history.close();
    }
    expect(readdirSync(reports).sort()).toEqual(['monthly-20260603T0800Z.html', 'monthly-20260603T0800Z.pdf']);
    expect(readFileSync(join(reports, 'monthly-20260603T0800Z.pdf')).subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });
});
