// The HTTP API (@kirchhoff/http) in the gateway: the `http` configuration section, the demo's
// users, and the wiring. The service is off unless http.enabled; writes are authorised by role.
import type { PublisherStats } from '@kirchhoff/mqtt';
import type { NutServer } from '@kirchhoff/nut';
import type { HistoryStore } from '@kirchhoff/history';
import { DEMO_HTTP_USERS, httpNotices, startHttpApi, type ActionsApi } from '@kirchhoff/http';
import { bool, type Infer, int, obj, str } from '../config/schema-dsl';
import { hostKey, LOOPBACK, portKey, usersKey } from '../config/common';
import { readKeyFile } from '../config/files';
import type { HealthService } from '../engine/health-service';
import { passportForString } from '../passport/passport';
import { applyBlockInfo } from '../services/life/records';
import { SOFTWARE_VERSION } from '../version';
import { defineAdapter, type SecurityNotice } from './types';

export const HTTP_SCHEMA = obj('HTTP API (JSON, server-sent events, OpenAPI at /openapi.json, /health, Prometheus /metrics). Writes (relays, thresholds, acknowledgements, UPS and module commands) are allowed by the user\'s role; the service itself is off unless enabled.', {
  enabled: bool('Serve HTTP.', false),
  host: hostKey('Address to listen on.'),
  port: portKey('TCP port.', 8080),
  tls: obj('HTTPS (TLS 1.2 or newer; TLS 1.3 preferred; TLS 1.2 only with forward-secret ECDHE and AEAD ciphers; answers carry Strict-Transport-Security). Both files set = HTTPS only; both empty = plain HTTP, warned about.', {
    cert: str('Certificate chain (PEM file).', { default: '' }),
    key: str('Private key (PEM file).', { default: '' }),
    minVersion: str('Oldest TLS version accepted.', { enum: ['TLSv1.2', 'TLSv1.3'], default: 'TLSv1.2' }),
  }),
  users: usersKey('Who may log in. Roles: viewer reads; operator also acknowledges alarms, switches relays and sets thresholds; admin may do everything.'),
  maxConnections: int('Open connections in all; when reached, a new connection closes the least recently active idle one (of the address holding the most).', { min: 1, max: 100_000, default: 1024 }),
  maxConnectionsPerAddress: int('Open connections from one client address; further ones are closed at once (so one address cannot lock others out).', { min: 1, max: 100_000, default: 64 }),
  sessionTtlMin: int('A session token expires after this long unused.', { min: 1, max: 10_080, default: 480, unit: 'min' }),
  sessionMaxLifetimeH: int('A session token expires this long after its login, however much it is used.', { min: 1, max: 8760, default: 24, unit: 'h' }),
  maxSessionsPerUser: int('Sessions one user may have open; a further login closes that user\'s oldest session (never another user\'s).', { min: 1, max: 1000, default: 16 }),
  metricsPublic: bool('Serve /metrics without a login (for a Prometheus on a trusted network); otherwise it needs a viewer login (Basic or Bearer).', false),
  live: obj('Server-sent events at /api/live.', {
    batchMs: int('Value changes are collected this long and sent as one event.', { min: 50, max: 10_000, default: 250, unit: 'ms' }),
    maxQueueKiB: int('A client with more unread data than this is dropped (a slow reader never slows the site).', { min: 64, max: 65_536, default: 1024, unit: 'KiB' }),
    maxClients: int('Simultaneous streams.', { min: 1, max: 1000, default: 32 }),
  }),
});

export type HttpConfig = Infer<typeof HTTP_SCHEMA>;

/** What the API reads from the gateway besides its section, each absent while its service is off. */
export interface HttpNeeds {
  /** The whole configuration, for GET /api/config (redacted there). */
  readonly root: unknown;
  readonly history?: HistoryStore;
  readonly actions?: ActionsApi;
  readonly health?: HealthService;
  /** The NUT server, for the FSD routes (started before the API). */
  readonly nut?: NutServer;
  /** The MQTT publisher's figures, for /metrics. */
  readonly mqttStats?: () => PublisherStats;
  /** Connected clients per adapter figure, now, for /metrics. */
  readonly adapterClients: () => Readonly<Record<string, number>>;
  /** The other adapters' security notices, as configured. */
  readonly configNotices: () => readonly SecurityNotice[];
}

export const httpAdapter = defineAdapter<'http', typeof HTTP_SCHEMA, HttpNeeds>({
  key: 'http',
  schema: HTTP_SCHEMA,
  // Documented default passwords (README): warned about at start-up and in the API.
  demo: { enabled: true, host: LOOPBACK, port: 8080, users: DEMO_HTTP_USERS.map(({ name, role, passwordHash }) => ({ name, role, passwordHash })) },
  // The HTTP API authorizes each write by the user's role (viewer, operator, admin).
  writes: (c) => (c.enabled ? { http: 'all' } : {}),
  services: (c) => [{ name: 'HTTP API', endpoint: `${c.tls.cert ? 'https' : 'http'} ${c.host}:${c.port}`, enabled: c.enabled }],
  portKey: (c) => ({ key: 'http.port', port: c.port }),
  listens: (c) => (c.enabled ? [{ key: 'http.port', proto: 'tcp', host: c.host, port: c.port }] : []),
  async start({ config: c, root, site, commands, logger, problems, history, actions, health, nut, mqttStats, adapterClients, configNotices }) {
    if (!c.enabled) return null;
    const api = await startHttpApi({
      config: c, site, commands, logger, problems, version: SOFTWARE_VERSION,
      services: { history, actions, health, nut, adapterClients, problems, ...(mqttStats ? { mqttPublisher: mqttStats } : {}) },
      ...(c.tls.cert ? { tlsPem: { cert: readKeyFile('http.tls.cert', c.tls.cert), key: readKeyFile('http.tls.key', c.tls.key) } } : {}),
      notices: (defaultPasswordUsers, tls) => [...httpNotices(defaultPasswordUsers, tls), ...configNotices()],
      configuration: () => root,
      life: {
        recordsChanged: (records) => applyBlockInfo(health, site, records),
        // The running gateway's health figures, not the copy last kept in the database.
        ...(history ? { passport: (string: number) => passportForString(history, string, site.now(), health?.snapshot() ?? null) } : {}),
      },
    });
    return {
      services: [{ name: 'HTTP API', endpoint: `${api.tls ? 'https' : 'http'} ${api.host}:${api.port}` }],
      close: () => api.close(),
    };
  },
});
