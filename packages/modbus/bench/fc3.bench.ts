// Benchmark: FC3 x 125 registers, requests/s and p99 latency with 1 and 4 connections, for this
// server and for a libmodbus and a pymodbus server built and measured in the same run.
// Run: `npm run bench -w @kirchhoff/modbus` (tsx). Needs cc, libmodbus-dev, python3-pymodbus.
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo, connect, createServer } from 'node:net';
import * as os from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LIBMODBUS_SERVER_C, LOAD_CLIENT_C, PYMODBUS_SERVER_PY } from './peers';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const CONNECTIONS = [1, 4];
const ADDRESS = 10000;
const COUNT = 125;

interface Sample { requests: number; errors: number; seconds: number; p50us: number; p99us: number }

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}${r.error ?? ''}`);
}

function pkgConfig(): string[] {
  const r = spawnSync('pkg-config', ['--cflags', '--libs', 'libmodbus'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split(/\s+/) : ['-I/usr/include/modbus', '-lmodbus'];
}

function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = connect(port, '127.0.0.1', () => { s.destroy(); resolve(); });
      s.on('error', () => (Date.now() > end ? reject(new Error(`port ${port} never opened`)) : setTimeout(attempt, 100)));
    };
    attempt();
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
}

function load(client: string, port: number, connections: number, seconds: number): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const child = spawn(client, ['127.0.0.1', String(port), String(ADDRESS), String(COUNT), String(connections), String(seconds)]);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as Sample) : reject(new Error(`load client exited ${code}: ${out}`))));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const loadAtStart = os.loadavg()[0];
  const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-bench-'));
  const children: ChildProcess[] = [];
  try {
    writeFileSync(join(dir, 'server.c'), LIBMODBUS_SERVER_C);
    writeFileSync(join(dir, 'client.c'), LOAD_CLIENT_C);
    writeFileSync(join(dir, 'server.py'), PYMODBUS_SERVER_PY);
    sh('cc', ['-O2', '-o', join(dir, 'libmodbus-server'), join(dir, 'server.c'), ...pkgConfig()]);
    sh('cc', ['-O2', '-pthread', '-o', join(dir, 'load'), join(dir, 'client.c')]);
    const client = join(dir, 'load');

    const ourPort = await freePort();
    const libPort = await freePort();
    const pyPort = await freePort();
    // Each server in its own process, this one through the same TypeScript runner as the bench.
    children.push(spawn(process.execPath, [...process.execArgv, join(__dirname, 'kirchhoff-server.ts'), String(ourPort)], { stdio: 'ignore' }));
    children.push(spawn(join(dir, 'libmodbus-server'), [String(libPort)], { stdio: 'ignore' }));
    children.push(spawn('/usr/bin/python3', [join(dir, 'server.py'), String(pyPort)], { stdio: 'ignore' }));
    await Promise.all([waitForPort(ourPort), waitForPort(libPort), waitForPort(pyPort)]);

    const servers = [
      { name: '@kirchhoff/modbus', port: ourPort },
      { name: 'libmodbus 3.1.6 (C)', port: libPort },
      { name: 'pymodbus 3.0 (Python)', port: pyPort },
    ];
    const samples = new Map<string, Sample[]>();
    for (const s of servers) for (const c of CONNECTIONS) await load(client, s.port, c, 0.3); // warm-up (JIT, sockets)
    // Round-robin so load from other work on the machine spreads over every server alike.
    for (let r = 0; r < REPEATS; r++) {
      for (const c of CONNECTIONS) {
        for (const s of servers) {
          const sample = await load(client, s.port, c, SECONDS);
          if (sample.errors) throw new Error(`${s.name}: ${sample.errors} failed requests`);
          const key = `${s.name}|${c}`;
          samples.set(key, [...(samples.get(key) ?? []), sample]);
        }
      }
    }

    const rps = (name: string, c: number) => median(samples.get(`${name}|${c}`)!.map((x) => x.requests / x.seconds));
    const p99 = (name: string, c: number) => median(samples.get(`${name}|${c}`)!.map((x) => x.p99us));
    console.log(`FC3 x ${COUNT} registers, ${REPEATS} runs of ${SECONDS} s each, median (C load client, loopback, ${os.cpus().length} CPUs, load average ${loadAtStart.toFixed(1)} at start)\n`);
    console.log('| Server | Connections | Requests/s | p99 latency |');
    console.log('|---|---:|---:|---:|');
    for (const c of CONNECTIONS) for (const s of servers) console.log(`| ${s.name} | ${c} | ${Math.round(rps(s.name, c))} | ${p99(s.name, c)} us |`);
    console.log('');
    for (const c of CONNECTIONS) {
      const us = rps(servers[0].name, c);
      const vsLib = us / rps(servers[1].name, c);
      const vsPy = us / rps(servers[2].name, c);
      const target = c === 4 ? ` (targets >= 0.5 and >= 2: ${vsLib >= 0.5 && vsPy >= 2 ? 'met' : 'NOT met'})` : '';
      console.log(`${c} connection(s): ${vsLib.toFixed(2)}x libmodbus, ${vsPy.toFixed(2)}x pymodbus${target}`);
    }
  } finally {
    for (const c of children) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});
