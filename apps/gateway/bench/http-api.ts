// HTTP API benchmark on a 16 x 32 demo site: requests/s and median latency of authenticated GETs
// (the whole snapshot, one module) against a bare node:http server answering the same bytes, and
// the delay from one site update of all 512 module voltages to its server-sent event at 20
// clients (both with batchMs = 50 ms of coalescing) against a bare broadcaster of the same event.
// Run: node -r ../../tools/test-support/ts-register.js bench/http-api.ts  (from apps/gateway)
import { createServer, request, Agent, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { applySets, finishConfig } from '../src/config/load';
import { demoConfig } from '../src/config/demo-config';
import { startGateway } from '../src/gateway';
import { entityId } from '@kirchhoff/core';
import { createLogger } from '../src/log';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONNECTIONS = 8;
const SLICES = 6;
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

/** Requests answered and their latencies in `ms` of load on one path. */
async function load(port: number, path: string, headers: Record<string, string>, ms: number): Promise<{ count: number; elapsedS: number; latencies: number[] }> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const latencies: number[] = [];
  const until = Date.now() + ms;
  const worker = async () => {
    while (Date.now() < until) {
      const t = process.hrtime.bigint();
      await new Promise<void>((resolve, reject) => {
        request({ host: '127.0.0.1', port, path, agent, headers }, (res) => {
          res.on('data', () => undefined);
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${path}: HTTP ${res.statusCode}`))));
        }).on('error', reject).end();
      });
      latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  agent.destroy();
  return { count: latencies.length, elapsedS: (Date.now() - started) / 1000, latencies };
}

/** API and peer in alternating slices, so machine noise falls on both alike. */
async function compare(a: () => ReturnType<typeof load>, b: () => ReturnType<typeof load>): Promise<{ a: { rps: number; medianMs: number }; b: { rps: number; medianMs: number } }> {
  const sum = { a: { count: 0, s: 0, lat: [] as number[] }, b: { count: 0, s: 0, lat: [] as number[] } };
  for (let i = 0; i < SLICES; i++) {
    for (const [k, f] of [['a', a], ['b', b]] as const) {
      const r = await f();
      sum[k].count += r.count;
      sum[k].s += r.elapsedS;
      sum[k].lat.push(...r.latencies);
    }
  }
  const out = (x: typeof sum.a) => ({ rps: x.count / x.s, medianMs: median(x.lat) });
  return { a: out(sum.a), b: out(sum.b) };
}

/** Opens `n` event streams; resolves each time every stream has seen one more `values` event. */
function streams(port: number, path: string, headers: Record<string, string>, n: number): Promise<{ next(): Promise<void>; close(): void }> {
  const responses: IncomingMessage[] = [];
  const counts = new Array<number>(n).fill(0);
  let waiting: { target: number; resolve: () => void } | null = null;
  const check = () => { if (waiting && counts.every((c) => c >= waiting!.target)) { const w = waiting; waiting = null; w.resolve(); } };
  let target = 0;
  return new Promise((resolve) => {
    let open = 0;
    for (let i = 0; i < n; i++) {
      request({ host: '127.0.0.1', port, path, headers }, (res) => {
        responses.push(res);
        res.setEncoding('utf8');
        res.on('data', (d: string) => { counts[i] += d.split('event: values\n').length - 1; check(); });
        if (++open === n) resolve({ next: () => new Promise<void>((r) => { target++; waiting = { target, resolve: r }; check(); }), close: () => responses.forEach((r) => r.destroy()) });
      }).end();
    }
  });
}

async function main(): Promise<void> {
  const config = finishConfig(applySets(demoConfig({ strings: 16, modules: 32 }), [
    'modbus.enabled=false', 'snmp.enabled=false', 'bacnet.enabled=false', 'mqtt.enabled=false', 'rccmd.enabled=false', 'nut.enabled=false',
    'http.port=0', 'http.host=127.0.0.1', 'http.live.batchMs=50', 'http.live.maxClients=64',
  ]));
  const gw = await startGateway(config, { logger: createLogger({ level: 'error' }), cycleMs: 3_600_000 });
  const port = Number(gw.services.find((s) => s.name === 'HTTP API')!.endpoint.split(':')[1]);
  const login = await fetch(`http://127.0.0.1:${port}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'viewer', password: 'kirchhoff-viewer' }) });
  const auth = { authorization: `Bearer ${((await login.json()) as { token: string }).token}` };

  // The peer: node:http answering the same JSON, serialized per request as the API does.
  const live = new Set<ServerResponse>();
  const peer = createServer((req, res) => {
    if (req.url === '/live') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      live.add(res);
      res.on('close', () => live.delete(res));
      return;
    }
    const snap = gw.site.snapshot();
    const body = req.url === '/snapshot' ? JSON.stringify(snap) : JSON.stringify(snap.modules[6]);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(body);
  });
  await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
  const peerPort = (peer.address() as AddressInfo).port;
  const bytes = (await (await fetch(`http://127.0.0.1:${port}/api/snapshot`, { headers: auth })).text()).length;

  const rows: string[] = [];
  for (const [what, apiPath, peerPath] of [['snapshot (16 x 32)', '/api/snapshot', '/snapshot'], ['one module', '/api/strings/1/modules/7', '/module']] as const) {
    const slice = (SECONDS * 1000) / SLICES;
    const { a, b: p } = await compare(() => load(port, apiPath, auth, slice), () => load(peerPort, peerPath, {}, slice));
    rows.push(`GET ${what.padEnd(20)} API ${a.rps.toFixed(0).padStart(6)} req/s, median ${a.medianMs.toFixed(2)} ms | bare node:http ${p.rps.toFixed(0).padStart(6)} req/s, median ${p.medianMs.toFixed(2)} ms | ratio ${(a.rps / p.rps).toFixed(2)}`);
  }

  // Event delay: one update of 512 voltages -> the values event at every one of 20 clients.
  const CLIENTS = 20;
  // One side at a time: the API's streams would otherwise also count the peer's updates.
  const update = (round: number) => gw.site.update((tx) => { for (let g = 1; g <= 512; g++) tx.moduleReadings(g, { voltageV: 13.5 + ((round * 7 + g) % 50) / 1000 }); });
  const apiDelays: number[] = [];
  const apiStreams = await streams(port, '/api/live?snapshot=false', auth, CLIENTS);
  for (let round = 1; round <= 20; round++) {
    const t = process.hrtime.bigint();
    const arrived = apiStreams.next();
    update(round);
    await arrived;
    apiDelays.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  apiStreams.close();
  const peerDelays: number[] = [];
  const peerStreams = await streams(peerPort, '/live', {}, CLIENTS);
  const off = gw.site.subscribe((e) => {
    if (e.type !== 'values') return;
    // The same 50 ms coalescing window as the API, then one serialization for every client.
    setTimeout(() => {
      const changes = e.changes.map((c) => ({ id: entityId(c.entity), field: c.field, value: c.value, quality: c.quality, atMs: c.atMs }));
      const text = `event: values\nid: ${e.version}\ndata: ${JSON.stringify({ version: e.version, atMs: e.atMs, changes })}\n\n`;
      for (const r of live) r.write(text);
    }, 50);
  });
  for (let round = 21; round <= 40; round++) {
    const t = process.hrtime.bigint();
    const arrived = peerStreams.next();
    update(round);
    await arrived;
    peerDelays.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  off();
  peerStreams.close();
  rows.push(`SSE 512 voltages -> ${CLIENTS} clients  API median ${median(apiDelays).toFixed(2)} ms | bare broadcaster (same 50 ms window) median ${median(peerDelays).toFixed(2)} ms | ratio ${(median(apiDelays) / median(peerDelays)).toFixed(2)}`);

  process.stdout.write(`HTTP API benchmark, ${SECONDS} s per side and figure in ${SLICES} alternating slices, ${CONNECTIONS} keep-alive connections, snapshot ${Math.round(bytes / 1024)} KiB\n${rows.join('\n')}\n`);
  peer.close();
  await gw.stop();
}

main().catch((e) => { process.stderr.write(`${(e as Error).stack}\n`); process.exit(1); });
