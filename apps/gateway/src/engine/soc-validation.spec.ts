import { runSocScenario, socScenarios } from './soc-validation';

// A slice of the SoC validation matrix (bench/soc-validation.ts runs all of it on seeds 101..):
// float, the 60-day pause with a restart, a discharge at C/1 with a restart in the middle, C/3 with and without a restart,
// and the aged string at half capacity,
// on seeds from this list, which the harness and the estimator were not tuned on.
const SEEDS = [3, 11];
// A run takes 5-30 s of simulated site.
const TIMEOUT_MS = 300_000;
const scenario = (name: string) => {
  const sc = socScenarios().find((s) => s.name === name);
  if (!sc) throw new Error(`no scenario ${name}`);
  return sc;
};

describe('SoC validation against physics the estimator does not assume (slice of the matrix)', () => {
  it.each(SEEDS)('float 48 h, seed %i: every block reads within 5 points of the truth, the mode is float throughout', async (seed) => {
    const r = await runSocScenario(scenario('float 48 h'), seed);
    expect(r.worstSocError).toBeLessThanOrEqual(5);
    expect(r.wrongModeShare).toBe(0);
  }, TIMEOUT_MS);

  // Before: a leaky block 7 points high by day 40 (its voltage decay was read over two days only, and
  // dropped whenever those two days looked unsettled), and the rest started over whenever sensor noise
  // flickered the mode into 'recharge'.
  it.each(SEEDS)('60-day charging pause, gateway restart on day 30, seed %i: every block within 5 points, the mode is rest at every control step', async (seed) => {
    const r = await runSocScenario(scenario('pause 60 d, restart day 30'), seed);
    expect(r.worstSocError).toBeLessThanOrEqual(5);
    expect(r.wrongModeShare).toBe(0);
  }, TIMEOUT_MS);

  // The target: 5 points for every block at every moment. Before the truth was taken against the
  // measured C10 and the discharge fit survived a restart, the worst block reached 6-7 here.
  it.each(SEEDS)('C/1 after a discharge at C/3, gateway restart 12 min in, seed %i: SoC within 3 points (median) and 5 (worst), autonomy within 10 % (median) from half the runtime on', async (seed) => {
    const r = await runSocScenario(scenario('C/1 after one at C/3, restart'), seed);
    expect(r.runtimesMin.every((m) => m > 15 && m < 40)).toBe(true);
    expect(r.medianSocError).toBeLessThanOrEqual(3);
    expect(r.worstSocError).toBeLessThanOrEqual(5);
    expect(r.medianAutonomyError).not.toBeNull();
    expect(r.medianAutonomyError as number).toBeLessThanOrEqual(0.1);
  }, TIMEOUT_MS);

  // Before: the voltage-slope fit that shares the string's charge out between its blocks started over
  // after a restart, and the worst block read 7.7 points high instead of 4.8 (seed 103, C/3).
  it('a gateway restart an hour into a C/3 discharge costs no accuracy: the worst block is within 0.5 points of the same run without the restart (seed 3)', async () => {
    const without = await runSocScenario(scenario('C/3 after one at C/10'), SEEDS[0]);
    const withRestart = await runSocScenario(scenario('C/3 after one at C/10, restart'), SEEDS[0]);
    expect(withRestart.worstSocError).toBeLessThanOrEqual(without.worstSocError + 0.5);
    expect(withRestart.medianSocError).toBeLessThanOrEqual(without.medianSocError + 0.5);
  }, 2 * TIMEOUT_MS);

  // Before the learned capacity it read 46.6 % at the cut-off against a true ~0-15 %. The issue's
  // 5 points are not met: the capacity learned at C/3 on these blocks (C/1.5 for their real size) is
  // ~25 % high, and the cut-off itself brings it to within 8 points.
  it('an aged string at half capacity, C/10 after a discharge at C/3: at the cut-off each string reads within 8 points of the truth', async () => {
    const r = await runSocScenario(scenario('half capacity (aged), C/10 after one at C/3'), SEEDS[0]);
    expect(r.atCutoff).toHaveLength(2);
    for (const c of r.atCutoff) {
      expect(c.truth).toBeLessThan(20);
      expect(c.estimate).not.toBeNull();
      expect(Math.abs((c.estimate as number) - c.truth)).toBeLessThanOrEqual(8);
    }
  }, TIMEOUT_MS);
});
