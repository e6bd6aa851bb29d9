// Report files of the scheduler: a summary of the period (min/mean/max of every logged series,
// the alarms raised, the logger's health) as JSON, or the summary table as CSV; the service report
// (format html, src/report/) is written and kept by the same rules here.
import { mkdirSync, readdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { entityId, type SiteSnapshot } from '@kirchhoff/core';
import type { EventRecord, HistoryStats, HistoryStore, SeriesSummary } from '@kirchhoff/history';

export interface Report {
  readonly site: string;
  readonly job: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly generatedAt: string;
  /** logger: min/mean/max over the period from the data logger; snapshot: the values now (no logger running). */
  readonly source: 'logger' | 'snapshot';
  readonly series: readonly SeriesSummary[];
  readonly alarms: { readonly raised: number; readonly byKind: Readonly<Record<string, number>>; readonly entries: readonly EventRecord[] } | null;
  readonly logger: HistoryStats | null;
}

/** Without a logger the report can only state the present: every string's and module's values now. */
function snapshotSeries(snap: SiteSnapshot): SeriesSummary[] {
  const rows: SeriesSummary[] = [];
  const add = (entity: string, field: string, v: number | null) => rows.push({ entity, field, min: v, mean: v, max: v, count: v === null ? 0 : 1 });
  for (const s of snap.strings) {
    const id = entityId({ kind: 'string', string: s.string });
    add(id, 'sumVoltageV', s.sumVoltageV.value);
    add(id, 'dcCurrentA', s.dcCurrentA.value);
    add(id, 'spreadV', s.spreadV.value);
    add(id, 'socPercent', s.socPercent.value);
  }
  for (const m of snap.modules) {
    const id = entityId({ kind: 'module', string: m.string, module: m.module, global: m.global });
    add(id, 'voltageV', m.voltageV.value);
    add(id, 'temperatureC', m.temperatureC.value);
    add(id, 'resistanceOhm', m.resistanceOhm.value);
  }
  for (const s of snap.sensors) add(entityId({ kind: 'sensor', id: s.id }), 'reading', s.reading.value);
  return rows;
}

export async function buildReport(job: string, fromMs: number, toMs: number, snap: SiteSnapshot, history: HistoryStore | undefined): Promise<Report> {
  const base = { site: snap.info.name, job, fromMs, toMs, generatedAt: new Date(toMs).toISOString() };
  if (!history) return { ...base, source: 'snapshot', series: snapshotSeries(snap), alarms: null, logger: null };
  const series = await history.summary(fromMs, toMs);
  const entries = await history.events({ category: 'alarm', fromMs, toMs, limit: 100_000 });
  const raisedOnes = entries.filter((e) => e.action === 'raised');
  const byKind: Record<string, number> = {};
  for (const e of raisedOnes) byKind[e.alarmKind ?? 'unknown'] = (byKind[e.alarmKind ?? 'unknown'] ?? 0) + 1;
  return { ...base, source: 'logger', series, alarms: { raised: raisedOnes.length, byKind, entries }, logger: history.stats() };
}

const csvCell = (v: string | number | null) => (v === null ? '' : typeof v === 'number' ? String(v) : /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export function reportText(report: Report, format: 'json' | 'csv'): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  const lines = ['entity,field,min,mean,max,count', ...report.series.map((s) => [s.entity, s.field, s.min, s.mean, s.max, s.count].map(csvCell).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}

export type ReportFileFormat = 'json' | 'csv' | 'html' | 'pdf';

/** `<job>-20260105T0300Z.json`: sorts by time, safe in every file system. */
export function reportFileName(job: string, atMs: number, format: ReportFileFormat): string {
  const stamp = new Date(atMs).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z').slice(0, 13) + 'Z';
  return `${job}-${stamp}.${format}`;
}

/** Writes atomically (a reader never sees half a file) and keeps the newest `keep` runs of this job (a run's HTML and PDF together). */
export function writeReport(directory: string, job: string, atMs: number, format: ReportFileFormat, text: string, keep: number): string {
  mkdirSync(directory, { recursive: true });
  const file = join(directory, reportFileName(job, atMs, format));
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
  pruneReports(directory, job, keep);
  return file;
}

/** Deletes this job's files of all but the newest `keep` runs. */
export function pruneReports(directory: string, job: string, keep: number): void {
  if (keep <= 0) return;
  const own = new RegExp(`^${job.replace(/[.]/g, '\\.')}-(\\d{8}T\\d{4}Z)\\.(json|csv|html|pdf)$`);
  const files = readdirSync(directory).map((f) => [f, own.exec(f)?.[1]] as const).filter((x): x is readonly [string, string] => x[1] !== undefined);
  const stamps = [...new Set(files.map((x) => x[1]))].sort();
  const old = new Set(stamps.slice(0, Math.max(0, stamps.length - keep)));
  for (const [f, stamp] of files) if (old.has(stamp)) unlinkSync(join(directory, f));
}
