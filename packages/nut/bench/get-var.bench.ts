// GET VAR round trips per second, one connection, one request in flight, against this server and
// against NUT's own upsd with the dummy-ups driver (Debian's nut-server) in the same run, on
// loopback. Prints the median of 5 rounds of each and the ratio.
//   npm run bench -w @kirchhoff/nut
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpPort, waitFor } from '@kirchhoff/test-support';
import { createNutServer } from '../src';
import { fixtureSite } from '../src/__fixtures__/site';
import { lineClient } from '../src/test-helpers/client';

const REQUESTS = Number(process.env.NUT_BENCH_REQUESTS ?? 20_000);
const ROUNDS = 5;

async function roundTrips(port: number, ups: string): Promise<number> {
  const c = await lineClient(port);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < REQUESTS; i++) {
    const [answer] = await c.ask(`GET VAR ${ups} battery.charge`);
    if (!answer.startsWith('VAR ')) throw new Error(`unexpected answer ${answer}`);
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  c.close();
  return REQUESTS / s;
}

function startUpsd(dir: string, port: number): ChildProcess[] {
  writeFileSync(join(dir, 'ups.conf'), '[dummy]\n  driver = dummy-ups\n  port = dummy.dev\n  desc = "dummy"\n', { mode: 0o600 });
  writeFileSync(join(dir, 'dummy.dev'), 'battery.charge: 97\nbattery.runtime: 2352\nups.status: OL\n');
  writeFileSync(join(dir, 'upsd.conf'), `LISTEN 127.0.0.1 ${port}\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'upsd.users'), '', { mode: 0o600 });
  const env = { ...process.env, NUT_CONFPATH: dir, NUT_STATEPATH: dir, NUT_ALTPIDPATH: dir };
  const driver = spawn('/lib/nut/dummy-ups', ['-a', 'dummy', '-u', 'root', '-F'], { env, stdio: 'ignore' });
  const upsd = spawn('/lib/nut/upsd', ['-u', 'root', '-F'], { env, stdio: 'ignore' });
  return [driver, upsd];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

(async () => {
  const server = await createNutServer(fixtureSite(), { port: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-upsd-'));
  const upsdPort = await freeTcpPort();
  const procs = startUpsd(dir, upsdPort);
  try {
    await waitFor(async () => {
      const c = await lineClient(upsdPort);
      const [a] = await c.ask('GET VAR dummy battery.charge');
      c.close();
      return a.startsWith('VAR ');
    }, 10_000, 'upsd with dummy-ups');
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      ours.push(await roundTrips(server.port, 'kirchhoff'));
      theirs.push(await roundTrips(upsdPort, 'dummy'));
    }
    const a = median(ours);
    const b = median(theirs);
    console.log(`GET VAR round trips/s, ${REQUESTS} per round, median of ${ROUNDS}:`);
    console.log(`  @kirchhoff/nut            ${a.toFixed(0)}`);
    console.log(`  upsd 2.8 + dummy-ups      ${b.toFixed(0)}  (peer)`);
    console.log(`  ratio                     ${(a / b).toFixed(2)}x`);
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
