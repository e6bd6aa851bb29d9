// Benchmark: a full simulated site (16 strings x 32 modules = 512) against real time. The figure
// that counts is the whole simulated site, what `kirchhoff simulate` runs (physics + site model +
// balancing/SoC/runaway engines + alarm evaluation every 10 s): target >= 2,000x real time, goal
// 10,000x (issue 14.5). Peer in the same run: the string physics alone at 1 s steps, the floor
// nothing above it can go below (target >= 1000x).
// Run: npm run bench:physics -w kirchhoff [-- --hours H --runs N] (node + tools/test-support/ts-register.js, as bench:bus)
// Both are timed on the process's CPU clock as well as the wall clock: on a shared machine the
// wall clock also counts the time other processes had the core, the CPU clock does not.
import { parseArgs } from 'node:util';
import { BatteryPhysics, SimulatedSite } from '../src/physics';

const { values } = parseArgs({ options: { hours: { type: 'string' }, runs: { type: 'string' } } });
const hours = Number(values.hours ?? 24);
const runs = Number(values.runs ?? 3);
const layout = Array.from({ length: 16 }, () => ({ modules: 32, moduleType: 'C20' as const }));
const SITE_TARGET = 2_000;
const SITE_GOAL = 10_000;
const PHYSICS_TARGET = 1_000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Timing { wallMs: number; cpuMs: number }

function timed(run: () => void): Timing {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  run();
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0);
  return { wallMs, cpuMs: (c.user + c.system) / 1000 };
}

function timePhysics(): Timing {
  const p = new BatteryPhysics({ strings: layout, seed: 1 });
  // Something for the bypasses to do, as under balancing.
  for (let g = 1; g <= p.moduleCount; g += 3) p.setBypassDuty(g, 50);
  return timed(() => p.advance(hours * 3600, 1));
}

function timeSite(): Timing {
  const s = new SimulatedSite({ strings: layout, seed: 1 });
  return timed(() => s.advance(hours * 3600));
}

// Interleaved, so that a change in the machine's load hits both alike.
const physics: Timing[] = [];
const site: Timing[] = [];
for (let i = 0; i < runs; i++) {
  physics.push(timePhysics());
  site.push(timeSite());
}

const simMs = hours * 3_600_000;
const steps = hours * 3600 * 512;
const x = (ms: number) => Math.round(simMs / ms).toLocaleString('en-US');
for (const clock of ['wallMs', 'cpuMs'] as const) {
  const p = median(physics.map((t) => t[clock]));
  const s = median(site.map((t) => t[clock]));
  const name = clock === 'wallMs' ? 'wall clock' : 'CPU clock';
  console.log(`${name}, 512 modules, ${hours} h simulated, median of ${runs} runs:`);
  console.log(`  full simulated site (physics + site model + engines + alarms every 10 s): ${(s / 1000).toFixed(2)} s = ${x(s)}x real time`
    + ` (target >= ${SITE_TARGET.toLocaleString('en-US')}x: ${simMs / s >= SITE_TARGET ? 'met' : 'NOT met'};`
    + ` goal ${SITE_GOAL.toLocaleString('en-US')}x: ${simMs / s >= SITE_GOAL ? 'met' : 'not met'})`);
  console.log(`  peer: physics alone at 1 s steps: ${(p / 1000).toFixed(2)} s = ${x(p)}x real time (target >= ${PHYSICS_TARGET}x),`
    + ` ${((p * 1e6) / steps).toFixed(0)} ns per module-step`);
  console.log(`  ratio: the full site takes ${(s / p).toFixed(2)}x the time of its physics alone`);
}
