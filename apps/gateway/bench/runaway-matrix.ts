// Benchmark: the thermal-runaway scenario matrix of issue 13 (engine/runaway-scenarios.ts) over
// many seeds with the production defaults. Prints per scenario: trips, false trips, median
// detection time after the truth's condition and its ratio to the budget (delay 60 s + 60 s), the
// block temperature at the trip, the block at the end (cooling after the trip), the alarms raised.
// Run: npm run bench:runaway -w kirchhoff [-- --seeds N --only TEXT]
import { parseArgs } from 'node:util';
import { runawayScenarios, runScenario, ScenarioResult } from '../src/engine/runaway-scenarios';

const { values } = parseArgs({ options: { seeds: { type: 'string' }, only: { type: 'string' } } });
const seeds = Number(values.seeds ?? 10);
const BUDGET_S = 60 + 60;
const median = (xs: number[]) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const f = (v: number | null, d = 1) => (v === null ? '-' : v.toFixed(d));

console.log(`scenario                                   expect  trips  false  detect s (median)  /budget  block degC at trip  peak  end  alarms`);
for (const sc of runawayScenarios()) {
  if (values.only && !sc.name.includes(values.only)) continue;
  const rs: ScenarioResult[] = [];
  for (let seed = 1; seed <= seeds; seed++) rs.push(runScenario(sc, seed));
  const det = median(rs.map((r) => r.detectionS).filter((v): v is number => v !== null));
  const alarms = [...new Set(rs.flatMap((r) => r.alarms))];
  console.log([
    sc.name.padEnd(42), sc.expect.padEnd(6), `${rs.filter((r) => r.tripped).length}/${seeds}`.padStart(5), String(rs.filter((r) => r.falseTrip).length).padStart(5),
    f(det, 0).padStart(18), f(det === null ? null : det / BUDGET_S, 2).padStart(8),
    f(median(rs.map((r) => r.tripBlockC).filter((v): v is number => v !== null))).padStart(19),
    f(median(rs.map((r) => r.peakBlockC).filter((v): v is number => v !== null))).padStart(5),
    f(median(rs.map((r) => r.endBlockC).filter((v): v is number => v !== null))).padStart(4),
    alarms.join(', ') || 'none',
  ].join('  '));
}
