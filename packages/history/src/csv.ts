// CSV export of the history (RFC 4180, CRLF lines, a header row), page by page so a year of data
// never sits in memory: `kirchhoff export` and the HTTP API both stream from here.
import type { AuditRecord, EventRecord, HistoryReader, MeasurementPoint, Resolution } from './types';

export type CsvWhat = 'measurements' | 'alarms' | 'events' | 'audit' | 'tests';
export const CSV_WHATS: readonly CsvWhat[] = ['measurements', 'alarms', 'events', 'audit', 'tests'];

export interface CsvRequest {
  readonly what: CsvWhat;
  readonly fromMs: number;
  /** Exclusive. */
  readonly toMs: number;
  /** Exact entity id or a prefix ending in `*` (measurements, alarms, events). */
  readonly entity?: string;
  /** Measurements of this field only. */
  readonly field?: string;
  /** Measurements: default auto (per series, the finest still kept for the range). */
  readonly resolution?: Resolution | 'auto';
}

const PAGE = 5000;

/** Quotes when needed; a text starting with = + - @ is prefixed with ' so spreadsheets do not run it. */
function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  let s = typeof v === 'string' ? v : JSON.stringify(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
const line = (cells: readonly unknown[]) => `${cells.map(cell).join(',')}\r\n`;
const iso = (ms: number) => new Date(ms).toISOString();

export const CSV_HEADERS: Readonly<Record<CsvWhat, readonly string[]>> = {
  measurements: ['time', 'atMs', 'entity', 'field', 'resolution', 'value', 'min', 'max', 'count', 'quality'],
  alarms: ['time', 'atMs', 'id', 'category', 'action', 'severity', 'entity', 'alarmId', 'alarmKind', 'message', 'detail'],
  events: ['time', 'atMs', 'id', 'category', 'action', 'severity', 'entity', 'alarmId', 'alarmKind', 'message', 'detail'],
  audit: ['time', 'atMs', 'id', 'kind', 'action', 'outcome', 'protocol', 'principal', 'remote', 'detail', 'error'],
  // One row per block and capacity test or discharge record (docs/health.md): compare them over the years.
  tests: ['time', 'startMs', 'testId', 'trigger', 'end', 'string', 'module', 'global', 'deliveredAh', 'deliveredWh', 'timeToEndVoltageS', 'capacityAtRateAh',
    'capacityMethod', 'capacityC10At25Ah', 'capacityPercent', 'meanTemperatureC', 'endVoltageV', 'collapsedEarly'],
};

const eventCells = (e: EventRecord) => [iso(e.atMs), e.atMs, e.id, e.category, e.action, e.severity, e.entity, e.alarmId, e.alarmKind, e.message, e.detail];
const auditCells = (a: AuditRecord) => [iso(a.atMs), a.atMs, a.id, a.kind, a.action, a.outcome, a.protocol, a.principal, a.remote, a.detail, a.error];

/** Yields the CSV text in chunks (the header first). */
export async function* historyCsv(reader: HistoryReader, req: CsvRequest): AsyncGenerator<string> {
  yield line(CSV_HEADERS[req.what]);
  switch (req.what) {
    case 'measurements': {
      const series = (await reader.series(req.entity)).filter((s) => !req.field || s.field === req.field);
      for (const s of series) {
        let from = req.fromMs;
        for (;;) {
          const page = await reader.measurements({ ...s, fromMs: from, toMs: req.toMs, resolution: req.resolution ?? 'auto', limit: PAGE });
          if (page.points.length) yield page.points.map((p: MeasurementPoint) => line([iso(p.atMs), p.atMs, s.entity, s.field, page.resolution, p.value, p.min, p.max, p.count, p.quality])).join('');
          if (!page.truncated) break;
          from = page.points[page.points.length - 1].atMs + 1;
        }
      }
      return;
    }
    case 'alarms':
    case 'events': {
      let afterId: number | undefined;
      for (;;) {
        const page = await reader.events({ fromMs: req.fromMs, toMs: req.toMs, entity: req.entity, ...(req.what === 'alarms' ? { category: 'alarm' } : {}), afterId, limit: PAGE });
        if (page.length) yield page.map((e) => line(eventCells(e))).join('');
        if (page.length < PAGE) return;
        afterId = page[page.length - 1].id;
      }
    }
    case 'tests': {
      const prefix = req.entity?.endsWith('*') ? req.entity.slice(0, -1) : null;
      const wanted = (entity: string) => !req.entity || (prefix !== null ? entity.startsWith(prefix) : entity === req.entity);
      const list = await reader.capacityTests({ fromMs: req.fromMs, toMs: req.toMs, order: 'asc', limit: 100_000 });
      for (const t of list) {
        const rec = await reader.capacityTest(t.id);
        if (!rec) continue;
        const rows = rec.strings.flatMap((s) => s.blocks.filter((b) => wanted(`string/${b.string}/module/${b.module}`)).map((b) => line([
          iso(rec.startMs), rec.startMs, rec.id, rec.trigger, rec.end, b.string, b.module, b.global, b.deliveredAh, b.deliveredWh, b.timeToEndVoltageS, b.capacityAtRateAh,
          b.capacityMethod, b.capacityC10At25Ah, b.capacityPercent, b.meanTemperatureC, b.endVoltageV, b.collapsedEarly,
        ])));
        if (rows.length) yield rows.join('');
      }
      return;
    }
    case 'audit': {
      let afterId: number | undefined;
      for (;;) {
        const page = await reader.audit({ fromMs: req.fromMs, toMs: req.toMs, afterId, limit: PAGE });
        if (page.length) yield page.map((a) => line(auditCells(a))).join('');
        if (page.length < PAGE) return;
        afterId = page[page.length - 1].id;
      }
    }
  }
}

/** Parses one CSV text (as written above) back into rows: for tests and for users' scripts. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') quoted = false; else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cur); cur = ''; } else if (c === '\r' && text[i + 1] === '\n') { row.push(cur); rows.push(row); row = []; cur = ''; i++; } else cur += c;
  }
  if (cur || row.length) { row.push(cur); rows.push(row); }
  return rows;
}
