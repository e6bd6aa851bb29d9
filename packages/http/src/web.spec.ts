// The web pages as a browser fetches them: content types, the CSP, versioned caching, ETags,
// gzip, and nothing served from outside the pages folder.
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import Fastify, { FastifyInstance } from 'fastify';
import { CONTENT_SECURITY_POLICY, loadWebPages, registerWebPages, WebPages } from './web';

describe('web pages', () => {
  let app: FastifyInstance;
  let pages: WebPages;
  let port: number;

  /** A GET with the path sent as written (no URL normalisation) and the body as sent (no inflating). */
  function get(path: string, headers: Record<string, string> = {}): Promise<{ statusCode: number; headers: Record<string, string | string[] | undefined>; rawPayload: Buffer; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const rawPayload = Buffer.concat(chunks);
          resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, rawPayload, body: rawPayload.toString('utf8') });
        });
      });
      req.on('error', reject);
      req.end();
    });
  }

  beforeAll(async () => {
    pages = loadWebPages();
    app = Fastify();
    registerWebPages(app, pages);
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(() => app.close());

  it('serves the application page with a strict CSP, revalidated on every load', async () => {
    const r = await get('/');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['cache-control']).toBe('no-cache');
    // Asset URLs carry the content version; no inline script or style in the page.
    expect(r.body).toContain(`/web/${pages.version}/js/app.js`);
    expect(r.body).not.toContain('__VERSION__');
    expect(r.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(r.body).not.toMatch(/\sstyle=/);
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const first = await get('/');
    const again = await get('/', { 'if-none-match': String(first.headers.etag) });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('serves assets of the current version as immutable, with their content types', async () => {
    const js = await get(`/web/${pages.version}/js/app.js`);
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const css = await get(`/web/${pages.version}/app.css`);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    const svg = await get(`/web/${pages.version}/icon.svg`);
    expect(svg.headers['content-type']).toBe('image/svg+xml');
  });

  it('serves an asset asked for under an older version uncached, so old pages keep working', async () => {
    const r = await get('/web/oldversion1/js/app.js');
    expect(r.statusCode).toBe(200);
    expect(r.headers['cache-control']).toBe('no-cache');
  });

  it('gzips for clients that accept it, byte-identical once inflated', async () => {
    const plain = await get(`/web/${pages.version}/js/store.js`);
    const gz = await get(`/web/${pages.version}/js/store.js`, { 'accept-encoding': 'gzip, br' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.vary).toBe('accept-encoding');
    expect(gunzipSync(gz.rawPayload).equals(plain.rawPayload)).toBe(true);
    expect(gz.rawPayload.length).toBeLessThan(plain.rawPayload.length);
  });

  it('serves nothing outside the pages folder', async () => {
    for (const url of [`/web/${pages.version}/../../package.json`, `/web/${pages.version}/%2e%2e/%2e%2e/package.json`, `/web/${pages.version}/nope.js`, `/web/${pages.version}/index.html`, '/web/x/']) {
      const r = await get(url);
      expect([r.statusCode, url]).toEqual([404, url]);
    }
  });
});
