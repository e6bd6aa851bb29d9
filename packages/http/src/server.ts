// The HTTP API server (Fastify): registers the route table with its schemas, authenticates and
// authorises every request by role, answers every error as JSON, and serves HTTPS when configured.
import type { AddressInfo, Socket } from 'node:net';
import { ProblemLog } from '@kirchhoff/core';
import Ajv from 'ajv';
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DEMO_HTTP_USERS } from './demo-users';
import { RefusedLoginAudit } from './login-audit';
import { ConnectionGuard } from './connections';
import type { HttpApiOptions } from './options';
import type { MqttFigures } from './services';
import { Auth, AuthUser, roleAtLeast, SessionsFull, TooManyAttempts } from './auth';
import { ApiError, schemaError, SchemaViolation } from './errors';
import { LiveHub } from './live';
import { renderMetrics, siteMetrics } from './metrics';
import { httpNotices } from './notices';
import { openApiDocument } from './openapi';
import { ANSWERED, ApiContext, bearerOrCookie, Route, ROUTES, snapshotJson } from './routes';
import { serveWebPages } from './web';

/** Adds routes to the API's server before it listens (the web pages register here). */
export type HttpExtension = (app: FastifyInstance, api: ApiContext) => void;
/** One line per extension. */
export const HTTP_EXTENSIONS: readonly HttpExtension[] = [serveWebPages];

/** The API built and ready, not listening: tests call `app.inject()`; `listen()` opens the port. */
export interface HttpApi {
  readonly app: FastifyInstance;
  readonly tls: boolean;
  /** Listens on config.host:config.port and logs where (with the security notices). */
  listen(): Promise<RunningHttpApi>;
  close(): Promise<void>;
}

export interface RunningHttpApi {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

/**
 * TLS 1.2 suites offered: ECDHE key exchange (forward secrecy) with AEAD ciphers only, as in
 * Mozilla's "intermediate" server profile. TLS 1.3 suites are all forward-secret and stay as Node sets them.
 */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');
/** Browsers that reached this gateway over HTTPS keep using HTTPS for a year (RFC 6797). */
const HSTS = 'max-age=31536000';

/** Passwords nobody should keep: the documented demo ones and the obvious ones. */
const WEAK_PASSWORDS = [...DEMO_HTTP_USERS.map((u) => u.password), 'admin', 'password', 'kirchhoff', 'changeme', '1234', '12345678', 'operator', 'viewer'];

/** Builds the API (routes, authentication, web pages) over `options.site`; no socket is opened. */
export async function createHttpApi(options: HttpApiOptions): Promise<HttpApi> {
  const { config: c, site, commands, logger } = options;
  const services = options.services ?? {};
  const problems = options.problems ?? new ProblemLog();
  const version = options.version ?? '0.0.0';
  const tls = !!c.tls.cert;
  if (tls && !options.tlsPem) throw new Error('http.tls.cert is set: pass the certificate and key as tlsPem');
  const auth = new Auth({
    users: c.users, sessionTtlMs: c.sessionTtlMin * 60_000, sessionMaxLifetimeMs: c.sessionMaxLifetimeH * 3_600_000, maxSessionsPerUser: c.maxSessionsPerUser, weakPasswords: WEAK_PASSWORDS,
    defaultHashes: new Map(DEMO_HTTP_USERS.map((u) => [u.name, u.passwordHash])),
  });
  const live = new LiveHub(site, { batchMs: c.live.batchMs, maxQueueBytes: c.live.maxQueueKiB * 1024, maxClients: c.live.maxClients }, logger, snapshotJson);
  const requests: Record<string, number> = {};
  const guard = new ConnectionGuard({ maxConnections: c.maxConnections, maxConnectionsPerAddress: c.maxConnectionsPerAddress }, problems.source('http', logger));

  const refusedLogins = new RefusedLoginAudit((entry) => services.history?.recordAudit(entry));
  const api: ApiContext = {
    site, commands, config: c, services, life: options.life ?? {}, version, auth, live, tls,
    configuration: () => (options.configuration ? options.configuration() : c),
    refusedLogin: (username, address, remote, reason) => refusedLogins.refused(username, address, remote, reason),
    notices: () => (options.notices ?? httpNotices)([...auth.defaultPasswordUsers], tls),
    openapi: () => openApiDocument(),
    metrics: () => {
      const lag = services.history?.stats().lagMs ?? null;
      return renderMetrics(siteMetrics({
        snapshot: site.snapshot(), version, clients: { ...services.adapterClients?.(), http: guard.size, 'http-live': live.size }, httpSessions: auth.sessionCount, liveDropped: live.dropped,
        httpRequests: requests, loggerLagS: lag === null ? null : lag / 1000, nowMs: site.now(), problems: services.problems?.counts() ?? problems.counts(),
        ...(services.mqttPublisher ? { mqtt: mqttFigures(services.mqttPublisher()) } : {}),
      }));
    },
  };

  // Query strings and paths are text: coerce them. Bodies are JSON: take their types as sent.
  const coercing = new Ajv({ coerceTypes: true, useDefaults: true, allErrors: false, strict: false });
  const strictBodies = new Ajv({ coerceTypes: false, useDefaults: false, allErrors: false, strict: false });
  const app = Fastify({
    logger: false,
    bodyLimit: 64 * 1024,
    forceCloseConnections: true,
    // A client has 30 s to send its request (headers and body): slow senders cannot pin sockets.
    // Event streams are answers and are not limited by it.
    requestTimeout: 30_000,
    return503OnClosing: true,
    ...(tls ? { https: { cert: options.tlsPem!.cert, key: options.tlsPem!.key, minVersion: c.tls.minVersion, maxVersion: 'TLSv1.3' as const, ciphers: TLS12_CIPHERS, honorCipherOrder: true } } : {}),
    schemaErrorFormatter: (errors, dataVar) => schemaError(errors as SchemaViolation[], dataVar),
  });
  // Bodies are JSON only: a text body is refused with 415 rather than read as a string.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strictBodies : coercing).compile(schema as object));

  app.addHook('onRequest', async (_req, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    if (tls) reply.header('strict-transport-security', HSTS);
  });
  app.addHook('onResponse', async (_req, reply) => {
    const k = `${Math.floor(reply.statusCode / 100)}xx`;
    requests[k] = (requests[k] ?? 0) + 1;
  });
  app.setNotFoundHandler((req, reply) => {
    const e = new ApiError(404, 'not-found', `no route ${req.method} ${req.url.split('?')[0]} (the routes are in /openapi.json)`);
    reply.code(404).send(e.body());
  });
  app.setErrorHandler((error: unknown, req, reply) => {
    const e = toApiError(error);
    if (e.status >= 500) logger.error(`${req.method} ${req.url.split('?')[0]} failed`, { error, remote: remoteOf(req) });
    reply.code(e.status).headers(e.headers).send(e.body());
  });

  const users = new WeakMap<FastifyRequest, AuthUser>();
  for (const route of ROUTES) {
    app.route({
      method: route.method,
      url: route.path,
      schema: { ...(route.params ? { params: route.params } : {}), ...(route.query ? { querystring: route.query } : {}), ...(route.body ? { body: route.body } : {}) },
      onRequest: async (req, reply) => {
        const user = await authenticate(route, req, reply);
        if (user) users.set(req, user);
      },
      handler: async (req, reply) => {
        const result = await route.handler(api, {
          params: req.params as Record<string, unknown>, query: (req.query ?? {}) as Record<string, unknown>, body: req.body,
          user: users.get(req) ?? null, remote: remoteOf(req), raw: req, reply,
        });
        if (result === ANSWERED) return reply;
        reply.header('cache-control', 'no-store');
        return result;
      },
    });
  }

  /** The user for a request, or an ApiError (401/403/429); null for public routes. */
  async function authenticate(route: Route, req: FastifyRequest, reply: FastifyReply): Promise<AuthUser | null> {
    if (route.access === 'public' || (route.access === 'metrics' && c.metricsPublic)) return null;
    let user: AuthUser | null = null;
    const h = req.headers.authorization;
    if (h?.startsWith('Basic ')) {
      const text = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
      const colon = text.indexOf(':');
      const name = colon > 0 ? text.slice(0, colon) : text;
      // The same limiter as POST /api/login (per address and per user), and the same aggregated
      // audit rows for refusals: Basic is not a way around either (issue 19 point 8).
      try {
        user = colon > 0 ? await auth.basic(name, text.slice(colon + 1), req.ip) : null;
      } catch (e) {
        refusedLogins.refused(name, req.ip, remoteOf(req), `HTTP Basic: ${(e as Error).message}`);
        throw e;
      }
      if (!user) {
        refusedLogins.refused(name, req.ip, remoteOf(req), 'HTTP Basic: wrong user name or password');
        throw unauthorized(reply, 'wrong user name or password');
      }
    } else {
      const token = bearerOrCookie(req);
      if (!token) throw unauthorized(reply, 'log in first: POST /api/login, then send Authorization: Bearer TOKEN');
      if (!h && route.method !== 'GET') checkOrigin(req);
      user = auth.session(token);
      if (!user) throw unauthorized(reply, 'the session token is unknown or expired: log in again');
    }
    const needed = route.access === 'metrics' ? 'viewer' : route.access;
    if (!roleAtLeast(user.role, needed)) {
      throw new ApiError(403, 'forbidden', `${route.summary} (${route.method} ${route.path}) needs the ${needed} role; user ${user.name} has the ${user.role} role`);
    }
    return user;
  }

  // The peer's address is read when the connection opens: a client that resets at once would
  // otherwise be audited from `undefined:0` (issue 19 point 8).
  app.server.on('connection', (socket: Socket) => remotes.set(socket, peerOf(socket)));
  // Caps per address and in all, checked when a socket opens, before it costs anything.
  guard.attach(app.server);
  if (options.webPages !== false) for (const extend of HTTP_EXTENSIONS) extend(app, api);
  await app.ready();
  const close = async () => {
    live.close();
    await app.close();
    refusedLogins.close();
  };
  return {
    app, tls, close,
    async listen() {
      await app.listen({ host: c.host, port: c.port });
      const addr = app.server.address() as AddressInfo;
      announce(options, auth, api, addr, tls);
      return { host: addr.address, port: addr.port, tls, app, close };
    },
  };
}

/** Builds the API and listens: what a gateway runs. */
export async function startHttpApi(options: HttpApiOptions): Promise<RunningHttpApi> {
  const api = await createHttpApi(options);
  try {
    return await api.listen();
  } catch (error) {
    await api.close();
    throw error;
  }
}

/**
 * A write authenticated by the session cookie must come from a page of this gateway: browsers
 * send Origin with such requests, and SameSite=Strict alone is not honoured by every browser.
 */
function checkOrigin(req: FastifyRequest): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    host = '';
  }
  if (host !== req.headers.host) throw new ApiError(403, 'cross-origin', `a write with the session cookie from ${origin} (not this gateway, ${req.headers.host}) is refused: send Authorization: Bearer TOKEN instead`, 'origin');
}

function unauthorized(reply: FastifyReply, message: string): ApiError {
  reply.header('www-authenticate', 'Bearer realm="kirchhoff", Basic realm="kirchhoff"');
  return new ApiError(401, 'unauthorized', message);
}

/** Peer address and port as the connection opened: `address:port`, `address` alone, or `unknown`. */
const remotes = new WeakMap<Socket, string>();
export function peerOf(socket: Socket): string {
  const address = socket.remoteAddress;
  if (!address) return 'unknown';
  return socket.remotePort ? `${address}:${socket.remotePort}` : address;
}

function remoteOf(req: FastifyRequest): string {
  return remotes.get(req.socket) ?? peerOf(req.socket);
}

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof SessionsFull) return new ApiError(503, 'sessions-full', error.message);
  if (error instanceof TooManyAttempts) return new ApiError(429, 'too-many-attempts', error.message, undefined, { 'retry-after': String(error.retryAfterS) });
  const e = error as { statusCode?: number; code?: string; message?: string };
  if (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || (error instanceof SyntaxError && e.statusCode === 400)) {
    return new ApiError(400, 'invalid-json', `the body is not valid JSON: ${e.message ?? ''}`.trim(), 'body');
  }
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new ApiError(415, 'unsupported-media-type', 'send the body as application/json', 'content-type');
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new ApiError(413, 'too-large', 'the body is larger than 64 KiB', 'body');
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return new ApiError(e.statusCode, e.code ?? 'bad-request', e.message ?? 'bad request');
  return new ApiError(500, 'internal', 'the gateway failed to answer this request (logged)');
}

function announce(options: HttpApiOptions, auth: Auth, api: ApiContext, addr: AddressInfo, tls: boolean): void {
  const { logger, commands, config } = options;
  const url = `${tls ? 'https' : 'http'}://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  logger.info(`HTTP API at ${url} (OpenAPI at ${url}/openapi.json), ${auth.userCount} user${auth.userCount === 1 ? '' : 's'}`);
  if (!auth.userCount) logger.warn('http.users is empty: nobody can log in; only /health and /openapi.json answer (add users with kirchhoff hash-password)');
  for (const n of api.notices().filter((x) => x.key.startsWith('http'))) {
    if (n.severity === 'critical') logger.error(n.message, { notice: n.id, key: n.key });
    else logger.warn(n.message, { notice: n.id, key: n.key });
  }
  if (!commands.allows('http', 'set-relay')) {
    logger.warn('the gateway\'s command policy does not include http: commands through the API are refused until it does');
  }
  if (config.metricsPublic) logger.info('/metrics answers without a login (http.metricsPublic)');
}

function mqttFigures(stats: MqttFigures): { dropped: number; queued: number } {
  return { dropped: stats.dropped, queued: (stats.json?.queued ?? 0) + (stats.sparkplug?.queued ?? 0) };
}
