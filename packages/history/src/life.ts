// Life records in the history database: who made each block (and each string as a battery), when
// it was made and put into service, and its replacements. One record per position and period of
// service: a replacement ends the record of the block taken out and starts one for the new block,
// so a position's whole history is kept. Synchronous SQL on the writer's connection.
import type Database from 'better-sqlite3';
import { moduleLabel } from '@kirchhoff/core';

/** Position 0 is the string itself (the battery as a whole); blocks are 1..N. */
export const STRING_POSITION = 0;

/** The change-feed id of a life record's item: `string/N` or `string/N/module/M`. */
export function lifeEntity(string: number, position: number): string {
  return position === STRING_POSITION ? `string/${string}` : `string/${string}/module/${position}`;
}
/** Its name for people: `string N` or the module's label. */
export function lifeLabel(string: number, position: number): string {
  return position === STRING_POSITION ? `string ${string}` : moduleLabel(string, position);
}

export const IDENTITY_FIELDS = ['manufacturer', 'model', 'serial', 'chemistry', 'ratedCapacityAh', 'nominalVoltageV', 'manufactureDate', 'commissioningDate', 'commissioningResistanceOhm'] as const;
export type IdentityField = (typeof IDENTITY_FIELDS)[number];
const NUMERIC_FIELDS: readonly IdentityField[] = ['ratedCapacityAh', 'nominalVoltageV', 'commissioningResistanceOhm'];
const DATE_FIELDS: readonly IdentityField[] = ['manufactureDate', 'commissioningDate'];
/** Per item, never carried over from the block a replacement takes out. */
const ITEM_FIELDS: readonly IdentityField[] = ['serial', 'manufactureDate', 'commissioningDate', 'commissioningResistanceOhm'];

export interface Identity {
  manufacturer?: string;
  model?: string;
  serial?: string;
  /** Free text as the datasheet says it: `lead-acid VRLA AGM`, `NiCd`, `LFP`. */
  chemistry?: string;
  ratedCapacityAh?: number;
  nominalVoltageV?: number;
  /** `YYYY-MM` or `YYYY-MM-DD` (datasheets and labels often give a month only). */
  manufactureDate?: string;
  /** `YYYY-MM-DD` (or `YYYY-MM`): put into service. */
  commissioningDate?: string;
  /** Ri measured at commissioning (the commissioning report): the health engine's baseline for the block. */
  commissioningResistanceOhm?: number;
}
export type IdentityPatch = { [K in IdentityField]?: Identity[K] | null };

/**
 * Where a field's value came from: config (the configuration file), derived (from other
 * configuration: strings[].capacityAh, strings[].moduleType), api (entered over the HTTP API),
 * inherited (kept from the block a replacement took out), replacement (the replacement's date).
 */
export type IdentitySource = 'config' | 'derived' | 'api' | 'inherited' | 'replacement';

export interface LifeRecord {
  readonly id: number;
  readonly string: number;
  /** 0 = the string; 1..N = the block at that position. */
  readonly position: number;
  readonly startedAtMs: number;
  /** null while the block is in service. */
  readonly endedAtMs: number | null;
  readonly endReason: string | null;
  readonly identity: Identity;
  readonly sources: Readonly<Partial<Record<IdentityField, IdentitySource>>>;
  readonly updatedAtMs: number;
}

/** What the configuration states for one position (values and whether each was given or derived). */
export interface ConfiguredIdentity {
  readonly string: number;
  readonly position: number;
  readonly identity: Identity;
  readonly sources: Readonly<Partial<Record<IdentityField, 'config' | 'derived'>>>;
}

export interface LifeChange {
  readonly string: number;
  readonly position: number;
  readonly recordId: number;
  readonly action: 'created' | 'updated' | 'replaced';
  readonly fields: readonly IdentityField[];
}

export const LIFE_DDL = `
CREATE TABLE IF NOT EXISTS life_records (id INTEGER PRIMARY KEY, string INTEGER NOT NULL, position INTEGER NOT NULL, started_at_ms INTEGER NOT NULL,
  ended_at_ms INTEGER, end_reason TEXT, identity TEXT NOT NULL, sources TEXT NOT NULL, updated_at_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS life_records_position ON life_records (string, position, started_at_ms);
CREATE UNIQUE INDEX IF NOT EXISTS life_records_current ON life_records (string, position) WHERE ended_at_ms IS NULL;
CREATE TABLE IF NOT EXISTS life_config (string INTEGER NOT NULL, position INTEGER NOT NULL, identity TEXT NOT NULL, PRIMARY KEY (string, position)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS passport_info (key TEXT PRIMARY KEY, at_ms INTEGER NOT NULL, value TEXT NOT NULL);
`;

export class LifeRecordError extends Error {
  constructor(readonly code: 'life.invalid' | 'life.not-found', message: string, readonly field?: string) {
    super(message);
  }
}

const DATE = /^(\d{4})-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$/;

/** Checks one identity value; returns the reason it is not valid, or null. */
export function identityProblem(field: IdentityField, value: unknown): string | null {
  if (!(IDENTITY_FIELDS as readonly string[]).includes(field)) return `unknown field ${JSON.stringify(field)}: expected one of ${IDENTITY_FIELDS.join(', ')}`;
  if (NUMERIC_FIELDS.includes(field)) {
    return typeof value === 'number' && Number.isFinite(value) && value > 0 ? null : `${JSON.stringify(value)} is not valid: expected a number above 0`;
  }
  if (typeof value !== 'string' || !value.trim() || value.length > 200) return `${JSON.stringify(value)} is not valid: expected a text of 1 to 200 characters`;
  if (DATE_FIELDS.includes(field)) {
    const m = DATE.exec(value);
    if (!m || (m[4] && new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value)) return `${JSON.stringify(value)} is not valid: expected a date YYYY-MM-DD or a month YYYY-MM`;
  }
  return null;
}

function checkPatch(patch: IdentityPatch): void {
  for (const [field, value] of Object.entries(patch)) {
    if (value === null || value === undefined) {
      if (!(IDENTITY_FIELDS as readonly string[]).includes(field)) throw new LifeRecordError('life.invalid', `unknown field ${JSON.stringify(field)}: expected one of ${IDENTITY_FIELDS.join(', ')}`, field);
      continue;
    }
    const problem = identityProblem(field as IdentityField, value);
    if (problem) throw new LifeRecordError('life.invalid', `${field}: ${problem}`, field);
  }
}

interface Row {
  id: number; string: number; position: number; started_at_ms: number; ended_at_ms: number | null; end_reason: string | null;
  identity: string; sources: string; updated_at_ms: number;
}
const toRecord = (r: Row): LifeRecord => ({
  id: r.id, string: r.string, position: r.position, startedAtMs: r.started_at_ms, endedAtMs: r.ended_at_ms, endReason: r.end_reason,
  identity: JSON.parse(r.identity) as Identity, sources: JSON.parse(r.sources) as LifeRecord['sources'], updatedAtMs: r.updated_at_ms,
});

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (a === undefined && b === null) || (a === null && b === undefined);
}

function hasTable(db: Database.Database, name: string): boolean {
  return !!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name);
}

export interface LifeQuery {
  readonly string?: number;
  readonly position?: number;
  /** Only records in service (default: every record, past ones too). */
  readonly current?: boolean;
}

/** Records ordered by string, position and start; a database of schema 1 has none. */
export function lifeRecords(db: Database.Database, q: LifeQuery = {}): LifeRecord[] {
  if (!hasTable(db, 'life_records')) return [];
  const conds: string[] = [];
  const args: unknown[] = [];
  if (q.string !== undefined) { conds.push('string = ?'); args.push(q.string); }
  if (q.position !== undefined) { conds.push('position = ?'); args.push(q.position); }
  if (q.current) conds.push('ended_at_ms IS NULL');
  const rows = db.prepare(`SELECT * FROM life_records WHERE ${conds.length ? conds.join(' AND ') : '1'} ORDER BY string, position, started_at_ms, id`).all(...args) as Row[];
  return rows.map(toRecord);
}

function current(db: Database.Database, string: number, position: number): LifeRecord | null {
  const row = db.prepare('SELECT * FROM life_records WHERE string = ? AND position = ? AND ended_at_ms IS NULL').get(string, position) as Row | undefined;
  return row ? toRecord(row) : null;
}

function insert(db: Database.Database, string: number, position: number, atMs: number, identity: Identity, sources: LifeRecord['sources']): number {
  return Number(db.prepare('INSERT INTO life_records (string, position, started_at_ms, ended_at_ms, end_reason, identity, sources, updated_at_ms) VALUES (?, ?, ?, NULL, NULL, ?, ?, ?)')
    .run(string, position, Math.round(atMs), JSON.stringify(identity), JSON.stringify(sources), Math.round(atMs)).lastInsertRowid);
}

function update(db: Database.Database, id: number, atMs: number, identity: Identity, sources: LifeRecord['sources']): void {
  db.prepare('UPDATE life_records SET identity = ?, sources = ?, updated_at_ms = ? WHERE id = ?').run(JSON.stringify(identity), JSON.stringify(sources), Math.round(atMs), id);
}

/**
 * Brings the records in line with the configuration. A field the configuration states is
 * written when it differs from what the configuration said last time (or the first time): an
 * edited configuration updates the record in service, an unchanged one leaves alone what was
 * entered over the API since and the records replacements started. A position without a record
 * gets one. Returns what changed.
 */
export function applyConfiguredIdentity(db: Database.Database, configured: readonly ConfiguredIdentity[], atMs: number): LifeChange[] {
  const changes: LifeChange[] = [];
  const lastApplied = db.prepare('SELECT identity FROM life_config WHERE string = ? AND position = ?');
  const remember = db.prepare('INSERT INTO life_config (string, position, identity) VALUES (?, ?, ?) ON CONFLICT (string, position) DO UPDATE SET identity = excluded.identity');
  db.transaction(() => {
    for (const c of configured) {
      const before = lastApplied.get(c.string, c.position) as { identity: string } | undefined;
      const previous = before ? (JSON.parse(before.identity) as Identity) : {};
      const record = current(db, c.string, c.position);
      if (!record) {
        const id = insert(db, c.string, c.position, atMs, c.identity, c.sources);
        changes.push({ string: c.string, position: c.position, recordId: id, action: 'created', fields: Object.keys(c.identity) as IdentityField[] });
      } else {
        const identity: Identity = { ...record.identity };
        const sources: Partial<Record<IdentityField, IdentitySource>> = { ...record.sources };
        const fields: IdentityField[] = [];
        for (const field of IDENTITY_FIELDS) {
          const value = c.identity[field];
          if (value === undefined || sameValue(previous[field], value) && before) continue;
          if (sameValue(identity[field], value) && sources[field] === c.sources[field]) continue;
          (identity as Record<string, unknown>)[field] = value;
          sources[field] = c.sources[field] ?? 'config';
          fields.push(field);
        }
        if (fields.length) {
          update(db, record.id, atMs, identity, sources);
          changes.push({ string: c.string, position: c.position, recordId: record.id, action: 'updated', fields });
        }
      }
      remember.run(c.string, c.position, JSON.stringify(c.identity));
    }
  })();
  return changes;
}

/** Sets (or with null clears) fields of the record in service, creating it when there is none. */
export function setIdentity(db: Database.Database, string: number, position: number, patch: IdentityPatch, atMs: number): LifeRecord {
  checkPatch(patch);
  return db.transaction(() => {
    const record = current(db, string, position);
    const identity: Record<string, unknown> = { ...(record?.identity ?? {}) };
    const sources: Partial<Record<IdentityField, IdentitySource>> = { ...(record?.sources ?? {}) };
    for (const [field, value] of Object.entries(patch) as [IdentityField, unknown][]) {
      if (value === undefined) continue;
      if (value === null) {
        delete identity[field];
        delete sources[field];
      } else {
        identity[field] = value;
        sources[field] = 'api';
      }
    }
    const id = record ? (update(db, record.id, atMs, identity, sources), record.id) : insert(db, string, position, atMs, identity, sources);
    return toRecord(db.prepare('SELECT * FROM life_records WHERE id = ?').get(id) as Row);
  })();
}

/**
 * A block replacement: the record in service ends (`replaced`, at atMs) and a new one starts for
 * the new block. Fields the request does not give are kept from the old block's record, except
 * the item's own (serial, manufacture date); the commissioning date is the replacement's date
 * unless given.
 */
export function replaceBlock(db: Database.Database, string: number, position: number, patch: IdentityPatch, atMs: number, reason = 'replaced'): { ended: LifeRecord | null; started: LifeRecord } {
  if (position === STRING_POSITION) throw new LifeRecordError('life.invalid', 'a replacement is of a block (position 1..N), not of the string', 'module');
  checkPatch(patch);
  return db.transaction(() => {
    const old = current(db, string, position);
    if (old) {
      if (atMs < old.startedAtMs) throw new LifeRecordError('life.invalid', `the replacement time ${new Date(atMs).toISOString()} is before the record in service started (${new Date(old.startedAtMs).toISOString()})`, 'at');
      db.prepare('UPDATE life_records SET ended_at_ms = ?, end_reason = ?, updated_at_ms = ? WHERE id = ?').run(Math.round(atMs), reason, Math.round(atMs), old.id);
    }
    const identity: Record<string, unknown> = {};
    const sources: Partial<Record<IdentityField, IdentitySource>> = {};
    for (const field of IDENTITY_FIELDS) {
      const given = patch[field];
      if (given !== undefined && given !== null) {
        identity[field] = given;
        sources[field] = 'api';
      } else if (given === undefined && old && !ITEM_FIELDS.includes(field) && old.identity[field] !== undefined) {
        identity[field] = old.identity[field];
        sources[field] = 'inherited';
      }
    }
    if (patch.commissioningDate === undefined) {
      identity.commissioningDate = new Date(atMs).toISOString().slice(0, 10);
      sources.commissioningDate = 'replacement';
    }
    const id = insert(db, string, position, atMs, identity, sources);
    const started = toRecord(db.prepare('SELECT * FROM life_records WHERE id = ?').get(id) as Row);
    const ended = old ? toRecord(db.prepare('SELECT * FROM life_records WHERE id = ?').get(old.id) as Row) : null;
    return { ended, started };
  })();
}

/** Passport data from the configuration that the CLI needs without it (kept by the gateway at start). */
export function setPassportInfo(db: Database.Database, key: string, atMs: number, value: unknown): void {
  db.prepare('INSERT INTO passport_info (key, at_ms, value) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET at_ms = excluded.at_ms, value = excluded.value')
    .run(key, Math.round(atMs), JSON.stringify(value));
}
export function passportInfo(db: Database.Database): Record<string, unknown> {
  if (!hasTable(db, 'passport_info')) return {};
  const rows = db.prepare('SELECT key, value FROM passport_info ORDER BY key').all() as { key: string; value: string }[];
  return Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as unknown]));
}
