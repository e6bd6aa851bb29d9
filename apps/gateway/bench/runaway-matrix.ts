// Benchmark: the thermal-runaway scenario matrix of issue 13 (engine/runaway-scenarios.ts) over
// many seeds with the production defaults. Prints per scenario: trips, false trips, median
// detection time after the truth's condition and its ratio to the budget (delay 60 s + 60 s), the
// block temperature at the trip, the block at the end and its rate over the last 10 min (cooling after
// the trip: how many seeds end below their peak and still falling), the alarms raised.
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

console.log(`scenario                                   expect  trips  false  detect s (median, max)  /budget  block degC at trip (median, max)  peak   end  end K/h  cooling  alarms`);
for (const sc of runawayScenarios()) {
  if (values.only && !sc.name.includes(values.only)) continue;
  const rs: ScenarioResult[] = [];
  for (let seed = 1; seed <= seeds; seed++) rs.push(runScenario(sc, seed));
  const dets = rs.map((r) => r.detectionS).filter((v): v is number => v !== null);
  const det = median(dets);
  const atTrip = rs.map((r) => r.tripBlockC).filter((v): v is number => v !== null);
  // After a trip the block must cool: its end temperature below its peak and still falling.
  const cooling = rs.filter((r) => r.tripped && r.endBlockC !== null && r.peakBlockC !== null && r.endBlockC < r.peakBlockC && (r.endRateCPerHour ?? 0) < 0).length;
  const alarms = [...new Set(rs.flatMap((r) => r.alarms))];
  console.log([
    sc.name.padEnd(42), sc.expect.padEnd(6), `${rs.filter((r) => r.tripped).length}/${seeds}`.padStart(5), String(rs.filter((r) => r.falseTrip).length).padStart(5),
    `${f(det, 0)}, ${f(dets.length ? Math.max(...dets) : null, 0)}`.padStart(22), f(det === null ? null : det / BUDGET_S, 2).padStart(8),
    `${f(median(atTrip))}, ${f(atTrip.length ? Math.max(...atTrip) : null)}`.padStart(32),
    f(median(rs.map((r) => r.peakBlockC).filter((v): v is number => v !== null))).padStart(5),
    f(median(rs.map((r) => r.endBlockC).filter((v): v is number => v !== null))).padStart(5),
    f(median(rs.map((r) => r.endRateCPerHour).filter((v): v is number => v !== null))).padStart(7),
    (sc.expect === 'trip' ? `${cooling}/${seeds}` : '-').padStart(7),
    alarms.join(', ') || 'none',
  ].join('  '));
}
