// Webhooks against an HTTP(S) receiver on loopback: the JSON it gets, the headers, retries on
// 500, the time limit, no retry on 4xx, and HTTPS with a CA of its own.
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { describeWithTools } from '@kirchhoff/test-support';
import { redactUrl, WebhookNotifier } from './webhook';
import { makeTestCerts, TestCerts } from './test-helpers/certs';
import { notification } from './test-helpers/alarm';

interface Received { method: string; url: string; headers: IncomingMessage['headers']; body: string; atMs: number }

async function receiver(answer: (n: number, res: ServerResponse) => void, make: (h: (req: IncomingMessage, res: ServerResponse) => void) => Server = createServer) {
  const got: Received[] = [];
  const server = make((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      got.push({ method: req.method!, url: req.url!, headers: req.headers, body, atMs: Date.now() });
      answer(got.length, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { port, got, close: () => { server.closeAllConnections(); return new Promise<void>((r) => server.close(() => r())); } };
}

describe('webhook over HTTP', () => {
  it('POSTs the alarm as JSON with the bearer token and extra headers', async () => {
    const rx = await receiver((_n, res) => res.writeHead(204).end());
    const w = new WebhookNotifier({ name: 'chat', url: `http://127.0.0.1:${rx.port}/hooks/T123/secret-path?key=abc`, token: 'tok-123', headers: { 'X-Site': 'room-1' } });
    try {
      const d = await w.send(notification());
      expect(d).toEqual({ detail: 'HTTP 204', attempts: 1 });
      const r = rx.got[0];
      expect(r.method).toBe('POST');
      expect(r.url).toBe('/hooks/T123/secret-path?key=abc');
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers.authorization).toBe('Bearer tok-123');
      expect(r.headers['x-site']).toBe('room-1');
      expect(Number(r.headers['content-length'])).toBe(Buffer.byteLength(r.body));
      expect(JSON.parse(r.body)).toEqual({
        event: 'alarm.raised', rule: 'runaway', repeat: 0, sentAt: '2024-01-02T03:04:05.678Z',
        site: { name: 'Test site', location: 'Room 1' },
        alarm: {
          id: 1, key: 'thermal-runaway:critical@string/1', kind: 'thermal-runaway', severity: 'critical', entity: 'string/1', message: 'String 1: thermal runaway',
          value: 42.5, limit: 40, active: true, raisedAt: '2024-01-02T03:04:05.678Z', raisedAtMs: Date.UTC(2024, 0, 2, 3, 4, 5, 678), clearedAt: null, clearedAtMs: null, acknowledged: null,
        },
      });
      // The path and query carry secrets in many services: only the origin is shown.
      expect(w.target).toBe(`http://127.0.0.1:${rx.port}/…`);
    } finally {
      await rx.close();
    }
  });

  it('retries on 500 with doubling waits, then succeeds', async () => {
    const rx = await receiver((n, res) => (n < 3 ? res.writeHead(500).end('busy') : res.writeHead(200).end('ok')));
    const w = new WebhookNotifier({ name: 'x', url: `http://127.0.0.1:${rx.port}/`, retries: 3, retryDelayMs: 50 });
    try {
      expect(await w.send(notification())).toEqual({ detail: 'HTTP 200', attempts: 3 });
      expect(rx.got).toHaveLength(3);
      expect(new Set(rx.got.map((r) => r.body)).size).toBe(1);
      expect(rx.got[1].atMs - rx.got[0].atMs).toBeGreaterThanOrEqual(45);
      expect(rx.got[2].atMs - rx.got[1].atMs).toBeGreaterThanOrEqual(95);
    } finally {
      await rx.close();
    }
  });

  it('gives up after its retries, with the last answer', async () => {
    const rx = await receiver((_n, res) => res.writeHead(503).end('maintenance'));
    const w = new WebhookNotifier({ name: 'x', url: `http://127.0.0.1:${rx.port}/`, retries: 2, retryDelayMs: 10 });
    try {
      await expect(w.send(notification())).rejects.toMatchObject({ message: 'HTTP 503: maintenance (after 3 attempts)', attempts: 3 });
      expect(rx.got).toHaveLength(3);
    } finally {
      await rx.close();
    }
  });

  it('does not retry a 4xx answer (the request itself is wrong) nor follow redirects', async () => {
    const rx = await receiver((n, res) => (n === 1 ? res.writeHead(401).end('{"error":"bad token"}') : res.writeHead(301, { location: '/elsewhere' }).end()));
    const w = new WebhookNotifier({ name: 'x', url: `http://127.0.0.1:${rx.port}/`, retries: 3, retryDelayMs: 10 });
    try {
      await expect(w.send(notification())).rejects.toMatchObject({ message: 'HTTP 401: {"error":"bad token"}', attempts: 1 });
      await expect(w.send(notification())).rejects.toMatchObject({ message: expect.stringContaining('HTTP 301 (redirects are not followed'), attempts: 1 });
      expect(rx.got).toHaveLength(2);
    } finally {
      await rx.close();
    }
  });

  it('stops waiting for a receiver that does not answer, and retries', async () => {
    const rx = await receiver(() => { /* never answers */ });
    const w = new WebhookNotifier({ name: 'x', url: `http://127.0.0.1:${rx.port}/`, timeoutMs: 200, retries: 1, retryDelayMs: 10 });
    const t0 = Date.now();
    try {
      await expect(w.send(notification())).rejects.toMatchObject({ message: 'no complete answer within 200 ms (after 2 attempts)', attempts: 2 });
      expect(rx.got).toHaveLength(2);
      // Each attempt waited its full time limit. Without the limit the send would never settle
      // (the receiver never answers): Jest's own limit catches that, not a wall-clock bound here.
      expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    } finally {
      await rx.close();
    }
  });

  it('reports a refused connection', async () => {
    const rx = await receiver(() => {});
    await rx.close();
    const w = new WebhookNotifier({ name: 'x', url: `http://127.0.0.1:${rx.port}/`, retries: 0 });
    await expect(w.send(notification())).rejects.toMatchObject({ message: expect.stringContaining('ECONNREFUSED'), attempts: 1 });
  });

  it('shows only the origin of a URL', () => {
    expect(redactUrl('https://hooks.slack.com/services/T0/B0/XXXX')).toBe('https://hooks.slack.com/…');
    expect(redactUrl('https://user:pw@example.com:8443/')).toBe('https://example.com:8443');
  });
});

describeWithTools(['openssl'], 'webhook over HTTPS', () => {
  let certs: TestCerts;
  beforeAll(() => { certs = makeTestCerts(); });
  afterAll(() => certs.cleanup());

  it('verifies the server against the configured CA', async () => {
    const rx = await receiver((_n, res) => res.writeHead(200).end(), (h) => createHttpsServer({ ...certs.server }, h));
    try {
      const ok = new WebhookNotifier({ name: 'x', url: `https://127.0.0.1:${rx.port}/alarm`, tls: { ca: certs.ca } });
      expect(await ok.send(notification())).toEqual({ detail: 'HTTP 200', attempts: 1 });
      expect(JSON.parse(rx.got[0].body).alarm.kind).toBe('thermal-runaway');
      const untrusted = new WebhookNotifier({ name: 'x', url: `https://127.0.0.1:${rx.port}/alarm`, retries: 0 });
      await expect(untrusted.send(notification())).rejects.toThrow(/certificate/i);
      expect(rx.got).toHaveLength(1);
    } finally {
      await rx.close();
    }
  });
});
