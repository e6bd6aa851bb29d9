// Benchmark: a full 16 x 32 module measurement cycle over a socat pty pair at 115200 baud, with
// `kirchhoff simulate-modules` (paced like a real line) on the far end, against the wire-time
// lower bound (bytes both ways x 10 bits / baud). Peer in the same run: per-module polling.
// The emulator uses fixed readings (--bank fixed) so that physics CPU stays out of the figure.
// Run: npm run bench:bus -w kirchhoff   (node -r ../../tools/test-support/ts-register.js bench/bus-cycle.ts)
import { spawn, ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Site } from '@kirchhoff/core';
import { BusDriver } from '../src/bus/driver';
import { SerialTransport } from '../src/serial';
import { wireMs } from '../src/bus/protocol';
import { createLogger } from '../src/log';

const STRINGS = 16;
const MODULES = 32;
const BAUD = 115200;
const CYCLES = Number(process.env.BENCH_CYCLES ?? 15);
const PEER_CYCLES = Number(process.env.BENCH_PEER_CYCLES ?? 3);
// On a shared machine a pty hop is sometimes delayed by tens of ms (scheduling), which a real
// line is not: a generous timeout keeps such hiccups from turning into retries. It costs
// nothing while modules answer; the wire bound does not depend on it.
const TIMEOUT_MS = 250;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function measure(driver: BusDriver, cycles: number): Promise<{ cycleMs: number; boundMs: number; errors: number }> {
  await driver.runCycle(); // warm-up
  const before = driver.stats();
  const durations: number[] = [];
  const bounds: number[] = [];
  for (let i = 0; i < cycles; i++) {
    const r = await driver.runCycle();
    if (r.read !== STRINGS * MODULES) throw new Error(`cycle read ${r.read} modules, not ${STRINGS * MODULES}`);
    durations.push(r.durationMs);
    bounds.push(wireMs(r.bytes, BAUD));
  }
  const after = driver.stats();
  return { cycleMs: median(durations), boundMs: median(bounds), errors: after.timeouts + after.crcErrors + after.retries + after.dropped - (before.timeouts + before.crcErrors + before.retries + before.dropped) };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kirchhoff-bench-bus-'));
  const master = join(dir, 'master');
  const modules = join(dir, 'modules');
  const children: ChildProcess[] = [];
  try {
    children.push(spawn('socat', [`pty,raw,echo=0,link=${master}`, `pty,raw,echo=0,link=${modules}`], { stdio: 'ignore' }));
    await until(() => existsSync(master) && existsSync(modules), 5000, 'socat');
    const emulator = spawn(process.execPath, ['-r', join(__dirname, '..', '..', '..', 'tools', 'test-support', 'ts-register.js'), join(__dirname, '..', 'src', 'commands', 'simulate-modules.ts'),
      '--port', modules, '--strings', String(STRINGS), '--modules', String(MODULES), '--baud', String(BAUD), '--bank', 'fixed', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(emulator);
    let out = '';
    emulator.stdout!.on('data', (d) => (out += d));
    await until(() => out.includes('emulating'), 20_000, 'the emulator');

    const logger = createLogger({ level: 'warn' });
    const transport = new SerialTransport({ path: master, baudRate: BAUD, logger });
    await transport.open();
    const layout = Array.from({ length: STRINGS }, () => ({ modules: MODULES, moduleType: 'C20' as const }));
    const run = async (batchSize: number, cycles: number) => {
      const driver = new BusDriver({ site: new Site({ strings: layout }), logger, ports: [{ transport, baudRate: BAUD, strings: layout.map((_, i) => i + 1) }], batchSize, statsLogIntervalMs: 0, timeoutMs: TIMEOUT_MS });
      const r = await measure(driver, cycles);
      await driver.stop();
      return r;
    };
    const batched = await run(32, CYCLES);
    const polled = await run(1, PEER_CYCLES);
    await transport.close();

    const line = (name: string, r: { cycleMs: number; boundMs: number; errors: number }) =>
      `${name.padEnd(34)} cycle ${r.cycleMs.toFixed(1).padStart(7)} ms   wire bound ${r.boundMs.toFixed(1).padStart(7)} ms   ratio ${(r.cycleMs / r.boundMs).toFixed(3)}x   errors ${r.errors}`;
    console.log(`module bus, ${STRINGS} x ${MODULES} modules, ${BAUD} baud, socat pty pair, emulator paced at line rate (medians; errors = timeouts + CRC errors + retries + dropped)`);
    console.log(line(`range reads (32 per request), n=${CYCLES}`, batched));
    console.log(line(`peer: per-module polling, n=${PEER_CYCLES}`, polled));
    console.log(`range reads vs per-module polling: ${(batched.cycleMs / polled.cycleMs).toFixed(3)}x the time (target for range reads: <= 1.25x the wire bound)`);
  } finally {
    for (const c of children.reverse()) c.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});
