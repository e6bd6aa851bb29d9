// SoC and autonomy validation (issue 14, point 4): the estimator runs on the string physics with
// parameter sets it does not assume (real capacity +-20 % per string and a spread per block, the
// OCV curve and self-discharge shifted within datasheet tolerance, a current sensor with an offset
// and noise) and is compared with the physics' truth. Used by soc-validation.spec.ts (a slice) and
// bench/soc-validation.ts (the full matrix).
import { memoryLogger } from '../log';
import { SimulatedSite } from '../physics';
import { createRng } from '../physics/rng';
import { engineStateSaver } from './persist';
import type { SocPersistedState } from './soc';

export type SocScenarioKind = 'float' | 'pause' | 'discharge';

export interface SocScenario {
  readonly name: string;
  readonly kind: SocScenarioKind;
  /** Discharge: the measured discharge's current, as a fraction of the configured C10 capacity per hour (1, 1/3, 1/10). */
  readonly rateC?: number;
  /**
   * Discharge: `first` measures a discharge with nothing learned; `learned` measures a second discharge
   * after one to the cut-off at `learnRateC` (another rate) and a recharge.
   */
  readonly history?: 'first' | 'learned';
  readonly learnRateC?: number;
  /** A gateway restart in the middle (pause: day 30; discharge: at `restartAtMin` into the measured discharge). */
  readonly restart?: boolean;
  readonly restartAtMin?: number;
  /** Overrides the drawn real capacity factor of every string (an aged string at half capacity). */
  readonly capacityFactor?: number;
}

/** What the seed draws: everything the estimator does not know. */
export interface SocParameterSet {
  readonly seed: number;
  /** Real over configured capacity per string. */
  readonly capacityFactors: readonly number[];
  /** Block-to-block capacity factors (on top of the physics' own 2 % sigma). */
  readonly blockCapacityFactors: readonly number[];
  readonly ocvOffsetPerCellV: number;
  readonly ocvSlopeFactor: number;
  readonly selfDischargeFactor: number;
  /** Per string: what the current sensor reads at zero current, and its noise (sigma), amperes. */
  readonly sensorOffsetsA: readonly number[];
  readonly sensorNoiseA: number;
}

export interface SocRunResult {
  readonly scenario: string;
  readonly seed: number;
  /** |estimate - truth| over every block and sample, points. */
  readonly medianSocError: number;
  readonly worstSocError: number;
  /** Estimate minus truth of the block with the worst error, at that moment (sign says which way). */
  readonly worstSigned: number;
  /** |predicted - true remaining| / true remaining, from half the runtime on, until 2 minutes before the cut-off. */
  readonly medianAutonomyError: number | null;
  readonly worstAutonomyError: number | null;
  /** Discharges: the true runtime to the cut-off per string, minutes. */
  readonly runtimesMin: readonly number[];
  /** Discharges: the string's SoC, estimated and true (mean of the blocks), when its weakest block reached the cut-off. */
  readonly atCutoff: readonly { readonly estimate: number | null; readonly truth: number }[];
  /** Samples where the detected charge mode was not what the charger did. */
  readonly wrongModeShare: number;
}

export const SOC_LAYOUT = [{ modules: 12, moduleType: 'C20' as const }, { modules: 12, moduleType: 'C20' as const }];
const CONFIGURED_AH = 100;
const CELLS = 6;
const CUTOFF_V = 1.75 * CELLS;
const H = 3600;

/** Draws the parameter set of a seed (its own generator: the physics' draws for the seed stay as they are). */
export function socParameters(seed: number, layout = SOC_LAYOUT): SocParameterSet {
  const rng = createRng(0x50c0 + seed * 7919);
  const uni = (lo: number, hi: number) => lo + (hi - lo) * rng.next();
  const blocks = layout.reduce((a, s) => a + s.modules, 0);
  return {
    seed,
    capacityFactors: layout.map(() => uni(0.8, 1.2)),
    blockCapacityFactors: Array.from({ length: blocks }, () => 1 + Math.max(-0.1, Math.min(0.1, 0.04 * rng.normal()))),
    // Datasheet rest voltages: +-10 mV per cell around the table, a slope +-10 %.
    ocvOffsetPerCellV: uni(-0.01, 0.01),
    ocvSlopeFactor: uni(0.9, 1.1),
    // "About 3 %/month at 20 deg C" on datasheets covers roughly 2-4 %/month.
    selfDischargeFactor: uni(0.7, 1.4),
    // Hall-effect sensors on a few-hundred-amp range: an offset of tens of mA and noise of the same order.
    sensorOffsetsA: layout.map(() => uni(-0.05, 0.05)),
    sensorNoiseA: 0.02,
  };
}

/** The matrix of the issue: float, a 60-day pause, discharges at C/1, C/3 and C/10 (first and learned), each also with a restart. */
export function socScenarios(): SocScenario[] {
  const rates: { label: string; rateC: number; learnRateC: number; restartAtMin: number }[] = [
    { label: 'C/1', rateC: 1, learnRateC: 1 / 3, restartAtMin: 12 },
    { label: 'C/3', rateC: 1 / 3, learnRateC: 1 / 10, restartAtMin: 60 },
    { label: 'C/10', rateC: 1 / 10, learnRateC: 1, restartAtMin: 240 },
  ];
  const out: SocScenario[] = [
    { name: 'float 48 h', kind: 'float' },
    { name: 'pause 60 d', kind: 'pause' },
    { name: 'pause 60 d, restart day 30', kind: 'pause', restart: true },
  ];
  for (const r of rates) {
    out.push({ name: `${r.label} first discharge`, kind: 'discharge', rateC: r.rateC, history: 'first' });
    out.push({ name: `${r.label} after one at C/${Math.round(1 / r.learnRateC)}`, kind: 'discharge', rateC: r.rateC, history: 'learned', learnRateC: r.learnRateC });
    out.push({
      name: `${r.label} after one at C/${Math.round(1 / r.learnRateC)}, restart`, kind: 'discharge', rateC: r.rateC, history: 'learned',
      learnRateC: r.learnRateC, restart: true, restartAtMin: r.restartAtMin,
    });
  }
  out.push({ name: 'half capacity (aged), C/10 after one at C/3', kind: 'discharge', rateC: 1 / 10, history: 'learned', learnRateC: 1 / 3, capacityFactor: 0.5 });
  return out;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * The simulated block's rated capacity as a capacity test measures it (IEC 60896: the Ah given at the
 * 10-hour current to 1.75 V per cell at 25 deg C) over the physics' capacity parameter. The physics'
 * own SoC counts the charge out against that parameter, which its blocks exceed by a few percent at the
 * 10-hour rate (the datasheet it is fitted to does too: 105 Ah from a 100 Ah block); the estimator's
 * capacity is the measured one, so the truth is taken against the measured one. One block of the
 * harness's kind and age, on its own (no neighbours' heat), measured once per process.
 */
let ratedFactor: number | null = null;
export function ratedCapacityFactor(): number {
  if (ratedFactor !== null) return ratedFactor;
  const sim = new SimulatedSite({ strings: [{ modules: 1, moduleType: SOC_LAYOUT[0].moduleType, capacityAh: CONFIGURED_AH }], seed: 1, initialSpreadV: 0, controlIntervalS: 10, physicsStepS: 1 });
  sim.advance(H, () => undefined);
  const capacityAh = sim.physics.truth(1).capacityAh;
  const currentA = capacityAh / 10;
  sim.physics.setCharger({ mode: 'discharge', currentA }, 1);
  let t = 0;
  while (sim.physics.truth(1).voltageV > CUTOFF_V && t < 20 * H) { sim.physics.advance(1, 1); t += 1; }
  ratedFactor = (currentA * t) / H / capacityAh;
  return ratedFactor;
}

/** A block's true SoC against its measured rated capacity (see ratedCapacityFactor). */
function trueSoc(sim: SimulatedSite, global: number): number {
  return 100 - (100 - sim.physics.truth(global).socPercent) / ratedCapacityFactor();
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

class Recorder {
  readonly errors: number[] = [];
  readonly atCutoff: { estimate: number | null; truth: number }[] = [];
  worst = 0;
  worstSigned = 0;
  readonly autonomy: number[] = [];
  samples = 0;
  wrongMode = 0;
}

/** Runs one scenario with one seed's parameter set; `trace` is called after every step of the measured discharge (for looking into a run). */
export async function runSocScenario(sc: SocScenario, seed: number, trace?: (sim: SimulatedSite, tS: number) => void): Promise<SocRunResult> {
  const p = socParameters(seed);
  const noise = createRng(0x5e45 + seed);
  const layout = SOC_LAYOUT;
  const discharge = sc.kind === 'discharge';
  const sim = new SimulatedSite({
    strings: layout.map((s) => ({ ...s, capacityAh: CONFIGURED_AH })),
    seed,
    // A commissioned, balanced site.
    initialSpreadV: 0.03,
    controlIntervalS: discharge ? 10 : 300,
    physicsStepS: discharge ? 1 : 30,
    variation: {
      capacityFactor: sc.capacityFactor !== undefined ? layout.map(() => sc.capacityFactor as number) : p.capacityFactors,
      blockCapacityFactors: p.blockCapacityFactors,
      ocvOffsetPerCellV: p.ocvOffsetPerCellV,
      ocvSlopeFactor: p.ocvSlopeFactor,
      selfDischargeFactor: p.selfDischargeFactor,
    },
    // What the bus driver wrote is the true current (to the mA); the sensor adds its offset and noise.
    afterMeasure: (site) => site.update((tx) => site.snapshot().strings.forEach((st, i) => {
      const trueA = st.dcCurrentA.value ?? 0;
      tx.string(i + 1, { dcCurrentA: Math.round((trueA + p.sensorOffsetsA[i] + p.sensorNoiseA * noise.normal()) * 1000) / 1000 });
    })),
  });
  // The persist path, as the gateway runs it: the saver writes to the data logger after each tick.
  let kept: SocPersistedState | null = null;
  const save = engineStateSaver(sim.engines, { saveEngineState: async (_key, _atMs, value) => { kept = JSON.parse(JSON.stringify(value)) as SocPersistedState; } }, memoryLogger('error'));
  const rec = new Recorder();
  const blocks = sim.physics.moduleCount;
  const sample = (expected: string | null) => {
    const snap = sim.site.snapshot();
    for (let g = 1; g <= blocks; g++) {
      const est = snap.modules[g - 1].socPercent.value;
      const err = est === null ? Infinity : est - trueSoc(sim, g);
      rec.errors.push(Math.abs(err));
      if (Math.abs(err) > rec.worst) { rec.worst = Math.abs(err); rec.worstSigned = err; }
    }
    if (expected !== null) {
      rec.samples += snap.strings.length;
      rec.wrongMode += snap.strings.filter((s) => s.chargeMode !== expected).length;
    }
  };
  const checkMode = (expected: string) => {
    const snap = sim.site.snapshot();
    rec.samples += snap.strings.length;
    rec.wrongMode += snap.strings.filter((s) => s.chargeMode !== expected).length;
  };
  // The saver writes asynchronously (as to the data logger) and skips ticks while a write is pending.
  const run = async (seconds: number) => { sim.advance(seconds, save); await flush(); };
  const restart = (downS: number) => {
    const state = kept;
    sim.physics.advance(downS, discharge ? 1 : 30);
    sim.engines.restart(sim.site, state);
  };
  const runtimes: number[] = [];

  if (sc.kind === 'float') {
    await run(H);
    for (let t = 0; t < 48 * H; t += 300) { await run(300); sample('float'); }
  } else if (sc.kind === 'pause') {
    await run(12 * H);
    sim.physics.setCharger({ mode: 'off' });
    // The first hours after the charger went off are the detector's (float to rest); the SoC is sampled throughout.
    for (let t = 0; t < 60 * 86_400; t += 3600) {
      if (sc.restart && t === 30 * 86_400) restart(600);
      for (let k = 0; k < 3600; k += 600) {
        await run(600);
        // The mode at every control step, not only at the SoC samples: a flicker into 'recharge' starts the rest over.
        if (t >= 2 * H && k < 3000) checkMode('rest');
      }
      sample(t >= 2 * H ? 'rest' : null);
    }
  } else {
    const rate = sc.rateC ?? 1 / 10;
    // Float and recharge run on a 10 s physics step and a 60 s cycle, the discharges on 1 s and 10 s.
    sim.setIntervals(10, 60);
    await run(6 * H);
    if (sc.history === 'learned') {
      sim.setIntervals(1, 10);
      await dischargeToCutoff(sim, (sc.learnRateC ?? 1 / 5) * CONFIGURED_AH, save, null, null);
      // Back on the charger (current limit 0.1 C) until full again.
      sim.physics.setCharger({ mode: 'float' });
      sim.setIntervals(10, 60);
      for (let k = 0; k < 30; k++) await run(H);
    }
    sim.setIntervals(1, 10);
    const restartAtS = sc.restart ? (sc.restartAtMin ?? 30) * 60 : null;
    runtimes.push(...(await dischargeToCutoff(sim, rate * CONFIGURED_AH, save, rec, restartAtS === null ? null : { atS: restartAtS, restart }, trace)).map((s) => s / 60));
    sim.physics.setCharger({ mode: 'float' });
  }
  return {
    scenario: sc.name,
    seed,
    medianSocError: median(rec.errors),
    worstSocError: rec.worst,
    worstSigned: rec.worstSigned,
    medianAutonomyError: rec.autonomy.length ? median(rec.autonomy) : null,
    worstAutonomyError: rec.autonomy.length ? Math.max(...rec.autonomy) : null,
    runtimesMin: runtimes,
    atCutoff: rec.atCutoff,
    wrongModeShare: rec.samples ? rec.wrongMode / rec.samples : 0,
  };
}

/**
 * Discharges every string at `currentA` until its weakest block (true voltage) reaches 1.75 V per
 * cell, then that string goes back on float. Records SoC errors and, afterwards, the autonomy
 * predictions against the true time left. Returns each string's runtime, seconds.
 */
async function dischargeToCutoff(sim: SimulatedSite, currentA: number, save: () => void, rec: Recorder | null,
  restart: { atS: number; restart: (downS: number) => void } | null, trace?: (sim: SimulatedSite, tS: number) => void): Promise<number[]> {
  const n = sim.physics.strings.length;
  const t0 = sim.elapsedS;
  const endS: (number | null)[] = Array.from({ length: n }, () => null);
  const predictions: { t: number; string: number; min: number | null }[] = [];
  for (let i = 1; i <= n; i++) sim.physics.setCharger({ mode: 'discharge', currentA }, i);
  let restarted = false;
  while (endS.some((e) => e === null) && sim.elapsedS - t0 < 30 * H) {
    if (restart && !restarted && sim.elapsedS - t0 >= restart.atS) {
      restart.restart(60);
      restarted = true;
    }
    sim.advance(10, save);
    await flush();
    trace?.(sim, sim.elapsedS - t0);
    const snap = sim.site.snapshot();
    for (let i = 0; i < n; i++) {
      if (endS[i] !== null) continue;
      const s = sim.physics.strings[i];
      let minV = Infinity;
      for (let k = s.first; k < s.first + s.count; k++) minV = Math.min(minV, sim.physics.truth(k + 1).voltageV);
      if (minV <= CUTOFF_V) {
        endS[i] = sim.elapsedS - t0;
        let truth = 0;
        for (let k = s.first; k < s.first + s.count; k++) truth += trueSoc(sim, k + 1) / s.count;
        rec?.atCutoff.push({ estimate: snap.strings[i].socPercent.value, truth });
        sim.physics.setCharger({ mode: 'float' }, i + 1);
      } else predictions.push({ t: sim.elapsedS - t0, string: i, min: snap.strings[i].autonomyMin.value });
    }
    if (rec) {
      // SoC errors of the strings still discharging.
      for (let i = 0; i < n; i++) {
        if (endS[i] !== null && endS[i] !== sim.elapsedS - t0) continue;
        const s = sim.physics.strings[i];
        for (let k = s.first; k < s.first + s.count; k++) {
          const est = snap.modules[k].socPercent.value;
          const err = est === null ? Infinity : est - trueSoc(sim, k + 1);
          rec.errors.push(Math.abs(err));
          if (Math.abs(err) > rec.worst) { rec.worst = Math.abs(err); rec.worstSigned = err; }
        }
        rec.samples++;
        if (snap.strings[i].chargeMode !== 'discharge' && sim.elapsedS - t0 > 30) rec.wrongMode++;
      }
    }
  }
  if (rec) {
    for (const pr of predictions) {
      const end = endS[pr.string];
      if (end === null) continue;
      const left = end - pr.t;
      if (pr.t < end / 2 || left < 120) continue;
      rec.autonomy.push(pr.min === null ? Infinity : Math.abs(pr.min * 60 - left) / left);
    }
  }
  return endS.map((e) => e ?? Infinity);
}
