// Benchmark: balancing convergence over the issue's matrix, judged on the physics' TRUE block
// voltages. Per case (string length x module type, production deadband), over N seeds: the median
// and worst simulated time until every string stays within ±10 mV of its mean, and the worst true
// spread after 12 h (must stay <= 10 mV). Peer in the same run: the same string with balancing off
// (seed 1), its true spread at the end. Goal: worst case <= 6 h, limit 12 h.
// Run: npm run bench:balancing -w kirchhoff [-- --seeds 10 --first-seed 1 --hours 16 --cases 20xC20,24xC40]
import { parseArgs } from 'node:util';
import type { ModuleType } from '@kirchhoff/core';
import { DEFAULT_DEADBAND_V } from '../src/engine';
import { runUntilBalanced, SimulatedSite } from '../src/physics';

const { values } = parseArgs({ options: { seeds: { type: 'string' }, 'first-seed': { type: 'string' }, hours: { type: 'string' }, cases: { type: 'string' } } });
const seeds = Number(values.seeds ?? 10);
const firstSeed = Number(values['first-seed'] ?? 1);
const hours = Number(values.hours ?? 16);
const LIMIT_V = 0.01;
const DEADLINE_S = 12 * 3600;
const cases = (values.cases ?? '20xC20,32xC20,40xC20,24xC40,120xC40,240xC40').split(',').map((c) => {
  const [modules, type] = c.split('x');
  return { modules: Number(modules), type: type as ModuleType };
});
// The issue's starting spreads: 12 V blocks from ±150 mV, 2 V cells from ±50 mV.
const initialSpreadV = (type: ModuleType) => (type === 'C40' ? 0.05 : 0.15);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const h = (s: number) => (Number.isFinite(s) ? `${(s / 3600).toFixed(2)} h` : 'never');

console.log(`balancing to ±${LIMIT_V * 1000} mV of the string mean (true voltages), deadband ${DEFAULT_DEADBAND_V * 1000} mV, seeds ${firstSeed}..${firstSeed + seeds - 1}, ${hours} h each`);
console.log('case          median     worst      worst after 12 h  failed  | peer: balancing off, spread at end | wall');
let failures = 0;
for (const c of cases) {
  const t0 = Date.now();
  const times: number[] = [];
  let worstAfter = 0;
  let failed = 0;
  for (let seed = firstSeed; seed < firstSeed + seeds; seed++) {
    const sim = new SimulatedSite({ strings: [{ modules: c.modules, moduleType: c.type }], seed, initialSpreadV: initialSpreadV(c.type) });
    const r = runUntilBalanced(sim, hours, LIMIT_V, DEADLINE_S);
    const t = r.settledS[0] ?? Infinity;
    times.push(t);
    worstAfter = Math.max(worstAfter, r.worstAfterV[0]);
    if (!(t <= DEADLINE_S) || r.worstAfterV[0] > LIMIT_V) {
      failed++;
      console.log(`  ${c.modules} x ${c.type} seed ${seed}: settled ${h(t)}, worst after 12 h ${(r.worstAfterV[0] * 1000).toFixed(1)} mV`);
    }
  }
  const peer = new SimulatedSite({ strings: [{ modules: c.modules, moduleType: c.type }], seed: firstSeed, initialSpreadV: initialSpreadV(c.type), balancing: { enabled: false } });
  const off = runUntilBalanced(peer, hours, LIMIT_V, DEADLINE_S);
  failures += failed;
  console.log(`${`${c.modules} x ${c.type}`.padEnd(12)}  ${h(median(times)).padEnd(9)}  ${h(Math.max(...times)).padEnd(9)}  ${`${(worstAfter * 1000).toFixed(1)} mV`.padEnd(16)}  ${`${failed}/${seeds}`.padEnd(6)}  | ${(off.finalV[0] * 1000).toFixed(1)} mV (${(off.finalV[0] / Math.max(1e-4, worstAfter)).toFixed(0)}x the balanced worst)`.padEnd(40) + ` | ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
console.log(failures ? `${failures} runs missed ±${LIMIT_V * 1000} mV within 12 h` : 'every run within 12 h and stayed there');
