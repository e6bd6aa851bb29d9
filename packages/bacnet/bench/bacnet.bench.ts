// Benchmark (npm run bench -w @kirchhoff/bacnet): ReadPropertyMultiple objects/s, Who-Is -> I-Am
// time and core alarm -> event notification time on a 16 x 32 site, against loopback UDP of the
// same datagram sizes measured in the same run as the ceiling. Everything shares one process.
import { createSocket, Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { AlarmCondition, Site } from '@kirchhoff/core';
import { createBacnetDevice } from '../src/index';

const HOST = '127.0.0.2';
const OBJECTS_PER_REQUEST = 16;
const IN_FLIGHT = 8;
const RUN_MS = Number(process.env.BENCH_MS ?? 2000);
const ROUNDS = 3;

function site16x32(): Site {
  const site = new Site({ strings: Array.from({ length: 16 }, () => ({ modules: 32, moduleType: 'C20' as const })), ups: true });
  site.update((tx) => {
    for (let g = 1; g <= 512; g++) tx.moduleReadings(g, { voltageV: 13.5 + (g % 7) / 100, temperatureC: 22 + (g % 5) / 10, resistanceOhm: 0.004, socPercent: 90 });
  });
  return site;
}

const oid = (type: number, instance: number) => {
  const v = ((type << 22) | instance) >>> 0;
  return [0x0c, v >>> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
};

/** RPM of Present_Value and Status_Flags of `count` module voltage AIs starting at global module g. */
function rpmRequest(invokeId: number, g: number): Buffer {
  const body: number[] = [];
  for (let i = 0; i < OBJECTS_PER_REQUEST; i++) body.push(...oid(0, 10 * (((g + i - 1) % 512) + 1) + 1), 0x1e, 0x09, 85, 0x09, 111, 0x1f);
  const apdu = [0x02, 0x75, invokeId, 14, ...body];
  const len = 6 + apdu.length;
  return Buffer.from([0x81, 0x0a, len >> 8, len & 0xff, 0x01, 0x04, ...apdu]);
}

const WHO_IS = Buffer.from([0x81, 0x0a, 0x00, 0x08, 0x01, 0x00, 0x10, 0x08]);

async function bind(host: string, port = 0): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(port, host, () => r()));
  return s;
}

const drain = () => new Promise((r) => setTimeout(r, 100));

/** Keeps IN_FLIGHT requests outstanding for RUN_MS; returns completed requests per second. */
async function throughput(client: Socket, port: number, host: string, make: (id: number, n: number) => Buffer): Promise<number> {
  let done = 0;
  let n = 0;
  const end = performance.now() + RUN_MS;
  return new Promise((resolve) => {
    const sendNext = (id: number) => {
      if (performance.now() >= end) return;
      client.send(make(id, n++ * OBJECTS_PER_REQUEST), port, host);
    };
    client.removeAllListeners('message');
    let finished = false;
    client.on('message', (m) => {
      done++;
      if (performance.now() >= end) {
        if (!finished) {
          finished = true;
          resolve(done / (RUN_MS / 1000));
        }
        return;
      }
      sendNext(m[8]);
    });
    for (let id = 0; id < IN_FLIGHT; id++) sendNext(id);
  });
}

/** Median round trip of one request/answer, ms. */
async function latency(client: Socket, port: number, host: string, request: Buffer, count = 300): Promise<number> {
  const times: number[] = [];
  client.removeAllListeners('message');
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      const onMessage = (m: Buffer) => {
        if (m[6] !== 0x10 || m[7] !== 0x00) return; // only the I-Am, not a late answer of an earlier phase
        client.off('message', onMessage);
        resolve();
      };
      client.on('message', onMessage);
      client.send(request, port, host);
    });
    times.push(performance.now() - t0);
  }
  return median(times);
}

const RUNAWAY: AlarmCondition = { kind: 'thermal-runaway', severity: 'critical', entity: { kind: 'string', string: 2 }, message: 'S02 thermal runaway (bench)', value: 12, limit: 10 };
const S02_RUNAWAY_OID = Buffer.from([0x2c, 0x01, 0x40, 0x27, 0x25]); // [2] binary-value 10021

/**
 * A UDP receiver in a worker thread, so that a datagram's arrival is not held up by whatever the
 * sending thread does after send(); it reports each arrival on the shared clock.
 */
interface Recipient {
  readonly port: number;
  next(match: readonly Buffer[]): Promise<{ atMs: number; size: number }>;
  close(): Promise<number>;
}

async function startRecipient(host: string): Promise<Recipient> {
  const worker = new Worker(`
    const { parentPort } = require('node:worker_threads');
    const s = require('node:dgram').createSocket('udp4');
    s.on('message', (m) => parentPort.postMessage({ atMs: Number(process.hrtime.bigint()) / 1e6, data: m }));
    s.bind(0, ${JSON.stringify(host)}, () => parentPort.postMessage({ port: s.address().port }));
    parentPort.on('message', () => s.close(() => parentPort.close()));
  `, { eval: true });
  const port = await new Promise<number>((r) => worker.once('message', (m: { port: number }) => r(m.port)));
  return {
    port,
    next: (match) => new Promise((resolve) => {
      const on = (m: { atMs: number; data: Uint8Array }) => {
        const data = Buffer.from(m.data);
        if (!match.every((x) => data.includes(x))) return;
        worker.off('message', on);
        resolve({ atMs: m.atMs, size: m.data.length });
      };
      worker.on('message', on);
    }),
    close: () => {
      worker.postMessage('close');
      return new Promise((r) => worker.once('exit', r));
    },
  };
}

/** The monotonic clock both threads share (performance.timeOrigin differs per thread). */
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** Median time from reconcileAlarms (raise, then clear) to the S02 Thermal runaway notification's arrival, ms. */
async function alarmToNotification(site: Site, recipient: Recipient, count = 200): Promise<{ ms: number; size: number }> {
  const times: number[] = [];
  let size = 0;
  for (let i = 0; i < count; i++) {
    // The to-state tells this round's notification from a late one of the round before.
    const arrival = recipient.next([S02_RUNAWAY_OID, Buffer.from([0xb9, i % 2 === 0 ? 2 : 0])]);
    const t0 = nowMs();
    site.reconcileAlarms('bench', i % 2 === 0 ? [RUNAWAY] : []);
    const a = await arrival;
    size = a.size;
    times.push(a.atMs - t0);
    await drainSoon();
  }
  return { ms: median(times), size };
}

/** Median time from send() of a datagram of `size` octets by a plain socket to its arrival, ms. */
async function udpOneWay(sender: Socket, recipient: Recipient, size: number, count = 200): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const d = Buffer.alloc(size, 0x55);
    d.writeUInt32BE(0xba000000 + i, 0);
    const arrival = recipient.next([d.subarray(0, 4)]);
    const t0 = nowMs();
    sender.send(d, recipient.port, '127.0.0.5');
    times.push((await arrival).atMs - t0);
    await drainSoon();
  }
  return median(times);
}

/** Lets the coalesced evaluation and the Critical alarm notification pass before the next round. */
const drainSoon = () => new Promise((r) => setTimeout(r, 2));

/** Time of one reconcileAlarms that raises (or clears) a module-lost alarm on every module, ms. */
function burst(site: Site, raise: boolean): number {
  const conditions: AlarmCondition[] = raise ? site.snapshot().modules.map((m) => ({
    kind: 'module-lost', severity: 'alarm', entity: { kind: 'module', string: m.string, module: m.module, global: m.global }, message: `${m.label} lost`, value: null, limit: null,
  })) : [];
  const t0 = performance.now();
  site.reconcileAlarms('bench-burst', conditions);
  return performance.now() - t0;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const site = site16x32();
  const recipient = await startRecipient('127.0.0.5');
  const device = await createBacnetDevice(site, {
    address: HOST, port: 0, announce: false, deviceInstance: 77, logger: { info: () => {}, warn: console.warn, error: console.error },
    recipients: [{ address: `127.0.0.5:${recipient.port}` }],
  });
  const client = await bind('127.0.0.3');
  // Sizes of the real exchange, for the echo: one RPM request and its answer, one I-Am.
  const sample = rpmRequest(1, 1);
  const answer = await new Promise<Buffer>((r) => { client.once('message', r); client.send(sample, device.port, HOST); });
  const iAm = await new Promise<Buffer>((r) => { client.once('message', r); client.send(WHO_IS, device.port, HOST); });
  const echo = await bind('127.0.0.4');
  echo.on('message', (m, rinfo) => {
    const reply = m.length === WHO_IS.length ? Buffer.from(iAm) : Buffer.from(answer);
    reply[8] = m[8]; // echo the invoke id as the device does
    echo.send(reply, rinfo.port, rinfo.address);
  });
  const echoPort = echo.address().port;

  const rpm: number[] = [];
  const rpmEcho: number[] = [];
  const whoIs: number[] = [];
  const whoIsEcho: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    rpm.push(await throughput(client, device.port, HOST, rpmRequest));
    await drain();
    rpmEcho.push(await throughput(client, echoPort, '127.0.0.4', rpmRequest));
    await drain();
    whoIs.push(await latency(client, device.port, HOST, WHO_IS));
    whoIsEcho.push(await latency(client, echoPort, '127.0.0.4', WHO_IS));
  }
  const alarm: number[] = [];
  const alarmUdp: number[] = [];
  let noteSize = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const a = await alarmToNotification(site, recipient);
    alarm.push(a.ms);
    noteSize = a.size;
    alarmUdp.push(await udpOneWay(client, recipient, noteSize));
  }
  // 512 alarms in one reconcile: with the device subscribed, and on a site with no adapter (the peer).
  const bare = site16x32();
  const withDevice: number[] = [];
  const withoutDevice: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    withDevice.push(burst(site, true) + burst(site, false));
    withoutDevice.push(burst(bare, true) + burst(bare, false));
  }
  await drain();
  const objs = (x: number) => Math.round(x * OBJECTS_PER_REQUEST);
  const m = {
    rpm: median(rpm), rpmEcho: median(rpmEcho), whoIs: median(whoIs), whoIsEcho: median(whoIsEcho),
    alarm: median(alarm), alarmUdp: median(alarmUdp), burst: median(withDevice), burstBare: median(withoutDevice),
  };
  process.stdout.write([
    `site 16 x 32 (${device.objectList.length} objects); RPM of ${OBJECTS_PER_REQUEST} AIs x (Present_Value, Status_Flags), ${IN_FLIGHT} in flight; request ${sample.length} B, answer ${answer.length} B; median of ${ROUNDS} runs of ${RUN_MS} ms`,
    `ReadPropertyMultiple: ${objs(m.rpm)} objects/s (${Math.round(m.rpm)} requests/s); UDP echo of the same sizes: ${objs(m.rpmEcho)} objects/s; ratio ${(m.rpm / m.rpmEcho).toFixed(2)}`,
    `Who-Is -> I-Am: median ${(m.whoIs * 1000).toFixed(0)} us; UDP echo (${WHO_IS.length} B -> ${iAm.length} B): ${(m.whoIsEcho * 1000).toFixed(0)} us; ratio ${(m.whoIs / m.whoIsEcho).toFixed(2)}`,
    `core alarm -> S02 Thermal runaway event notification at the recipient: median ${(m.alarm * 1000).toFixed(0)} us; one ${noteSize} B UDP datagram: ${(m.alarmUdp * 1000).toFixed(0)} us; ratio ${(m.alarm / m.alarmUdp).toFixed(2)}`,
    `raise + clear 512 module-lost alarms (one reconcile each): ${m.burst.toFixed(1)} ms with the device (16 S0x Module alarm notifications each way); ${m.burstBare.toFixed(1)} ms without an adapter; ratio ${(m.burst / m.burstBare).toFixed(2)}`,
    '',
  ].join('\n'));
  client.close();
  echo.close();
  await recipient.close();
  await device.close();
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
