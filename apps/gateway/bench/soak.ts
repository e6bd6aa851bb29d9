// Soak benchmark (issue 9): the built gateway on a 16 x 32 demo site with every adapter on, while
// clients poll each protocol once a second (Modbus FC3, SNMP GET, BACnet ReadProperty, HTTP
// snapshot, an MQTT subscriber to everything). Samples the gateway process's RSS and CPU share
// from /proc; targets: RSS <= 200 MB, CPU <= 10 % of one core, nothing growing without bound.
// Peer in the same run: the same demo with every network service off.
// Run: npm run bench:soak -w kirchhoff   (SOAK_S=600 by default; PEER_S=120)
import { spawn, ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as snmp from 'net-snmp';
import { connect as mqttConnect } from 'mqtt';
import { freeTcpPort, freeUdpPort, waitFor } from '@kirchhoff/test-support';

const SOAK_S = Number(process.env.SOAK_S ?? 600);
const PEER_S = Number(process.env.PEER_S ?? 120);
const SAMPLE_S = 5;
const BIN = join(__dirname, '..', 'bin', 'kirchhoff.js');
const TICK_HZ = 100; // Linux USER_HZ for /proc/<pid>/stat

interface Sample { tS: number; rssMb: number; cpuPct: number }

function procTimes(pid: number): { cpuTicks: number; rssKb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuTicks = Number(fields[11]) + Number(fields[12]); // utime + stime
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  return { cpuTicks, rssKb };
}

async function startGateway(sets: string[]): Promise<{ child: ChildProcess; output: () => string; stop: () => Promise<void> }> {
  const child = spawn('node', [BIN, 'start', '--demo', '--strings', '16', '--modules', '32', '--status-every', '0', '--set', 'log.level=warn', ...sets.flatMap((s) => ['--set', s])], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out = (out + d).slice(-20_000)));
  child.stderr!.on('data', (d) => (out = (out + d).slice(-20_000)));
  await waitFor(() => out.includes('Ctrl-C stops the gateway.'), 60_000, 'the gateway to start');
  return {
    child,
    output: () => out,
    stop: () => new Promise<void>((r) => { child.once('exit', () => r()); child.kill('SIGTERM'); setTimeout(() => child.kill('SIGKILL'), 5000).unref(); }),
  };
}

async function sample(pid: number, seconds: number, onSecond?: () => Promise<void>): Promise<Sample[]> {
  const samples: Sample[] = [];
  const t0 = Date.now();
  let last = { ...procTimes(pid), atMs: Date.now() };
  for (let s = 1; s <= seconds; s++) {
    const due = t0 + s * 1000;
    if (onSecond) await onSecond().catch(() => undefined);
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
    if (s % SAMPLE_S === 0) {
      const now = { ...procTimes(pid), atMs: Date.now() };
      samples.push({ tS: s, rssMb: now.rssKb / 1024, cpuPct: ((now.cpuTicks - last.cpuTicks) / TICK_HZ) / ((now.atMs - last.atMs) / 1000) * 100 });
      last = now;
    }
  }
  return samples;
}

const quantile = (xs: number[], q: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))] : NaN);
const median = (xs: number[]) => quantile(xs, 0.5);
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** A raw Modbus TCP FC3 read (the bench measures the gateway, not a client library). */
function modbusClient(port: number): { poll: () => Promise<void>; close: () => void } {
  const sock: Socket = createConnection(port, '127.0.0.1');
  let tid = 0;
  let pending: ((ok: boolean) => void) | null = null;
  sock.on('data', () => { pending?.(true); pending = null; });
  sock.on('error', () => undefined);
  return {
    poll: () => new Promise<void>((resolve) => {
      tid = (tid + 1) & 0xffff;
      const req = Buffer.from([tid >> 8, tid & 0xff, 0, 0, 0, 6, 1, 3, 0x27, 0x10, 0, 125]); // 10000, 125 registers
      pending = () => resolve();
      sock.write(req);
      setTimeout(() => { pending = null; resolve(); }, 900).unref();
    }),
    close: () => sock.destroy(),
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-soak-'));
  const ports = { modbus: await freeTcpPort(), snmp: await freeUdpPort(), bacnet: await freeUdpPort(), http: await freeTcpPort(), mqtt: await freeTcpPort() };
  const common = [`history.path=${join(dir, 'history.db')}`, 'rccmd.enabled=false', 'nut.port=0'];
  console.log(`soak: 16 x 32 demo, every adapter on, each protocol polled once a second, ${SOAK_S} s; peer: the same demo with network services off, ${PEER_S} s (node ${process.version})`);

  const gw = await startGateway([...common, `modbus.tcp.port=${ports.modbus}`, `snmp.port=${ports.snmp}`, `bacnet.port=${ports.bacnet}`, 'bacnet.address=127.0.0.2', `http.port=${ports.http}`, `mqtt.broker.port=${ports.mqtt}`]);
  const modbus = modbusClient(ports.modbus);
  const session = snmp.createSession('127.0.0.1', 'public', { port: ports.snmp, version: snmp.Version2c, timeout: 900, retries: 0 });
  const Bacstack = createRequire(__filename)('bacstack') as new (o: object) => { readProperty: (...a: unknown[]) => void; close(): void };
  const bacnet = new Bacstack({ port: ports.bacnet, interface: '127.0.0.3', apduTimeout: 900 });
  const token = ((await (await fetch(`http://127.0.0.1:${ports.http}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'viewer', password: 'kirchhoff-viewer' }) })).json()) as { token: string }).token;
  let mqttMessages = 0;
  const mqtt = mqttConnect(`mqtt://127.0.0.1:${ports.mqtt}`, { username: 'viewer', password: 'kirchhoff-viewer' });
  mqtt.on('connect', () => mqtt.subscribe(['kirchhoff/#', 'spBv1.0/#', 'homeassistant/#']));
  mqtt.on('message', () => mqttMessages++);
  let polls = 0;
  let failures = 0;
  const oids = ['1.3.6.1.2.1.33.1.2.5.0', '1.3.6.1.4.1.32473.1.1.3.1.4.1.1', '1.3.6.1.4.1.32473.1.1.3.1.4.16.32'];
  const pollAll = async () => {
    const results = await Promise.allSettled([
      modbus.poll(),
      new Promise<void>((res, rej) => session.get(oids, (e: Error | null) => (e ? rej(e) : res()))),
      new Promise<void>((res, rej) => bacnet.readProperty('127.0.0.2', { type: 0, instance: 5121 }, 85, {}, (e: Error | null) => (e ? rej(e) : res()))),
      fetch(`http://127.0.0.1:${ports.http}/api/snapshot`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.arrayBuffer()),
    ]);
    polls++;
    failures += results.filter((r) => r.status === 'rejected').length;
  };
  const soak = await sample(gw.child.pid!, SOAK_S, pollAll);
  modbus.close();
  session.close();
  bacnet.close();
  mqtt.end(true);
  await gw.stop();

  const peer = await startGateway([...common, 'modbus.enabled=false', 'snmp.enabled=false', 'bacnet.enabled=false', 'http.enabled=false', 'mqtt.enabled=false', 'nut.enabled=false', 'actions.enabled=false']);
  const quiet = await sample(peer.child.pid!, PEER_S);
  await peer.stop();
  rmSync(dir, { recursive: true, force: true });

  const minute = (xs: Sample[], from: number, to: number) => xs.filter((s) => s.tS > from && s.tS <= to);
  // Growth: the second minute (after start-up) against the last one.
  const firstRss = mean(minute(soak, Math.min(60, SOAK_S / 4), Math.min(120, SOAK_S / 2)).map((s) => s.rssMb));
  const lastRss = mean(minute(soak, Math.max(SOAK_S - 60, SOAK_S * 3 / 4), SOAK_S).map((s) => s.rssMb));
  // The first 30 s (or first quarter) are start-up: building the site, the first full publish.
  const settled = (xs: Sample[], total: number) => xs.filter((s) => s.tS > Math.min(30, total / 4)).map((s) => s.cpuPct);
  const cpu = settled(soak, SOAK_S);
  const peerCpu = settled(quiet, PEER_S);
  const rss = soak.map((s) => s.rssMb);
  console.log(`polls: ${polls} rounds x 4 protocols, ${failures} failed; MQTT messages received: ${mqttMessages} (${(mqttMessages / SOAK_S).toFixed(0)}/s)`);
  console.log(`RSS: median ${median(rss).toFixed(0)} MB, max ${Math.max(...rss).toFixed(0)} MB (target <= 200 MB); minute 2 ${firstRss.toFixed(0)} MB -> last minute ${lastRss.toFixed(0)} MB (${(lastRss - firstRss >= 0 ? '+' : '')}${(lastRss - firstRss).toFixed(1)} MB)`);
  console.log(`CPU: median ${median(cpu).toFixed(1)} %, mean ${mean(cpu).toFixed(1)} %, p95 ${quantile(cpu, 0.95).toFixed(1)} % of one core (target <= 10 %)`);
  console.log(`peer (network services off): CPU median ${median(peerCpu).toFixed(1)} %, RSS median ${median(quiet.map((s) => s.rssMb)).toFixed(0)} MB; ratio all-on / peer: CPU ${(median(cpu) / median(peerCpu)).toFixed(2)}x, RSS ${(median(rss) / median(quiet.map((s) => s.rssMb))).toFixed(2)}x`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
