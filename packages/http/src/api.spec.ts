// The HTTP API without a gateway and without a socket: createHttpApi over a fixture site, with the
// gateway's services as in-memory fakes, driven through Fastify's app.inject(). What a client sees:
// status codes, error codes, bodies, headers, and what reached the command interface and the fakes.
import type { EventRecord, HistoryStore, NewAudit } from '@kirchhoff/history';
import { createHttpApi, type HttpApi } from './server';
import { DEMO_HTTP_USERS } from './demo-users';
import type { HttpApiConfig, HttpApiOptions } from './options';
import type { HealthApi, NutApi } from './services';
import { fixtureCommands, fixtureSite } from './__fixtures__/site';

const CONFIG: HttpApiConfig = {
  host: '127.0.0.1', port: 0, tls: { cert: '', key: '', minVersion: 'TLSv1.2' }, users: DEMO_HTTP_USERS,
  maxConnections: 16, maxConnectionsPerAddress: 8, sessionTtlMin: 60, sessionMaxLifetimeH: 24, maxSessionsPerUser: 4, metricsPublic: false,
  live: { batchMs: 250, maxQueueKiB: 1024, maxClients: 2 },
};
const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const password = (name: string) => DEMO_HTTP_USERS.find((u) => u.name === name)!.password;

async function build(extra: Partial<HttpApiOptions> = {}) {
  const site = fixtureSite();
  const { commands, executed } = fixtureCommands(site);
  const api = await createHttpApi({ config: CONFIG, site, commands, logger: quiet, version: '9.9.9-test', webPages: false, ...extra });
  return { api, site, executed };
}

async function token(api: HttpApi, name: string): Promise<string> {
  const r = await api.app.inject({ method: 'POST', url: '/api/login', payload: { username: name, password: password(name) } });
  expect(r.statusCode).toBe(200);
  return (r.json() as { token: string }).token;
}
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe('HTTP API over app.inject()', () => {
  let api: HttpApi | null = null;
  afterEach(async () => {
    await api?.close();
    api = null;
  });

  it('answers /health without a login, with the version it was given', async () => {
    ({ api } = await build());
    const r = await api.app.inject({ method: 'GET', url: '/health' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ status: 'ok', reasons: [], version: '9.9.9-test' });
    expect(r.headers['x-content-type-options']).toBe('nosniff');
  });

  it('refuses the site without a login (401 and how to log in), serves it with a session token', async () => {
    ({ api } = await build());
    const anon = await api.app.inject({ method: 'GET', url: '/api/strings' });
    expect(anon.statusCode).toBe(401);
    expect(anon.headers['www-authenticate']).toContain('Bearer');
    expect(anon.json()).toMatchObject({ error: { code: 'unauthorized' } });
    const r = await api.app.inject({ method: 'GET', url: '/api/strings', headers: bearer(await token(api, 'viewer')) });
    expect(r.statusCode).toBe(200);
    expect((r.json() as { socPercent: { value: number } }[]).map((s) => s.socPercent.value)).toEqual([98.6, 97.2]);
    const missing = await api.app.inject({ method: 'GET', url: '/api/strings/3', headers: bearer(await token(api, 'viewer')) });
    expect(missing.statusCode).toBe(404);
  });

  it('lets an operator switch a relay through the command interface, as that user over http; a viewer gets 403', async () => {
    let executed;
    ({ api, executed } = await build());
    const viewer = await api.app.inject({ method: 'PUT', url: '/api/relays/1', headers: bearer(await token(api, 'viewer')), payload: { on: true } });
    expect(viewer.statusCode).toBe(403);
    expect(viewer.json()).toMatchObject({ error: { code: 'forbidden' } });
    const bad = await api.app.inject({ method: 'PUT', url: '/api/relays/1', headers: bearer(await token(api, 'operator')), payload: { on: 'yes' } });
    expect(bad.statusCode).toBe(400);
    const r = await api.app.inject({ method: 'PUT', url: '/api/relays/1', headers: bearer(await token(api, 'operator')), payload: { on: true } });
    expect(r.statusCode).toBe(200);
    expect(executed).toEqual([{ command: { type: 'set-relay', relay: 1, on: true }, principal: 'operator', protocol: 'http' }]);
  });

  it('says which service is missing (no data logger, no health engine) instead of failing', async () => {
    ({ api } = await build());
    const t = bearer(await token(api, 'viewer'));
    expect((await api.app.inject({ method: 'GET', url: '/api/events', headers: t })).json()).toMatchObject({ error: { code: 'no-logger' } });
    expect((await api.app.inject({ method: 'GET', url: '/api/battery/health', headers: t })).json()).toMatchObject({ error: { code: 'no-engines' } });
    expect((await api.app.inject({ method: 'GET', url: '/api/actions', headers: t })).json()).toMatchObject({ error: { code: 'no-actions' } });
    expect((await api.app.inject({ method: 'GET', url: '/api/nut', headers: t })).json()).toEqual({ enabled: false, ups: [], connections: 0 });
  });

  it('reads the injected data logger, and audits logins and commands into it', async () => {
    const audit: NewAudit[] = [];
    const event: EventRecord = { id: 7, atMs: Date.UTC(2026, 0, 5), category: 'gateway', action: 'started', severity: 'info', entity: null, message: 'gateway started', alarmId: null, alarmKind: null, detail: null };
    const history = {
      events: async () => [event],
      recordAudit: (entry: NewAudit) => audit.push(entry),
      stats: () => ({ lagMs: 1500 }),
    } as unknown as HistoryStore;
    const fsd: string[] = [];
    const nut: NutApi = { upsNames: ['kirchhoff'], fsd: () => fsd.length > 0, setFsd: (_u, by) => fsd.push(by), clearFsd: () => {}, connections: () => 3 };
    ({ api } = await build({ services: { history, nut } }));
    const t = bearer(await token(api, 'operator'));
    const events = await api.app.inject({ method: 'GET', url: '/api/events', headers: t });
    expect(events.statusCode).toBe(200);
    expect(events.json()).toEqual([event]);
    const r = await api.app.inject({ method: 'POST', url: '/api/nut/fsd', headers: t, payload: { on: true } });
    expect(r.statusCode).toBe(200);
    expect(fsd).toEqual(['operator (HTTP API)']);
    expect((await api.app.inject({ method: 'GET', url: '/api/nut', headers: t })).json()).toEqual({ enabled: true, ups: [{ name: 'kirchhoff', fsd: true }], connections: 3 });
    expect(audit.map((a) => [a.kind, a.action, a.outcome, a.principal])).toEqual([['auth', 'login', 'ok', 'operator'], ['command', 'nut-fsd', 'ok', 'operator']]);
  });

  it('starts a capacity test on the injected health engine; one already running is 409 busy', async () => {
    const started: unknown[] = [];
    const health: HealthApi = {
      snapshot: () => ({ strings: [] }), block: () => null, abortTest: () => false, blockReplaced: () => {},
      startTest: (request) => {
        if (started.length) throw Object.assign(new Error('a capacity test is already running: abort it first'), { code: 'health.test-running' });
        started.push(request);
        return { state: 'waiting' };
      },
    };
    ({ api } = await build({ services: { health } }));
    const t = bearer(await token(api, 'admin'));
    const first = await api.app.inject({ method: 'POST', url: '/api/battery/tests', headers: t, payload: { strings: [2], maxHours: 2 } });
    expect(first.statusCode).toBe(200);
    expect(started).toEqual([{ trigger: 'api', strings: [2], by: 'admin', options: { endVoltsPerCell: undefined, maxDurationS: 7200 } }]);
    const second = await api.app.inject({ method: 'POST', url: '/api/battery/tests', headers: t, payload: {} });
    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({ error: { code: 'busy', message: 'a capacity test is already running: abort it first' } });
  });

  it('serves /metrics to a viewer with HTTP Basic: the version, the injected adapters\' clients and the logger lag', async () => {
    const history = { stats: () => ({ lagMs: 1500 }) } as unknown as HistoryStore;
    ({ api } = await build({ services: { history, adapterClients: () => ({ modbus: 2 }) } }));
    const basic = `Basic ${Buffer.from(`viewer:${password('viewer')}`).toString('base64')}`;
    const r = await api.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: basic } });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('text/plain; version=0.0.4');
    expect(r.body).toContain('kirchhoff_build_info{version="9.9.9-test"} 1');
    expect(r.body).toMatch(/\nkirchhoff_adapter_clients\{adapter="modbus"\} 2\n/);
    expect(r.body).toMatch(/\nkirchhoff_logger_lag_seconds 1\.5\n/);
  });

  it('shows admins the configuration it is given with its secrets redacted, and the notices it is given', async () => {
    const configuration = { http: CONFIG, mqtt: { url: 'mqtt://user:secret@broker.example:1883/x', password: 'hunter2' } };
    ({ api } = await build({ configuration: () => configuration, notices: () => [{ id: 'test-notice', severity: 'warning', key: 'x', message: 'from the gateway' }] }));
    const t = bearer(await token(api, 'admin'));
    const r = (await api.app.inject({ method: 'GET', url: '/api/config', headers: t })).json() as { http: { users: { passwordHash: string }[] }; mqtt: { url: string; password: string } };
    expect(r.http.users.map((u) => u.passwordHash)).toEqual(['(set)', '(set)', '(set)']);
    expect(r.mqtt).toEqual({ url: 'mqtt://broker.example:1883/(hidden)', password: '(set)' });
    expect((await api.app.inject({ method: 'GET', url: '/api/security', headers: t })).json()).toEqual({ notices: [{ id: 'test-notice', severity: 'warning', key: 'x', message: 'from the gateway' }] });
  });

  it('serves the web pages from the package with their security headers', async () => {
    ({ api } = await build({ webPages: true }));
    const r = await api.app.inject({ method: 'GET', url: '/' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('text/html');
    expect(r.headers['content-security-policy']).toContain("default-src 'none'");
    expect(r.body).toContain('<html');
  });
});
