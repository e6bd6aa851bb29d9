// Benchmark: alarm notifications per second, each against the bare transport as the peer in the
// same run: syslog over UDP (format + send vs dgram.send of the same bytes), syslog over TCP
// (octet-counted writes vs socket.write of the same frames) and webhooks (JSON POST through the
// notifier vs a bare http.request of the same body, both one in flight with keep-alive off).
// Run: node -r ../../tools/test-support/ts-register.js bench/actions.ts
import { createSocket } from 'node:dgram';
import { connect, createServer as createTcpServer } from 'node:net';
import { createServer as createHttpServer, request } from 'node:http';
import { Site } from '@kirchhoff/core';
import { octetCounted, SyslogNotifier } from '../src/services/actions/syslog';
import { WebhookNotifier } from '../src/services/actions/webhook';
import { notificationJson, type AlarmNotification } from '../src/services/actions/notification';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const N = Number(process.env.BENCH_MESSAGES ?? 5000);
const HTTP_N = Number(process.env.BENCH_POSTS ?? 500);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function notification(): AlarmNotification {
  const site = new Site({ info: { name: 'Bench site' }, strings: [{ modules: 4, moduleType: 'C20' }] });
  site.reconcileAlarms('bench', [{ kind: 'thermal-runaway', severity: 'critical', entity: { kind: 'string', string: 1 }, message: 'String 1: thermal runaway', value: 42.5, limit: 40 }]);
  return { event: 'raised', rule: 'bench', repeat: 0, alarm: site.snapshot().alarms[0], site: site.snapshot().info, atMs: Date.now() };
}

async function rate(n: number, once: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await once();
  return n / (Number(process.hrtime.bigint() - t0) / 1e9);
}

async function pair(name: string, n: number, ours: () => Promise<unknown>, peer: () => Promise<unknown>): Promise<void> {
  const a: number[] = [];
  const b: number[] = [];
  await rate(Math.min(n, 200), ours);
  await rate(Math.min(n, 200), peer);
  for (let r = 0; r < RUNS; r++) {
    a.push(await rate(n, ours));
    b.push(await rate(n, peer));
  }
  const fmt = (x: number) => `${Math.round(x).toLocaleString('en')}/s`;
  console.log(`${name.padEnd(14)} notifier ${fmt(median(a)).padStart(10)}  bare ${fmt(median(b)).padStart(10)}  ratio ${(median(a) / median(b)).toFixed(2)}`);
}

async function main(): Promise<void> {
  const n = notification();
  console.log(`median of ${RUNS} runs; syslog ${N} messages, webhook ${HTTP_N} POSTs per run; node ${process.version}`);

  const rx = createSocket('udp4');
  rx.on('message', () => {});
  await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
  const udpPort = rx.address().port;
  const udp = new SyslogNotifier({ name: 'b', transport: 'udp', host: '127.0.0.1', port: udpPort, hostname: 'bench' });
  const bytes = udp.format(n);
  const bare = createSocket('udp4');
  await pair('syslog udp', N, () => udp.send(n), () => new Promise<void>((res, rej) => bare.send(bytes, udpPort, '127.0.0.1', (e) => (e ? rej(e) : res()))));
  await udp.close();
  bare.close();
  rx.close();

  const tcpServer = createTcpServer((s) => s.on('data', () => {}));
  await new Promise<void>((r) => tcpServer.listen(0, '127.0.0.1', r));
  const tcpPort = (tcpServer.address() as { port: number }).port;
  const tcp = new SyslogNotifier({ name: 'b', transport: 'tcp', host: '127.0.0.1', port: tcpPort, hostname: 'bench' });
  const frame = octetCounted(bytes);
  const raw = connect(tcpPort, '127.0.0.1');
  await new Promise((r) => raw.once('connect', r));
  await pair('syslog tcp', N, () => tcp.send(n), () => new Promise<void>((res, rej) => raw.write(frame, (e) => (e ? rej(e) : res()))));
  await tcp.close();
  raw.destroy();
  tcpServer.close();

  const http = createHttpServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(204).end()); });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const httpPort = (http.address() as { port: number }).port;
  const hook = new WebhookNotifier({ name: 'b', url: `http://127.0.0.1:${httpPort}/hook`, token: 't' });
  const body = JSON.stringify(notificationJson(n));
  const post = () => new Promise<void>((res, rej) => {
    const req = request({ host: '127.0.0.1', port: httpPort, path: '/hook', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: 'Bearer t' } }, (r) => { r.resume(); r.on('end', () => res()); });
    req.on('error', rej);
    req.end(body);
  });
  await pair('webhook http', HTTP_N, () => hook.send(n), post);
  http.close();
}

main().catch((e) => { console.error(e); process.exit(1); });
