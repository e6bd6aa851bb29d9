// The thermal-runaway scenario matrix: runaway onsets that must trip (in several block positions,
// with a lost module or a blown fuse elsewhere, balancing off, at rest, at 15 and 35 degC) and
// normal operation that must stay quiet (boost, recharges, room temperature changes, one wild
// reading, a full C/3 discharge). Run on the string physics with the production defaults; the
// "condition true" time is taken from the physics' truth, not from the engine under test.
import type { Alarm } from '@kirchhoff/core';
import { parseFault, FaultSpec } from '../demo/faults';
import { ChargerSetting, SimulatedSite } from '../physics';

export interface RunawayScenario {
  readonly name: string;
  /** `trip`: a runaway that must be caught; `quiet`: normal operation, no trip and no alarm. */
  readonly expect: 'trip' | 'quiet';
  readonly modules?: number;
  readonly ambientC?: number;
  readonly balancing?: boolean;
  readonly charger?: ChargerSetting;
  readonly initialSocPercent?: number;
  readonly faults?: readonly string[];
  /** Block (string 1) and time of the runaway onset. */
  readonly runaway?: { readonly module: number; readonly atS: number };
  /** Changes as time passes: the charger, the room temperature, ... */
  readonly timeline?: readonly { readonly atS: number; readonly charger?: ChargerSetting; readonly ambientC?: number }[];
  /** Room temperature as a function of time (overrides timeline ambient). */
  readonly ambientAt?: (tS: number, baseC: number) => number;
  /** A discharge at this current from atS until the weakest block reaches 1.75 V per cell, then float (the recharge). */
  readonly dischargeToCutoff?: { readonly atS: number; readonly currentA: number };
  /** One implausible temperature reading. */
  readonly wildReading?: { readonly module: number; readonly atS: number; readonly temperatureC: number };
  readonly hours: number;
  /** Alarm kinds allowed in a quiet scenario (e.g. the string's own discharge events). */
  readonly allowedAlarms?: readonly string[];
}

export interface ScenarioResult {
  readonly scenario: string;
  readonly seed: number;
  readonly tripped: boolean;
  /** Seconds from the truth's condition to the alarm, null without a trip or without a truth condition. */
  readonly detectionS: number | null;
  readonly conditionTrueS: number | null;
  readonly tripAtS: number | null;
  /** True block temperature at the trip. */
  readonly tripBlockC: number | null;
  /** Hottest true temperature of the runaway block over the run, and at the end. */
  readonly peakBlockC: number | null;
  readonly endBlockC: number | null;
  /** Rate of the runaway block's true temperature over the last 10 min of the run, K/h (negative: cooling). */
  readonly endRateCPerHour: number | null;
  readonly alarms: readonly string[];
  readonly falseTrip: boolean;
}

const H = 3600;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The matrix of the issue; `delayS` etc. are the production defaults. */
export function runawayScenarios(): RunawayScenario[] {
  const onset = (module: number, extra: Partial<RunawayScenario> = {}, name = `runaway M${module}`): RunawayScenario => ({
    name, expect: 'trip', runaway: { module, atS: 2 * H }, hours: 6, ...extra,
  });
  return [
    onset(1),
    onset(10),
    onset(20),
    onset(7, { faults: ['module-lost:1:3@600'] }, 'runaway M7, M3 lost'),
    onset(12, { faults: ['fuse-blown:1:15@600'] }, 'runaway M12, M15 fuse blown'),
    onset(5, { balancing: false }, 'runaway M5, balancing off'),
    onset(9, { ambientC: 15 }, 'runaway M9 at 15 degC'),
    onset(9, { ambientC: 35 }, 'runaway M9 at 35 degC'),
    // Intermittent charging: the charger is off from 1 h to 4 h, the runaway's onset comes at 3 h while it
    // rests (a charger-fed runaway heats nothing then) and runs away when the charger is back.
    onset(14, { timeline: [{ atS: H, charger: { mode: 'off' } }, { atS: 4 * H, charger: { mode: 'float' } }], runaway: { module: 14, atS: 3 * H }, hours: 7 }, 'runaway M14 at rest'),
    { name: 'boost 8 h, full string', expect: 'quiet', charger: { mode: 'boost' }, hours: 8 },
    {
      name: 'recharge after 30 % discharge', expect: 'quiet', hours: 12, allowedAlarms: ['ups-on-battery'],
      timeline: [{ atS: H, charger: { mode: 'discharge', currentA: 10 } }, { atS: H + 3 * H * 0.9, charger: { mode: 'float' } }],
    },
    {
      name: 'recharge after 80 % discharge', expect: 'quiet', hours: 16,
      timeline: [{ atS: H, charger: { mode: 'discharge', currentA: 20 } }, { atS: H + 4 * H * 0.82 / 2 * 2, charger: { mode: 'float' } }],
    },
    {
      name: 'full C/3 discharge to cut-off and recharge', expect: 'quiet', hours: 16,
      dischargeToCutoff: { atS: H, currentA: 100 / 3 },
    },
    { name: '35 degC ambient step', expect: 'quiet', hours: 8, timeline: [{ atS: 2 * H, ambientC: 35 }] },
    { name: '+-5 K room swing in 1 h', expect: 'quiet', hours: 8, ambientAt: (t, base) => base + 5 * Math.sin((2 * Math.PI * t) / H) },
    { name: 'one 80 degC reading', expect: 'quiet', hours: 4, wildReading: { module: 6, atS: 2 * H, temperatureC: 80 } },
    {
      name: 'false trip of issue 13 (demo fault list)', expect: 'quiet', hours: 2,
      faults: ['module-lost:1:3@35-50', 'module-lost:1:4@38-52', 'fuse-blown:1:6@44-58', 'ups-on-battery@50-65'],
      allowedAlarms: ['module-lost', 'module-fuse-blown', 'balancing-disabled'],
    },
  ];
}

/** Runs one scenario with one seed on a 1-string site (20 x C20, 100 Ah unless set). */
export function runScenario(sc: RunawayScenario, seed: number): ScenarioResult {
  const faults: FaultSpec[] = (sc.faults ?? []).map(parseFault);
  if (sc.runaway) faults.push({ kind: 'thermal-runaway', string: 1, module: sc.runaway.module, startS: sc.runaway.atS });
  const baseC = sc.ambientC ?? 25;
  const sim = new SimulatedSite({
    strings: [{ modules: sc.modules ?? 20, moduleType: 'C20' }],
    seed,
    ambientC: baseC,
    // A commissioned, balanced string (a 0.15 V spread is an imbalance worth its alarm).
    initialSpreadV: 0.03,
    charger: sc.charger ?? { mode: 'float' },
    initialSocPercent: sc.initialSocPercent,
    balancing: { enabled: sc.balancing ?? true },
    faults,
    ...(sc.wildReading ? {
      afterMeasure: (site, elapsedS) => {
        const w = sc.wildReading!;
        if (elapsedS >= w.atS && elapsedS < w.atS + 10) site.update((tx) => tx.moduleReadings(w.module, { temperatureC: w.temperatureC }));
      },
    } : {}),
  });
  const alarms: string[] = [];
  let tripAtS: number | null = null;
  sim.site.subscribe((e) => {
    if (e.type !== 'alarm' || e.action !== 'raised') return;
    const a: Alarm = e.alarm;
    if (!alarms.includes(a.kind)) alarms.push(a.kind);
    if (a.kind === 'thermal-runaway' && tripAtS === null) tripAtS = sim.elapsedS;
  });
  const g = sc.runaway?.module ?? null;
  const n = sim.physics.strings[0].count;
  // Truth: the block's own temperature history and the string current, for the condition time.
  const hist: { t: number; temps: number[]; current: number }[] = [];
  let conditionTrueS: number | null = null;
  let tripBlockC: number | null = null;
  let peak: number | null = null;
  let refCurrent: number | null = null;
  let refTf = 1;
  let cutoffReached = false;
  // The truth's charge balance (as the production engine defines a full string): full from the start on
  // float, emptied by a discharge or a rest, full again once 1.2 x the charge out + 0.5 % is back.
  let full = (sc.charger?.mode ?? 'float') === 'float' && (sc.initialSocPercent ?? 100) >= 100;
  let outAh = 0;
  let inAh = 0;
  const events = [...(sc.timeline ?? [])].sort((a, b) => a.atS - b.atS);
  const total = sc.hours * H;
  while (sim.elapsedS < total - 1e-6) {
    const t = sim.elapsedS;
    for (const ev of events) {
      if (ev.atS <= t && ev.atS > t - 10) {
        if (ev.charger) sim.physics.setCharger(ev.charger);
        if (ev.ambientC !== undefined) sim.physics.ambientC = ev.ambientC;
      }
    }
    if (t === 0) for (const ev of events) if (ev.atS === 0 && ev.charger) sim.physics.setCharger(ev.charger);
    if (sc.ambientAt) sim.physics.ambientC = sc.ambientAt(t, baseC);
    const d = sc.dischargeToCutoff;
    if (d && t >= d.atS && !cutoffReached) {
      const minV = Math.min(...Array.from({ length: n }, (_, i) => sim.physics.truth(i + 1).voltageV));
      if (t > d.atS && minV <= 1.75 * 6) {
        cutoffReached = true;
        sim.physics.setCharger({ mode: 'float' });
      } else sim.physics.setCharger({ mode: 'discharge', currentA: d.currentA });
    }
    sim.advance(10);
    const temps = Array.from({ length: n }, (_, i) => sim.physics.truth(i + 1).temperatureC);
    const current = sim.physics.stringCurrentA(1);
    hist.push({ t: sim.elapsedS, temps, current });
    const mode = sim.physics.charger(1).mode;
    if (mode === 'discharge' || mode === 'off') {
      full = false;
      outAh += mode === 'off' ? (100 * 0.03 * Math.pow(2, (median(temps) - 25) / 10) * 10) / (30 * 86_400) : (-current * 10) / H;
    } else if (!full && current > 0) {
      inAh += (current * 10) / H;
      if (inAh >= 1.2 * outAh + 0.5) [full, outAh, inAh] = [true, 0, 0];
    }
    if (g === null) continue;
    const tb = temps[g - 1];
    peak = peak === null ? tb : Math.max(peak, tb);
    if (tripAtS !== null && tripBlockC === null) tripBlockC = tb;
    if (sc.runaway && sim.elapsedS >= sc.runaway.atS && refCurrent === null) {
      refCurrent = current;
      refTf = Math.pow(2, (median(temps) - 25) / 10);
    }
    const rest = mode === 'off';
    if (conditionTrueS === null && refCurrent !== null) conditionTrueS = truthCondition(hist, g, refCurrent, refTf, rest, full && mode === 'float');
  }
  const tripped = tripAtS !== null;
  return {
    scenario: sc.name,
    seed,
    tripped,
    detectionS: tripAtS !== null && conditionTrueS !== null ? (tripAtS as number) - conditionTrueS : null,
    conditionTrueS,
    tripAtS,
    tripBlockC,
    peakBlockC: peak,
    endBlockC: g === null ? null : sim.physics.truth(g).temperatureC,
    endRateCPerHour: g === null || hist.length < 61 ? null
      : ((hist[hist.length - 1].temps[g - 1] - hist[hist.length - 61].temps[g - 1]) / (hist[hist.length - 1].t - hist[hist.length - 61].t)) * H,
    alarms,
    falseTrip: sc.expect === 'quiet' && tripped,
  };
}

/**
 * When the production-default conditions became true in the physics' truth: the block 5 K above
 * its string's median or rising 3 K/h faster than it (15 min window), with the float current 50 %
 * and 0.05 A above what it was at the onset (temperature-compensated), or at rest without the
 * current; or the block at 50 degC; or the string full and on float with its float current above
 * 10 mA/Ah at 25 degC (divided by the temperature factor of its median block). Returns the time of
 * the latest sample when true, else null.
 */
function truthCondition(hist: { t: number; temps: number[]; current: number }[], g: number, refA: number, refTf: number, rest: boolean, fullOnFloat: boolean): number | null {
  const now = hist[hist.length - 1];
  const tb = now.temps[g - 1];
  if (tb >= 50) return now.t;
  const med = median(now.temps);
  if (fullOnFloat && now.current / Math.pow(2, (med - 25) / 10) >= 0.01 * 100) return now.t;
  const old = hist.find((h) => h.t >= now.t - 900);
  let fast = false;
  if (old && now.t - old.t >= 890) {
    const rates = now.temps.map((x, i) => ((x - old.temps[i]) / (now.t - old.t)) * H);
    fast = rates[g - 1] - median(rates) >= 3;
  }
  const hot = tb - med >= 5;
  if (rest) return fast && hot ? now.t : null;
  const expected = refA * (Math.pow(2, (med - 25) / 10) / refTf);
  const rising = now.current >= expected * 1.5 && now.current - expected >= 0.05;
  return (fast || hot) && rising ? now.t : null;
}
