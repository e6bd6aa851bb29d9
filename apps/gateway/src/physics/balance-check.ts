// How well a simulated site is balanced, judged on the physics' true block voltages (not on what
// the modules measure): the yardstick of the balancing tests and the balancing benchmark.
import type { SimulatedSite } from './simulated-site';

/** Largest |V - mean| of the true block voltages per string, volts; lost and fuse-blown blocks are left out (nothing can balance them). */
export function trueSpreadsV(sim: SimulatedSite): number[] {
  const p = sim.physics;
  return p.strings.map((s) => {
    const vs: number[] = [];
    for (let g = s.first + 1; g <= s.first + s.count; g++) if (!p.isLost(g) && !p.isFuseBlown(g)) vs.push(p.truth(g).voltageV);
    const mean = vs.reduce((a, v) => a + v, 0) / vs.length;
    return vs.reduce((a, v) => Math.max(a, Math.abs(v - mean)), 0);
  });
}

export interface ConvergenceResult {
  /** Per string: the simulated time after which its true spread stayed within the limit to the end, seconds; null if it was outside at the end. */
  readonly settledS: (number | null)[];
  /** Per string: the largest true spread after `afterS` (the "stays there" check), volts. */
  readonly worstAfterV: number[];
  /** Per string: the true spread at the end, volts. */
  readonly finalV: number[];
}

/** Runs `sim` for `hours` and records, per string, when the true spread last left ±`limitV`. */
export function runUntilBalanced(sim: SimulatedSite, hours: number, limitV: number, afterS: number): ConvergenceResult {
  const n = sim.physics.strings.length;
  const lastOutside = new Array<number>(n).fill(sim.elapsedS);
  const outsideNow = new Array<boolean>(n).fill(true);
  const worstAfter = new Array<number>(n).fill(0);
  let spreads = trueSpreadsV(sim);
  sim.advance(hours * 3600, () => {
    spreads = trueSpreadsV(sim);
    spreads.forEach((v, i) => {
      outsideNow[i] = v > limitV;
      if (outsideNow[i]) lastOutside[i] = sim.elapsedS;
      if (sim.elapsedS >= afterS) worstAfter[i] = Math.max(worstAfter[i], v);
    });
  });
  return { settledS: lastOutside.map((t, i) => (outsideNow[i] ? null : t)), worstAfterV: worstAfter, finalV: spreads };
}
