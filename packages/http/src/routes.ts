// The HTTP API's route table: method, path, who may call it, request schemas and the handler.
// The server registers these routes and the OpenAPI document is generated from the same table.
import { ALARM_KIND_NAMES, Command, Site, ThresholdKey, moduleLabel } from '@kirchhoff/core';
import type { FastifyRequest } from 'fastify';
import type { ActionsApi } from './services';
import { CSV_WHATS, CsvWhat, EVENT_CATEGORIES, historyCsv, type AuditQuery, type EventQuery } from '@kirchhoff/history';
import { roleAtLeast as roleOk } from './auth';
import { ApiError } from './errors';
import { COMMAND, JsonSchema, LOGIN, MODULE_ACTION, NUT_FSD, P, params, ref, RELAY_SET, THRESHOLD_PATCH, TIME, UPS_CONTROL, UPS_SETTINGS, UPS_TEST } from './schemas';
import { fromLogger, fromMemory, historyStore, timeRange } from './history';
import { Readable } from 'node:stream';
import { BATTERY_ROUTES } from './battery-routes';
import { LIFE_ROUTES } from './life-routes';

export { ANSWERED, COMMAND_ROLES, submit } from './api';
export type { Access, ApiContext, ApiRequest, Route } from './api';
import { ANSWERED, COMMAND_ROLES, submit, type ApiContext, type ApiRequest, type Route } from './api';

const notFound = (what: string) => new ApiError(404, 'not-found', what);
const intParam = (req: ApiRequest, name: string) => req.params[name] as number;

function stringOf(site: Site, n: number) {
  const snap = site.snapshot();
  const s = snap.strings[n - 1];
  if (!s) throw new ApiError(404, 'not-found', `string ${n} does not exist (valid: 1..${snap.strings.length})`, 'string');
  return s;
}
function modulesOf(site: Site, n: number) {
  const s = stringOf(site, n);
  return site.snapshot().modules.slice(s.firstGlobal - 1, s.firstGlobal - 1 + s.moduleCount);
}
function byId<T extends { id: number }>(list: readonly T[], id: number, what: string): T {
  const x = list[id - 1];
  if (!x) throw new ApiError(404, 'not-found', `${what} ${id} does not exist (valid: ${list.length ? `1..${list.length}` : 'none configured'})`, 'id');
  return x;
}

const serialized = new WeakMap<Site, { version: number; json: string }>();
/** The snapshot as JSON, serialized once per site version (pages poll it; it is 250 KiB at 512 modules). */
export function snapshotJson(site: Site): string {
  const snap = site.snapshot();
  let hit = serialized.get(site);
  if (hit?.version !== snap.version) serialized.set(site, (hit = { version: snap.version, json: JSON.stringify(snap) }));
  return hit.json;
}

const SECRET_KEYS = /^(password|passwordHash|token|secret|hmacKey|authKey|privKey|dccPassword|community)$/i;

/**
 * The configuration with every secret replaced by "(set)", for admins: passwords, hashes, tokens,
 * keys, communities; URLs keep only scheme, host and port (webhook paths and user info can be
 * credentials).
 */
export function redacted(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => redacted(v, key === 'communities' ? 'community' : ''));
  if (value && typeof value === 'object') {
    if (key === 'community' && 'name' in value) return { ...redacted(value) as object, name: '(set)' };
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redacted(v, k)]));
  }
  if (typeof value !== 'string' || value === '') return value;
  if (SECRET_KEYS.test(key)) return '(set)';
  if (/^url$/i.test(key)) {
    try {
      const u = new URL(value);
      return `${u.protocol}//${u.host}${u.pathname === '/' && !u.search && !u.username ? '/' : '/(hidden)'}`;
    } catch {
      return '(set)';
    }
  }
  return value;
}

const ok = (d: string, schema?: JsonSchema) => ({ description: d, ...(schema ? { schema } : {}) });
const listOf = (name: string) => ({ type: 'array', items: ref(name) }) as const;

const DAY_MS = 86_400_000;
const ENTITY = '^(site|ups|string/[0-9]{1,2}(/module/[0-9]{1,3})?|(sensor|input|relay)/[0-9]{1,2})$';
const LOG_QUERY: Record<string, JsonSchema> = {
  from: TIME, to: TIME,
  order: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
  afterId: { type: 'integer', minimum: 0 }, beforeId: { type: 'integer', minimum: 1 },
  limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 500 },
};

export const ROUTES: readonly Route[] = [
  // --- service ------------------------------------------------------------------------------
  {
    method: 'GET', path: '/health', tag: 'service', access: 'public', summary: 'Liveness and a one-word state',
    description: 'No login needed. status is ok, or degraded while the battery bus or the UPS does not answer, or no module reading is fresh. version is the software version; modelVersion counts changes of the site model.',
    response: ok('The state.', { type: 'object', properties: { status: { type: 'string', enum: ['ok', 'degraded'] }, reasons: { type: 'array', items: { type: 'string' } }, uptimeS: { type: 'number' }, version: { type: 'string' }, modelVersion: { type: 'number' } } }),
    handler: ({ site, version }) => {
      const snap = site.snapshot();
      const reasons: string[] = [];
      for (const a of snap.alarms) if (a.kind === 'bus-failure' || a.kind === 'ups-communication-lost') reasons.push(a.message);
      if (snap.modules.length && !snap.modules.some((m) => m.voltageV.quality === 'fresh')) reasons.push('no fresh module reading');
      return { status: reasons.length ? 'degraded' : 'ok', reasons, uptimeS: Math.round((site.now() - snap.startedAtMs) / 1000), version, modelVersion: snap.version };
    },
  },
  {
    method: 'GET', path: '/openapi.json', tag: 'service', access: 'public', summary: 'This API as an OpenAPI 3.1 document',
    response: ok('The document.', { type: 'object' }), handler: (ctx) => ctx.openapi(),
  },
  {
    method: 'GET', path: '/metrics', tag: 'service', access: 'metrics', summary: 'Prometheus metrics',
    description: 'Text exposition format 0.0.4: bus counters, active alarms by severity, string and module values (kirchhoff_module_voltage_volts{string,module}, temperatures, Ri, SoC as 0..1), UPS, sensors, relays, clients, hostile or broken input per adapter and kind (kirchhoff_problems_total), logger lag, process figures. Needs a viewer login (Basic or Bearer) unless http.metricsPublic.',
    response: { description: 'The metrics.', contentType: 'text/plain; version=0.0.4' },
    handler: (ctx, req) => {
      req.reply.type('text/plain; version=0.0.4; charset=utf-8');
      return ctx.metrics();
    },
  },
  // --- login --------------------------------------------------------------------------------
  {
    method: 'POST', path: '/api/login', tag: 'auth', access: 'public', summary: 'Log in: a session token (audited)',
    description: 'Answers a token to send as `Authorization: Bearer TOKEN`, and sets it as an HttpOnly cookie for browsers. Wrong credentials: 401; too many failures from one address: 429. The answer lists the security notices.',
    body: LOGIN, response: ok('The session.', ref('Session')),
    handler: async (ctx, req) => {
      const { username, password } = req.body as { username: string; password: string };
      let done;
      try {
        done = await ctx.auth.login(username, password, req.raw.ip);
      } catch (e) {
        ctx.refusedLogin(username, req.raw.ip, req.remote, (e as Error).message);
        throw e;
      }
      if (!done) {
        ctx.refusedLogin(username, req.raw.ip, req.remote, 'wrong user name or password');
        throw new ApiError(401, 'unauthorized', 'wrong user name or password');
      }
      ctx.services.history?.recordAudit({ kind: 'auth', action: 'login', outcome: 'ok', protocol: 'http', principal: username, remote: req.remote, error: null });
      req.reply.header('set-cookie', `kirchhoff_session=${done.token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${ctx.config.sessionTtlMin * 60}${ctx.tls ? '; Secure' : ''}`);
      return { token: done.token, expiresAtMs: done.session.expiresMs, user: { name: done.session.name, role: done.session.role }, notices: ctx.notices() };
    },
  },
  {
    method: 'POST', path: '/api/logout', tag: 'auth', access: 'viewer', summary: 'End this session',
    response: ok('Logged out.', { type: 'object', properties: { ok: { type: 'boolean' } } }),
    handler: (ctx, req) => {
      const token = bearerOrCookie(req.raw);
      if (token) ctx.auth.logout(token);
      ctx.services.history?.recordAudit({ kind: 'auth', action: 'logout', outcome: 'ok', protocol: 'http', principal: req.user!.name, remote: req.remote, error: null });
      req.reply.header('set-cookie', 'kirchhoff_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0');
      return { ok: true };
    },
  },
  {
    method: 'GET', path: '/api/me', tag: 'auth', access: 'viewer', summary: 'Who is logged in, and the security notices',
    response: ok('The user.', { type: 'object', properties: { name: { type: 'string' }, role: { type: 'string' }, notices: { type: 'array', items: ref('Notice') } } }),
    handler: (ctx, req) => ({ name: req.user!.name, role: req.user!.role, notices: ctx.notices() }),
  },
  {
    method: 'GET', path: '/api/security', tag: 'auth', access: 'viewer', summary: 'Security notices (default passwords, v2c communities, unauthenticated shutdown messages, ...)',
    response: ok('The notices.', { type: 'object', properties: { notices: { type: 'array', items: ref('Notice') } } }),
    handler: (ctx) => ({ notices: ctx.notices() }),
  },
  {
    method: 'GET', path: '/api/users', tag: 'auth', access: 'admin', summary: 'Configured users and roles (never their hashes)',
    response: ok('The users.', { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, role: { type: 'string' }, defaultPassword: { type: 'boolean' } } } }),
    handler: (ctx) => ctx.auth.listUsers(),
  },
  {
    method: 'GET', path: '/api/config', tag: 'auth', access: 'admin', summary: 'The running configuration, secrets replaced by "(set)"',
    response: ok('The configuration.', { type: 'object' }), handler: (ctx) => redacted(ctx.configuration()),
  },
  // --- site ---------------------------------------------------------------------------------
  {
    method: 'GET', path: '/api/snapshot', tag: 'site', access: 'viewer', summary: 'The whole site at one version (all strings, modules, UPS, I/O, active alarms, thresholds)',
    response: ok('The snapshot.', ref('Snapshot')),
    handler: ({ site }, req) => {
      req.reply.type('application/json; charset=utf-8');
      return snapshotJson(site);
    },
  },
  {
    method: 'GET', path: '/api/site', tag: 'site', access: 'viewer', summary: 'Site identity, counts, bus counters and balancing state',
    response: ok('The site.', { type: 'object' }),
    handler: ({ site }) => {
      const s = site.snapshot();
      return {
        info: s.info, version: s.version, atMs: s.atMs, startedAtMs: s.startedAtMs, bus: s.bus, balancing: s.balancing,
        counts: { strings: s.strings.length, modules: s.modules.length, ups: s.ups ? 1 : 0, sensors: s.sensors.length, inputs: s.inputs.length, relays: s.relays.length, alarms: s.alarms.length },
      };
    },
  },
  {
    method: 'GET', path: '/api/strings', tag: 'site', access: 'viewer', summary: 'Every string\'s summary',
    response: ok('The strings.', listOf('String')), handler: ({ site }) => site.snapshot().strings,
  },
  {
    method: 'GET', path: '/api/strings/:string', tag: 'site', access: 'viewer', summary: 'A string with its modules',
    params: params({ string: P.string }), response: ok('The string.', ref('StringWithModules')),
    handler: ({ site }, req) => ({ ...stringOf(site, intParam(req, 'string')), modules: modulesOf(site, intParam(req, 'string')) }),
  },
  {
    method: 'GET', path: '/api/strings/:string/modules', tag: 'site', access: 'viewer', summary: 'A string\'s modules',
    params: params({ string: P.string }), response: ok('The modules.', listOf('Module')), handler: ({ site }, req) => modulesOf(site, intParam(req, 'string')),
  },
  {
    method: 'GET', path: '/api/strings/:string/modules/:module', tag: 'site', access: 'viewer', summary: 'One module by string and module number',
    params: params({ string: P.string, module: P.module }), response: ok('The module.', ref('Module')),
    handler: ({ site }, req) => {
      const mods = modulesOf(site, intParam(req, 'string'));
      const m = mods[intParam(req, 'module') - 1];
      if (!m) throw new ApiError(404, 'not-found', `module ${intParam(req, 'module')} does not exist in string ${intParam(req, 'string')} (valid: 1..${mods.length})`, 'module');
      return m;
    },
  },
  {
    method: 'GET', path: '/api/modules', tag: 'site', access: 'viewer', summary: 'Every module in global order',
    response: ok('The modules.', listOf('Module')), handler: ({ site }) => site.snapshot().modules,
  },
  {
    method: 'GET', path: '/api/modules/:global', tag: 'site', access: 'viewer', summary: 'One module by global number',
    params: params({ global: P.global }), response: ok('The module.', ref('Module')),
    handler: ({ site }, req) => {
      const mods = site.snapshot().modules;
      const m = mods[intParam(req, 'global') - 1];
      if (!m) throw new ApiError(404, 'not-found', `module ${intParam(req, 'global')} does not exist (valid: 1..${mods.length})`, 'global');
      return m;
    },
  },
  {
    method: 'GET', path: '/api/ups', tag: 'site', access: 'viewer', summary: 'The UPS (RFC 1628 groups)',
    response: ok('The UPS.', ref('Ups')),
    handler: ({ site }) => site.snapshot().ups ?? (() => { throw notFound('this site has no UPS (ups.source is none)'); })(),
  },
  {
    method: 'GET', path: '/api/sensors', tag: 'site', access: 'viewer', summary: 'Environment sensors',
    response: ok('The sensors.', listOf('Sensor')), handler: ({ site }) => site.snapshot().sensors,
  },
  {
    method: 'GET', path: '/api/sensors/:id', tag: 'site', access: 'viewer', summary: 'One sensor',
    params: params({ id: P.id }), response: ok('The sensor.', ref('Sensor')), handler: ({ site }, req) => byId(site.snapshot().sensors, intParam(req, 'id'), 'sensor'),
  },
  {
    method: 'GET', path: '/api/inputs', tag: 'site', access: 'viewer', summary: 'Digital inputs',
    response: ok('The inputs.', listOf('Input')), handler: ({ site }) => site.snapshot().inputs,
  },
  {
    method: 'GET', path: '/api/relays', tag: 'site', access: 'viewer', summary: 'Relay outputs',
    response: ok('The relays.', listOf('Relay')), handler: ({ site }) => site.snapshot().relays,
  },
  {
    method: 'GET', path: '/api/relays/:id', tag: 'site', access: 'viewer', summary: 'One relay',
    params: params({ id: P.id }), response: ok('The relay.', ref('Relay')), handler: ({ site }, req) => byId(site.snapshot().relays, intParam(req, 'id'), 'relay'),
  },
  {
    method: 'GET', path: '/api/thresholds', tag: 'site', access: 'viewer', summary: 'Alarm thresholds',
    response: ok('The thresholds.', ref('Thresholds')), handler: ({ site }) => site.snapshot().thresholds,
  },
  // --- alarms and history -------------------------------------------------------------------
  {
    method: 'GET', path: '/api/alarms', tag: 'alarms', access: 'viewer', summary: 'Active alarms',
    response: ok('The alarms.', listOf('Alarm')), handler: ({ site }) => site.snapshot().alarms,
  },
  {
    method: 'GET', path: '/api/alarms/history', tag: 'alarms', access: 'viewer', summary: 'Alarm changes (raised, cleared, acknowledged), newest first',
    description: 'From the data logger when it runs (source: logger), else the gateway\'s memory of the last 1000 raises and clears since start (source: memory; acknowledgements show in detail.acknowledged).',
    query: { type: 'object', additionalProperties: false, properties: { from: TIME, to: TIME, limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 500 } } },
    response: ok('The history.', { type: 'object', properties: { source: { type: 'string', enum: ['logger', 'memory'] }, entries: { type: 'array', items: ref('AlarmHistoryEntry') } } }),
    handler: async (ctx, req) => {
      const { fromMs, toMs } = timeRange(req.query, null, ctx.site.now());
      const limit = req.query.limit as number;
      if (ctx.services.history) {
        const events = await ctx.services.history.events({ category: 'alarm', order: 'desc', limit, ...(fromMs !== undefined ? { fromMs } : {}), ...(toMs !== undefined ? { toMs } : {}) });
        return { source: 'logger', entries: events.map(fromLogger) };
      }
      const entries = ctx.site.alarmHistory().map(fromMemory)
        .filter((e) => (fromMs === undefined || e.atMs >= fromMs) && (toMs === undefined || e.atMs < toMs))
        .reverse().slice(0, limit);
      return { source: 'memory', entries };
    },
  },
  {
    method: 'GET', path: '/api/history', tag: 'history', access: 'viewer', summary: 'Stored measurements of one series over time',
    description: 'entity and field as in the live stream: entity `string/1/module/7` field `voltageV`; `string/2` `dcCurrentA`; `ups` `battery.voltageV`; `sensor/1` `reading`. Default range: the last 24 hours. resolution auto picks the finest kept for the range that fits limit (raw, minute or hour aggregates with min/mean/max). 404 (no-logger) when no data logger runs.',
    query: {
      type: 'object', additionalProperties: false, required: ['entity', 'field'],
      properties: {
        entity: { type: 'string', pattern: ENTITY, maxLength: 64, description: 'Entity id: site, string/N, string/N/module/M, ups, sensor/N, input/N, relay/N.' },
        field: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9.]{0,63}$', description: 'Field path: voltageV, temperatureC, resistanceOhm, socPercent, dcCurrentA, battery.voltageV, reading, ...' },
        from: TIME, to: TIME,
        resolution: { type: 'string', enum: ['auto', 'raw', 'minute', 'hour'], default: 'auto' },
        limit: { type: 'integer', minimum: 1, maximum: 100_000, default: 10_000 },
      },
    },
    response: ok('The series: {entity, field, resolution, fromMs, toMs, points: [{atMs, value, min, max, count, quality}], truncated}.', { type: 'object' }),
    handler: async (ctx, req) => {
      const store = historyStore(ctx.services);
      const { fromMs, toMs } = timeRange(req.query, DAY_MS, ctx.site.now());
      const q = req.query as { entity: string; field: string; resolution: 'auto'; limit: number };
      return store.measurements({ entity: q.entity, field: q.field, fromMs: fromMs!, toMs: toMs!, resolution: q.resolution, limit: q.limit });
    },
  },
  {
    method: 'GET', path: '/api/export.csv', tag: 'history', access: 'viewer', summary: 'CSV export of measurements, alarms, events or the audit log',
    description: 'RFC 4180 with a header row, streamed page by page (the same as `kirchhoff export`). Default range: the last 24 hours. entity is an id or a prefix ending in `*` (`string/1/*`). Text cells starting with = + - @ are prefixed with \' so spreadsheets do not run them. 404 (no-logger) when no data logger runs.',
    query: {
      type: 'object', additionalProperties: false, required: ['what'],
      properties: {
        what: { type: 'string', enum: [...CSV_WHATS] },
        entity: { type: 'string', pattern: '^[a-z0-9/]{1,64}[*]?$', description: 'Entity id, or a prefix ending in *.' },
        field: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9.]{0,63}$' },
        from: TIME, to: TIME,
        resolution: { type: 'string', enum: ['auto', 'raw', 'minute', 'hour'], default: 'auto' },
      },
    },
    response: { description: 'The CSV.', contentType: 'text/csv' },
    handler: (ctx, req) => {
      const store = historyStore(ctx.services);
      const { fromMs, toMs } = timeRange(req.query, DAY_MS, ctx.site.now());
      const q = req.query as { what: CsvWhat; entity?: string; field?: string; resolution: 'auto' };
      req.reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="kirchhoff-${q.what}.csv"`);
      return Readable.from(historyCsv(store, { what: q.what, fromMs: fromMs!, toMs: toMs!, resolution: q.resolution, ...(q.entity ? { entity: q.entity } : {}), ...(q.field ? { field: q.field } : {}) }));
    },
  },
  {
    method: 'GET', path: '/api/history/series', tag: 'history', access: 'viewer', summary: 'Which series the data logger has',
    query: { type: 'object', additionalProperties: false, properties: { entity: { type: 'string', pattern: '^[a-z0-9/]*\\*?$', maxLength: 64, description: 'Exact entity id, or a prefix ending in * (string/1/*).' } } },
    response: ok('The series: [{entity, field}].', { type: 'array', items: { type: 'object' } }),
    handler: (ctx, req) => historyStore(ctx.services).series(req.query.entity as string | undefined),
  },
  {
    method: 'GET', path: '/api/history/summary', tag: 'history', access: 'viewer', summary: 'min/mean/max/count of every matching series over a range',
    query: { type: 'object', additionalProperties: false, properties: { entity: { type: 'string', pattern: '^[a-z0-9/]*\\*?$', maxLength: 64, description: 'Exact entity id, or a prefix ending in *.' }, from: TIME, to: TIME } },
    response: ok('The summaries: [{entity, field, min, mean, max, count}].', { type: 'array', items: { type: 'object' } }),
    handler: (ctx, req) => {
      const { fromMs, toMs } = timeRange(req.query, DAY_MS, ctx.site.now());
      return historyStore(ctx.services).summary(fromMs!, toMs!, req.query.entity as string | undefined);
    },
  },
  {
    method: 'GET', path: '/api/events', tag: 'history', access: 'viewer', summary: 'The event log: alarms, scheduler runs, actions, gateway events',
    description: 'Newest first unless order=asc. Page with beforeId (desc) or afterId (asc).',
    query: { type: 'object', additionalProperties: false, properties: {
      ...LOG_QUERY,
      category: { type: 'string', enum: [...EVENT_CATEGORIES] },
      entity: { type: 'string', pattern: '^[a-z0-9/]*\\*?$', maxLength: 64, description: 'Exact entity id, or a prefix ending in *.' },
      alarmKind: { type: 'string', enum: ALARM_KIND_NAMES },
    } },
    response: ok('The events: [{id, atMs, category, action, severity, entity, message, alarmId, alarmKind, detail}].', { type: 'array', items: { type: 'object' } }),
    handler: (ctx, req) => historyStore(ctx.services).events(logQuery<EventQuery>(ctx, req.query)),
  },
  {
    method: 'GET', path: '/api/audit', tag: 'history', access: 'viewer', summary: 'The audit log: every command, login and configuration change (who, what, when, from where)',
    description: 'Newest first unless order=asc. Page with beforeId (desc) or afterId (asc).',
    query: { type: 'object', additionalProperties: false, properties: {
      ...LOG_QUERY,
      kind: { type: 'string', enum: ['command', 'config', 'schedule', 'auth'] },
      principal: { type: 'string', maxLength: 64 },
    } },
    response: ok('The entries: [{id, atMs, kind, action, outcome, protocol, principal, remote, detail, error}].', { type: 'array', items: { type: 'object' } }),
    handler: (ctx, req) => historyStore(ctx.services).audit(logQuery<AuditQuery>(ctx, req.query)),
  },
  {
    method: 'GET', path: '/api/actions', tag: 'history', access: 'viewer', summary: 'Alarm actions taken and their results (relays, traps, syslog, email, webhooks, ...)',
    description: 'Oldest first; afterId for entries newer than one already seen. 404 (no-actions) when no alarm-action rules run.',
    query: { type: 'object', additionalProperties: false, properties: { afterId: { type: 'integer', minimum: 0 }, limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 500 } } },
    response: ok('The entries: [{id, startedAtMs, finishedAtMs, rule, type, destination, target, trigger, repeat, alarm, outcome, detail, attempts}].', { type: 'array', items: { type: 'object' } }),
    handler: (ctx, req) => {
      const actions: ActionsApi | undefined = ctx.services.actions;
      if (!actions) throw new ApiError(404, 'no-actions', 'no action record: alarm-action rules are not running in this gateway');
      return actions.list({ afterId: req.query.afterId as number | undefined, limit: req.query.limit as number });
    },
  },
  {
    method: 'GET', path: '/api/live', tag: 'live', access: 'viewer', summary: 'Live values as server-sent events',
    description: 'Events: `hello` {version, batchMs}; `snapshot` (the whole site, unless snapshot=false); `values` {version, atMs, changes: [{id, field, value, quality, atMs}]} batched every http.live.batchMs; `alarm` {action, alarm}; `thresholds` {key, threshold}; `command` {type, command, origin, outcome, error}. A client that reads too slowly is dropped (reconnect and start from a new snapshot).',
    query: { type: 'object', additionalProperties: false, properties: { snapshot: { type: 'boolean', default: true, description: 'Send the whole site first.' } } },
    response: { description: 'The event stream.', contentType: 'text/event-stream' },
    handler: (ctx, req) => {
      req.reply.hijack();
      if (!ctx.live.open(req.reply.raw, req.user!.name, req.remote, req.query.snapshot !== false)) {
        req.reply.raw.writeHead(503, { 'content-type': 'application/json', 'retry-after': '10' });
        req.reply.raw.end(JSON.stringify(new ApiError(503, 'busy', `${ctx.config.live.maxClients} live streams are open (http.live.maxClients)`).body()));
      }
      return ANSWERED;
    },
  },
  // --- commands -----------------------------------------------------------------------------
  {
    method: 'GET', path: '/api/nut', tag: 'commands', access: 'viewer', summary: 'The NUT server: its UPS names, forced shutdown (FSD) per name, connections',
    response: ok('The NUT server.', { type: 'object', properties: { enabled: { type: 'boolean' }, ups: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, fsd: { type: 'boolean' } } } }, connections: { type: 'integer' } } }),
    handler: ({ services }) => {
      const nut = services.nut;
      return { enabled: !!nut, ups: nut ? nut.upsNames.map((name) => ({ name, fsd: nut.fsd(name) })) : [], connections: nut ? nut.connections() : 0 };
    },
  },
  {
    method: 'POST', path: '/api/nut/fsd', tag: 'commands', access: 'operator', summary: 'Set or clear forced shutdown (FSD) on every NUT UPS name (audited)',
    description: 'Set: every upsmon logged in to the gateway shuts its host down. Clear: after the hosts are down, or when the danger has passed; nothing is cleared automatically.',
    body: NUT_FSD, response: ok('Done.', ref('CommandResult')),
    handler: (ctx, req) => {
      const nut = ctx.services.nut;
      if (!nut) throw new ApiError(409, 'not-running', 'the NUT server is off: set nut.enabled');
      const on = (req.body as { on: boolean }).on;
      if (on) nut.setFsd(null, `${req.user!.name} (HTTP API)`);
      else nut.clearFsd(null, `${req.user!.name} (HTTP API)`);
      ctx.services.history?.recordAudit({ kind: 'command', action: 'nut-fsd', outcome: 'ok', protocol: 'http', principal: req.user!.name, remote: req.remote, detail: { on }, error: null });
      return { ok: true, message: on ? 'forced shutdown set on every NUT UPS name' : 'forced shutdown cleared' };
    },
  },
  {
    method: 'POST', path: '/api/alarms/:id/acknowledge', tag: 'commands', access: 'operator', summary: 'Acknowledge an active alarm',
    params: params({ id: P.alarmId }), response: ok('Done.', ref('CommandResult')),
    handler: (ctx, req) => submit(ctx, req, { type: 'acknowledge-alarm', alarmId: intParam(req, 'id') }),
  },
  {
    method: 'PUT', path: '/api/relays/:id', tag: 'commands', access: 'operator', summary: 'Switch a relay output',
    params: params({ id: P.id }), body: RELAY_SET, response: ok('Done.', ref('CommandResult')),
    handler: (ctx, req) => submit(ctx, req, { type: 'set-relay', relay: intParam(req, 'id'), on: (req.body as { on: boolean }).on }),
  },
  {
    method: 'PATCH', path: '/api/thresholds/:key', tag: 'commands', access: 'operator', summary: 'Change alarm thresholds',
    params: params({ key: P.thresholdKey }), body: THRESHOLD_PATCH, response: ok('Done.', ref('CommandResult')),
    handler: (ctx, req) => submit(ctx, req, { type: 'set-threshold', key: req.params.key as ThresholdKey, threshold: req.body as Record<string, number | null> }),
  },
  {
    method: 'POST', path: '/api/ups/test', tag: 'commands', access: 'admin', summary: 'Start (or abort) a UPS battery test',
    body: UPS_TEST, response: ok('Done.', ref('CommandResult')),
    handler: (ctx, req) => submit(ctx, req, { type: 'ups-test', test: (req.body as { test: 'quick' }).test }),
  },
  {
    method: 'PATCH', path: '/api/ups/control', tag: 'commands', access: 'admin', summary: 'UPS control (RFC 1628 upsControl: shutdown, startup, reboot)',
    body: UPS_CONTROL, response: ok('Done.', ref('CommandResult')),
    handler: (ctx, req) => submit(ctx, req, { type: 'ups-control', control: req.body as object }),
  },
  {
    method: 'PATCH', path: '/api/ups/settings', tag: 'commands', access: 'admin', summary: 'UPS identity and configuration (RFC 1628 upsIdent/upsConfig)',
    body: UPS_SETTINGS, response: ok('Done.', ref('CommandResult')),
    handler: (ctx, req) => submit(ctx, req, { type: 'ups-settings', settings: req.body as object }),
  },
  {
    method: 'POST', path: '/api/strings/:string/modules/:module/actions', tag: 'commands', access: 'admin', summary: 'A module command (identify, clear-fuse, measure-ri, sleep, wake)',
    params: params({ string: P.string, module: P.module }), body: MODULE_ACTION, response: ok('Done.', ref('CommandResult')),
    handler: (ctx, req) => {
      const s = intParam(req, 'string');
      const m = intParam(req, 'module');
      if (!ctx.site.topology.globalOf(s, m)) throw new ApiError(404, 'not-found', `${moduleLabel(s, m)} does not exist on this site`, s > ctx.site.topology.stringCount ? 'string' : 'module');
      return submit(ctx, req, { type: 'module', action: (req.body as { action: 'identify' }).action, string: s, module: m });
    },
  },
  {
    method: 'POST', path: '/api/commands', tag: 'commands', access: 'viewer', summary: 'Any command as JSON (the role depends on its type)',
    description: 'operator: acknowledge-alarm, set-relay, set-threshold; admin: ups-test, ups-control, ups-settings, module.',
    body: COMMAND, response: ok('Done.', ref('CommandResult')),
    handler: (ctx, req) => {
      const command = req.body as Command;
      const needed = COMMAND_ROLES[command.type];
      if (!roleOk(req.user!.role, needed)) throw new ApiError(403, 'forbidden', `${command.type} needs the ${needed} role; user ${req.user!.name} has the ${req.user!.role} role`);
      return submit(ctx, req, command);
    },
  },
  ...BATTERY_ROUTES,
  ...LIFE_ROUTES,
];

/** The logger's query from ours: only the keys given. */
function logQuery<T extends object>(ctx: ApiContext, query: Record<string, unknown>): T {
  const { fromMs, toMs } = timeRange(query, null, ctx.site.now());
  const { from: _f, to: _t, ...rest } = query;
  return Object.fromEntries(Object.entries({ ...rest, fromMs, toMs }).filter(([, v]) => v !== undefined)) as T;
}

/** The session token from `Authorization: Bearer` or the session cookie. */
export function bearerOrCookie(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (h?.startsWith('Bearer ')) return h.slice(7).trim();
  const cookie = req.headers.cookie;
  const m = cookie ? /(?:^|;\s*)kirchhoff_session=([A-Za-z0-9_-]+)/.exec(cookie) : null;
  return m ? m[1] : null;
}
