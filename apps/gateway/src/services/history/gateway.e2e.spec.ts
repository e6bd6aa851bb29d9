// The data logger inside the composed gateway: a demo site logs its values, an alarm, a command
// with its origin and its own start and stop; `kirchhoff export` reads the file while it runs.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@kirchhoff/test-support';
import { applySets, finishConfig } from '../../config/load';
import { demoConfig } from '../../config/demo-config';
import { parseFault } from '../../demo/faults';
import { Gateway, startGateway } from '../../gateway';
import { memoryLogger } from '../../log';
import { run } from '../../cli';
import { openHistoryFile, parseCsv } from '@kirchhoff/history';

const QUIET = ['modbus.enabled=false', 'snmp.enabled=false', 'bacnet.enabled=false', 'mqtt.enabled=false', 'mqtt.broker.enabled=false', 'nut.enabled=false', 'rccmd.enabled=false', 'http.enabled=false', 'actions.enabled=false'];

describe('gateway with history and schedule', () => {
  let dir: string;
  let gw: Gateway | null = null;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kirchhoff-gw-history-'));
  });
  afterAll(async () => {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs values, alarms and audited commands, and exports them while running', async () => {
    const path = join(dir, 'history.db');
    const config = finishConfig(applySets(demoConfig({ strings: 1, modules: 4 }), [
      ...QUIET, `history.path=${path}`, 'history.rates.modules=1', 'history.rates.strings=1', 'history.rates.ups=1', 'history.flushIntervalMs=100',
      `schedule.jobs=[{name: every-minute-report, cron: "* * * * *", action: report, directory: "${join(dir, 'reports')}"}]`,
    ]));
    const logger = memoryLogger();
    gw = await startGateway(config, { logger, cycleMs: 200, faults: [parseFault('ups-on-battery@0')] });
    const history = gw.deps.history!;
    expect(history).toBeDefined();
    expect(gw.deps.scheduler!.status().map((j) => j.name)).toEqual(['every-minute-report']);

    await waitFor(async () => (await history.events({ category: 'alarm', alarmKind: 'ups-on-battery' })).length > 0, 10_000, 'the ups-on-battery alarm in the log');
    await gw.commands.submit({ type: 'set-relay', relay: 2, on: true }, { protocol: 'cli', principal: 'tester', remote: 'local' });
    await history.flush();
    const voltage = await history.measurements({ entity: 'string/1/module/3', field: 'voltageV', fromMs: 0, toMs: Date.now() + 1000 });
    expect(voltage.points.length).toBeGreaterThan(0);
    expect(voltage.points[0].value).toBeCloseTo(gw.site.snapshot().modules[2].voltageV.value!, 0);
    expect(history.stats()).toMatchObject({ dropped: { measurements: 0, events: 0, audit: 0 }, writeErrors: 0 });

    // The CLI reads the same file beside the running writer.
    const out = join(dir, 'audit.csv');
    const io = { out: () => {}, err: () => {} };
    expect(await run(['export', '--db', path, '--what', 'audit', '--from', '-1h', '--out', out], io)).toBe(0);
    const audit = parseCsv(readFileSync(out, 'utf8'));
    expect(audit.slice(1).map((r) => [r[3], r[4], r[5], r[6], r[7], r[8]])).toContainEqual(['command', 'set-relay', 'ok', 'cli', 'tester', 'local']);

    await run(['export', '--db', path, '--what', 'alarms', '--from', '-1h', '--out', join(dir, 'alarms.csv')], io);
    const alarms = parseCsv(readFileSync(join(dir, 'alarms.csv'), 'utf8'));
    expect(alarms.slice(1).map((r) => [r[4], r[6], r[8]])).toContainEqual(['raised', 'ups', 'ups-on-battery']);

    const report = await gw.deps.scheduler!.run('every-minute-report');
    expect(report.outcome).toBe('ok');
    expect(readdirSync(join(dir, 'reports'))).toHaveLength(1);

    await gw.stop();
    gw = null;
    const file = openHistoryFile(path);
    const events = await file.events({ category: 'gateway' });
    file.close();
    expect(events.map((e) => e.action)).toEqual(['started', 'stopped']);
  }, 120_000);
});
