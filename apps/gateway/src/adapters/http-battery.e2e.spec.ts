// The battery-health API on a running demo gateway with its data logger: every block's health, a
// capacity test started and aborted by an admin (audited, refused to a viewer and while one runs),
// its record and per-second samples read back, a restart in the middle of the test that it carries on
// from, and all of it there again after another restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, waitFor } from '@kirchhoff/test-support';
import { applySets, finishConfig } from '../config/load';
import { demoConfig } from '../config/demo-config';
import { Gateway, startGateway } from '../gateway';
import { memoryLogger } from '../log';
import { DEMO_HTTP_USERS } from '@kirchhoff/http';
import type { BlockHealth, CapacityTestRecord, HealthSnapshot, TestSample } from '../engine/health';

const QUIET = ['modbus.enabled=false', 'snmp.enabled=false', 'bacnet.enabled=false', 'mqtt.enabled=false', 'mqtt.broker.enabled=false', 'nut.enabled=false', 'rccmd.enabled=false', 'actions.enabled=false'];

describe('battery health over the HTTP API', () => {
  let dir: string;
  let gw: Gateway | null = null;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'kirchhoff-battery-')); });
  afterAll(async () => {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async () => {
    const config = finishConfig(applySets(demoConfig({ strings: 1, modules: 4 }), [
      ...QUIET, 'http.port=0', 'http.host=127.0.0.1', `history.path=${join(dir, 'h.db')}`, 'history.flushIntervalMs=100',
    ]));
    const logger = memoryLogger('info');
    gw = await startGateway(config, { logger, cycleMs: 200 });
    const base = `http://${gw.services.find((s) => s.name === 'HTTP API')!.endpoint.split(' ')[1]}`;
    const tokenOf = async (i: number) => ((await (await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: DEMO_HTTP_USERS[i].name, password: DEMO_HTTP_USERS[i].password }) })).json()) as { token: string }).token;
    const admin = await tokenOf(0);
    const viewer = await tokenOf(2);
    const call = async (method: string, path: string, token = admin, body?: unknown) => {
      const r = await fetch(base + path, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: r.status, body: (await r.json()) as unknown };
    };
    return { call, viewer, logger, base };
  };

  it('serves health, runs an audited capacity test record, and keeps it over a restart', async () => {
    let { call, viewer, logger, base } = await start();
    // As the README shows it, with curl.
    const curl = await run('curl', ['-sS', '-u', `viewer:${DEMO_HTTP_USERS[2].password}`, `${base}/api/battery/health`]);
    expect((JSON.parse(curl.stdout) as HealthSnapshot).blocks.map((b) => [b.string, b.module])).toEqual([[1, 1], [1, 2], [1, 3], [1, 4]]);
    const health = (await call('GET', '/api/battery/health')).body as HealthSnapshot;
    expect(health.blocks).toHaveLength(4);
    const modules = (await call('GET', '/api/strings/1/modules')).body as { resistanceBaselineOhm: number }[];
    expect(health.blocks.map((b) => b.resistance.baselineOhm)).toEqual(modules.map((m) => m.resistanceBaselineOhm));
    expect(health.blocks[0]).toMatchObject({ string: 1, module: 1, ratedCapacityAh: 100, resistance: { endOfLifeLimitPercent: 50 } });
    expect(((await call('GET', '/api/battery/health/modules/3')).body as BlockHealth).global).toBe(3);
    expect((await call('GET', '/api/battery/health/modules/9')).status).toBe(404);

    expect((await call('POST', '/api/battery/tests', viewer, {})).status).toBe(403);
    const started = await call('POST', '/api/battery/tests', undefined, { strings: [1], maxHours: 2 });
    expect(started).toMatchObject({ status: 200, body: { trigger: 'api', strings: [1], state: 'waiting', by: 'admin' } });
    expect(await call('POST', '/api/battery/tests', undefined, {})).toMatchObject({ status: 409, body: { error: { code: 'busy' } } });
    // The demo's test load discharges the string: the record starts and fills with samples.
    await waitFor(async () => ((await call('GET', '/api/battery/health')).body as HealthSnapshot).test?.state === 'running', 10_000, 'the test recording');
    await waitFor(async () => (((await call('GET', '/api/battery/health')).body as HealthSnapshot).test?.deliveredAh[0].ah ?? 0) > 0, 10_000, 'Ah delivered');

    // A restart in the middle of the test (an update, a power cut of the gateway): the test carries on
    // from the samples it had stored, its Ah counted on from where they were.
    const runningBefore = ((await call('GET', '/api/battery/health')).body as HealthSnapshot).test!;
    await gw!.stop();
    gw = null;
    ({ call, viewer, logger, base } = await start());
    const resumed = ((await call('GET', '/api/battery/health')).body as HealthSnapshot).test!;
    expect(resumed).toMatchObject({ trigger: 'api', state: 'running', startMs: runningBefore.startMs, by: 'admin' });
    expect(logger.lines.some((l) => /capacity test \(api, started .*\) resumed from [1-9]\d* stored samples/.test(String(l.msg ?? l.message)))).toBe(true);
    const ahBefore = resumed.deliveredAh[0].ah;
    expect(ahBefore).toBeGreaterThan(0);
    await waitFor(async () => ((await call('GET', '/api/battery/health')).body as HealthSnapshot).test!.deliveredAh[0].ah > ahBefore, 10_000, 'Ah counted on');
    expect(await call('POST', '/api/battery/tests/abort', undefined, {})).toMatchObject({ status: 200, body: { ok: true } });
    expect((await call('POST', '/api/battery/tests/abort', undefined, {})).status).toBe(409);

    let list: { id: number; trigger: string; end: string; by: string }[] = [];
    await waitFor(async () => (list = (await call('GET', '/api/battery/tests')).body as typeof list).length === 1, 10_000, 'the stored record');
    expect(list[0]).toMatchObject({ trigger: 'api', end: 'aborted', by: 'admin' });
    const record = (await call('GET', `/api/battery/tests/${list[0].id}`)).body as CapacityTestRecord;
    expect(record.strings[0].blocks).toHaveLength(4);
    expect(record.strings[0].deliveredAh).toBeGreaterThan(0);
    const samples = (await call('GET', `/api/battery/tests/${list[0].id}/samples?string=1`)).body as TestSample[];
    expect(samples.length).toBeGreaterThan(1);
    expect(samples[0].voltagesV).toHaveLength(4);
    // Both sessions' samples, in time order.
    expect(samples.every((x) => x.currentA! < 0)).toBe(true);
    expect(samples.map((x) => x.atMs)).toEqual([...samples.map((x) => x.atMs)].sort((a, b) => a - b));
    expect((await call('GET', '/api/battery/health/modules/2/capacity')).body).toEqual([expect.objectContaining({ testId: list[0].id, trigger: 'api', end: 'aborted' })]);
    const audit = await gw!.deps.history!.audit({ kind: 'command' });
    expect(audit.filter((a) => a.action.startsWith('capacity-test')).map((a) => [a.action, a.outcome, a.principal])).toEqual([
      ['capacity-test', 'ok', 'admin'], ['capacity-test', 'rejected', 'admin'], ['capacity-test-abort', 'ok', 'admin'], ['capacity-test-abort', 'rejected', 'admin'],
    ]);
    expect(record.strings[0].deliveredAh).toBeGreaterThan(ahBefore);

    // Restart on the same data logger: the record and its samples are still there, the health record is restored.
    await gw!.stop();
    gw = null;
    ({ call, viewer, logger, base } = await start());
    expect(logger.lines.some((l) => String(l.msg ?? l.message).includes('health record restored from the data logger'))).toBe(true);
    expect((await call('GET', '/api/battery/tests')).body).toEqual(list);
    expect((await call('GET', `/api/battery/tests/${list[0].id}`)).body).toEqual(record);
    expect(((await call('GET', `/api/battery/tests/${list[0].id}/samples?string=1`)).body as TestSample[])).toEqual(samples);
  }, 120_000);
});
