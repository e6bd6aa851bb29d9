// Connection caps (issue 19, point 3, "Done when"): 1,000 idle connections from one address to
// Modbus TCP, to HTTP and to the embedded MQTT broker, then a client from another address
// (127.0.0.2): its latency, median of 30 (MQTT: an anonymous CONNECT answered with CONNACK 5,
// which costs no password check).
// Peer in the same run: the same client against the same gateway with no idle connections.
// Run: npm run bench:conn-caps -w kirchhoff
import { request } from 'node:http';
import { connect, Socket } from 'node:net';
import { applySets, finishConfig } from '../src/config/load';
import { demoConfig } from '../src/config/demo-config';
import { startGateway } from '../src/gateway';
import { memoryLogger } from '../src/log';
import { mqttConnect } from '../src/fuzz/probes';

const IDLE = 1000;
const RUNS = 30;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function httpHealth(port: number): Promise<number> {
  const t = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, localAddress: '127.0.0.2', path: '/health', agent: false }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - t) / 1e6) : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Connect from 127.0.0.2, read 2 holding registers, answer received: ms. */
function modbusRead(port: number): Promise<number> {
  const t = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' }, () => s.write(Buffer.from('000100000006010303eb0002', 'hex')));
    s.on('data', () => {
      s.destroy();
      resolve(Number(process.hrtime.bigint() - t) / 1e6);
    });
    s.on('error', reject);
    s.on('close', () => reject(new Error('closed before an answer')));
  });
}

/** Connect from 127.0.0.2, anonymous CONNECT, CONNACK received: ms. */
function mqttConnack(port: number): Promise<number> {
  const t = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' }, () => s.write(mqttConnect('bench')));
    s.on('data', (d: Buffer) => {
      s.destroy();
      if (d[0] === 0x20) resolve(Number(process.hrtime.bigint() - t) / 1e6);
      else reject(new Error(`answered ${d.toString('hex')}`));
    });
    s.on('error', reject);
    s.on('close', () => reject(new Error('closed before an answer')));
  });
}

async function idle(port: number): Promise<Socket[]> {
  const out: Socket[] = [];
  for (let i = 0; i < IDLE; i += 100) {
    out.push(...(await Promise.all(Array.from({ length: 100 }, () => new Promise<Socket>((resolve) => {
      const s = connect({ port, host: '127.0.0.1' }, () => resolve(s));
      s.on('error', () => resolve(s));
      s.resume();
    })))));
  }
  return out;
}

async function series(measure: () => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) out.push(await measure());
  return out;
}

async function main(): Promise<void> {
  const sets = ['snmp.enabled=false', 'bacnet.enabled=false', 'rccmd.enabled=false', 'nut.enabled=false', 'http.port=0', 'http.host=127.0.0.1', 'modbus.tcp.port=0', 'modbus.tcp.host=127.0.0.1', 'mqtt.broker.port=0', 'mqtt.broker.host=127.0.0.1'];
  const gw = await startGateway(finishConfig(applySets(demoConfig(), sets)), { logger: memoryLogger('error'), cycleMs: 3_600_000 });
  const portOf = (name: string) => Number(gw.services.find((s) => s.name === name)!.endpoint.split(':').pop());
  const http = portOf('HTTP API');
  const modbus = portOf('Modbus TCP');
  const mqtt = portOf('MQTT broker (embedded)');
  try {
    const quiet = { http: await series(() => httpHealth(http)), modbus: await series(() => modbusRead(modbus)), mqtt: await series(() => mqttConnack(mqtt)) };
    const held = [...(await idle(http)), ...(await idle(modbus)), ...(await idle(mqtt))];
    const loaded = { http: await series(() => httpHealth(http)), modbus: await series(() => modbusRead(modbus)), mqtt: await series(() => mqttConnack(mqtt)) };
    const open = held.filter((s) => !s.destroyed).length;
    held.forEach((s) => s.destroy());
    console.log(`${IDLE} idle connections from 127.0.0.1 to each listener (${open} of ${3 * IDLE} still open after the caps); client from 127.0.0.2, median of ${RUNS}:`);
    for (const k of ['http', 'modbus', 'mqtt'] as const) {
      const q = median(quiet[k]);
      const l = median(loaded[k]);
      console.log(`  ${k.padEnd(6)} with idle connections ${l.toFixed(2)} ms (max ${Math.max(...loaded[k]).toFixed(2)} ms), without ${q.toFixed(2)} ms: ratio ${(l / q).toFixed(2)}; served within 1 s: ${Math.max(...loaded[k]) < 1000 ? 'yes' : 'NO'}`);
    }
  } finally {
    await gw.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
