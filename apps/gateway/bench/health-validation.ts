// Benchmark: the health engine's capacity test against the string physics' truth over many seeds,
// ages and weak-block layouts (issue 15): per scenario the worst error of the per-block SoH and
// remaining capacity, whether the blocks named as collapsing early are exactly the weak ones, and,
// as the peer, the error of the one string-level figure a UPS battery test gives (every block = the
// string's Ah to the end), with the ratio of the two.
// Seeds 101.. by default (the Jest slice uses its own).
// Run: npm run bench:health -w kirchhoff [-- --seeds N --first S --sample S]
import { parseArgs } from 'node:util';
import { runSimulation } from '../src/commands/simulate';
import { parseFault } from '../src/demo/faults';
import { capacityAt25C, capacityAtC10 } from '../src/engine/health';

const { values } = parseArgs({ options: { seeds: { type: 'string' }, first: { type: 'string' }, sample: { type: 'string' } } });
const seeds = Number(values.seeds ?? 4);
const first = Number(values.first ?? 101);
const sampleS = Number(values.sample ?? 10);

interface Scenario { name: string; modules: number; strings: number; age: number; weak: (seed: number) => number[]; via: 'capacity-test' | 'ups-on-battery' }
const pick = (seed: number, n: number, modules: number) => {
  const out: number[] = [];
  let x = seed * 7919;
  while (out.length < n) {
    x = (x * 48271) % 2147483647;
    const m = 1 + (x % modules);
    if (!out.includes(m)) out.push(m);
  }
  return out.sort((a, b) => a - b);
};
const SCENARIOS: Scenario[] = [
  { name: '12 x C20, 3 years, 1 weak, capacity test', modules: 12, strings: 1, age: 3, weak: (s) => pick(s, 1, 12), via: 'capacity-test' },
  { name: '12 x C20, 6 years, 2 weak, capacity test', modules: 12, strings: 1, age: 6, weak: (s) => pick(s, 2, 12), via: 'capacity-test' },
  { name: '12 x C20, 9 years, 3 weak, capacity test', modules: 12, strings: 1, age: 9, weak: (s) => pick(s, 3, 12), via: 'capacity-test' },
  { name: '12 x C20, 6 years, 0 weak, capacity test', modules: 12, strings: 1, age: 6, weak: () => [], via: 'capacity-test' },
  { name: '12 x C20, 6 years, 2 weak, mains failure', modules: 12, strings: 1, age: 6, weak: (s) => pick(s, 2, 12), via: 'ups-on-battery' },
  { name: '2 x 8 x C20, 5 years, 1 weak in S1, capacity test', modules: 8, strings: 2, age: 5, weak: (s) => pick(s, 1, 8), via: 'capacity-test' },
];

const f = (v: number, d = 1) => v.toFixed(d);

console.log(`sampling every ${sampleS} s of simulated time; seeds ${first}..${first + seeds - 1}`);
console.log('| scenario | runs | worst SoH error (% of truth) | worst remaining-capacity error | weak blocks named exactly | peer (string figure) worst SoH error | ratio peer / per block | time per run |');
console.log('|---|---|---|---|---|---|---|---|');
for (const sc of SCENARIOS) {
  let worstSoh = 0;
  let worstRem = 0;
  let worstPeer = 0;
  let exact = 0;
  let ms = 0;
  for (let seed = first; seed < first + seeds; seed++) {
    const weak = sc.weak(seed);
    const t0 = Date.now();
    const r = runSimulation({
      strings: sc.strings, modules: sc.modules, hours: 12, seed, ageYears: sc.age, intervalS: 0, testSampleS: sampleS,
      faults: [...weak.map((m) => parseFault(`weak-block:1:${m}`)), ...(sc.via === 'ups-on-battery' ? [parseFault('ups-on-battery@1800')] : [])],
      ...(sc.via === 'capacity-test' ? { capacityTest: { startS: 1800 } } : {}),
    });
    ms += Date.now() - t0;
    const test = r.health.tests[0];
    for (const b of r.health.blocks) {
      const err = (x: number | null, t: number) => (x === null ? Infinity : (Math.abs(x - t) / t) * 100);
      worstSoh = Math.max(worstSoh, err(b.estimate.sohPercent, b.truth.sohPercent));
      worstRem = Math.max(worstRem, err(b.estimate.remainingCapacityAh, b.truth.capacityAh));
      // The peer: the string's Ah to the end of the test at C10 and 25 degC, the same for every block.
      const st = test?.strings.find((x) => x.string === b.string);
      if (st && st.meanCurrentA) {
        const meanT = st.blocks.reduce((a, x) => a + (x.meanTemperatureC ?? 25), 0) / st.blocks.length;
        const peer = (capacityAt25C(capacityAtC10(st.deliveredAh, st.meanCurrentA), meanT, st.durationS) / st.ratedCapacityAh) * 100;
        worstPeer = Math.max(worstPeer, err(peer, b.truth.sohPercent));
      }
    }
    const named = r.health.collapsedEarly.flatMap((c) => c.modules.map((m) => `${c.string}:${m}`)).sort();
    if (JSON.stringify(named) === JSON.stringify(weak.map((m) => `1:${m}`).sort())) exact++;
  }
  console.log(`| ${sc.name} | ${seeds} | ${f(worstSoh)} % | ${f(worstRem)} % | ${exact}/${seeds} | ${f(worstPeer)} % | ${f(worstPeer / Math.max(worstSoh, 0.1))} | ${f(ms / seeds / 1000)} s |`);
}
