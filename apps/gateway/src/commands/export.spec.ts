import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../cli';
import { HistoryDb, parseCsv } from '@kirchhoff/history';
import { parseTime } from './history-file';
import { CAPACITY_TEST_DEFAULTS, StringDischarge } from '../engine/health';

const T0 = Date.parse('2026-01-05T10:00:00Z');

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

describe('kirchhoff export', () => {
  let dir: string;
  let db: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kirchhoff-export-'));
    db = join(dir, 'history.db');
    const h = new HistoryDb(db);
    h.writeBatch({
      samples: [
        ['string/1/module/1', 'voltageV', T0, 13.61, 0], ['string/1/module/1', 'voltageV', T0 + 60_000, 13.63, 0], ['string/1/module/1', 'voltageV', T0 + 120_000, null, 2],
        ['string/1/module/2', 'voltageV', T0, 13.5, 0], ['string/1/module/1', 'temperatureC', T0, 24.5, 0], ['string/2/module/1', 'voltageV', T0, 13.0, 0],
        ['string/1/module/1', 'voltageV', T0 - 86_400_000, 12.9, 0],
      ],
      events: [{ atMs: T0 + 1000, category: 'alarm', action: 'raised', severity: 'critical', entity: 'string/1/module/1', message: 'Thermal runaway, string 1', alarmId: 4, alarmKind: 'thermal-runaway', detail: { value: 51.5 } }],
      audit: [
        { atMs: T0 + 2000, kind: 'command', action: 'set-relay', outcome: 'ok', protocol: 'modbus', principal: null, remote: '10.0.0.9:50122', detail: { type: 'set-relay', relay: 1, on: true }, error: null },
        { atMs: T0 + 3000, kind: 'auth', action: 'login', outcome: 'rejected', protocol: 'http', principal: "=cmd|' /C calc'!A0", remote: '10.0.0.66:4000', detail: null, error: 'bad password' },
      ],
    });
    // A capacity test of a 3-block string at 10 A: block 2 reaches 10.5 V after 2100 s (5.83 Ah).
    const d = new StringDischarge({ string: 1, firstGlobal: 1, moduleCount: 3, cells: 6, ratedCapacityAh: 10 }, T0, CAPACITY_TEST_DEFAULTS);
    for (let t = 0; !d.ended && t < 5000; t++) d.step({ atMs: T0 + t * 1000, string: 1, currentA: -10, voltagesV: [12.6 - t / 1800, 12.6 - t / 1000, 12.6 - t / 1900], temperaturesC: [25, 25, 25] });
    h.saveCapacityTest({ id: 0, trigger: 'api', startMs: T0, endMs: T0 + 3_780_000, end: d.ended, endVoltsPerCell: 1.75, strings: [d.result(T0 + 3_780_000)], by: 'ann' });
    h.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const exportRows = async (...args: string[]) => {
    const out = join(dir, `out-${Math.random().toString(36).slice(2)}.csv`);
    const c = capture();
    const code = await run(['export', '--db', db, '--out', out, ...args], c.io);
    expect({ code, err: c.err }).toEqual({ code: 0, err: [expect.stringMatching(/^wrote \d+ .* rows to /)] });
    const text = readFileSync(out, 'utf8');
    expect(text.endsWith('\r\n')).toBe(true);
    return parseCsv(text);
  };

  it('writes raw measurements of an entity prefix and one field, in a time range', async () => {
    const rows = await exportRows('--what', 'measurements', '--entity', 'string/1/*', '--field', 'voltageV', '--from', '2026-01-05T10:00:00Z', '--to', '2026-01-05T11:00:00Z', '--resolution', 'raw');
    expect(rows).toEqual([
      ['time', 'atMs', 'entity', 'field', 'resolution', 'value', 'min', 'max', 'count', 'quality'],
      ['2026-01-05T10:00:00.000Z', String(T0), 'string/1/module/1', 'voltageV', 'raw', '13.61', '13.61', '13.61', '1', 'fresh'],
      ['2026-01-05T10:01:00.000Z', String(T0 + 60_000), 'string/1/module/1', 'voltageV', 'raw', '13.63', '13.63', '13.63', '1', 'fresh'],
      ['2026-01-05T10:02:00.000Z', String(T0 + 120_000), 'string/1/module/1', 'voltageV', 'raw', '', '', '', '0', 'failed'],
      ['2026-01-05T10:00:00.000Z', String(T0), 'string/1/module/2', 'voltageV', 'raw', '13.5', '13.5', '13.5', '1', 'fresh'],
    ]);
  });

  it('writes hourly aggregates', async () => {
    const rows = await exportRows('--what', 'measurements', '--entity', 'string/1/module/1', '--field', 'voltageV', '--from', '2026-01-05', '--to', '2026-01-06', '--resolution', 'hour');
    expect(rows.slice(1).map((r) => [r[0], r[4], Number(r[5]).toFixed(2), r[6], r[7], r[8]])).toEqual([['2026-01-05T10:00:00.000Z', 'hour', '13.62', '13.61', '13.63', '2']]);
  });

  it('writes the alarm log and the audit log, defusing spreadsheet formulas', async () => {
    const alarms = await exportRows('--what', 'alarms', '--from', '2026-01-05', '--to', '2026-01-06');
    expect(alarms).toEqual([
      ['time', 'atMs', 'id', 'category', 'action', 'severity', 'entity', 'alarmId', 'alarmKind', 'message', 'detail'],
      ['2026-01-05T10:00:01.000Z', String(T0 + 1000), '1', 'alarm', 'raised', 'critical', 'string/1/module/1', '4', 'thermal-runaway', 'Thermal runaway, string 1', '{"value":51.5}'],
    ]);
    const audit = await exportRows('--what', 'audit', '--from', String(T0), '--to', String(T0 + 3600_000));
    expect(await exportRows('--what', 'audit', '--from', '-100000d', '--to', '-1d')).toEqual(audit);
    expect(audit.slice(1).map((r) => r.slice(3))).toEqual([
      ['command', 'set-relay', 'ok', 'modbus', '', '10.0.0.9:50122', '{"type":"set-relay","relay":1,"on":true}', ''],
      ['auth', 'login', 'rejected', 'http', "'=cmd|' /C calc'!A0", '10.0.0.66:4000', '', 'bad password'],
    ]);
  });

  it('writes the capacity tests, one row per block: a block\'s capacity over the years', async () => {
    const rows = await exportRows('--what', 'tests', '--entity', 'string/1/module/2', '--from', '2026-01-05', '--to', '2026-01-06');
    expect(rows[0].slice(0, 14)).toEqual(['time', 'startMs', 'testId', 'trigger', 'end', 'string', 'module', 'global', 'deliveredAh', 'deliveredWh', 'timeToEndVoltageS', 'capacityAtRateAh', 'capacityMethod', 'capacityC10At25Ah']);
    expect(rows.slice(1).map((r) => [r[0], r[3], r[4], r[6], r[10], r[11], r[12], r[17]])).toEqual([['2026-01-05T10:00:00.000Z', 'api', 'end-voltage', '2', '2100', '5.83', 'measured', 'true']]);
    expect(await exportRows('--what', 'tests', '--from', '2026-01-05', '--to', '2026-01-06')).toHaveLength(4);
  });

  it('explains bad arguments and a missing file', async () => {
    const c = capture();
    expect(await run(['export', '--db', db, '--what', 'everything'], c.io)).toBe(2);
    expect(c.err[0]).toMatch(/^kirchhoff export: --what must be one of measurements, alarms, events, audit, tests, got "everything"/);
    expect(await run(['export', '--db', db, '--what', 'audit', '--from', 'yesterday'], c.io)).toBe(2);
    expect(c.err[1]).toMatch(/--from "yesterday" is not a time: use ISO 8601/);
    expect(await run(['export', '--db', join(dir, 'missing.db'), '--what', 'audit'], c.io)).toBe(1);
    expect(c.err[2]).toMatch(/^kirchhoff export: cannot open .*missing\.db/);
  });

  it('reads times as ISO 8601, epoch ms, now and relative', () => {
    const now = Date.parse('2026-01-05T12:00:00Z');
    expect(parseTime('-2h', now, '--from')).toBe(now - 7200_000);
    expect(parseTime('-7d', now, '--from')).toBe(now - 7 * 86_400_000);
    expect(parseTime('now', now, '--to')).toBe(now);
    expect(parseTime('2026-01-05T10:00:00Z', now, '--from')).toBe(T0);
    expect(parseTime(String(T0), now, '--from')).toBe(T0);
  });
});
