// Published manufacturer data the string physics is validated against, and the runs that compare
// them (used by the tests and printed into docs/physics.md).
import { BatteryPhysics } from './battery-physics';

/**
 * USF12-100A, 12 V 100 Ah VRLA AGM block ("USF series" datasheet): constant-current discharge,
 * amperes, 25 deg C, to 1.75 V/cell (10.5 V per block). Transcription used:
 * github.com/rewnozom/DocuMentor-Suite, Bot/integrated_data/products/50142564/full_info.md.
 */
export const USF12_100A_1V75: readonly { readonly hours: number; readonly currentA: number }[] = [
  { hours: 0.25, currentA: 174.9 },
  { hours: 20 / 60, currentA: 146.9 },
  { hours: 0.5, currentA: 112.2 },
  { hours: 0.75, currentA: 84.5 },
  { hours: 1, currentA: 68.0 },
  { hours: 2, currentA: 39.4 },
  { hours: 3, currentA: 28.6 },
  { hours: 4, currentA: 22.9 },
  { hours: 5, currentA: 18.9 },
  { hours: 6, currentA: 16.3 },
  { hours: 8, currentA: 12.7 },
  { hours: 10, currentA: 10.5 },
];

/** Same datasheet: 10 h capacity at other temperatures, relative to 25 deg C. */
export const USF12_100A_CAPACITY_VS_TEMPERATURE: readonly { readonly temperatureC: number; readonly fraction: number }[] = [
  { temperatureC: 40, fraction: 1.03 },
  { temperatureC: 0, fraction: 0.86 },
  { temperatureC: -15, fraction: 0.65 },
];

export interface RuntimeRun {
  /** Median over the blocks, hours to the cut-off voltage. */
  readonly medianHours: number;
  readonly minHours: number;
  readonly maxHours: number;
}

/**
 * Discharges new, full 12 V 100 Ah AGM blocks at a constant current from float and
 * measures, per block, the time until it reads `cutoffVPerCell`. Blocks carry the physics' usual
 * manufacturing spread; the median is what a datasheet (a typical block) states.
 */
export function simulatedRuntime(o: { currentA: number; ambientC?: number; cutoffVPerCell?: number; blocks?: number; seed?: number; stepS?: number }): RuntimeRun {
  const blocks = o.blocks ?? 8;
  const p = new BatteryPhysics({
    // One block per string: each is tested alone, as on a datasheet test bench (no neighbour heat).
    strings: Array.from({ length: blocks }, () => ({ modules: 1, moduleType: 'C20' as const, capacityAh: 100 })),
    seed: o.seed ?? 1,
    ageYears: 0,
    ambientC: o.ambientC ?? 25,
    chemistry: 'vrla-agm',
    charger: { mode: 'discharge', currentA: o.currentA },
  });
  const cutoff = (o.cutoffVPerCell ?? 1.75) * 6;
  const stepS = o.stepS ?? 1;
  const at: number[] = new Array(blocks).fill(NaN);
  let left = blocks;
  while (left > 0 && p.elapsedS < 48 * 3600) {
    p.advance(stepS, stepS);
    for (let g = 1; g <= blocks; g++) {
      if (Number.isNaN(at[g - 1]) && p.truth(g).voltageV <= cutoff) {
        at[g - 1] = p.elapsedS / 3600;
        left--;
      }
    }
  }
  const sorted = at.map((h) => (Number.isNaN(h) ? Infinity : h)).sort((a, b) => a - b);
  return { medianHours: (sorted[(blocks - 1) >> 1] + sorted[blocks >> 1]) / 2, minHours: sorted[0], maxHours: sorted[blocks - 1] };
}
