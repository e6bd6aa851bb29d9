// The HTTP API over the real data logger (SQLite in a temporary folder): stored measurements,
// the event log with alarms, the audit log with commands and logins, and the logger's lag in
// /metrics, each read back as a client would.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandInterface, ProblemLog } from '@kirchhoff/core';
import { waitFor } from '@kirchhoff/test-support';
import { applySets, finishConfig } from '../config/load';
import { demoConfig } from '../config/demo-config';
import { buildSite } from '../gateway';
import { memoryLogger } from '../log';
import { HistoryLogger } from '@kirchhoff/history';
import { DEMO_HTTP_USERS } from '@kirchhoff/http';
import { httpAdapter } from './http';
import type { RunningAdapter } from './types';

describe('HTTP API over the data logger', () => {
  let dir: string;
  let store: HistoryLogger;
  let adapter: RunningAdapter;
  let base: string;
  let token: string;
  let detach = () => {};
  const config = finishConfig(applySets(demoConfig(), ['http.port=0', 'http.host=127.0.0.1', 'nut.port=0']));
  const site = buildSite(config);
  const commands = new CommandInterface(site, { execute: async (c) => { if (c.type === 'set-relay') site.update((tx) => tx.relay(c.relay, c.on)); return { ok: true, message: 'done' }; } }, { http: 'all' });

  const get = async (path: string) => {
    const r = await fetch(base + path, { headers: { authorization: `Bearer ${token}` } });
    return { status: r.status, body: (await r.json()) as unknown, text: '' };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kirchhoff-http-history-'));
    const logger = memoryLogger('info');
    store = await HistoryLogger.open({ path: join(dir, 'h.db'), retention: { rawDays: 7, minuteDays: 90, hourDays: 0, eventDays: 0, auditDays: 0 }, logger, flushIntervalMs: 50 });
    detach = store.attach(site, { modules: 1, strings: 1, ups: 5, sensors: 5 });
    // The API alone, with the data logger injected: no other service or adapter runs.
    adapter = (await httpAdapter.start({ config: config.http, root: config, site, commands, logger, problems: new ProblemLog(), history: store, adapterClients: () => ({}), configNotices: () => [] }))!;
    base = `http://${adapter.services[0].endpoint.split(' ')[1]}`;
    const login = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'operator', password: DEMO_HTTP_USERS[1].password }) });
    token = ((await login.json()) as { token: string }).token;
  });
  afterAll(async () => {
    await adapter?.close();
    detach();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves a module\'s stored voltages', async () => {
    const t0 = Date.now();
    const stored = async () => {
      await store.flush();
      const h = (await get(`/api/history?entity=string/1/module/7&field=voltageV&from=${t0 - 5000}&resolution=raw`)).body as { points: { value: number }[] };
      return h.points.map((p) => p.value);
    };
    // The logger samples the site once a second (modules: 1 s): one value per sample.
    site.update((tx) => tx.moduleReadings(7, { voltageV: 13.41 }));
    await waitFor(async () => (await stored()).includes(13.41), 8000, 'the first stored sample');
    site.update((tx) => tx.moduleReadings(7, { voltageV: 13.43 }));
    await waitFor(async () => (await stored()).includes(13.43), 8000, 'the second stored sample');
    const h = (await get(`/api/history?entity=string/1/module/7&field=voltageV&from=${new Date(t0 - 5000).toISOString()}&resolution=raw`)).body as { entity: string; resolution: string; points: { value: number; quality: string }[] };
    expect(h).toMatchObject({ entity: 'string/1/module/7', resolution: 'raw' });
    expect(h.points.map((p) => p.value)).toEqual(expect.arrayContaining([13.41, 13.43]));
    expect(h.points.every((p) => p.quality === 'fresh')).toBe(true);
    const series = (await get('/api/history/series?entity=string/1/*')).body as { entity: string; field: string }[];
    expect(series).toContainEqual({ entity: 'string/1/module/7', field: 'voltageV' });
  }, 120_000);

  it('serves alarms from the event log and commands and logins from the audit log', async () => {
    site.reconcileAlarms('http-test', [{ kind: 'sensor-high', severity: 'alarm', entity: { kind: 'sensor', id: 1 }, message: 'Room temperature high', value: 36, limit: 35 }]);
    const r = await fetch(`${base}/api/relays/2`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"on":true}' });
    expect(r.status).toBe(200);
    await store.flush();
    const alarms = (await get('/api/alarms/history')).body as { source: string; entries: { action: string; kind: string; message: string }[] };
    expect(alarms.source).toBe('logger');
    expect(alarms.entries[0]).toMatchObject({ action: 'raised', kind: 'sensor-high', message: 'Room temperature high' });
    const events = (await get('/api/events?category=alarm&limit=5')).body as { message: string }[];
    expect(events[0].message).toBe('Room temperature high');
    const audit = (await get('/api/audit?limit=10')).body as { kind: string; action: string; outcome: string; protocol: string; principal: string; remote: string }[];
    expect(audit).toContainEqual(expect.objectContaining({ kind: 'command', action: 'set-relay', outcome: 'ok', protocol: 'http', principal: 'operator', remote: expect.stringMatching(/^127\.0\.0\.1:\d+$/) }));
    expect(audit).toContainEqual(expect.objectContaining({ kind: 'auth', action: 'login', outcome: 'ok', principal: 'operator' }));
  });

  it('audits a command from a client that resets at once with the address and port it came from (issue 19 point 8)', async () => {
    // Basic auth costs a scrypt (~100 ms) before the handler runs: the reset lands before it, as in
    // the report, where such commands were audited from `undefined:0`.
    site.reconcileAlarms('reset-test', [{ kind: 'sensor-high', severity: 'warning', entity: { kind: 'sensor', id: 2 }, message: 'Room humidity high', value: 71, limit: 70 }]);
    const alarm = site.snapshot().alarms.find((a) => a.origin === 'reset-test')!;
    const port = Number(base.split(':').pop());
    const socket = connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const local = `127.0.0.1:${socket.localPort}`;
    const basic = Buffer.from(`operator:${DEMO_HTTP_USERS[1].password}`).toString('base64');
    await new Promise((r) => socket.write(`POST /api/alarms/${alarm.id}/acknowledge HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic ${basic}\r\n\r\n`, r));
    socket.resetAndDestroy();
    await waitFor(() => site.snapshot().alarms.find((a) => a.id === alarm.id)?.acknowledged, 5000, 'the alarm to be acknowledged');
    const rows = await store.audit({ limit: 20 });
    expect(rows.filter((a) => a.action === 'acknowledge-alarm').map((a) => a.remote)).toEqual([local]);
  });

  it('names a bad time and an unknown series field', async () => {
    const bad = await get('/api/history?entity=string/1/module/7&field=voltageV&from=soon');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { field: 'from' } });
    expect(((await get('/api/history?entity=string/x/module/7&field=voltageV')).body as { error: { field: string } }).error.field).toBe('entity');
    expect(((await get('/api/history?entity=string/1/module/7')).body as { error: { field: string } }).error.field).toBe('field');
  });

  it('exports measurements and the audit log as CSV', async () => {
    await store.flush();
    const r = await fetch(`${base}/api/export.csv?what=measurements&entity=string/1/module/7&field=voltageV&resolution=raw&from=${Date.now() - 3_600_000}`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const rows = (await r.text()).trimEnd().split('\r\n');
    expect(rows[0]).toBe('time,atMs,entity,field,resolution,value,min,max,count,quality');
    expect(rows.slice(1).map((l) => l.split(',')[5])).toEqual(expect.arrayContaining(['13.41', '13.43']));
    const audit = await (await fetch(`${base}/api/export.csv?what=audit`, { headers: { authorization: `Bearer ${token}` } })).text();
    expect(audit).toMatch(/,command,set-relay,ok,http,operator,127\.0\.0\.1:\d+,/);
    expect((await get('/api/export.csv?what=everything')).body).toMatchObject({ error: { field: 'what' } });
  });

  it('shows the logger\'s lag in /metrics', async () => {
    const text = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
    expect(text).toMatch(/^kirchhoff_logger_lag_seconds \d+(\.\d+)?$/m);
  });
});
