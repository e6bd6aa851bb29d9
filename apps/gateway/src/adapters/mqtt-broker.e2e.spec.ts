// The embedded MQTT broker against hostile and ordinary clients, driven with the real
// mosquitto_pub / mosquitto_sub on an ephemeral loopback port (issue 19, point 4 and point 8):
// anonymous and wrong-password clients are refused with the CONNACK codes Mosquitto prints, a
// viewer can neither switch a relay nor spoof the gateway's retained topics, an operator's relay
// command is audited under the operator's name, the gateway's own client id cannot be taken
// over, and oversized packets and retained floods are bounded, with the production defaults.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithTools, run, startProcess, waitFor } from '@kirchhoff/test-support';
import { applySets, finishConfig } from '../config/load';
import { demoConfig } from '../config/demo-config';
import { Gateway, startGateway } from '../gateway';
import { memoryLogger } from '../log';
import { ProblemLog } from '@kirchhoff/core';
import { DEMO_HTTP_USERS } from '@kirchhoff/http';
import { mqttConnect } from '../fuzz/probes';
import { EmbeddedBroker, startBroker } from './mqtt-broker';

const EPHEMERAL = ['modbus.tcp.port=0', 'modbus.tcp.host=127.0.0.1', 'snmp.port=0', 'snmp.host=127.0.0.1', 'bacnet.port=0', 'http.port=0', 'http.host=127.0.0.1', 'mqtt.broker.port=0', 'nut.port=0', 'rccmd.enabled=false'];
const SITE = 'kirchhoff-demo-site';
/** The demo's documented credentials (README). */
const VIEWER = ['-u', 'viewer', '-P', 'kirchhoff-viewer'];
const OPERATOR = ['-u', 'operator', '-P', 'kirchhoff-operator'];

describeWithTools(['mosquitto_sub', 'mosquitto_pub'], 'embedded MQTT broker: authentication, topic ACLs and limits', () => {
  let gw: Gateway;
  let port: number;
  let dir: string;
  const logger = memoryLogger();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kirchhoff-mqtt-broker-'));
    const config = finishConfig(applySets(demoConfig(), [...EPHEMERAL, 'mqtt.writes=true', `history.path=${join(dir, 'history.db')}`]));
    gw = await startGateway(config, { logger, cycleMs: 3_600_000 });
    port = Number(gw.services.find((s) => s.name === 'MQTT broker (embedded)')!.endpoint.split(':').pop());
    // The gateway's own publisher is connected and has said so.
    await waitFor(async () => (await sub([...VIEWER, '-t', `kirchhoff/${SITE}/status`, '-C', '1'])).stdout.trim() === 'online', 10_000, 'status online');
  }, 120_000);
  afterAll(async () => {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  const sub = (args: string[], waitS = 10) => run('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '-W', String(waitS), ...args], { timeoutMs: (waitS + 5) * 1000 });
  const pub = (args: string[]) => run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-q', '1', ...args], { timeoutMs: 10_000 });
  const relay = (id: number) => gw.site.snapshot().relays.find((r) => r.id === id)!.on;
  /** The retained topics under `filter` as a subscriber sees them: all in, once a probe published after subscribing has come back. */
  const retainedTopics = async (filter: string) => {
    const probe = `probe/${process.pid}-${Math.random().toString(36).slice(2)}`;
    const reader = startProcess('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), ...VIEWER, '-F', '%r %t', '-t', filter, '-t', probe]);
    try {
      const seen = () => reader.output().includes(` ${probe}\n`);
      await waitFor(async () => seen() || ((await pub([...OPERATOR, '-t', probe, '-m', 'x'])), seen()), 20_000, 'the probe');
      return reader.output().split('\n').filter((l) => l.startsWith('1 ')).map((l) => l.slice(2)).sort();
    } finally {
      await reader.stop();
    }
  };

  it('refuses an anonymous client (CONNACK 5, not authorised) and a wrong password (CONNACK 4)', async () => {
    const anonymous = await sub(['-t', '#', '-C', '1']);
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toMatch(/Connection Refused: not authori[sz]ed/);
    const wrong = await sub(['-u', 'operator', '-P', 'kirchhoff-admin', '-t', '#', '-C', '1']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/Connection Refused: bad user name or password/);
    const unknown = await sub(['-u', 'mallory', '-P', 'kirchhoff-viewer', '-t', '#', '-C', '1']);
    expect(unknown.stderr).toMatch(/Connection Refused: bad user name or password/);
    // 20 more anonymous clients: still one log line for the kind, however many clients.
    for (let i = 0; i < 20; i++) await sub(['-t', '#', '-C', '1']);
    expect(logger.lines.filter((l) => String(l.msg).includes('anonymous clients are not allowed'))).toHaveLength(1);
    // ... and every one counted for /metrics (kirchhoff_problems_total{adapter="mqtt-broker",kind="anonymous"}).
    expect(gw.deps.problems!.counts().find((c) => c.source === 'mqtt-broker' && c.kind === 'anonymous')).toMatchObject({ count: 21, logged: 1 });
    // The demo's documented passwords are called out at start-up, once.
    expect(logger.lines.filter((l) => l.notice === 'mqtt-default-password' && l.level === 'error')).toHaveLength(1);
    // A viewer reads everything the gateway publishes.
    const ok = await sub([...VIEWER, '-t', `kirchhoff/${SITE}/string/1/module/7`, '-C', '1']);
    expect(JSON.parse(ok.stdout)).toMatchObject({ voltageV: { unit: 'V' } });
  }, 120_000);

  it('does not let a viewer or an anonymous client switch the battery-breaker relay; an operator switches a relay and is audited by name', async () => {
    expect(relay(1)).toBe(false);
    await pub([...VIEWER, '-t', `kirchhoff/${SITE}/relay/1/set`, '-m', 'true']);
    await pub(['-t', `kirchhoff/${SITE}/relay/1/set`, '-m', 'true']);
    const operator = await pub([...OPERATOR, '-t', `kirchhoff/${SITE}/relay/2/set`, '-m', 'true']);
    expect(operator.code).toBe(0);
    await waitFor(() => relay(2), 10_000, 'relay 2 on');
    // Delivered in order behind the refused ones: had they passed, relay 1 would be on by now.
    expect(relay(1)).toBe(false);
    const audit = await gw.deps.history!.audit({ kind: 'command' });
    expect(audit.map((a) => [a.action, a.outcome, a.protocol, a.principal])).toEqual([['set-relay', 'ok', 'mqtt', 'operator']]);
    expect(audit[0].remote).toMatch(/^127\.0\.0\.1:\d+$/);
  }, 120_000);

  it('does not let a viewer spoof the gateway\'s retained status or data', async () => {
    await pub([...VIEWER, '-r', '-t', `kirchhoff/${SITE}/status`, '-m', 'offline']);
    await pub([...OPERATOR, '-r', '-t', `kirchhoff/${SITE}/string/1/module/7`, '-m', '{"voltageV":{"value":99}}']);
    expect((await sub([...VIEWER, '-t', `kirchhoff/${SITE}/status`, '-C', '1'])).stdout.trim()).toBe('online');
    const state = JSON.parse((await sub([...VIEWER, '-t', `kirchhoff/${SITE}/string/1/module/7`, '-C', '1'])).stdout);
    expect(state.voltageV.value).toBe(gw.site.snapshot().modules[6].voltageV.value);
  }, 120_000);

  it('refuses a client that takes the gateway\'s client id (CONNACK 2), and the gateway stays connected', async () => {
    const takeover = await sub([...OPERATOR, '-i', `kirchhoff-${SITE}`, '-t', 'x', '-C', '1']);
    expect(takeover.stderr).toMatch(/Connection Refused: identifier rejected/);
    const spb = await sub([...OPERATOR, '-i', `kirchhoff-${SITE}-spb`, '-t', 'x', '-C', '1']);
    expect(spb.stderr).toMatch(/Connection Refused: identifier rejected/);
    expect((await sub([...VIEWER, '-t', `kirchhoff/${SITE}/status`, '-C', '1'])).stdout.trim()).toBe('online');
  }, 120_000);

  it('closes a connection whose packet exceeds mqtt.broker.maxPacketKiB (default 256) and keeps serving', async () => {
    const file = join(dir, 'big');
    writeFileSync(file, Buffer.alloc(300 * 1024, 0x61));
    const refused = await pub([...OPERATOR, '-r', '-t', 'site/big', '-f', file]);
    expect(refused.code).not.toBe(0);
    expect(await retainedTopics('site/#')).toEqual([]);
    // Before CONNECT, a header announcing 200 MB: closed at once instead of buffered.
    const closedAfter = await new Promise<number>((resolve) => {
      const s = connect(port, '127.0.0.1');
      let sent = 0;
      s.on('connect', () => {
        s.write(Buffer.from([0x10, 0x80, 0x80, 0x80, 0x60]));
        const chunk = Buffer.alloc(64 * 1024);
        const more = () => { while (!s.destroyed && sent < 200 * 1024 * 1024 && s.write(chunk)) sent += chunk.length; };
        s.on('drain', more);
        more();
      });
      s.on('error', () => undefined);
      s.on('close', () => resolve(sent));
    });
    expect(closedAfter).toBeLessThan(16 * 1024 * 1024);
    expect((await sub([...VIEWER, '-t', `kirchhoff/${SITE}/status`, '-C', '1'])).stdout.trim()).toBe('online');
  }, 120_000);

  it('bounds retained messages from clients by bytes (mqtt.broker.maxRetainedKiB, default 1024)', async () => {
    const file = join(dir, 'retained');
    writeFileSync(file, Buffer.alloc(200 * 1024, 0x62));
    const codes: (number | null)[] = [];
    for (let i = 0; i < 7; i++) codes.push((await pub([...OPERATOR, '-r', '-t', `flood/${i}`, '-f', file])).code);
    // 5 x 200 KiB fit in 1024 KiB; the 6th and 7th are refused.
    expect(codes.map((c) => c === 0)).toEqual([true, true, true, true, true, false, false]);
    expect(await retainedTopics('flood/#')).toEqual(['flood/0', 'flood/1', 'flood/2', 'flood/3', 'flood/4']);
    // Clearing one makes room again.
    await pub([...OPERATOR, '-r', '-n', '-t', 'flood/0']);
    expect((await pub([...OPERATOR, '-r', '-t', 'flood/5', '-f', file])).code).toBe(0);
    expect(await retainedTopics('flood/#')).toEqual(['flood/1', 'flood/2', 'flood/3', 'flood/4', 'flood/5']);
  }, 120_000);
});

describeWithTools(['mosquitto_pub'], 'embedded MQTT broker on its own: retained count limit and Sparkplug commands', () => {
  const handed: [string, string, string][] = [];
  let broker: EmbeddedBroker;
  beforeAll(async () => {
    broker = await startBroker({
      host: '127.0.0.1', port: 0, users: DEMO_HTTP_USERS, gatewayClientIds: ['kirchhoff-s', 'kirchhoff-s-spb'],
      acl: { gatewayTopics: ['kirchhoff/s/#', 'spBv1.0/g/+/s', 'spBv1.0/g/+/s/#'], commandTopics: ['kirchhoff/s/relay/+/set', 'spBv1.0/g/NCMD/s', 'spBv1.0/g/DCMD/s/+'], openTopics: ['homeassistant/status'] },
      // maxRetained lowered to 2 here so the count limit shows with three messages (production default 1000).
      maxPacketBytes: 256 * 1024, maxRetained: 2, maxRetainedBytes: 1024 * 1024,
      onCommand: (topic, _payload, origin) => (handed.push([topic, origin.principal, origin.remote.split(':')[0]]), true),
      logger: memoryLogger(), problems: new ProblemLog(),
    });
  }, 120_000);
  afterAll(() => broker?.close());
  const pub = (args: string[]) => run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(broker.port), '-q', '1', ...OPERATOR, ...args], { timeoutMs: 10_000 });

  it('refuses the retained message beyond mqtt.broker.maxRetained', async () => {
    expect((await pub(['-r', '-t', 'a', '-m', '1'])).code).toBe(0);
    expect((await pub(['-r', '-t', 'b', '-m', '2'])).code).toBe(0);
    expect((await pub(['-r', '-t', 'c', '-m', '3'])).code).not.toBe(0);
    // Replacing a kept one is not a new one.
    expect((await pub(['-r', '-t', 'b', '-m', '22'])).code).toBe(0);
  }, 120_000);

  it('hands Sparkplug DCMD and NCMD from an operator to the gateway with the operator\'s name; a viewer\'s are refused', async () => {
    expect((await pub(['-t', 'spBv1.0/g/DCMD/s/relays', '-m', 'x'])).code).toBe(0);
    expect((await pub(['-t', 'spBv1.0/g/NCMD/s', '-m', 'x'])).code).toBe(0);
    const viewer = await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(broker.port), '-q', '1', ...VIEWER, '-t', 'spBv1.0/g/DCMD/s/relays', '-m', 'x'], { timeoutMs: 10_000 });
    expect(viewer.code).not.toBe(0);
    expect(handed).toEqual([['spBv1.0/g/DCMD/s/relays', 'operator', '127.0.0.1'], ['spBv1.0/g/NCMD/s', 'operator', '127.0.0.1']]);
  }, 120_000);
});

// Issue 19 point 3 for the broker (as Modbus, HTTP and NUT have it): idle connections from one
// address cannot lock others out. Caps lowered here to 3 per address and 5 in all (production
// defaults 32 and 256) so each rule shows with a handful of raw loopback sockets.
describe('embedded MQTT broker connection caps (3 per address, 5 in all)', () => {
  let broker: EmbeddedBroker;
  const logger = memoryLogger();
  const sockets: Socket[] = [];
  beforeAll(async () => {
    broker = await startBroker({
      host: '127.0.0.1', port: 0, users: DEMO_HTTP_USERS, gatewayClientIds: ['kirchhoff-s'],
      acl: { gatewayTopics: ['kirchhoff/s/#'], commandTopics: [], openTopics: [] },
      maxPacketBytes: 256 * 1024, maxRetained: 10, maxRetainedBytes: 1024 * 1024,
      maxConnectionsPerAddress: 3, maxConnections: 5,
      onCommand: () => false, logger, problems: new ProblemLog(),
    });
  }, 120_000);
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await broker?.close();
  });

  /** A raw connection from `from` that sends nothing; resolves once the broker has `open` in all. */
  const idle = async (from: string, open: number): Promise<Socket> => {
    const s = connect({ port: broker.port, host: '127.0.0.1', localAddress: from });
    s.on('error', () => undefined);
    sockets.push(s);
    await waitFor(() => s.readyState === 'open' && broker.connections() === open, 5000, `a connection from ${from}`);
    return s;
  };
  const closed = (s: Socket) => waitFor(() => s.destroyed || s.readableEnded, 5000, 'the connection to be closed');
  /** CONNECT from `from` as `user`; resolves with the CONNACK return code. */
  const login = (from: string, clientId: string, user: string, pass: string) => new Promise<{ code: number; socket: Socket }>((resolve, reject) => {
    const s = connect({ port: broker.port, host: '127.0.0.1', localAddress: from }, () => s.write(mqttConnect(clientId, user, pass)));
    sockets.push(s);
    s.on('error', reject);
    s.once('data', (d: Buffer) => (d[0] === 0x20 ? resolve({ code: d[3], socket: s }) : reject(new Error(`answered ${d.toString('hex')}`))));
    s.once('close', () => reject(new Error('closed without a CONNACK')));
  });

  it('a fourth connection from one address closes that address\'s least recently active one; another address logs in', async () => {
    const a = [await idle('127.0.0.5', 1), await idle('127.0.0.5', 2), await idle('127.0.0.5', 3)];
    a.push(await idle('127.0.0.5', 3));
    await closed(a[0]);
    expect(a.slice(1).map((s) => s.destroyed)).toEqual([false, false, false]);
    const other = await login('127.0.0.6', 'other', 'viewer', DEMO_HTTP_USERS.find((u) => u.name === 'viewer')!.password);
    expect(other.code).toBe(0);
    other.socket.destroy();
    await waitFor(() => broker.connections() === 3, 5000, 'three connections from 127.0.0.5 left');
    expect(logger.lines.some((l) => String(l.msg).includes('mqtt.broker.maxConnectionsPerAddress'))).toBe(true);
  });

  it('at 5 in all, a new client closes the least recently active connection of the address holding the most', async () => {
    const b = [await idle('127.0.0.7', 4), await idle('127.0.0.7', 5)];
    const fromA = sockets.filter((s) => s.localAddress === '127.0.0.5' && !s.destroyed);
    expect(fromA).toHaveLength(3);
    await idle('127.0.0.8', 5);
    await closed(fromA[0]);
    expect(b.map((s) => s.destroyed)).toEqual([false, false]);
    expect(broker.connections()).toBe(5);
  });

  it('never closes the gateway\'s own connection to make room', async () => {
    for (const s of sockets) s.destroy();
    await waitFor(() => broker.connections() === 0, 5000, 'all closed');
    const gateway = await login('127.0.0.1', 'kirchhoff-s', broker.gatewayLogin.username, broker.gatewayLogin.password);
    expect(gateway.code).toBe(0);
    const idles = [await idle('127.0.0.1', 2), await idle('127.0.0.1', 3)];
    // The gateway's is the least recently active of 127.0.0.1; the oldest other one gives way.
    await idle('127.0.0.1', 3);
    await closed(idles[0]);
    expect([gateway.socket.destroyed, idles[1].destroyed]).toEqual([false, false]);
    expect(broker.clients()).toBe(1);
  });
});
