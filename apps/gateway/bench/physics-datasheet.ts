// The string physics against the USF12-100A datasheet (12 V 100 Ah VRLA AGM): constant-current
// runtimes to 1.75 V/cell at 25 deg C and 10 h capacity against temperature. Prints the markdown
// tables of docs/physics.md. Peer line: the same runs at the coarser step the simulator may use (4 s).
// Run: node -r ../../tools/test-support/ts-register.js bench/physics-datasheet.ts
import { simulatedRuntime, USF12_100A_1V75, USF12_100A_CAPACITY_VS_TEMPERATURE } from '../src/physics/datasheet';

const fmt = (h: number) => (h < 1 ? `${Math.round(h * 60)} min` : `${h} h`);
console.log('| rate | datasheet current | datasheet runtime | simulated runtime (median of 8 blocks) | error | at 4 s steps |');
console.log('|---|---|---|---|---|---|');
let worst = 0;
for (const r of USF12_100A_1V75) {
  const s = simulatedRuntime({ currentA: r.currentA }).medianHours;
  const coarse = simulatedRuntime({ currentA: r.currentA, stepS: 4 }).medianHours;
  const err = s / r.hours - 1;
  worst = Math.max(worst, Math.abs(err));
  console.log(`| ${fmt(r.hours)} | ${r.currentA} A | ${(r.hours * 60).toFixed(0)} min | ${(s * 60).toFixed(1)} min | ${(err * 100).toFixed(1)} % | ${(coarse * 60).toFixed(1)} min |`);
}
console.log(`\nworst error ${(worst * 100).toFixed(1)} % (target: within 10 %)\n`);
const base = simulatedRuntime({ currentA: 10.5, stepS: 4 }).medianHours;
console.log('| temperature | datasheet 10 h capacity | simulated | error |');
console.log('|---|---|---|---|');
for (const t of USF12_100A_CAPACITY_VS_TEMPERATURE) {
  const r = simulatedRuntime({ currentA: 10.5, ambientC: t.temperatureC, stepS: 4 }).medianHours / base;
  console.log(`| ${t.temperatureC} deg C | ${(t.fraction * 100).toFixed(0)} % | ${(r * 100).toFixed(0)} % | ${((r / t.fraction - 1) * 100).toFixed(1)} % |`);
}
