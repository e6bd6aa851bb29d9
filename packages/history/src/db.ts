// The history database (SQLite in WAL mode, better-sqlite3): schema, batched writes, downsampling
// to minute/hour aggregates, retention, and the queries. Synchronous: the logger runs it in a
// worker thread; `kirchhoff export` runs it in its own process.
import type Database from 'better-sqlite3';
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Quality } from '@kirchhoff/core';
import { RESOLUTIONS } from './types';
import type { BlockCapacityPoint, CapacityTestRecord, TestSample } from './capacity-test-record';
import type {
  AuditQuery, AuditRecord, CapacityTestQuery, CapacityTestSummary, EventQuery, EventRecord, LogQuery, MeasurementPoint, MeasurementQuery, MeasurementSeries, NewAudit,
  NewEvent, Resolution, SeriesRef, SeriesSummary,
} from './types';
import {
  applyConfiguredIdentity, ConfiguredIdentity, IdentityPatch, LIFE_DDL, LifeChange, LifeQuery, LifeRecord, lifeRecords, passportInfo, replaceBlock,
  setIdentity, setPassportInfo,
} from './life';

/** The schema this version writes; older databases are migrated on open (MIGRATIONS), newer ones refused. */
export const SCHEMA_VERSION = 3;
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const QUALITY_NAME: readonly Quality[] = ['fresh', 'stale', 'failed'];
const DEFAULT_POINTS = 10_000;
const MAX_POINTS = 100_000;
/** Aggregation and retention work in slices so one maintenance step never holds the writer long. */
const SLICE_MS = 6 * HOUR_MS;

export class HistoryDbError extends Error {
  constructor(readonly code: 'history.open' | 'history.sqlite' | 'history.schema' | 'history.query', message: string) {
    super(message);
  }
}

/** One logged sample: entity, field, atMs, value, quality code. Arrays clone cheaply to the worker. */
export type SampleRow = [entity: string, field: string, atMs: number, value: number | null, quality: number];
export type EventRow = NewEvent & { atMs: number };
export type AuditRow = NewAudit & { atMs: number };

export interface Batch {
  readonly samples: readonly SampleRow[];
  readonly events: readonly EventRow[];
  readonly audit: readonly AuditRow[];
}

export interface Retention {
  /** 0 = keep forever. */
  readonly rawDays: number;
  readonly minuteDays: number;
  readonly hourDays: number;
  readonly eventDays: number;
  readonly auditDays: number;
}

const DDL = `
CREATE TABLE IF NOT EXISTS series (id INTEGER PRIMARY KEY, entity TEXT NOT NULL, field TEXT NOT NULL, UNIQUE (entity, field));
CREATE TABLE IF NOT EXISTS samples (series INTEGER NOT NULL, at_ms INTEGER NOT NULL, value REAL, quality INTEGER NOT NULL, PRIMARY KEY (series, at_ms)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS minutes (series INTEGER NOT NULL, bucket_ms INTEGER NOT NULL, min REAL, mean REAL, max REAL, count INTEGER NOT NULL, PRIMARY KEY (series, bucket_ms)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS hours (series INTEGER NOT NULL, bucket_ms INTEGER NOT NULL, min REAL, mean REAL, max REAL, count INTEGER NOT NULL, PRIMARY KEY (series, bucket_ms)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, category TEXT NOT NULL, action TEXT NOT NULL, severity TEXT NOT NULL,
  entity TEXT, message TEXT NOT NULL, alarm_id INTEGER, alarm_kind TEXT, detail TEXT);
CREATE INDEX IF NOT EXISTS events_at ON events (at_ms);
CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, kind TEXT NOT NULL, action TEXT NOT NULL, outcome TEXT NOT NULL,
  protocol TEXT, principal TEXT, remote TEXT, detail TEXT, error TEXT);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at_ms);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS engine_state (key TEXT PRIMARY KEY, at_ms INTEGER NOT NULL, value TEXT NOT NULL);
`;

/**
 * Schema changes after version 1, by the version they lead to: each runs once, in order, in one
 * transaction with the new user_version, so a database of any older version opens and keeps its data.
 */
const MIGRATIONS: Readonly<Record<number, string>> = {
  // 2: capacity tests and discharges (issue 15): the record as JSON, the per-second samples per string.
  2: `
CREATE TABLE IF NOT EXISTS capacity_tests (id INTEGER PRIMARY KEY, start_ms INTEGER NOT NULL, end_ms INTEGER, trigger TEXT NOT NULL, end_reason TEXT,
  started_by TEXT, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS capacity_tests_start ON capacity_tests (start_ms);
CREATE TABLE IF NOT EXISTS capacity_test_samples (test_start_ms INTEGER NOT NULL, string INTEGER NOT NULL, at_ms INTEGER NOT NULL, current_a REAL,
  voltages TEXT NOT NULL, temperatures TEXT NOT NULL, PRIMARY KEY (test_start_ms, string, at_ms)) WITHOUT ROWID;
`,
  // 3: block and string life records, and the passport data of the configuration (life.ts).
  3: LIFE_DDL,
};

export interface OpenOptions {
  readonly readonly?: boolean;
  /** full = a commit survives power loss; normal = it survives a crash of the process (WAL). */
  readonly synchronous?: 'full' | 'normal';
}

function json(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}
function parse(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** `string/1/*` -> prefix match; anything else exact; undefined or `*` = all. */
function entityFilter(pattern: string | undefined, column = 'entity'): { sql: string; args: string[] } {
  if (!pattern || pattern === '*') return { sql: '1', args: [] };
  if (pattern.endsWith('*')) {
    const prefix = pattern.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`);
    return { sql: `${column} LIKE ? ESCAPE '\\'`, args: [`${prefix}%`] };
  }
  return { sql: `${column} = ?`, args: [pattern] };
}

const mean = (xs: readonly (number | null)[]): number | null => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? Math.round((v.reduce((a, x) => a + x, 0) / v.length) * 10) / 10 : null;
};
const clampLimit = (limit: number | undefined, def: number) => Math.max(1, Math.min(MAX_POINTS, Math.floor(limit ?? def)));

interface Agg { bucket: number; min: number | null; mean: number | null; max: number | null; count: number }

/** Combines partial aggregates of the same bucket (a count-weighted mean). */
function mergeAggs(parts: Agg[]): Agg[] {
  const by = new Map<number, Agg>();
  for (const p of parts) {
    const q = by.get(p.bucket);
    if (!q) {
      by.set(p.bucket, { ...p });
      continue;
    }
    const n = q.count + p.count;
    if (!p.count) continue;
    q.mean = n ? ((q.mean ?? 0) * q.count + (p.mean ?? 0) * p.count) / n : null;
    q.min = q.min === null ? p.min : p.min === null ? q.min : Math.min(q.min, p.min);
    q.max = q.max === null ? p.max : p.max === null ? q.max : Math.max(q.max, p.max);
    q.count = n;
  }
  return [...by.values()].sort((a, b) => a.bucket - b.bucket);
}

export class HistoryDb {
  readonly db: Database.Database;
  private readonly seriesIds = new Map<string, number>();

  constructor(readonly path: string, options: OpenOptions = {}) {
    try {
      if (!options.readonly) mkdirSync(dirname(path), { recursive: true });
      // Loaded on the first open: importing this package (its types, the logger on the main thread,
      // the CSV writer) never loads the native module.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const Sqlite = require('better-sqlite3') as typeof Database;
      this.db = new Sqlite(path, { readonly: !!options.readonly, fileMustExist: !!options.readonly });
    } catch (error) {
      // better-sqlite3 is an optional peer (a native build): only programs that open a database need it.
      if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && /better-sqlite3/.test((error as Error).message)) {
        throw new HistoryDbError('history.sqlite', `cannot open the history database ${path}: the data logger needs the better-sqlite3 package (npm install better-sqlite3)`);
      }
      throw new HistoryDbError('history.open', `cannot open the history database ${path}: ${(error as Error).message}${options.readonly ? '' : ' (check history.path and that its folder is writable)'}`);
    }
    this.db.pragma('busy_timeout = 5000');
    if (options.readonly) {
      // An older schema reads as far as it goes (a version-1 file has no capacity tests).
      const v = this.db.pragma('user_version', { simple: true }) as number;
      if (v < 1 || v > SCHEMA_VERSION) throw new HistoryDbError('history.schema', `${path} is not a Kirchhoff history database of schema 1..${SCHEMA_VERSION} (user_version ${v})`);
      this.version = v;
      return;
    }
    const mode = this.db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new HistoryDbError('history.open', `${path}: SQLite refused WAL mode (got ${String(mode)}); is it on a network file system?`);
    this.db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    // A small page cache: a gateway has little memory and the hot data is the newest pages.
    this.db.pragma('cache_size = -4096');
    const v = this.db.pragma('user_version', { simple: true }) as number;
    if (v > SCHEMA_VERSION) throw new HistoryDbError('history.schema', `${path} has history schema ${v}, newer than this version of Kirchhoff writes (${SCHEMA_VERSION}): use the newer version, or another history.path`);
    this.db.exec(DDL);
    for (let next = Math.max(v, 1) + 1; next <= SCHEMA_VERSION; next++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[next]);
        this.db.pragma(`user_version = ${next}`);
      })();
    }
    this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    this.version = SCHEMA_VERSION;
  }

  /** Schema version of the open file (a read-only file may be older than SCHEMA_VERSION). */
  version = SCHEMA_VERSION;

  close(): void {
    if (this.db.open) this.db.close();
  }

  fileBytes(): number {
    let n = 0;
    for (const f of [this.path, `${this.path}-wal`]) {
      try {
        n += statSync(f).size;
      } catch {
        // no WAL yet
      }
    }
    return n;
  }

  // ---------------------------------------------------------------- writes

  private seriesId(entity: string, field: string): number {
    const key = `${entity}\u0000${field}`;
    let id = this.seriesIds.get(key);
    if (id === undefined) {
      this.db.prepare('INSERT OR IGNORE INTO series (entity, field) VALUES (?, ?)').run(entity, field);
      id = (this.db.prepare('SELECT id FROM series WHERE entity = ? AND field = ?').get(entity, field) as { id: number }).id;
      this.seriesIds.set(key, id);
    }
    return id;
  }

  /** Writes a batch as one transaction: after this returns it is committed. Returns the row count. */
  writeBatch(batch: Batch): number {
    const sample = this.db.prepare('INSERT OR REPLACE INTO samples (series, at_ms, value, quality) VALUES (?, ?, ?, ?)');
    const event = this.db.prepare('INSERT INTO events (at_ms, category, action, severity, entity, message, alarm_id, alarm_kind, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const audit = this.db.prepare('INSERT INTO audit (at_ms, kind, action, outcome, protocol, principal, remote, detail, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const [entity, field, atMs, value, quality] of batch.samples) {
        sample.run(this.seriesId(entity, field), Math.round(atMs), value !== null && Number.isFinite(value) ? value : null, quality);
      }
      for (const e of batch.events) {
        event.run(Math.round(e.atMs), e.category, e.action, e.severity, e.entity ?? null, e.message, e.alarmId ?? null, e.alarmKind ?? null, json(e.detail));
      }
      for (const a of batch.audit) {
        audit.run(Math.round(a.atMs), a.kind, a.action, a.outcome, a.protocol ?? null, a.principal ?? null, a.remote ?? null, json(a.detail), a.error ?? null);
      }
    })();
    return batch.samples.length + batch.events.length + batch.audit.length;
  }

  /** What an engine kept across restarts (JSON), or null. */
  engineState(key: string): unknown {
    const row = this.db.prepare('SELECT value FROM engine_state WHERE key = ?').get(key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as unknown) : null;
  }
  setEngineState(key: string, atMs: number, value: unknown): void {
    this.db.prepare('INSERT INTO engine_state (key, at_ms, value) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET at_ms = excluded.at_ms, value = excluded.value')
      .run(key, atMs, JSON.stringify(value));
  }

  // ---------------------------------------------------------------- capacity tests

  /** Stores a finished test record (its id becomes the row id); returns the id. */
  saveCapacityTest(record: CapacityTestRecord): number {
    const info = this.db.prepare('INSERT INTO capacity_tests (start_ms, end_ms, trigger, end_reason, started_by, record) VALUES (?, ?, ?, ?, ?, ?)')
      .run(Math.round(record.startMs), record.endMs === null ? null : Math.round(record.endMs), record.trigger, record.end, record.by, '{}');
    const id = Number(info.lastInsertRowid);
    this.db.prepare('UPDATE capacity_tests SET record = ? WHERE id = ?').run(JSON.stringify({ ...record, id }), id);
    return id;
  }

  /** Appends the per-second samples of a running test (keyed by the test's start time). */
  appendTestSamples(testStartMs: number, samples: readonly TestSample[]): number {
    const insert = this.db.prepare('INSERT OR REPLACE INTO capacity_test_samples (test_start_ms, string, at_ms, current_a, voltages, temperatures) VALUES (?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const x of samples) insert.run(Math.round(testStartMs), x.string, Math.round(x.atMs), x.currentA, JSON.stringify(x.voltagesV), JSON.stringify(x.temperaturesC));
    })();
    return samples.length;
  }

  private hasTests(): boolean {
    return this.version >= 2;
  }

  /** Test records, newest first, without their per-block detail. */
  capacityTests(q: CapacityTestQuery = {}): CapacityTestSummary[] {
    if (!this.hasTests()) return [];
    const w = this.logWhere({ ...q, order: q.order ?? 'desc' }, []);
    const rows = this.db.prepare(`SELECT record FROM capacity_tests WHERE ${w.where.replace(/at_ms/g, 'start_ms')} ORDER BY id ${w.order} LIMIT ?`).all(...w.args, w.limit) as { record: string }[];
    return rows.map((r) => {
      const rec = JSON.parse(r.record) as CapacityTestRecord;
      return {
        id: rec.id, trigger: rec.trigger, startMs: rec.startMs, endMs: rec.endMs, end: rec.end, endVoltsPerCell: rec.endVoltsPerCell, by: rec.by,
        strings: rec.strings.map((s) => ({
          string: s.string, deliveredAh: s.deliveredAh, durationS: s.durationS, meanCurrentA: s.meanCurrentA, collapsedEarly: s.endOfDischarge.collapsedEarly,
          meanCapacityPercent: mean(s.blocks.map((b) => b.capacityPercent)),
        })),
      };
    });
  }

  /** One whole test record, or null. */
  capacityTest(id: number): CapacityTestRecord | null {
    if (!this.hasTests()) return null;
    const row = this.db.prepare('SELECT record FROM capacity_tests WHERE id = ?').get(id) as { record: string } | undefined;
    return row ? (JSON.parse(row.record) as CapacityTestRecord) : null;
  }

  /** One block's capacity in every record that measured it, oldest first: its capacity-fade history. */
  capacityHistory(global: number): BlockCapacityPoint[] {
    if (!this.hasTests()) return [];
    const rows = this.db.prepare('SELECT record FROM capacity_tests ORDER BY start_ms').all() as { record: string }[];
    const out: BlockCapacityPoint[] = [];
    for (const r of rows) {
      const rec = JSON.parse(r.record) as CapacityTestRecord;
      for (const st of rec.strings) {
        const b = st.blocks.find((x) => x.global === global);
        if (!b) continue;
        out.push({
          testId: rec.id, startMs: rec.startMs, trigger: rec.trigger, end: rec.end, capacityC10At25Ah: b.capacityC10At25Ah, capacityPercent: b.capacityPercent,
          capacityMethod: b.capacityMethod, timeToEndVoltageS: b.timeToEndVoltageS, collapsedEarly: b.collapsedEarly,
        });
      }
    }
    return out;
  }

  /** The per-second samples of the test that started at testStartMs (a running one has no record yet). */
  testSamplesAt(testStartMs: number, string: number, limit = MAX_POINTS): TestSample[] {
    if (!this.hasTests()) return [];
    const rows = this.db.prepare('SELECT at_ms, current_a, voltages, temperatures FROM capacity_test_samples WHERE test_start_ms = ? AND string = ? ORDER BY at_ms LIMIT ?')
      .all(Math.round(testStartMs), string, clampLimit(limit, MAX_POINTS)) as { at_ms: number; current_a: number | null; voltages: string; temperatures: string }[];
    return rows.map((r) => ({ atMs: r.at_ms, string, currentA: r.current_a, voltagesV: JSON.parse(r.voltages) as (number | null)[], temperaturesC: JSON.parse(r.temperatures) as (number | null)[] }));
  }

  /** The per-second samples of test `id` for one string, in time order (at most `limit`, from `fromMs`). */
  capacityTestSamples(id: number, string: number, fromMs = -Infinity, limit = MAX_POINTS): TestSample[] {
    const rec = this.capacityTest(id);
    if (!rec) return [];
    const rows = this.db.prepare('SELECT at_ms, current_a, voltages, temperatures FROM capacity_test_samples WHERE test_start_ms = ? AND string = ? AND at_ms >= ? ORDER BY at_ms LIMIT ?')
      .all(Math.round(rec.startMs), string, Number.isFinite(fromMs) ? fromMs : -1e15, clampLimit(limit, MAX_POINTS)) as { at_ms: number; current_a: number | null; voltages: string; temperatures: string }[];
    return rows.map((r) => ({ atMs: r.at_ms, string, currentA: r.current_a, voltagesV: JSON.parse(r.voltages) as (number | null)[], temperaturesC: JSON.parse(r.temperatures) as (number | null)[] }));
  }

  // ---------------------------------------------------------------- life records (life.ts)

  lifeRecords(q: LifeQuery = {}): LifeRecord[] {
    return lifeRecords(this.db, q);
  }
  applyConfiguredIdentity(configured: readonly ConfiguredIdentity[], atMs: number): LifeChange[] {
    return applyConfiguredIdentity(this.db, configured, atMs);
  }
  setIdentity(string: number, position: number, patch: IdentityPatch, atMs: number): LifeRecord {
    return setIdentity(this.db, string, position, patch, atMs);
  }
  replaceBlock(string: number, position: number, patch: IdentityPatch, atMs: number, reason?: string): { ended: LifeRecord | null; started: LifeRecord } {
    return replaceBlock(this.db, string, position, patch, atMs, reason);
  }
  passportInfo(): Record<string, unknown> {
    return passportInfo(this.db);
  }
  setPassportInfo(key: string, atMs: number, value: unknown): void {
    setPassportInfo(this.db, key, atMs, value);
  }

  private meta(key: string): number | null {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: number } | undefined;
    return row ? row.value : null;
  }
  private setMeta(key: string, value: number): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  private allSeries(): number[] {
    return (this.db.prepare('SELECT id FROM series ORDER BY id').all() as { id: number }[]).map((r) => r.id);
  }

  /** Aggregated up to (exclusive): minutes from samples, hours from minutes. */
  watermarks(): { minutesMs: number | null; hoursMs: number | null } {
    return { minutesMs: this.meta('minutes_done_ms'), hoursMs: this.meta('hours_done_ms') };
  }

  /**
   * Aggregates every complete minute and hour older than `graceMs` (late samples still arrive in
   * that window), then deletes what retention lets go. Raw samples are never deleted before they
   * are aggregated. Returns what it did, for logs and tests.
   */
  maintain(nowMs: number, retention: Retention, graceMs = 2 * MINUTE_MS): { minutes: number; hours: number; deleted: number } {
    const ids = this.allSeries();
    let minutes = 0;
    let hours = 0;
    const firstSample = (this.db.prepare('SELECT min(at_ms) AS t FROM samples').get() as { t: number | null }).t;
    const minuteEnd = Math.floor((nowMs - graceMs) / MINUTE_MS) * MINUTE_MS;
    let minuteFrom = this.meta('minutes_done_ms') ?? (firstSample === null ? minuteEnd : Math.floor(firstSample / MINUTE_MS) * MINUTE_MS);
    const toMinutes = this.db.prepare(`INSERT OR REPLACE INTO minutes (series, bucket_ms, min, mean, max, count)
      SELECT series, (at_ms / ${MINUTE_MS}) * ${MINUTE_MS}, min(value), avg(value), max(value), count(*) FROM samples
      WHERE series = ? AND at_ms >= ? AND at_ms < ? AND quality = 0 AND value IS NOT NULL GROUP BY at_ms / ${MINUTE_MS}`);
    while (minuteFrom < minuteEnd) {
      const to = Math.min(minuteEnd, minuteFrom + SLICE_MS);
      this.db.transaction(() => {
        for (const id of ids) minutes += toMinutes.run(id, minuteFrom, to).changes;
        this.setMeta('minutes_done_ms', to);
      })();
      minuteFrom = to;
    }
    if (this.meta('minutes_done_ms') === null) this.setMeta('minutes_done_ms', minuteEnd);

    const minutesDone = this.meta('minutes_done_ms')!;
    const hourEnd = Math.floor(minutesDone / HOUR_MS) * HOUR_MS;
    const firstMinute = (this.db.prepare('SELECT min(bucket_ms) AS t FROM minutes').get() as { t: number | null }).t;
    let hourFrom = this.meta('hours_done_ms') ?? (firstMinute === null ? hourEnd : Math.floor(firstMinute / HOUR_MS) * HOUR_MS);
    const toHours = this.db.prepare(`INSERT OR REPLACE INTO hours (series, bucket_ms, min, mean, max, count)
      SELECT series, (bucket_ms / ${HOUR_MS}) * ${HOUR_MS}, min(min), sum(mean * count) / sum(count), max(max), sum(count) FROM minutes
      WHERE series = ? AND bucket_ms >= ? AND bucket_ms < ? AND count > 0 GROUP BY bucket_ms / ${HOUR_MS}`);
    while (hourFrom < hourEnd) {
      const to = Math.min(hourEnd, hourFrom + 7 * 24 * HOUR_MS);
      this.db.transaction(() => {
        for (const id of ids) hours += toHours.run(id, hourFrom, to).changes;
        this.setMeta('hours_done_ms', to);
      })();
      hourFrom = to;
    }
    if (this.meta('hours_done_ms') === null) this.setMeta('hours_done_ms', hourEnd);

    let deleted = 0;
    const cut = (days: number) => (days > 0 ? nowMs - days * DAY_MS : -Infinity);
    const rawCut = Math.min(cut(retention.rawDays), minutesDone);
    const minuteCut = Math.min(cut(retention.minuteDays), this.meta('hours_done_ms')!);
    const hourCut = cut(retention.hourDays);
    const delSamples = this.db.prepare('DELETE FROM samples WHERE series = ? AND at_ms < ?');
    const delMinutes = this.db.prepare('DELETE FROM minutes WHERE series = ? AND bucket_ms < ?');
    const delHours = this.db.prepare('DELETE FROM hours WHERE series = ? AND bucket_ms < ?');
    for (let i = 0; i < ids.length; i += 200) {
      const slice = ids.slice(i, i + 200);
      this.db.transaction(() => {
        for (const id of slice) {
          if (rawCut > -Infinity) deleted += delSamples.run(id, rawCut).changes;
          if (minuteCut > -Infinity) deleted += delMinutes.run(id, minuteCut).changes;
          if (hourCut > -Infinity) deleted += delHours.run(id, hourCut).changes;
        }
      })();
    }
    if (rawCut > -Infinity) this.setMeta('raw_cut_ms', Math.max(rawCut, this.meta('raw_cut_ms') ?? -Infinity));
    if (minuteCut > -Infinity) this.setMeta('minutes_cut_ms', Math.max(minuteCut, this.meta('minutes_cut_ms') ?? -Infinity));
    if (retention.eventDays > 0) deleted += this.db.prepare('DELETE FROM events WHERE at_ms < ?').run(cut(retention.eventDays)).changes;
    if (retention.auditDays > 0) deleted += this.db.prepare('DELETE FROM audit WHERE at_ms < ?').run(cut(retention.auditDays)).changes;
    return { minutes, hours, deleted };
  }

  /** Moves the WAL into the database file (the WAL otherwise only shrinks on a checkpoint). */
  checkpoint(): void {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  // ---------------------------------------------------------------- reads

  series(entityPattern?: string): SeriesRef[] {
    const f = entityFilter(entityPattern);
    return this.db.prepare(`SELECT entity, field FROM series WHERE ${f.sql} ORDER BY entity, field`).all(...f.args) as SeriesRef[];
  }

  private findSeries(entity: string, field: string): number | null {
    const row = this.db.prepare('SELECT id FROM series WHERE entity = ? AND field = ?').get(entity, field) as { id: number } | undefined;
    return row ? row.id : null;
  }

  measurements(q: MeasurementQuery): MeasurementSeries {
    if (!Number.isFinite(q.fromMs) || !Number.isFinite(q.toMs)) throw new HistoryDbError('history.query', 'fromMs and toMs must be numbers (ms since the epoch)');
    if (typeof q.entity !== 'string' || typeof q.field !== 'string') throw new HistoryDbError('history.query', 'entity and field must be texts (string/1/module/3, voltageV)');
    if (q.resolution !== undefined && q.resolution !== 'auto' && !RESOLUTIONS.includes(q.resolution)) throw new HistoryDbError('history.query', `resolution must be one of raw, minute, hour, auto; got ${JSON.stringify(q.resolution)}`);
    const limit = clampLimit(q.limit, DEFAULT_POINTS);
    const id = this.findSeries(q.entity, q.field);
    const resolution = q.resolution === undefined || q.resolution === 'auto' ? (id === null ? 'raw' : this.autoResolution(id, q.fromMs, q.toMs, limit)) : q.resolution;
    const empty = { entity: q.entity, field: q.field, resolution, fromMs: q.fromMs, toMs: q.toMs };
    if (id === null || q.toMs <= q.fromMs) return { ...empty, points: [], truncated: false };
    let points: MeasurementPoint[];
    if (resolution === 'raw') {
      const rows = this.db.prepare('SELECT at_ms, value, quality FROM samples WHERE series = ? AND at_ms >= ? AND at_ms < ? ORDER BY at_ms LIMIT ?')
        .all(id, q.fromMs, q.toMs, limit + 1) as { at_ms: number; value: number | null; quality: number }[];
      points = rows.map((r) => ({ atMs: r.at_ms, value: r.value, min: r.value, max: r.value, count: r.quality === 0 && r.value !== null ? 1 : 0, quality: QUALITY_NAME[r.quality] ?? 'failed' }));
    } else {
      points = this.aggregates(id, resolution, q.fromMs, q.toMs, limit + 1).map((a) => ({ atMs: a.bucket, value: a.mean, min: a.min, max: a.max, count: a.count, quality: 'fresh' as const }));
    }
    const truncated = points.length > limit;
    return { ...empty, points: truncated ? points.slice(0, limit) : points, truncated };
  }

  /** The finest resolution that still covers the range and fits the limit. */
  private autoResolution(id: number, fromMs: number, toMs: number, limit: number): Resolution {
    const span = toMs - fromMs;
    const count = (table: string, col: string) => (this.db.prepare(`SELECT count(*) AS n FROM (SELECT 1 FROM ${table} WHERE series = ? AND ${col} >= ? AND ${col} < ? LIMIT ?)`).get(id, fromMs, toMs, limit + 1) as { n: number }).n;
    // Retention records how far it cut each table: a finer table answers only above its cut.
    const rawCut = this.meta('raw_cut_ms') ?? -Infinity;
    const minuteCut = this.meta('minutes_cut_ms') ?? -Infinity;
    if (span <= 31 * DAY_MS && fromMs >= rawCut && count('samples', 'at_ms') <= limit) return 'raw';
    if (span <= 366 * DAY_MS && fromMs >= minuteCut && span / MINUTE_MS <= limit) return 'minute';
    return 'hour';
  }

  /**
   * Stored aggregates up to the watermarks, and the newest buckets computed on the fly, so a chart
   * of the last hour is never missing its last minutes.
   */
  private aggregates(id: number, resolution: 'minute' | 'hour', fromMs: number, toMs: number, limit: number): Agg[] {
    const { minutesMs, hoursMs } = this.watermarks();
    const minutesDone = minutesMs ?? -Infinity;
    const hoursDone = hoursMs ?? -Infinity;
    const size = resolution === 'minute' ? MINUTE_MS : HOUR_MS;
    const start = Math.floor(fromMs / size) * size;
    const parts: Agg[] = [];
    const stored = (table: string, upTo: number) => {
      if (upTo <= start) return;
      parts.push(...(this.db.prepare(`SELECT bucket_ms AS bucket, min, mean, max, count FROM ${table} WHERE series = ? AND bucket_ms >= ? AND bucket_ms < ? ORDER BY bucket_ms LIMIT ?`)
        .all(id, start, Math.min(toMs, upTo), limit) as Agg[]));
    };
    const fromSamples = (lo: number) => {
      parts.push(...(this.db.prepare(`SELECT (at_ms / ${size}) * ${size} AS bucket, min(value) AS min, avg(value) AS mean, max(value) AS max, count(*) AS count
        FROM samples WHERE series = ? AND at_ms >= ? AND at_ms < ? AND quality = 0 AND value IS NOT NULL GROUP BY at_ms / ${size} ORDER BY 1 LIMIT ?`)
        .all(id, Math.max(start, lo), toMs, limit) as Agg[]));
    };
    if (resolution === 'minute') {
      stored('minutes', minutesDone);
      fromSamples(minutesDone);
    } else {
      stored('hours', hoursDone);
      const lo = Math.max(start, hoursDone);
      if (lo < Math.min(toMs, minutesDone)) {
        parts.push(...(this.db.prepare(`SELECT (bucket_ms / ${HOUR_MS}) * ${HOUR_MS} AS bucket, min(min) AS min, sum(mean * count) / sum(count) AS mean, max(max) AS max, sum(count) AS count
          FROM minutes WHERE series = ? AND bucket_ms >= ? AND bucket_ms < ? AND count > 0 GROUP BY bucket_ms / ${HOUR_MS} ORDER BY 1 LIMIT ?`)
          .all(id, lo, Math.min(toMs, minutesDone), limit) as Agg[]));
      }
      fromSamples(minutesDone);
    }
    return mergeAggs(parts).slice(0, limit);
  }

  summary(fromMs: number, toMs: number, entityPattern?: string): SeriesSummary[] {
    const f = entityFilter(entityPattern);
    const list = this.db.prepare(`SELECT id, entity, field FROM series WHERE ${f.sql} ORDER BY entity, field`).all(...f.args) as { id: number; entity: string; field: string }[];
    const { minutesMs } = this.watermarks();
    const done = minutesMs ?? -Infinity;
    const fromMinutes = this.db.prepare('SELECT min(min) AS min, sum(mean * count) AS total, max(max) AS max, sum(count) AS count FROM minutes WHERE series = ? AND bucket_ms >= ? AND bucket_ms < ? AND count > 0');
    const fromSamples = this.db.prepare('SELECT min(value) AS min, sum(value) AS total, max(value) AS max, count(*) AS count FROM samples WHERE series = ? AND at_ms >= ? AND at_ms < ? AND quality = 0 AND value IS NOT NULL');
    type Part = { min: number | null; total: number | null; max: number | null; count: number | null };
    // Whole minutes inside the range come from the minute table (cheaper); the edges from samples.
    const innerFrom = Math.ceil(fromMs / MINUTE_MS) * MINUTE_MS;
    const innerTo = Math.min(Math.floor(toMs / MINUTE_MS) * MINUTE_MS, done);
    return list.map(({ id, entity, field }) => {
      const parts: Part[] = [];
      if (innerFrom < innerTo) {
        parts.push(fromMinutes.get(id, innerFrom, innerTo) as Part);
        parts.push(fromSamples.get(id, fromMs, innerFrom) as Part);
        parts.push(fromSamples.get(id, innerTo, toMs) as Part);
      } else {
        parts.push(fromSamples.get(id, fromMs, toMs) as Part);
      }
      let min: number | null = null;
      let max: number | null = null;
      let total = 0;
      let count = 0;
      for (const p of parts) {
        if (!p.count) continue;
        min = min === null ? p.min : Math.min(min, p.min!);
        max = max === null ? p.max : Math.max(max, p.max!);
        total += p.total ?? 0;
        count += p.count;
      }
      return { entity, field, min, mean: count ? total / count : null, max, count };
    });
  }

  private logWhere(q: LogQuery, extra: { sql: string; args: unknown[] }[]): { where: string; args: unknown[]; order: string; limit: number } {
    const conds: string[] = [];
    const args: unknown[] = [];
    if (q.fromMs !== undefined) { conds.push('at_ms >= ?'); args.push(q.fromMs); }
    if (q.toMs !== undefined) { conds.push('at_ms < ?'); args.push(q.toMs); }
    if (q.afterId !== undefined) { conds.push('id > ?'); args.push(q.afterId); }
    if (q.beforeId !== undefined) { conds.push('id < ?'); args.push(q.beforeId); }
    for (const e of extra) { conds.push(e.sql); args.push(...e.args); }
    return { where: conds.length ? conds.join(' AND ') : '1', args, order: q.order === 'desc' ? 'DESC' : 'ASC', limit: clampLimit(q.limit, 1000) };
  }

  events(q: EventQuery = {}): EventRecord[] {
    const extra: { sql: string; args: unknown[] }[] = [];
    if (q.category) extra.push({ sql: 'category = ?', args: [q.category] });
    if (q.alarmKind) extra.push({ sql: 'alarm_kind = ?', args: [q.alarmKind] });
    if (q.entity) extra.push(entityFilter(q.entity));
    const w = this.logWhere(q, extra);
    const rows = this.db.prepare(`SELECT * FROM events WHERE ${w.where} ORDER BY id ${w.order} LIMIT ?`).all(...w.args, w.limit) as Record<string, unknown>[];
    return rows.map((r) => ({
      id: r.id as number, atMs: r.at_ms as number, category: r.category as EventRecord['category'], action: r.action as string,
      severity: r.severity as EventRecord['severity'], entity: r.entity as string | null, message: r.message as string,
      alarmId: r.alarm_id as number | null, alarmKind: r.alarm_kind as string | null, detail: parse(r.detail as string | null) as EventRecord['detail'],
    }));
  }

  audit(q: AuditQuery = {}): AuditRecord[] {
    const extra: { sql: string; args: unknown[] }[] = [];
    if (q.kind) extra.push({ sql: 'kind = ?', args: [q.kind] });
    if (q.principal) extra.push({ sql: 'principal = ?', args: [q.principal] });
    const w = this.logWhere(q, extra);
    const rows = this.db.prepare(`SELECT * FROM audit WHERE ${w.where} ORDER BY id ${w.order} LIMIT ?`).all(...w.args, w.limit) as Record<string, unknown>[];
    return rows.map((r) => ({
      id: r.id as number, atMs: r.at_ms as number, kind: r.kind as AuditRecord['kind'], action: r.action as string, outcome: r.outcome as AuditRecord['outcome'],
      protocol: r.protocol as string | null, principal: r.principal as string | null, remote: r.remote as string | null,
      detail: parse(r.detail as string | null), error: r.error as string | null,
    }));
  }
}
