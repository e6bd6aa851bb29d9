// Benchmark: the Modbus sensor client's TCP reads (FC4, 10 registers, one in flight) per second
// against a bare loopback responder that answers every request with a precomputed frame, and the
// same against modbus-serial's client (the peer) in the same run. Also the RTU client through a
// shared port queue over an in-memory line (queue and framing cost, no wire time).
// Run: node -r ../../tools/test-support/ts-register.js bench/modbus-sensors.ts
import { createServer, Server } from 'node:net';
import ModbusRTU from 'modbus-serial';
import { BusPort } from '../src/bus/port';
import { createMemoryPair } from '../src/bus/transport';
import { createLogger } from '../src/log';
import { TcpReader, RtuReader } from '../src/services/sources/modbus/client';
import { modbusCrc } from '../src/services/sources/modbus/codec';
import { SerialLines } from '../src/serial';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const COUNT = 10;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Answers each 12-byte request with the same registers, echoing transaction and unit id. */
function responder(): Promise<{ server: Server; port: number }> {
  const body = Buffer.alloc(9 + 2 * COUNT);
  body.writeUInt16BE(3 + 2 * COUNT, 4);
  body[7] = 4;
  body[8] = 2 * COUNT;
  const server = createServer((s) => {
    let buf = Buffer.alloc(0);
    s.setNoDelay(true);
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 12) {
        const out = Buffer.from(body);
        out.writeUInt16BE(buf.readUInt16BE(0), 0);
        out[6] = buf[6];
        s.write(out);
        buf = buf.subarray(12);
      }
    });
    s.on('error', () => undefined);
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ server, port: (server.address() as { port: number }).port })));
}

async function timed(n: number, one: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await one();
  return n / ((performance.now() - t0) / 1000);
}

async function main(): Promise<void> {
  const { server, port } = await responder();
  const ours = new TcpReader('127.0.0.1', port, 1000);
  const peer = new ModbusRTU();
  await peer.connectTCP('127.0.0.1', { port });
  peer.setID(1);
  peer.setTimeout(1000);
  const request = { unitId: 1, fn: 4 as const, address: 0, count: COUNT };
  await timed(200, () => ours.read(request));
  await timed(200, () => peer.readInputRegisters(0, COUNT));
  const oursRates: number[] = [];
  const peerRates: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    oursRates.push(await timed(REQUESTS, () => ours.read(request)));
    peerRates.push(await timed(REQUESTS, () => peer.readInputRegisters(0, COUNT)));
  }
  await ours.close();
  await new Promise<void>((r) => peer.close(() => r()));
  server.close();

  // RTU through the shared queue over an in-memory line: the far end answers every request.
  const logger = createLogger({ level: 'error' });
  const [master, far] = createMemoryPair();
  const frame = Buffer.alloc(5 + 2 * COUNT);
  frame[0] = 1;
  frame[1] = 4;
  frame[2] = 2 * COUNT;
  const crc = modbusCrc(frame, frame.length - 2);
  frame[frame.length - 2] = crc & 0xff;
  frame[frame.length - 1] = crc >> 8;
  far.onData(() => far.write(frame));
  const lines = new SerialLines(logger);
  lines.adopt('mem', new BusPort({ transport: master, baudRate: 115200, timeoutMs: 100, logger }), { baudRate: 115200 });
  const rtu = new RtuReader(await lines.open('mem', { baudRate: 115200 }), 115200, 200);
  const rtuRates: number[] = [];
  for (let r = 0; r < RUNS; r++) rtuRates.push(await timed(Math.min(REQUESTS, 500), () => rtu.read(request)));

  const o = median(oursRates);
  const p = median(peerRates);
  process.stdout.write([
    `Modbus TCP, FC4 x ${COUNT} registers, one request in flight, ${REQUESTS} requests x ${RUNS} runs (medians):`,
    `  kirchhoff TcpReader       ${o.toFixed(0)} req/s`,
    `  modbus-serial client      ${p.toFixed(0)} req/s (peer)`,
    `  ratio kirchhoff / peer    ${(o / p).toFixed(2)}`,
    `Modbus RTU through a shared port queue, in-memory line (3.5-character gap of 1.75 ms kept): ${median(rtuRates).toFixed(0)} req/s`,
  ].join('\n') + '\n');
}

main().then(() => process.exit(0), (e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
