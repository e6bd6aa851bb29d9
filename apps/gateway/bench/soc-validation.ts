// Benchmark: the SoC and autonomy validation matrix of issue 14 (engine/soc-validation.ts) over many
// seeds: the estimator on physics parameter sets it does not assume. Prints per scenario the median
// and worst SoC error (points, every block and sample), the median and worst autonomy error (from
// half the runtime on), the share of samples with a wrong charge mode, and the true runtimes.
// Seeds 101.. by default (the Jest slice uses seeds from its own list).
// Run: npm run bench:soc -w kirchhoff [-- --seeds N --first S --only TEXT]
import { parseArgs } from 'node:util';
import { runSocScenario, socScenarios, SocRunResult } from '../src/engine/soc-validation';

const { values } = parseArgs({ options: { seeds: { type: 'string' }, first: { type: 'string' }, only: { type: 'string' } } });
const seeds = Number(values.seeds ?? 10);
const first = Number(values.first ?? 101);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const f = (v: number | null, d = 1) => (v === null ? '-' : v.toFixed(d));
const pct = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(0)} %`);

async function main(): Promise<void> {
console.log(`| scenario | seeds | SoC error median | SoC error worst | autonomy error median | autonomy error worst | wrong mode (worst seed) | runtime min (median) |`);
console.log(`|---|---|---|---|---|---|---|---|`);
for (const sc of socScenarios()) {
  if (values.only && !sc.name.includes(values.only)) continue;
  const rs: SocRunResult[] = [];
  for (let seed = first; seed < first + seeds; seed++) rs.push(await runSocScenario(sc, seed));
  const worst = rs.reduce((a, r) => (r.worstSocError > a.worstSocError ? r : a));
  const auto = rs.filter((r) => r.medianAutonomyError !== null);
  const runtimes = rs.flatMap((r) => r.runtimesMin);
  console.log(`| ${sc.name} | ${seeds} | ${f(median(rs.map((r) => r.medianSocError)))} | ${f(worst.worstSocError)} (${worst.worstSigned > 0 ? '+' : ''}${f(worst.worstSigned)}, seed ${worst.seed}) | ${
    auto.length ? pct(median(auto.map((r) => r.medianAutonomyError as number))) : '-'} | ${auto.length ? pct(Math.max(...auto.map((r) => r.worstAutonomyError as number))) : '-'} | ${
    (Math.max(...rs.map((r) => r.wrongModeShare)) * 100).toFixed(2)} % | ${runtimes.length ? f(median(runtimes), 0) : '-'} |`);
}
}
void main();
