// The secure and web transports against a real Mosquitto: mqtts:// with a client certificate
// (and the refusal of a certificate from another CA), ws:// and wss://. A plain listener of the
// same broker lets mosquitto_sub read what arrived.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithTools, freeTcpPort, run, startProcess, waitFor } from '@kirchhoff/test-support';
import { createMqttPublisher, MqttPublisher } from './index';
import { filledSite, subscribe, uniqueSiteId } from './__fixtures__/mqtt-tools';

describeWithTools(['mosquitto', 'mosquitto_sub', 'openssl'], 'MQTT over TLS and WebSockets (Mosquitto)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-mqtt-tls-'));
  const pem = (name: string) => readFileSync(join(dir, name), 'utf8');
  const ports = { plain: 0, tls: 0, ws: 0, wss: 0 };
  let broker: ReturnType<typeof startProcess>;
  const publishers: MqttPublisher[] = [];

  function openssl(...args: string[]): void {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  }
  /** A CA, and a certificate it signs (server: for 127.0.0.1 and localhost). */
  function certificates(): void {
    for (const ca of ['ca', 'rogue-ca']) {
      openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${ca}`, '-keyout', `${ca}.key`, '-out', `${ca}.crt`);
    }
    writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    const issue = (name: string, ca: string, ext?: string) => {
      openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
      openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2', '-out', `${name}.crt`, ...(ext ? ['-extfile', ext] : []));
    };
    issue('server', 'ca', 'server.ext');
    issue('gateway', 'ca');
    issue('intruder', 'rogue-ca');
  }

  beforeAll(async () => {
    certificates();
    chmodSync(dir, 0o755);
    for (const f of ['ca.crt', 'server.crt', 'server.key']) chmodSync(join(dir, f), 0o644);
    for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freeTcpPort();
    const tls = [`cafile ${dir}/ca.crt`, `certfile ${dir}/server.crt`, `keyfile ${dir}/server.key`];
    writeFileSync(join(dir, 'mosquitto.conf'), [
      'per_listener_settings false', 'allow_anonymous true',
      `listener ${ports.plain} 127.0.0.1`,
      `listener ${ports.tls} 127.0.0.1`, ...tls, 'require_certificate true', 'tls_version tlsv1.2',
      `listener ${ports.ws} 127.0.0.1`, 'protocol websockets',
      `listener ${ports.wss} 127.0.0.1`, 'protocol websockets', ...tls,
      '',
    ].join('\n'));
    broker = startProcess('mosquitto', ['-c', join(dir, 'mosquitto.conf')]);
    await waitFor(async () => (await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(ports.plain), '-t', 'probe', '-n'], { timeoutMs: 2000 })).code === 0, 5000, 'mosquitto');
  }, 120_000);

  afterAll(async () => {
    await Promise.all(publishers.map((p) => p.close()));
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function publishesModuleVoltage(url: string, tls?: { ca: string; cert?: string; key?: string }): Promise<void> {
    const site = filledSite(1, 2);
    const siteId = uniqueSiteId('transport');
    const sub = await subscribe(ports.plain, [`kirchhoff/${siteId}/string/1/module/1`]);
    try {
      const publisher = createMqttPublisher(site, { url, siteId, publishIntervalMs: 50, modes: { json: true }, ...(tls ? { tls } : {}) });
      publishers.push(publisher);
      await publisher.connected(10_000);
      const topic = `kirchhoff/${siteId}/string/1/module/1`;
      await sub.waitFor(topic, undefined, 10_000);
      expect((sub.json(topic).voltageV as { value: number }).value).toBe(site.snapshot().modules[0].voltageV.value);
    } finally {
      await sub.stop();
    }
  }

  it('publishes over mqtts:// with a client certificate the broker requires', async () => {
    await publishesModuleVoltage(`mqtts://127.0.0.1:${ports.tls}`, { ca: pem('ca.crt'), cert: pem('gateway.crt'), key: pem('gateway.key') });
  }, 120_000);

  it('is refused over mqtts:// with a client certificate from another CA, and never connects', async () => {
    const publisher = createMqttPublisher(filledSite(1, 1), { url: `mqtts://127.0.0.1:${ports.tls}`, siteId: uniqueSiteId('intruder'), tls: { ca: pem('ca.crt'), cert: pem('intruder.crt'), key: pem('intruder.key') } });
    publishers.push(publisher);
    await expect(publisher.connected(3000)).rejects.toThrow();
  }, 120_000);

  it('refuses a broker whose certificate its CA did not sign', async () => {
    const publisher = createMqttPublisher(filledSite(1, 1), { url: `mqtts://127.0.0.1:${ports.tls}`, siteId: uniqueSiteId('wrong-ca'), tls: { ca: pem('rogue-ca.crt'), cert: pem('gateway.crt'), key: pem('gateway.key') } });
    publishers.push(publisher);
    await expect(publisher.connected(3000)).rejects.toThrow();
  }, 120_000);

  it('publishes over ws://', async () => {
    await publishesModuleVoltage(`ws://127.0.0.1:${ports.ws}`);
  }, 120_000);

  it('publishes over wss:// trusting the broker by its CA', async () => {
    await publishesModuleVoltage(`wss://127.0.0.1:${ports.wss}`, { ca: pem('ca.crt') });
  }, 120_000);
});
