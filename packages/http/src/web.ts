// Serves the web pages (packages/http/web: plain HTML, CSS and ES modules) from the HTTP API's
// server: read once at start, gzipped once, versioned URLs cached for a year, a strict CSP.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, resolve, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The pages ship beside dist/ and src/ in the package: packages/http/web. */
export const WEB_ROOT = resolve(__dirname, '..', 'web');

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/**
 * Everything from this origin only, nothing inline: the pages build their DOM with
 * textContent, so injected markup in a module name or an alarm message cannot run.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "manifest-src 'self'", "font-src 'self'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

interface WebFile {
  readonly type: string;
  readonly body: Buffer;
  readonly gzip: Buffer | null;
  readonly etag: string;
}

export interface WebPages {
  /** Hash of every file: asset URLs are /web/VERSION/..., cached as immutable. */
  readonly version: string;
  readonly files: ReadonlyMap<string, WebFile>;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

function webFile(type: string, body: Buffer): WebFile {
  // Small files and images gain nothing from gzip.
  const gz = body.length > 512 && !type.startsWith('image/png') ? gzipSync(body, { level: 9 }) : null;
  return { type, body, gzip: gz && gz.length < body.length ? gz : null, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

/** Reads the pages; index.html's `__VERSION__` placeholders become the content hash. */
export function loadWebPages(root: string = WEB_ROOT): WebPages {
  const raw = new Map<string, { type: string; body: Buffer }>();
  for (const p of walk(root).sort()) {
    const type = CONTENT_TYPES[extname(p)];
    if (!type) continue;
    raw.set(relative(root, p).split(sep).join('/'), { type, body: readFileSync(p) });
  }
  if (!raw.has('index.html')) throw new Error(`${root}/index.html is missing: the web pages are not installed`);
  const hash = createHash('sha256');
  for (const [name, f] of raw) hash.update(name).update('\0').update(f.body);
  const version = hash.digest('base64url').slice(0, 12).replace(/[-_]/g, 'x');
  const files = new Map<string, WebFile>();
  for (const [name, f] of raw) {
    const body = name === 'index.html' ? Buffer.from(f.body.toString('utf8').replaceAll('__VERSION__', version)) : f.body;
    files.set(name, webFile(f.type, body));
  }
  return { version, files };
}

function send(req: FastifyRequest, reply: FastifyReply, file: WebFile, cacheControl: string): FastifyReply {
  reply.headers(SECURITY_HEADERS).header('cache-control', cacheControl).header('etag', file.etag).header('vary', 'accept-encoding');
  if (req.headers['if-none-match'] === file.etag) return reply.code(304).send();
  reply.type(file.type);
  if (file.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) return reply.header('content-encoding', 'gzip').send(file.gzip);
  return reply.send(file.body);
}

/**
 * Registers `GET /` (the application page) and `GET /web/VERSION/PATH` (its assets). An asset
 * asked for under an older version is served as the current one, uncached, so a page loaded
 * before an upgrade still works.
 */
export function registerWebPages(app: FastifyInstance, pages: WebPages): void {
  const index = pages.files.get('index.html')!;
  const page = (req: FastifyRequest, reply: FastifyReply) => send(req, reply, index, 'no-cache');
  app.get('/', page);
  app.get('/index.html', page);
  app.get('/favicon.ico', (req, reply) => {
    const icon = pages.files.get('icon.svg');
    return icon ? send(req, reply, icon, 'public, max-age=86400') : reply.code(404).send();
  });
  app.get('/web/:version/*', (req, reply) => {
    const { version, '*': path } = req.params as { version: string; '*': string };
    const file = path === 'index.html' ? undefined : pages.files.get(path);
    if (!file) return reply.callNotFound();
    return send(req, reply, file, version === pages.version ? 'public, max-age=31536000, immutable' : 'no-cache');
  });
}

/** The HTTP API's extension: the installed pages at / and /web/. */
export function serveWebPages(app: FastifyInstance): void {
  registerWebPages(app, loadWebPages());
}
