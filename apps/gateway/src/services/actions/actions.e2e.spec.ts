// The gateway with an `actions` section, from a YAML file: a digital input raises a critical
// alarm, and the rule sets a relay through the command interface and notifies a TCP syslog
// receiver, a STARTTLS mail server with AUTH and a webhook; the clear is sent too. Secrets from
// the configuration appear in no log line.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithTools, waitFor } from '@kirchhoff/test-support';
import { loadConfig } from '../../config/load';
import { Gateway, startGateway } from '../../gateway';
import { memoryLogger } from '../../log';
import { makeTestCerts, TestCerts } from './test-helpers/certs';
import { startSmtpServer, TestSmtpServer } from './test-helpers/smtp-server';

const SECRETS = { password: 'smtp-secret-4711', token: 'hook-token-4711', header: 'hdr-secret-4711' };

describeWithTools(['openssl'], 'gateway actions end to end', () => {
  let certs: TestCerts;
  let dir: string;
  let smtp: TestSmtpServer;
  let syslog: Server;
  let syslogBytes = Buffer.alloc(0);
  const syslogSockets: Socket[] = [];
  let http: HttpServer;
  const hooks: { headers: IncomingMessage['headers']; body: Record<string, unknown> }[] = [];
  let gw: Gateway;
  const logger = memoryLogger();

  const frames = () => {
    const out: string[] = [];
    let i = 0;
    while (i < syslogBytes.length) {
      const sp = syslogBytes.indexOf(0x20, i);
      const len = Number(syslogBytes.subarray(i, sp).toString());
      if (sp + 1 + len > syslogBytes.length) break;
      out.push(syslogBytes.subarray(sp + 1, sp + 1 + len).toString('utf8'));
      i = sp + 1 + len;
    }
    return out;
  };

  beforeAll(async () => {
    certs = makeTestCerts();
    dir = mkdtempSync(join(tmpdir(), 'kirchhoff-actions-'));
    smtp = await startSmtpServer({ identity: certs.server, starttls: true, auth: ['PLAIN', 'LOGIN'], users: { gateway: SECRETS.password } });
    syslog = createTcpServer((s) => { syslogSockets.push(s); s.on('data', (d) => (syslogBytes = Buffer.concat([syslogBytes, d]))); });
    await new Promise<void>((r) => syslog.listen(0, '127.0.0.1', r));
    http = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => { hooks.push({ headers: req.headers, body: JSON.parse(body) }); res.writeHead(200).end(); });
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const file = join(dir, 'site.yaml');
    writeFileSync(file, `
site: { name: E2E site }
strings: [{ modules: 4 }]
inputs: [{ name: Fire panel, alarm: critical }]
relays: [{ name: Beacon, function: beacon }]
actions:
  enabled: true
  syslog:
    noc: { transport: tcp, host: 127.0.0.1, port: ${(syslog.address() as { port: number }).port}, hostname: gw-e2e }
  email:
    oncall:
      host: 127.0.0.1
      port: ${smtp.port}
      username: gateway
      password: ${SECRETS.password}
      from: kirchhoff@e2e.example
      to: [oncall@e2e.example]
      tls: { ca: ${certs.caFile} }
  webhooks:
    chat:
      url: http://127.0.0.1:${(http.address() as { port: number }).port}/hook/${SECRETS.token}
      token: ${SECRETS.token}
      headers: { X-Api-Key: ${SECRETS.header} }
  rules:
    - name: fire
      kinds: [input-active]
      severities: [critical]
      relays: [{ relay: 1 }]
      syslog: [noc]
      email: [oncall]
      webhooks: [chat]
`);
    gw = await startGateway(loadConfig(file), { logger, cycleMs: 100 });
  });

  afterAll(async () => {
    await gw?.stop();
    await smtp?.close();
    syslogSockets.forEach((s) => s.destroy());
    await new Promise((r) => syslog?.close(r));
    http?.closeAllConnections();
    await new Promise((r) => http?.close(r));
    certs?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('acts on the raise and on the clear, and records every action', async () => {
    const record = gw.deps.actions!;
    expect(record).toBeDefined();
    gw.site.update((tx) => tx.input(1, true));
    await waitFor(() => record.list().length === 4, 10_000, 'four actions on the raise');
    expect(gw.site.snapshot().relays[0].on).toBe(true);
    expect(record.list().map((e) => [e.type, e.destination, e.trigger, e.outcome]).sort()).toEqual([
      ['email', 'oncall', 'raised', 'ok'], ['relay', 'relay 1', 'raised', 'ok'], ['syslog', 'noc', 'raised', 'ok'], ['webhook', 'chat', 'raised', 'ok'],
    ]);
    expect(frames()[0]).toMatch(/^<130>1 \S+ gw-e2e kirchhoff \d+ alarm-raised \[kirchhoff@32473 alarmId="\d+" kind="input-active" severity="critical" entity="input\/1" event="raised" repeat="0" rule="fire" site="E2E site"\] /);
    expect(smtp.messages[0].data).toMatch(/^Subject: \[CRITICAL\] E2E site: /m);
    expect(smtp.messages[0].user).toBe('gateway');
    expect(smtp.sessions[0].find((l) => l.line.startsWith('AUTH'))?.tls).toBe(true);
    expect(hooks[0].headers.authorization).toBe(`Bearer ${SECRETS.token}`);
    expect(hooks[0].headers['x-api-key']).toBe(SECRETS.header);
    expect(hooks[0].body).toMatchObject({ event: 'alarm.raised', rule: 'fire', alarm: { kind: 'input-active', severity: 'critical', entity: 'input/1' } });

    gw.site.update((tx) => tx.input(1, false));
    await waitFor(() => record.list().length === 8, 10_000, 'four actions on the clear');
    expect(gw.site.snapshot().relays[0].on).toBe(false);
    expect(record.list().slice(4).map((e) => [e.type, e.trigger, e.outcome]).sort()).toEqual([
      ['email', 'cleared', 'ok'], ['relay', 'cleared', 'ok'], ['syslog', 'cleared', 'ok'], ['webhook', 'cleared', 'ok'],
    ]);
    expect(frames()[1]).toContain(' alarm-cleared [');
    expect(hooks[1].body.event).toBe('alarm.cleared');
    expect(smtp.messages[1].data).toMatch(/^Subject: \[CLEARED\] E2E site: /m);
  });

  it('logs each action, and no secret', () => {
    const text = logger.lines.map((l) => JSON.stringify(l)).join('\n');
    expect(logger.lines.filter((l) => l.component === 'actions' && /^(relay|syslog|email|webhook) .* for alarm \d+ input-active: /.test(String(l.msg)))).toHaveLength(8);
    for (const s of Object.values(SECRETS)) expect(text).not.toContain(s);
    expect(text).not.toContain(Buffer.from(`\0gateway\0${SECRETS.password}`).toString('base64'));
  });
});
