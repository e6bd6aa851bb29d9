// The HTTP API over HTTPS with a throwaway certificate: openssl s_client and curl negotiate TLS 1.3
// by default and 1.2 when asked; a TLS 1.1 hello is refused by the server (alert 70); with
// http.tls.minVersion TLSv1.3, 1.2 is refused too.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithTools, run } from '@kirchhoff/test-support';
import { applySets, finishConfig } from '../config/load';
import { demoConfig } from '../config/demo-config';
import { Gateway, startGateway } from '../gateway';
import { memoryLogger } from '../log';

const EPHEMERAL = ['modbus.enabled=false', 'snmp.enabled=false', 'bacnet.enabled=false', 'mqtt.enabled=false', 'rccmd.enabled=false', 'nut.enabled=false', 'http.port=0', 'http.host=127.0.0.1'];

describeWithTools(['openssl', 'curl'], 'gateway HTTP API over HTTPS', () => {
  let dir: string;
  let cert: string;
  let key: string;
  let rsaCert: string;
  let rsaKey: string;

  async function start(extra: string[] = []): Promise<{ gw: Gateway; port: number }> {
    const config = finishConfig(applySets(demoConfig(), [...EPHEMERAL, `http.tls.cert=${cert}`, `http.tls.key=${key}`, ...extra]));
    const gw = await startGateway(config, { logger: memoryLogger('info'), cycleMs: 3_600_000 });
    const svc = gw.services.find((s) => s.name === 'HTTP API')!;
    expect(svc.endpoint).toMatch(/^https 127\.0\.0\.1:\d+$/);
    return { gw, port: Number(svc.endpoint.split(':')[1]) };
  }

  /** What openssl s_client negotiated, or the error it printed. */
  async function sClient(port: number, args: string[]): Promise<{ code: number | null; protocol: string | null; output: string }> {
    const r = await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', cert, ...args], { input: '' });
    const output = r.stdout + r.stderr;
    return { code: r.code, protocol: /^New, (TLSv[0-9.]+), Cipher is/m.exec(output)?.[1] ?? null, output };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kirchhoff-https-'));
    cert = join(dir, 'cert.pem');
    key = join(dir, 'key.pem');
    const r = await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
    expect(r.code).toBe(0);
    rsaCert = join(dir, 'rsa-cert.pem');
    rsaKey = join(dir, 'rsa-key.pem');
    const r2 = await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', rsaKey, '-out', rsaCert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
    expect(r2.code).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe('with the default minVersion TLSv1.2', () => {
    let gw: Gateway;
    let port: number;
    beforeAll(async () => ({ gw, port } = await start()));
    afterAll(async () => gw?.stop());

    it('negotiates TLS 1.3 when the client can, and 1.2 when asked', async () => {
      expect((await sClient(port, [])).protocol).toBe('TLSv1.3');
      expect((await sClient(port, ['-tls1_3'])).protocol).toBe('TLSv1.3');
      expect((await sClient(port, ['-tls1_2'])).protocol).toBe('TLSv1.2');
      const curl = await run('curl', ['-sS', '-v', '--cacert', cert, `https://127.0.0.1:${port}/health`]);
      expect(curl.stderr).toMatch(/SSL connection using TLSv1\.3/);
      expect(JSON.parse(curl.stdout)).toMatchObject({ status: 'ok' });
      const curl12 = await run('curl', ['-sS', '-v', '--tls-max', '1.2', '--cacert', cert, `https://127.0.0.1:${port}/health`]);
      expect(curl12.stderr).toMatch(/SSL connection using TLSv1\.2/);
    });

    // Issue 19, point 9: TLS 1.2 offered ciphers without forward secrecy, and there was no HSTS.
    it('offers TLS 1.2 only with forward-secret ciphers, and sends HSTS', async () => {
      expect((await sClient(port, ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256'])).protocol).toBe('TLSv1.2');
      expect((await sClient(port, ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-SHA'])).protocol).toBeNull();
      const rsa = await start([`http.tls.cert=${rsaCert}`, `http.tls.key=${rsaKey}`]);
      try {
        const withRsa = (args: string[]) => run('openssl', ['s_client', '-connect', `127.0.0.1:${rsa.port}`, '-CAfile', rsaCert, ...args], { input: '' });
        // Static RSA key exchange (no forward secrecy) is what an RSA certificate allows unless refused.
        for (const cipher of ['AES128-GCM-SHA256', 'AES256-GCM-SHA384', 'AES128-SHA']) {
          const r = await withRsa(['-tls1_2', '-cipher', cipher]);
          expect(/^New, TLSv1\.2, Cipher is/m.test(r.stdout)).toBe(false);
        }
        expect((await withRsa(['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256'])).stdout).toMatch(/^New, TLSv1\.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256/m);
        expect((await withRsa(['-tls1_3'])).stdout).toMatch(/^New, TLSv1\.3, Cipher is TLS_/m);
      } finally {
        await rsa.gw.stop();
      }
      const curl = await run('curl', ['-sS', '-D', '-', '-o', '/dev/null', '--cacert', cert, `https://127.0.0.1:${port}/health`]);
      expect(curl.stdout).toMatch(/^strict-transport-security: max-age=31536000\r?$/im);
    });

    it('refuses TLS 1.1 with a protocol-version alert from the server', async () => {
      // SECLEVEL=0 lets the client really offer TLS 1.1; the alert then comes from the gateway.
      const r = await sClient(port, ['-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0']);
      expect(r.protocol).toBeNull();
      expect(r.output).toMatch(/alert protocol version|SSL alert number 70/);
      const curl = await run('curl', ['-sS', '--tlsv1.1', '--tls-max', '1.1', '--ciphers', 'DEFAULT@SECLEVEL=0', '--cacert', cert, `https://127.0.0.1:${port}/health`]);
      expect(curl.code).not.toBe(0);
      expect(curl.stderr).toMatch(/alert protocol version/);
    });

    it('logs in over HTTPS with a Secure session cookie', async () => {
      const body = JSON.stringify({ username: 'viewer', password: 'kirchhoff-viewer' });
      const answer = await new Promise<{ status: number; cookie: string; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/api/login', method: 'POST', ca: readFileSync(cert), servername: 'localhost', headers: { 'content-type': 'application/json' } }, (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode!, cookie: String(res.headers['set-cookie']), body: text }));
        });
        req.on('error', reject);
        req.end(body);
      });
      expect(answer.status).toBe(200);
      expect(answer.cookie).toMatch(/; Secure$/);
      const notices = (JSON.parse(answer.body) as { notices: { id: string }[] }).notices.map((n) => n.id);
      expect(notices).toContain('default-password');
      expect(notices).not.toContain('plain-http');
    });

    it('does not answer plain HTTP on the HTTPS port', async () => {
      const r = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${port}/health`]);
      expect(r.stdout).not.toBe('200');
    });
  });

  describe('with minVersion TLSv1.3', () => {
    it('refuses TLS 1.2', async () => {
      const { gw, port } = await start(['http.tls.minVersion=TLSv1.3']);
      try {
        expect((await sClient(port, ['-tls1_3'])).protocol).toBe('TLSv1.3');
        const r = await sClient(port, ['-tls1_2']);
        expect(r.protocol).toBeNull();
        expect(r.output).toMatch(/alert protocol version|SSL alert number 70/);
      } finally {
        await gw.stop();
      }
    });
  });

  it('names a missing key file', async () => {
    const config = finishConfig(applySets(demoConfig(), [...EPHEMERAL, `http.tls.cert=${cert}`, `http.tls.key=${join(dir, 'nope.pem')}`]));
    await expect(startGateway(config, { logger: memoryLogger('info'), cycleMs: 3_600_000 })).rejects.toThrow(/http\.tls\.key .*nope\.pem: cannot read it \(ENOENT\)/);
    // Half a pair is refused with the configuration (so `config check` refuses it too).
    expect(() => finishConfig(applySets(demoConfig(), [...EPHEMERAL, `http.tls.cert=${cert}`]))).toThrow('http.tls.key: is required when http.tls.cert is set');
  });
});
