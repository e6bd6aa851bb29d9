// Benchmark: the string physics for a full site (16 strings x 32 modules = 512) over 24 simulated
// hours at 1 s steps, against real time (target >= 1000x on one core). Peer in the same run: the
// whole simulated site (physics + site model + balancing/SoC/runaway engines every 10 s).
// Run: npm run bench:physics -w kirchhoff [-- --hours H --runs N] (node + tools/test-support/ts-register.js, as bench:bus)
import { parseArgs } from 'node:util';
import { BatteryPhysics, SimulatedSite } from '../src/physics';

const { values } = parseArgs({ options: { hours: { type: 'string' }, runs: { type: 'string' } } });
const hours = Number(values.hours ?? 24);
const runs = Number(values.runs ?? 3);
const layout = Array.from({ length: 16 }, () => ({ modules: 32, moduleType: 'C20' as const }));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timePhysics(): number {
  const p = new BatteryPhysics({ strings: layout, seed: 1 });
  // Something for the bypasses to do, as under balancing.
  for (let g = 1; g <= p.moduleCount; g += 3) p.setBypassDuty(g, 50);
  const t0 = process.hrtime.bigint();
  p.advance(hours * 3600, 1);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function timeSite(simHours: number): number {
  const s = new SimulatedSite({ strings: layout, seed: 1 });
  const t0 = process.hrtime.bigint();
  s.advance(simHours * 3600);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const physicsMs: number[] = [];
for (let i = 0; i < runs; i++) physicsMs.push(timePhysics());
// The full site is much slower; one simulated hour per run is enough for a stable figure.
const siteHours = Math.min(1, hours);
const siteMs: number[] = [];
for (let i = 0; i < runs; i++) siteMs.push(timeSite(siteHours));

const simMs = hours * 3_600_000;
const p = median(physicsMs);
const s = median(siteMs) * (hours / siteHours);
const steps = hours * 3600 * 512;
console.log(`physics, 512 modules, ${hours} h at 1 s steps: median ${(p / 1000).toFixed(2)} s of ${runs} runs`
  + ` = ${(simMs / p).toFixed(0)}x real time (target >= 1000x), ${((p * 1e6) / steps).toFixed(0)} ns per module-step`);
console.log(`peer: full simulated site (physics + site model + engines every 10 s), scaled from ${siteHours} h: `
  + `${(s / 1000).toFixed(1)} s = ${(simMs / s).toFixed(0)}x real time`);
console.log(`ratio physics / full site: ${(s / p).toFixed(1)}x faster`);
