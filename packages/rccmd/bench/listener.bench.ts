// Listener throughput: signed KRCCMD/1 messages answered with a signed ACK, one at a time over
// loopback UDP, against a bare UDP echo of the same bytes measured in the same run (the peer).
// Prints medians of several rounds and the ratio; not a test.
import { createSocket, Socket } from 'node:dgram';
import { encodeKirchhoff, RccmdListener } from '../src';

const KEY = 'bench-key-0123456789abcdef';
const ROUNDS = 5;
const PER_ROUND = 2000;

function roundTrips(port: number, n: number, make: (i: number) => Buffer): Promise<number> {
  return new Promise((resolve) => {
    const sock: Socket = createSocket('udp4');
    let i = 0;
    let start = 0;
    const next = () => sock.send(make(i), port, '127.0.0.1');
    sock.on('message', () => {
      if (++i === n) {
        const s = (performance.now() - start) / 1000;
        sock.close();
        resolve(n / s);
      } else next();
    });
    sock.bind(0, '127.0.0.1', () => {
      start = performance.now();
      next();
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const listener = new RccmdListener({ udp: { host: '127.0.0.1', port: 0 }, senders: [{ address: '127.0.0.1', id: 'bench', key: KEY }], replayWindowS: 3600 });
  await listener.start();
  const echo = createSocket('udp4');
  echo.on('message', (m, r) => echo.send(m, r.port, r.address));
  await new Promise<void>((r) => echo.bind(0, '127.0.0.1', () => r()));
  const sample = encodeKirchhoff({ kind: 'message', from: 'bench', tsMs: Date.now(), text: 'Powerfail on UPS-A: Autonomietime 125.00 min.' }, KEY);

  const rccmd: number[] = [];
  const peer: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    rccmd.push(await roundTrips(listener.ports().udp!, PER_ROUND, () => encodeKirchhoff({ kind: 'message', from: 'bench', tsMs: Date.now(), text: 'Powerfail on UPS-A: Autonomietime 125.00 min.' }, KEY)));
    peer.push(await roundTrips(echo.address().port, PER_ROUND, () => Buffer.from(sample)));
  }
  await listener.close();
  echo.close();
  const m = median(rccmd);
  const p = median(peer);
  console.log(`signed message -> verified, logged, signed ACK (${sample.length} bytes, ${ROUNDS} x ${PER_ROUND}, sequential):`);
  console.log(`  @kirchhoff/rccmd listener  ${Math.round(m)} msg/s (median)`);
  console.log(`  bare UDP echo (peer)       ${Math.round(p)} round trips/s (median)`);
  console.log(`  ratio listener/echo        ${(m / p).toFixed(2)}`);
}

void main();
