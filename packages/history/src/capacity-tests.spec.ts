// Capacity test records in the data logger: the schema-2 migration of an existing database, records
// and their per-second samples surviving a restart, and read-only files of either schema.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { memoryLog } from './test-helpers/memory-log';
import { HistoryDb, SCHEMA_VERSION } from './db';
import { openHistoryFile } from './reader';
import { HistoryLogger } from './store';
import { capacityTestFixture } from './__fixtures__/capacity-test';

const T0 = Date.UTC(2026, 5, 1, 8, 0, 0);
const RETENTION = { rawDays: 7, minuteDays: 90, hourDays: 0, eventDays: 0, auditDays: 0 };

describe('capacity test records in the data logger', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'kirchhoff-tests-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('migrates a schema-1 database in place, keeps its data, and keeps test records and samples across a restart', async () => {
    const path = join(dir, 'h.db');
    // A database as version 1 left it: no test tables, user_version 1, an event logged.
    new HistoryDb(path).close();
    const v1 = new Database(path);
    v1.exec('DROP TABLE capacity_tests; DROP TABLE capacity_test_samples;');
    v1.pragma('user_version = 1');
    v1.prepare("INSERT INTO events (at_ms, category, action, severity, message) VALUES (?, 'gateway', 'started', 'info', 'gateway started')").run(T0 - 1000);
    v1.close();
    const old = openHistoryFile(path);
    expect(await old.capacityTests()).toEqual([]);
    old.close();

    const { record, samples } = capacityTestFixture(T0);
    let logger = await HistoryLogger.open({ path, retention: RETENTION, logger: memoryLog(), flushIntervalMs: 50 });
    expect((await logger.events()).map((e) => e.message)).toEqual(['gateway started']);
    await logger.appendTestSamples(T0, samples);
    const id = await logger.saveCapacityTest(record);
    await logger.close();

    // Restart: a new logger on the same file.
    logger = await HistoryLogger.open({ path, retention: RETENTION, logger: memoryLog(), flushIntervalMs: 50 });
    try {
      const list = await logger.capacityTests();
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({ id, trigger: 'api', startMs: T0, end: 'end-voltage', by: 'admin', strings: [{ string: 1, collapsedEarly: [2] }] });
      const full = await logger.capacityTest(id);
      expect(full).toEqual({ ...record, id });
      const back = await logger.capacityTestSamples(id, 1);
      expect(back).toEqual(samples);
      expect(await logger.capacityTestSamples(id, 1, T0 + 10_000, 5)).toEqual(samples.slice(10, 15));
      // Each block's capacity-fade history: here one record, block 2 collapsed early at 5.8 Ah (10 A for 2100 s).
      // A summary mean of the three blocks' capacityPercent: (112 + 61 + 118) / 3.
      expect(list[0].strings[0].meanCapacityPercent).toBeCloseTo(97, 6);
      const history = await logger.capacityHistory(2);
      expect(history).toHaveLength(1);
      expect(history[0]).toMatchObject({ testId: id, startMs: T0, trigger: 'api', capacityMethod: 'measured', timeToEndVoltageS: 2100, collapsedEarly: true });
      expect(await logger.capacityHistory(9)).toEqual([]);
    } finally {
      await logger.close();
    }
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
    const file = openHistoryFile(path);
    expect((await file.capacityTest(id))?.strings[0].endOfDischarge.collapsedEarly).toEqual([2]);
    expect(await file.engineState('health')).toBeNull();
    file.close();
  });

  it('refuses a database of a newer schema, naming the fix', () => {
    const path = join(dir, 'new.db');
    new HistoryDb(path).close();
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => new HistoryDb(path)).toThrow(/newer than this version of Kirchhoff writes .*history\.path/);
  });
});
