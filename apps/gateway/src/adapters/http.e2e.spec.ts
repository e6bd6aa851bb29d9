// The demo gateway's HTTP API over real sockets: login and roles, values equal to the model,
// writes through the command interface (and refused ones changing nothing), bad input answered
// with the field named, server-sent events, /metrics as Prometheus text, /health, curl.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { run, waitFor } from '@kirchhoff/test-support';
import { applySets, finishConfig } from '../config/load';
import { demoConfig } from '../config/demo-config';
import { Gateway, startGateway } from '../gateway';
import { memoryLogger } from '../log';
import { DEMO_HTTP_USERS } from '@kirchhoff/http';

const EPHEMERAL = ['modbus.tcp.port=0', 'snmp.port=0', 'http.port=0', 'mqtt.broker.port=0', 'nut.port=0', 'rccmd.enabled=false', 'bacnet.enabled=false', 'mqtt.enabled=false', 'snmp.host=127.0.0.1', 'modbus.tcp.host=127.0.0.1', 'http.host=127.0.0.1'];
const password = (name: string) => DEMO_HTTP_USERS.find((u) => u.name === name)!.password;

interface Answer { status: number; headers: Headers; body: unknown; text: string }

describe('gateway --demo: HTTP API', () => {
  let gw: Gateway;
  let base: string;
  let logger: ReturnType<typeof memoryLogger>;
  const tokens: Record<string, string> = {};

  async function call(method: string, path: string, options: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined || options.raw !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(base + path, { method, headers, body: options.raw ?? (options.body !== undefined ? JSON.stringify(options.body) : undefined) });
    const text = await res.text();
    let body: unknown = null;
    try { body = JSON.parse(text); } catch { /* text answers */ }
    return { status: res.status, headers: res.headers, body, text };
  }
  const as = (user: string) => ({ token: tokens[user] });

  beforeAll(async () => {
    logger = memoryLogger('info');
    const config = finishConfig(applySets(demoConfig(), [...EPHEMERAL, 'http.live.batchMs=50', 'http.live.maxQueueKiB=64']));
    gw = await startGateway(config, { logger, cycleMs: 3_600_000 });
    // With http enabled the gateway lets HTTP submit commands; the API authorises them by role.
    expect(gw.commands.allows('http', 'set-relay')).toBe(true);
    const svc = gw.services.find((s) => s.name === 'HTTP API')!;
    expect(svc.state).toBe('running');
    base = `http://${svc.endpoint.split(' ')[1]}`;
    for (const u of ['admin', 'operator', 'viewer']) {
      const r = await call('POST', '/api/login', { body: { username: u, password: password(u) } });
      expect(r.status).toBe(200);
      tokens[u] = (r.body as { token: string }).token;
    }
  });
  afterAll(async () => {
    await gw?.stop();
  });

  describe('authentication', () => {
    it('answers /health without a login', async () => {
      const r = await call('GET', '/health');
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: 'ok', reasons: [] });
      // The software version (package.json), not the model's change counter.
      const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
      expect(r.body).toMatchObject({ version: pkg.version, modelVersion: gw.site.snapshot().version });
    });

    it('refuses data without a login, with a JSON error and WWW-Authenticate', async () => {
      const r = await call('GET', '/api/strings');
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toContain('Bearer');
      expect(r.body).toEqual({ error: { code: 'unauthorized', message: expect.stringContaining('POST /api/login') } });
      expect((await call('GET', '/api/strings', { token: 'not-a-token' })).status).toBe(401);
    });

    it('refuses a wrong password and an unknown user alike', async () => {
      const wrong = await call('POST', '/api/login', { body: { username: 'admin', password: 'admin' } });
      const unknown = await call('POST', '/api/login', { body: { username: 'nobody', password: 'x' } });
      expect([wrong.status, unknown.status]).toEqual([401, 401]);
      expect(wrong.body).toEqual(unknown.body);
    });

    it('accepts the session cookie and HTTP Basic', async () => {
      const login = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'viewer', password: password('viewer') }) });
      const cookie = login.headers.get('set-cookie')!;
      expect(cookie).toMatch(/^kirchhoff_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict/);
      expect((await call('GET', '/api/me', { headers: { cookie: cookie.split(';')[0] } })).body).toMatchObject({ name: 'viewer', role: 'viewer' });
      const basic = `Basic ${Buffer.from(`operator:${password('operator')}`).toString('base64')}`;
      expect((await call('GET', '/api/me', { headers: { authorization: basic } })).body).toMatchObject({ name: 'operator', role: 'operator' });
      const bad = `Basic ${Buffer.from('operator:nope').toString('base64')}`;
      expect((await call('GET', '/api/me', { headers: { authorization: bad } })).status).toBe(401);
    });

    it('refuses a cookie-authenticated write from another origin', async () => {
      const login = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'operator', password: password('operator') }) });
      const cookie = login.headers.get('set-cookie')!.split(';')[0];
      const foreign = await call('PUT', '/api/relays/3', { body: { on: true }, headers: { cookie, origin: 'https://evil.example' } });
      expect(foreign.status).toBe(403);
      expect(foreign.body).toMatchObject({ error: { code: 'cross-origin', field: 'origin' } });
      expect(gw.site.snapshot().relays[2].on).toBe(false);
      const own = await call('PUT', '/api/relays/3', { body: { on: false }, headers: { cookie, origin: base } });
      expect(own.status).toBe(200);
      expect(own.headers.get('x-content-type-options')).toBe('nosniff');
    });

    it('ends a session at logout', async () => {
      const r = await call('POST', '/api/login', { body: { username: 'viewer', password: password('viewer') } });
      const token = (r.body as { token: string }).token;
      expect((await call('POST', '/api/logout', { token })).status).toBe(200);
      expect((await call('GET', '/api/me', { token })).status).toBe(401);
    });

    it('warns loudly about the demo\'s default passwords at start-up and in the API', async () => {
      const line = logger.lines.find((l) => l.component === 'http' && l.level === 'error' && String(l.msg).startsWith('DEFAULT PASSWORD'));
      expect(line?.msg).toContain('admin, operator, viewer');
      const me = await call('GET', '/api/me', as('viewer'));
      expect((me.body as { notices: { id: string; severity: string }[] }).notices).toContainEqual(expect.objectContaining({ id: 'default-password', severity: 'critical' }));
      const security = (await call('GET', '/api/security', as('viewer'))).body as { notices: { id: string }[] };
      expect(security.notices.map((n) => n.id)).toEqual(expect.arrayContaining(['default-password', 'plain-http', 'snmp-v2c']));
      const users = (await call('GET', '/api/users', as('admin'))).body as { name: string; defaultPassword: boolean }[];
      expect(users).toEqual([
        { name: 'admin', role: 'admin', defaultPassword: true }, { name: 'operator', role: 'operator', defaultPassword: true }, { name: 'viewer', role: 'viewer', defaultPassword: true },
      ]);
      expect(JSON.stringify((await call('GET', '/api/config', as('admin'))).body)).not.toContain('$scrypt$');
    });
  });

  describe('values', () => {
    it('serves S01-M07 equal to the model', async () => {
      const r = await call('GET', '/api/strings/1/modules/7', as('viewer'));
      const m = gw.site.snapshot().modules[6];
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ label: 'S01-M07', global: 7, voltageV: { value: m.voltageV.value, quality: 'fresh' } });
      expect(((await call('GET', '/api/modules/27', as('viewer'))).body as { label: string }).label).toBe('S02-M07');
    });

    it('serves strings, the UPS, sensors, inputs, relays, thresholds and the snapshot', async () => {
      const snap = gw.site.snapshot();
      expect((await call('GET', '/api/strings', as('viewer'))).body).toEqual(JSON.parse(JSON.stringify(snap.strings)));
      const s2 = (await call('GET', '/api/strings/2', as('viewer'))).body as { label: string; modules: unknown[] };
      expect([s2.label, s2.modules.length]).toEqual(['S02', 20]);
      expect(((await call('GET', '/api/ups', as('viewer'))).body as { ident: { name: string } }).ident.name).toBe('UPS-A');
      expect(((await call('GET', '/api/sensors/2', as('viewer'))).body as { name: string }).name).toBe('Room humidity');
      expect(((await call('GET', '/api/inputs', as('viewer'))).body as unknown[]).length).toBe(4);
      expect(((await call('GET', '/api/relays', as('viewer'))).body as { name: string }[])[1].name).toBe('Ventilation');
      expect((await call('GET', '/api/thresholds', as('viewer'))).body).toEqual(JSON.parse(JSON.stringify(gw.site.snapshot().thresholds)));
      expect(((await call('GET', '/api/snapshot', as('viewer'))).body as { modules: unknown[] }).modules.length).toBe(40);
    });

    it('names what is missing: no module 21 in string 1, no data logger', async () => {
      expect((await call('GET', '/api/strings/1/modules/21', as('viewer'))).body).toEqual({ error: { code: 'not-found', message: 'module 21 does not exist in string 1 (valid: 1..20)', field: 'module' } });
      if (!gw.deps.history) {
        const h = await call('GET', '/api/history?entity=string/1/module/7&field=voltageV', as('viewer'));
        expect(h.status).toBe(404);
        expect(h.body).toMatchObject({ error: { code: 'no-logger', message: expect.stringContaining('data logger is not running') } });
      }
    });
  });

  describe('roles and commands', () => {
    it('refuses a viewer\'s relay change with 403 and changes nothing', async () => {
      const before = gw.site.snapshot().relays[1].on;
      const audited: string[] = [];
      const off = gw.site.subscribe((e) => { if (e.type === 'command') audited.push(e.command.type); });
      const r = await call('PUT', '/api/relays/2', { ...as('viewer'), body: { on: !before } });
      off();
      expect(r.status).toBe(403);
      expect(r.body).toEqual({ error: { code: 'forbidden', message: expect.stringContaining('needs the operator role; user viewer has the viewer role') } });
      expect(gw.site.snapshot().relays[1].on).toBe(before);
      expect(audited).toEqual([]);
    });

    it('lets an operator switch a relay, audited with user and address', async () => {
      const events: { principal?: string; remote?: string; protocol: string }[] = [];
      const off = gw.site.subscribe((e) => { if (e.type === 'command') events.push(e.origin); });
      const r = await call('PUT', '/api/relays/2', { ...as('operator'), body: { on: true } });
      off();
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ ok: true, message: 'relay 2 on' });
      expect(gw.site.snapshot().relays[1].on).toBe(true);
      expect(events).toEqual([{ protocol: 'http', principal: 'operator', remote: expect.stringMatching(/^127\.0\.0\.1:\d+$/) }]);
      await call('PUT', '/api/relays/2', { ...as('operator'), body: { on: false } });
    });

    it('lets an operator set thresholds and acknowledge alarms, a viewer neither', async () => {
      const r = await call('PATCH', '/api/thresholds/moduleTemperature', { ...as('operator'), body: { warnHigh: 41.5 } });
      expect(r.status).toBe(200);
      expect(gw.site.snapshot().thresholds.moduleTemperature.warnHigh).toBe(41.5);
      expect((await call('PATCH', '/api/thresholds/moduleTemperature', { ...as('viewer'), body: { warnHigh: 1 } })).status).toBe(403);
      gw.site.reconcileAlarms('http-test', [{ kind: 'sensor-high', severity: 'warning', entity: { kind: 'sensor', id: 1 }, message: 'Room temperature high', value: 31, limit: 30 }]);
      const alarm = gw.site.snapshot().alarms.find((a) => a.origin === 'http-test')!;
      expect((await call('POST', `/api/alarms/${alarm.id}/acknowledge`, as('viewer'))).status).toBe(403);
      const ack = await call('POST', `/api/alarms/${alarm.id}/acknowledge`, as('operator'));
      expect(ack.status).toBe(200);
      expect(gw.site.snapshot().alarms.find((a) => a.id === alarm.id)!.acknowledged).toMatchObject({ by: 'operator' });
      gw.site.reconcileAlarms('http-test', []);
      const history = (await call('GET', '/api/alarms/history', as('viewer'))).body as { entries: { alarmId: number; action: string }[] };
      expect(history.entries.filter((e) => e.alarmId === alarm.id).map((e) => e.action)).toEqual(gw.deps.history ? expect.arrayContaining(['raised', 'cleared']) : ['cleared', 'raised']);
    });

    it('keeps UPS and module commands for admins', async () => {
      const r = await call('POST', '/api/ups/test', { ...as('operator'), body: { test: 'quick' } });
      expect(r.status).toBe(403);
      const settings = await call('PATCH', '/api/ups/settings', { ...as('admin'), body: { attachedDevices: 'rack 4' } });
      expect(settings.status).toBe(200);
      expect(gw.site.snapshot().ups!.ident.attachedDevices).toBe('rack 4');
      const generic = await call('POST', '/api/commands', { ...as('operator'), body: { type: 'module', action: 'identify', string: 1, module: 2 } });
      expect(generic.body).toMatchObject({ error: { code: 'forbidden', message: 'module needs the admin role; user operator has the operator role' } });
      expect((await call('POST', '/api/strings/1/modules/2/actions', { ...as('admin'), body: { action: 'identify' } })).body).toEqual({ ok: true, message: 'identify sent to S01-M02' });
    });
  });

  describe('alarm actions', () => {
    it('lists the actions taken on an alarm, as the action record has them', async () => {
      expect(gw.deps.actions).toBeDefined();
      const before = ((await call('GET', '/api/actions', as('viewer'))).body as { id: number }[]).map((e) => e.id);
      gw.site.reconcileAlarms('http-test', [{ kind: 'input-active', severity: 'critical', entity: { kind: 'input', id: 3 }, message: 'Fire panel alarm', value: 1, limit: null }]);
      const entry = await waitFor(async () => ((await call('GET', `/api/actions?afterId=${Math.max(0, ...before)}`, as('viewer'))).body as { type: string; destination: string; alarm: { message: string }; outcome: string }[])
        .find((e) => e.type === 'relay' && e.alarm.message === 'Fire panel alarm'), 5000, 'the beacon relay action');
      expect(entry).toMatchObject({ destination: 'relay 4', outcome: 'ok' });
      gw.site.reconcileAlarms('http-test', []);
      await waitFor(() => !gw.site.snapshot().relays[3].on, 5000, 'the beacon relay off after the clear');
    });
  });

  describe('bad input', () => {
    const bad = (r: Answer) => [r.status, (r.body as { error: { field?: string } }).error.field];

    it('answers 400 naming the field', async () => {
      const op = as('operator');
      expect(bad(await call('PUT', '/api/relays/2', { ...op, body: { on: 'yes' } }))).toEqual([400, 'on']);
      expect(bad(await call('PUT', '/api/relays/2', { ...op, body: {} }))).toEqual([400, 'on']);
      expect(bad(await call('PUT', '/api/relays/2', { ...op, body: { on: true, colour: 'red' } }))).toEqual([400, 'colour']);
      expect(bad(await call('PUT', '/api/relays/two', { ...op, body: { on: true } }))).toEqual([400, 'id']);
      expect(bad(await call('PATCH', '/api/thresholds/moduleVoltage', { ...op, body: { warnHigh: 'high' } }))).toEqual([400, 'warnHigh']);
      expect(bad(await call('PATCH', '/api/thresholds/batteryColour', { ...op, body: { warnHigh: 1 } }))).toEqual([400, 'key']);
      expect(bad(await call('POST', '/api/commands', { ...op, body: { type: 'set-relay', relay: 2, on: 'yes' } }))).toEqual([400, 'on']);
      expect(bad(await call('GET', '/api/alarms/history?from=yesterday', as('viewer')))).toEqual([400, 'from']);
      const msg = (await call('PUT', '/api/relays/2', { ...op, body: { on: 'yes' } })).body;
      expect(msg).toEqual({ error: { code: 'invalid', message: 'body on must be boolean', field: 'on' } });
    });

    it('answers 404 naming the field for things that do not exist, and keeps relays as they were', async () => {
      const before = gw.site.snapshot().relays.map((r) => r.on);
      expect((await call('PUT', '/api/relays/9', { ...as('operator'), body: { on: true } })).body).toEqual({ error: { code: 'not-found', message: 'relay 9 does not exist (valid: 1..4)', field: 'relay' } });
      expect(gw.site.snapshot().relays.map((r) => r.on)).toEqual(before);
      expect((await call('POST', '/api/alarms/999999/acknowledge', as('operator'))).status).toBe(404);
    });

    it('answers malformed JSON, a wrong media type and a huge body with 4xx JSON', async () => {
      const r = await call('PUT', '/api/relays/2', { ...as('operator'), raw: '{"on": tru' });
      expect([r.status, (r.body as { error: { code: string } }).error.code]).toEqual([400, 'invalid-json']);
      const text = await fetch(`${base}/api/relays/2`, { method: 'PUT', headers: { authorization: `Bearer ${tokens.operator}`, 'content-type': 'text/plain' }, body: 'on' });
      expect(text.status).toBe(415);
      const huge = await call('PUT', '/api/relays/2', { ...as('operator'), raw: JSON.stringify({ on: true, pad: 'x'.repeat(100_000) }) });
      expect(huge.status).toBe(413);
      expect((await call('GET', '/health')).status).toBe(200);
    });

    it('survives 200 random requests on raw sockets and keeps serving', async () => {
      let seed = 7;
      const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      const port = Number(new URL(base).port);
      const shapes = [
        () => Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 600) }, () => Math.floor(rand() * 256))),
        () => Buffer.from(`${['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'BREW'][Math.floor(rand() * 6)]} /api/${['relays/2', 'login', 'live', 'strings/1', '%zz', '../../etc/passwd'][Math.floor(rand() * 6)]} HTTP/1.1\r\nHost: x\r\nContent-Length: ${Math.floor(rand() * 50)}\r\nContent-Type: application/json\r\n\r\n{"on":${rand()}`),
        () => Buffer.from(`GET /health HTTP/1.1\r\n${'X-A: b\r\n'.repeat(Math.floor(rand() * 3000))}\r\n`),
      ];
      await Promise.all(Array.from({ length: 200 }, () => new Promise<void>((resolve) => {
        const sock = connect(port, '127.0.0.1', () => { sock.end(shapes[Math.floor(rand() * shapes.length)]()); });
        sock.on('data', () => undefined);
        sock.on('error', () => resolve());
        sock.on('close', () => resolve());
        sock.setTimeout(3000, () => sock.destroy());
      })));
      expect((await call('GET', '/health')).status).toBe(200);
      expect(((await call('GET', '/api/me', as('viewer'))).body as { name: string }).name).toBe('viewer');
      expect(gw.site.snapshot().relays.map((r) => r.on)).toEqual([false, false, false, false]);
    });

    it('answers garbage on the socket with 400 and keeps serving', async () => {
      const reply = await new Promise<string>((resolve) => {
        const sock = connect(Number(new URL(base).port), '127.0.0.1', () => sock.write('\x16\x03\x01\x02\x00GARBAGE / HTTP/9\r\n\r\n'));
        let data = '';
        sock.on('data', (d) => (data += d));
        sock.on('close', () => resolve(data));
        sock.on('error', () => resolve(data));
      });
      expect(reply).toMatch(/^HTTP\/1\.1 400/);
      expect((await call('GET', '/health')).status).toBe(200);
    });

  });

  describe('server-sent events', () => {
    it('delivers a live value change', async () => {
      const ctrl = new AbortController();
      const res = await fetch(`${base}/api/live?snapshot=false`, { headers: { authorization: `Bearer ${tokens.viewer}` }, signal: ctrl.signal });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const reader = res.body!.getReader();
      let text = '';
      const until = async (re: RegExp) => {
        while (!re.test(text)) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`stream ended before ${re}: ${text}`);
          text += Buffer.from(value).toString('utf8');
        }
        return re.exec(text)!;
      };
      await until(/event: hello\n/);
      gw.site.update((tx) => tx.moduleReadings(7, { voltageV: 13.777 }));
      const m = await until(/event: values\nid: \d+\ndata: (.*)\n\n/);
      const data = JSON.parse(m[1]) as { changes: { id: string; field: string; value: number; quality: string }[] };
      expect(data.changes).toContainEqual(expect.objectContaining({ id: 'string/1/module/7', field: 'voltageV', value: 13.777, quality: 'fresh' }));
      text = '';
      gw.site.reconcileAlarms('http-test', [{ kind: 'input-active', severity: 'warning', entity: { kind: 'input', id: 2 }, message: 'Room door open', value: 1, limit: null }]);
      const a = JSON.parse((await until(/event: alarm\nid: \d+\ndata: (.*)\n\n/))[1]) as { action: string; alarm: { message: string } };
      expect(a).toMatchObject({ action: 'raised', alarm: { message: 'Room door open' } });
      gw.site.reconcileAlarms('http-test', []);
      ctrl.abort();
    });

    it('drops a client that does not read, without slowing the site', async () => {
      const metric = async () => Number(/kirchhoff_http_live_dropped_total (\d+)/.exec((await call('GET', '/metrics', as('viewer'))).text)![1]);
      const dropped = await metric();
      const sock = connect(Number(new URL(base).port), '127.0.0.1');
      await new Promise((r) => sock.once('connect', r));
      sock.write(`GET /api/live HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tokens.viewer}\r\n\r\n`);
      sock.pause();
      const closed = new Promise<void>((r) => sock.once('close', () => r()));
      sock.on('error', () => undefined);
      // Each round sends a values batch of 40 modules and an alarm event; the paused reader's
      // kernel buffers fill, then its queue passes http.live.maxQueueKiB (64 KiB).
      const started = Date.now();
      let rounds = 0;
      while ((await metric()) === dropped && Date.now() - started < 20_000) {
        for (let i = 0; i < 50; i++, rounds++) {
          gw.site.update((tx) => { for (let g = 1; g <= 40; g++) tx.moduleReadings(g, { voltageV: 13 + ((rounds + g) % 100) / 1000, temperatureC: 20 + (rounds % 7) }); });
          gw.site.reconcileAlarms('http-test', rounds % 2 ? [] : [{ kind: 'input-active', severity: 'warning', entity: { kind: 'input', id: 2 }, message: 'Room door open', value: 1, limit: null }]);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      gw.site.reconcileAlarms('http-test', []);
      expect(await metric()).toBe(dropped + 1);
      sock.resume();
      await closed;
      expect(logger.lines.some((l) => String(l.msg).includes('dropped: more than 64 KiB unread'))).toBe(true);
      expect((await call('GET', '/health')).status).toBe(200);
    });
  });

  describe('/metrics and /openapi.json', () => {
    it('serves Prometheus text that parses', async () => {
      expect((await call('GET', '/metrics')).status).toBe(401);
      const r = await call('GET', '/metrics', as('viewer'));
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const families = parsePrometheus(r.text);
      gw.site.update((tx) => tx.bus({ requests: 1234 }));
      const again = parsePrometheus((await call('GET', '/metrics', as('viewer'))).text);
      expect(again.get('kirchhoff_bus_requests_total')).toEqual({ type: 'counter', samples: [{ labels: '', value: 1234 }] });
      const alarms = families.get('kirchhoff_alarms_active')!;
      expect(alarms.samples.map((s) => s.labels)).toEqual(['{severity="warning"}', '{severity="alarm"}', '{severity="critical"}']);
      const snap = gw.site.snapshot();
      expect(alarms.samples.reduce((n, s) => n + s.value, 0)).toBe(snap.alarms.length);
      expect(families.get('kirchhoff_adapter_clients')!.samples).toContainEqual({ labels: '{adapter="http"}', value: expect.any(Number) });
      const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
      expect(families.get('kirchhoff_build_info')!.samples).toEqual([{ labels: `{version="${pkg.version}"}`, value: 1 }]);
      const started = families.get('process_start_time_seconds')!.samples[0].value;
      expect(Math.abs(started - (Date.now() / 1000 - process.uptime()))).toBeLessThan(5);
      for (const name of ['kirchhoff_bus_timeouts_total', 'kirchhoff_bus_crc_errors_total', 'kirchhoff_adapter_clients', 'kirchhoff_string_voltage_volts', 'process_resident_memory_bytes']) expect(families.has(name)).toBe(true);
    });

    it('serves its OpenAPI document, listing every route', async () => {
      const r = await call('GET', '/openapi.json');
      const doc = r.body as { openapi: string; paths: Record<string, Record<string, unknown>> };
      expect(doc.openapi).toBe('3.1.0');
      expect(Object.keys(doc.paths['/api/relays/{id}'])).toEqual(['get', 'put']);
    });

    it('answers curl as documented in the README', async () => {
      const login = await run('curl', ['-sS', '-X', 'POST', '-H', 'content-type: application/json', '-d', JSON.stringify({ username: 'viewer', password: password('viewer') }), `${base}/api/login`]);
      const token = (JSON.parse(login.stdout) as { token: string }).token;
      const out = await run('curl', ['-sS', '-H', `Authorization: Bearer ${token}`, `${base}/api/strings/1/modules/7`]);
      expect((JSON.parse(out.stdout) as { label: string }).label).toBe('S01-M07');
      const basic = await run('curl', ['-sS', '-u', `viewer:${password('viewer')}`, `${base}/metrics`]);
      expect(basic.stdout).toContain('# TYPE kirchhoff_bus_requests_total counter');
    });
  });
  // Issue 19, points 5 and 6: 60 parallel wrong logins from one address all got 401 (the limit was
  // checked before the scrypt and counted after it), and each was an audit row.
  describe('parallel wrong logins', () => {
    it('answers 10 of 60 parallel wrong logins from one address with 401 and the other 50 with 429; audits them in one row', async () => {
      const { request } = await import('node:http');
      const port = Number(new URL(base).port);
      const login = (i: number) => new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, localAddress: '127.0.0.3', path: '/api/login', method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        });
        req.on('error', reject);
        req.end(JSON.stringify({ username: 'operator', password: `guess-${i}` }));
      });
      const since = Date.now();
      const statuses = await Promise.all(Array.from({ length: 60 }, (_, i) => login(i)));
      expect(statuses.filter((x) => x === 401)).toHaveLength(10);
      expect(statuses.filter((x) => x === 429)).toHaveLength(50);
      const audit = await call('GET', '/api/audit?kind=auth', as('admin'));
      expect(audit.status).toBe(200);
      // The demo's data logger keeps earlier runs' rows: only this run's count.
      expect((audit.body as { remote: string | null; atMs: number }[]).filter((r) => r.remote?.startsWith('127.0.0.3') && r.atMs >= since)).toHaveLength(1);
    });
  });

  // Issue 19 point 8: failed Basic-auth attempts were neither limited with the logins nor audited.
  describe('wrong HTTP Basic credentials', () => {
    it('count against the login limit of the address (429 after 10, for POST /api/login too) and are audited like refused logins, in one row', async () => {
      const { request } = await import('node:http');
      const port = Number(new URL(base).port);
      const send = (path: string, headers: Record<string, string>, body?: string) => new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, localAddress: '127.0.0.4', path, method: body ? 'POST' : 'GET', headers }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        });
        req.on('error', reject);
        req.end(body);
      });
      const since = Date.now();
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push(await send('/api/me', { authorization: `Basic ${Buffer.from(`viewer:guess-${i}`).toString('base64')}` }));
      expect(statuses).toEqual([...Array(10).fill(401), 429, 429]);
      // The right password does not get past the limit, by Basic or by a login.
      expect(await send('/api/me', { authorization: `Basic ${Buffer.from(`viewer:${password('viewer')}`).toString('base64')}` })).toBe(429);
      expect(await send('/api/login', { 'content-type': 'application/json' }, JSON.stringify({ username: 'viewer', password: password('viewer') }))).toBe(429);
      const audit = await call('GET', '/api/audit?kind=auth', as('admin'));
      const rows = (audit.body as { remote: string | null; atMs: number; principal: string; outcome: string; error: string | null }[]).filter((r) => r.remote?.startsWith('127.0.0.4') && r.atMs >= since);
      // The first refusal at once; the other 13 become one summary row at the end of the minute.
      expect(rows).toEqual([expect.objectContaining({ principal: 'viewer', outcome: 'rejected', error: 'HTTP Basic: wrong user name or password' })]);
    });
  });

  // Last: it locks 127.0.0.1 out of logins for the rest of the run.
  describe('login limit', () => {
    it('limits failed logins per address', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await call('POST', '/api/login', { body: { username: 'admin', password: `guess-${i}` } })).status);
      // 10 failures in 5 minutes (the earlier tests made some), then 429 until the window passes.
      const first429 = statuses.indexOf(429);
      expect(first429).toBeGreaterThan(0);
      expect(statuses.slice(0, first429).every((s) => s === 401)).toBe(true);
      expect(statuses.slice(first429).every((s) => s === 429)).toBe(true);
      const last = await call('POST', '/api/login', { body: { username: 'admin', password: password('admin') } });
      expect(last.status).toBe(429);
      expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
    });
  });
});

interface Family { type: string; samples: { labels: string; value: number }[] }

/** A strict reader of the text exposition format 0.0.4: every line a comment or a sample. */
function parsePrometheus(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  expect(text.endsWith('\n')).toBe(true);
  const name = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const labels = `\\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\["\\\\n])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\["\\\\n])*")*)?\\}`;
  const sample = new RegExp(`^(${name})(${labels})? (-?[0-9.e+-]+|NaN|[+-]Inf)$`);
  let current = '';
  for (const line of text.slice(0, -1).split('\n')) {
    const help = new RegExp(`^# HELP (${name}) .+$`).exec(line);
    const type = new RegExp(`^# TYPE (${name}) (counter|gauge|histogram|summary|untyped)$`).exec(line);
    const s = sample.exec(line);
    if (help) continue;
    if (type) {
      expect(families.has(type[1])).toBe(false);
      current = type[1];
      families.set(current, { type: type[2], samples: [] });
    } else if (s) {
      expect(s[1]).toBe(current);
      families.get(current)!.samples.push({ labels: s[2] ?? '', value: Number(s[3]) });
    } else {
      throw new Error(`not Prometheus text: ${JSON.stringify(line)}`);
    }
  }
  return families;
}
