// Life records in the history database: configured identity, entries over the API, a block
// replacement keeping the old record, the records after a close and reopen, and a schema-1
// database migrated in place with its data.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { memoryLog } from './test-helpers/memory-log';
import { HistoryDb, SCHEMA_VERSION } from './db';
import { HistoryLogger } from './store';
import { STRING_POSITION, type ConfiguredIdentity, type Identity } from './life';
import { openHistoryFile } from './reader';

const T0 = Date.UTC(2026, 2, 1, 8, 0, 0);
const DAY = 86_400_000;
const RETENTION = { rawDays: 7, minuteDays: 90, hourDays: 0, eventDays: 0, auditDays: 0 };

/**
 * The identities a gateway configures for one string of 3 x 12 V blocks of 150 Ah (its configuration
 * gives makes, models, serials and dates; it derives the rated capacity and nominal voltages).
 */
function configured(serials: readonly string[] = ['A1', 'A2', 'A3']): ConfiguredIdentity[] {
  const derived = { ratedCapacityAh: 'derived', nominalVoltageV: 'derived' } as const;
  const battery: Identity = { ratedCapacityAh: 150, nominalVoltageV: 36, manufacturer: 'Acme Batteries', model: 'UPS-System 480', commissioningDate: '2024-05-14' };
  const out: ConfiguredIdentity[] = [{ string: 1, position: STRING_POSITION, identity: battery, sources: { ...derived, manufacturer: 'config', model: 'config', commissioningDate: 'config' } }];
  const ri = [0.0041, 0.0043];
  for (let p = 1; p <= 3; p++) {
    const identity: Identity = {
      ratedCapacityAh: 150, nominalVoltageV: 12, manufacturer: 'Acme Batteries', model: 'AB12-150', chemistry: 'lead-acid VRLA AGM',
      manufactureDate: p === 2 ? '2024-02' : '2024-03', serial: serials[p - 1], ...(ri[p - 1] !== undefined ? { commissioningResistanceOhm: ri[p - 1] } : {}),
    };
    const sources = Object.fromEntries(Object.keys(identity).map((k) => [k, k in derived ? 'derived' : 'config']));
    out.push({ string: 1, position: p, identity, sources });
  }
  return out;
}

describe('life records', () => {
  let dir: string;
  let logger: HistoryLogger | null = null;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kirchhoff-life-'));
  });
  afterEach(async () => {
    await logger?.close();
    logger = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts one record per position from the configuration, with where each value came from', () => {
    const db = new HistoryDb(join(dir, 'h.db'));
    const changes = db.applyConfiguredIdentity(configured(), T0);
    expect(changes.map((c) => [c.position, c.action])).toEqual([[0, 'created'], [1, 'created'], [2, 'created'], [3, 'created']]);
    const [battery, b1, b2] = db.lifeRecords({ string: 1 });
    expect(battery.identity).toEqual({ manufacturer: 'Acme Batteries', model: 'UPS-System 480', commissioningDate: '2024-05-14', ratedCapacityAh: 150, nominalVoltageV: 36 });
    expect(battery.sources).toMatchObject({ manufacturer: 'config', ratedCapacityAh: 'derived', nominalVoltageV: 'derived' });
    expect(b1.identity).toMatchObject({ serial: 'A1', manufactureDate: '2024-03', nominalVoltageV: 12, chemistry: 'lead-acid VRLA AGM' });
    expect(b2.identity).toMatchObject({ serial: 'A2', manufactureDate: '2024-02', commissioningResistanceOhm: 0.0043 });
    expect(b1.sources.commissioningResistanceOhm).toBe('config');
    // The same configuration again changes nothing.
    expect(db.applyConfiguredIdentity(configured(), T0 + DAY)).toEqual([]);
    db.close();
  });

  it('keeps API entries against an unchanged configuration; an edited configuration updates the record in service', () => {
    const db = new HistoryDb(join(dir, 'h.db'));
    db.applyConfiguredIdentity(configured(), T0);
    const r = db.setIdentity(1, 1, { commissioningDate: '2024-05-15', model: null }, T0 + DAY);
    expect(r.identity).toMatchObject({ serial: 'A1', commissioningDate: '2024-05-15' });
    expect(r.identity.model).toBeUndefined();
    expect(r.sources).toMatchObject({ commissioningDate: 'api', serial: 'config' });
    expect(db.applyConfiguredIdentity(configured(), T0 + 2 * DAY)).toEqual([]);
    expect(db.lifeRecords({ string: 1, position: 1 })[0].identity.commissioningDate).toBe('2024-05-15');

    const changes = db.applyConfiguredIdentity(configured(['A1-corrected', 'A2', 'A3']), T0 + 3 * DAY);
    expect(changes).toEqual([{ string: 1, position: 1, recordId: r.id, action: 'updated', fields: ['serial'] }]);
    expect(db.lifeRecords({ string: 1, position: 1 })[0].identity).toMatchObject({ serial: 'A1-corrected', commissioningDate: '2024-05-15' });
    db.close();
  });

  it('refuses bad values naming the field, the value and what is valid', () => {
    const db = new HistoryDb(join(dir, 'h.db'));
    expect(() => db.setIdentity(1, 1, { manufactureDate: '2024-13' }, T0)).toThrow('manufactureDate: "2024-13" is not valid: expected a date YYYY-MM-DD or a month YYYY-MM');
    expect(() => db.setIdentity(1, 1, { manufactureDate: '2023-02-30' }, T0)).toThrow('expected a date YYYY-MM-DD');
    expect(() => db.setIdentity(1, 1, { ratedCapacityAh: -5 }, T0)).toThrow('ratedCapacityAh: -5 is not valid: expected a number above 0');
    expect(() => db.setIdentity(1, 1, { colour: 'red' } as never, T0)).toThrow('unknown field "colour"');
    expect(() => db.replaceBlock(1, 0, {}, T0)).toThrow('a replacement is of a block');
    expect(db.lifeRecords()).toEqual([]);
    db.close();
  });

  it('a replacement ends the old record and starts a new one; both survive a restart of the logger', async () => {
    const path = join(dir, 'h.db');
    logger = await HistoryLogger.open({ path, retention: RETENTION, logger: memoryLog(), flushIntervalMs: 50 });
    await logger.applyConfiguredIdentity(configured(), T0);
    const at = T0 + 400 * DAY;
    const { ended, started } = await logger.replaceBlock(1, 2, { serial: 'B7', manufactureDate: '2025-03' }, at);
    expect(ended).toMatchObject({ position: 2, endedAtMs: at, endReason: 'replaced', identity: { serial: 'A2' } });
    // Same type as the block taken out (inherited), its own serial and date, in service from the replacement day.
    expect(started.identity).toEqual({ manufacturer: 'Acme Batteries', model: 'AB12-150', chemistry: 'lead-acid VRLA AGM', ratedCapacityAh: 150, nominalVoltageV: 12, serial: 'B7', manufactureDate: '2025-03', commissioningDate: '2027-04-05' });
    expect(started.sources).toMatchObject({ model: 'inherited', serial: 'api', commissioningDate: 'replacement' });
    // The old block's commissioning Ri is its own: not carried over (ended had 0.0043 ohm).
    expect([ended!.identity.commissioningResistanceOhm, started.identity.commissioningResistanceOhm]).toEqual([0.0043, undefined]);
    await expect(logger.replaceBlock(1, 2, {}, T0)).rejects.toThrow('is before the record in service started');
    await logger.close();

    // The gateway restarts with the same configuration (serial A2 still listed for position 2).
    logger = await HistoryLogger.open({ path, retention: RETENTION, logger: memoryLog(), flushIntervalMs: 50 });
    expect(await logger.applyConfiguredIdentity(configured(), at + DAY)).toEqual([]);
    const position2 = await logger.lifeRecords({ string: 1, position: 2 });
    expect(position2.map((r) => [r.identity.serial, r.startedAtMs, r.endedAtMs])).toEqual([['A2', T0, at], ['B7', at, null]]);
    expect((await logger.lifeRecords({ current: true })).map((r) => r.identity.serial ?? null)).toEqual([null, 'A1', 'B7', 'A3']);
    expect(await logger.lifeRecords()).toHaveLength(5);
  });

  it('migrates a schema-1 database in place (to the life records\' schema 3), keeping its data; a schema-1 file also reads without records', async () => {
    const path = join(dir, 'old.db');
    const old = new Database(path);
    old.exec(`CREATE TABLE series (id INTEGER PRIMARY KEY, entity TEXT NOT NULL, field TEXT NOT NULL, UNIQUE (entity, field));
      CREATE TABLE samples (series INTEGER NOT NULL, at_ms INTEGER NOT NULL, value REAL, quality INTEGER NOT NULL, PRIMARY KEY (series, at_ms)) WITHOUT ROWID;
      CREATE TABLE events (id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, category TEXT NOT NULL, action TEXT NOT NULL, severity TEXT NOT NULL, entity TEXT, message TEXT NOT NULL, alarm_id INTEGER, alarm_kind TEXT, detail TEXT);
      CREATE TABLE audit (id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, kind TEXT NOT NULL, action TEXT NOT NULL, outcome TEXT NOT NULL, protocol TEXT, principal TEXT, remote TEXT, detail TEXT, error TEXT);
      INSERT INTO series VALUES (1, 'string/1/module/1', 'voltageV'); INSERT INTO samples VALUES (1, ${T0}, 13.6, 0);
      INSERT INTO events (at_ms, category, action, severity, message) VALUES (${T0}, 'gateway', 'started', 'info', 'gateway started');
      PRAGMA user_version = 1;`);
    old.close();

    const reader = openHistoryFile(path);
    expect(await reader.lifeRecords()).toEqual([]);
    expect(await reader.passportInfo()).toEqual({});
    expect((await reader.events()).map((e) => e.message)).toEqual(['gateway started']);
    reader.close();

    const db = new HistoryDb(path);
    expect(db.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'life%' ORDER BY name").all()).toEqual([{ name: 'life_config' }, { name: 'life_records' }]);
    expect(db.measurements({ entity: 'string/1/module/1', field: 'voltageV', fromMs: T0, toMs: T0 + 1, resolution: 'raw' }).points[0].value).toBe(13.6);
    db.applyConfiguredIdentity(configured(), T0);
    db.setPassportInfo('site', T0, { site: { name: 'x' } });
    expect(db.lifeRecords()).toHaveLength(4);
    expect(db.passportInfo()).toEqual({ site: { site: { name: 'x' } } });
    db.close();

    // A file of a newer Kirchhoff is refused, not damaged.
    const newer = new Database(path);
    newer.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    newer.close();
    expect(() => new HistoryDb(path)).toThrow(`has history schema ${SCHEMA_VERSION + 1}, newer than this version of Kirchhoff writes (${SCHEMA_VERSION})`);
  });
});
