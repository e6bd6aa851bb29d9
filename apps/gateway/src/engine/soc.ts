// State of charge and autonomy per block and string. The method follows the charge mode
// (charge-mode.ts): float (a balanced block held at float is full), rest/intermittent charging
// (time at rest with temperature-compensated self-discharge, checked against the voltage decay),
// discharge and recharge (coulomb counting on the string current plus each block's voltage under load).
import type { ChargeMode, ModuleState, SiteSnapshot, SiteTransaction, SocMethod, StringState } from '@kirchhoff/core';
import {
  SELF_DISCHARGE_PER_S_25C, arrhenius, cellsOf, defaultCapacityAh,
  restVoltageSlopeVPerPercent, restVoltageV, socFromRestVoltage,
} from './lead-acid';

export interface SocOptions {
  /** Full once the string has been in float (charge mode, see charge-mode.ts) this long after a recharge. Default 1800 s. */
  readonly fullHoldS?: number;
  /** Block voltage at the end of a discharge under load, per cell. Default 1.75 V. */
  readonly cutoffVoltsPerCell?: number;
}

interface BlockState {
  socPercent: number | null;
  // Rest (intermittent charging).
  restStartSoc: number;
  restLossPercent: number;
  decay: { atMs: number; voltageV: number }[];
  measuredRatePercentPerS: number;
  // Discharge.
  startSoc: number;
  baselineV: number | null;
}

interface StringEngineState {
  mode: ChargeMode;
  modeSinceMs: number;
  /** Ah taken out (positive) or put back (negative) since the discharge began. */
  ahOut: number;
  full: boolean;
  taperedSinceMs: number | null;
  lastLoadA: number | null;
  /** When the string was last found full (ms), or null. */
  lastFullMs: number | null;
}

/**
 * What the estimator must remember across a gateway restart (a plain JSON value that the data
 * logger keeps): a restart on day 7 of a charging pause must not start the rest over from a
 * rest-voltage lookup.
 */
export interface SocPersistedState {
  readonly version: 1;
  readonly atMs: number;
  readonly strings: readonly { readonly mode: ChargeMode; readonly modeSinceMs: number; readonly ahOut: number; readonly full: boolean; readonly lastFullMs: number | null }[];
  readonly blocks: readonly { readonly socPercent: number | null; readonly restStartSoc: number; readonly restLossPercent: number; readonly measuredRatePercentPerS: number; readonly startSoc: number }[];
}

/** A gap in the readings longer than this is not coulomb-counted (what flowed meanwhile is unknown). */
const MAX_COUNT_GAP_S = 900;

const DECAY_SAMPLE_MS = 600_000;
const DECAY_WINDOW_MS = 86_400_000;
const BASELINE_AFTER_MS = 120_000;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const clampSoc = (v: number) => Math.min(100, Math.max(0, v));
const fresh = (m: { value: number | null; quality: string }): number | null => (m.quality === 'fresh' ? m.value : null);

export class SocEngine {
  private readonly opts: Required<SocOptions>;
  private blocks: BlockState[] = [];
  private strings: StringEngineState[] = [];
  private lastMs: number | null = null;

  constructor(options: SocOptions = {}) {
    this.opts = {
      fullHoldS: options.fullHoldS ?? 1800,
      cutoffVoltsPerCell: options.cutoffVoltsPerCell ?? 1.75,
    };
  }

  /** The state to keep across a restart, or null before the first step. */
  exportState(): SocPersistedState | null {
    if (this.lastMs === null) return null;
    return {
      version: 1,
      atMs: this.lastMs,
      strings: this.strings.map((st) => ({ mode: st.mode, modeSinceMs: st.modeSinceMs, ahOut: st.ahOut, full: st.full, lastFullMs: st.lastFullMs })),
      blocks: this.blocks.map((b) => ({ socPercent: b.socPercent, restStartSoc: b.restStartSoc, restLossPercent: b.restLossPercent, measuredRatePercentPerS: b.measuredRatePercentPerS, startSoc: b.startSoc })),
    };
  }

  /**
   * Starts over (a gateway restart) from `state`, or from nothing when it is null or does not fit
   * the site (other string or module counts): then the estimate starts as on a new site.
   * The time between `state.atMs` and the next step counts as rest if the string was resting.
   */
  restoreState(state: SocPersistedState | null, snap: SiteSnapshot): boolean {
    this.blocks = [];
    this.strings = [];
    this.lastMs = null;
    if (!state || state.version !== 1 || state.blocks.length !== snap.modules.length || state.strings.length !== snap.strings.length) return false;
    this.blocks = state.blocks.map((b) => ({ ...b, decay: [], baselineV: null }));
    this.strings = state.strings.map((st) => ({ ...st, taperedSinceMs: null, lastLoadA: null }));
    this.lastMs = state.atMs;
    return true;
  }

  /** One estimation step on the charge modes detected for this snapshot: writes SoC, SoC method and autonomy to `tx`. */
  step(snap: SiteSnapshot, tx: SiteTransaction, modes: readonly ChargeMode[]): void {
    if (this.blocks.length !== snap.modules.length) {
      this.blocks = snap.modules.map(() => ({ socPercent: null, restStartSoc: 100, restLossPercent: 0, decay: [], measuredRatePercentPerS: 0, startSoc: 100, baselineV: null }));
      this.strings = snap.strings.map(() => ({ mode: 'unknown', modeSinceMs: tx.atMs, ahOut: 0, full: false, taperedSinceMs: null, lastLoadA: null, lastFullMs: null }));
    }
    const now = tx.atMs;
    const dtS = this.lastMs === null ? 0 : Math.max(0, (now - this.lastMs) / 1000);
    this.lastMs = now;
    for (const s of snap.strings) this.stepString(snap, s, modes[s.string - 1] ?? 'unknown', now, dtS, tx);
  }

  private stepString(snap: SiteSnapshot, s: StringState, mode: ChargeMode, now: number, dtS: number, tx: SiteTransaction): void {
    const st = this.strings[s.string - 1];
    const mods = snap.modules.slice(s.firstGlobal - 1, s.firstGlobal - 1 + s.moduleCount);
    const cap = s.capacityAh ?? defaultCapacityAh(s.moduleType);
    const current = fresh(s.dcCurrentA);
    const entering = mode !== st.mode;
    if (entering) {
      this.enter(st, mode, mods, now);
      st.mode = mode;
      st.modeSinceMs = now;
    }
    // Part of a recharge goes into gassing, not into the plates.
    if (current !== null) st.ahOut -= (current * Math.min(dtS, MAX_COUNT_GAP_S) * (current > 0 ? 0.9 : 1)) / 3600;

    const methods = new Map<number, SocMethod>();
    if (mode === 'float' || mode === 'boost') {
      // Float and boost mean the charge current has tapered off (a larger one is a recharge).
      st.taperedSinceMs ??= now;
      const history = mods.some((m) => this.blocks[m.global - 1].socPercent !== null);
      // Full once tapered at float for a while; with no history (gateway just started) a string
      // already at float is taken as full at once.
      if (!st.full && (!history || now - st.taperedSinceMs >= this.opts.fullHoldS * 1000)) st.full = true;
      if (st.full) st.lastFullMs = now;
    } else {
      st.full = false;
      st.taperedSinceMs = null;
    }

    if (st.full) {
      for (const m of mods) {
        this.blocks[m.global - 1].socPercent = 100;
        methods.set(m.global, 'float');
      }
    } else if (mode === 'discharge' || mode === 'recharge' || mode === 'float' || mode === 'boost') {
      this.countCoulombs(st, s, mods, cap, current, now, methods);
    } else if (mode === 'rest') {
      for (const m of mods) this.rest(m, dtS, now, st.modeSinceMs, methods);
    }

    let sum = 0;
    let count = 0;
    for (const m of mods) {
      const b = this.blocks[m.global - 1];
      const method = m.communication === 'lost' ? 'unknown' : (methods.get(m.global) ?? 'unknown');
      tx.module(m.global, { socMethod: method });
      if (method !== 'unknown' && b.socPercent !== null) {
        const v = Math.round(b.socPercent * 10) / 10;
        tx.moduleReadings(m.global, { socPercent: v });
        sum += v;
        count++;
      }
    }
    const stringSoc = count ? Math.round((sum / count) * 10) / 10 : null;
    tx.string(s.string, { socPercent: stringSoc, autonomyMin: this.autonomyMin(snap, s, mods, st, cap, current) });
  }

  private enter(st: StringEngineState, mode: ChargeMode, mods: readonly ModuleState[], now: number): void {
    if (mode === 'discharge') {
      st.ahOut = 0;
      for (const m of mods) {
        const b = this.blocks[m.global - 1];
        b.startSoc = b.socPercent ?? 100;
        b.baselineV = null;
      }
    }
    if (mode === 'rest') {
      for (const m of mods) {
        const b = this.blocks[m.global - 1];
        const v = fresh(m.voltageV);
        // No history: the rest voltage is all there is, whatever its worth.
        b.restStartSoc = b.socPercent ?? (v === null ? 100 : socFromRestVoltage(m.type, v));
        b.restLossPercent = 0;
        b.decay = v === null ? [] : [{ atMs: now, voltageV: v }];
        b.measuredRatePercentPerS = 0;
      }
    }
    // Recharging after a discharge or a rest counts on from where that ended.
    const charging = (m: ChargeMode) => m === 'float' || m === 'boost' || m === 'recharge';
    if (charging(mode) && !charging(st.mode)) {
      st.ahOut = 0;
      for (const m of mods) this.blocks[m.global - 1].startSoc = this.blocks[m.global - 1].socPercent ?? 100;
    }
  }

  /** Intermittent charging: the block loses charge by self-discharge only; how fast depends on temperature, checked against the voltage decay. */
  private rest(m: ModuleState, dtS: number, now: number, restSinceMs: number, methods: Map<number, SocMethod>): void {
    const b = this.blocks[m.global - 1];
    const t = fresh(m.temperatureC) ?? 25;
    const modelRate = SELF_DISCHARGE_PER_S_25C * 100 * arrhenius(t);
    b.restLossPercent += modelRate * dtS;
    const v = fresh(m.voltageV);
    const last = b.decay[b.decay.length - 1];
    if (v !== null && (!last || now - last.atMs >= DECAY_SAMPLE_MS)) {
      b.decay.push({ atMs: now, voltageV: v });
      while (now - b.decay[0].atMs > 2 * DECAY_WINDOW_MS) b.decay.shift();
      // Surface charge from the last charge decays for days and, while it does, hides
      // self-discharge. Once two consecutive days decay alike it has gone, and a block losing
      // voltage faster than the model says is losing charge faster too.
      const first = b.decay[0];
      if (now - restSinceMs >= 3 * DECAY_WINDOW_MS && now - first.atMs >= 1.9 * DECAY_WINDOW_MS) {
        // Hour averages at the start, middle and end of the two days: 1 mV steps are as big as a day's decay.
        const avg = (fromMs: number) => {
          const xs = b.decay.filter((x) => x.atMs >= fromMs && x.atMs < fromMs + 3_600_000);
          return xs.reduce((a, x) => a + x.voltageV, 0) / xs.length;
        };
        const start = avg(first.atMs);
        const mid = avg(now - DECAY_WINDOW_MS - 1_800_000);
        const end = avg(now - 3_600_000 + 1);
        const earlier = (start - mid) / (now - DECAY_WINDOW_MS - first.atMs);
        const recent = (mid - end) / DECAY_WINDOW_MS;
        const settled = recent > 0 && earlier <= 1.3 * recent;
        const est = clampSoc(b.restStartSoc - b.restLossPercent);
        b.measuredRatePercentPerS = settled ? (recent * 1000) / restVoltageSlopeVPerPercent(m.type, est) : 0;
      }
    }
    // A steady self-discharge has been at work since the rest began, not only since it became visible.
    const measuredLoss = (b.measuredRatePercentPerS * (now - restSinceMs)) / 1000;
    b.socPercent = clampSoc(b.restStartSoc - Math.max(b.restLossPercent, measuredLoss));
    methods.set(m.global, 'rest');
  }

  /** Discharge (and recharge): the string's coulombs, shared out by each block's voltage under load. */
  private countCoulombs(st: StringEngineState, s: StringState, mods: readonly ModuleState[], cap: number, current: number | null,
    now: number, methods: Map<number, SocMethod>): void {
    const usable = mods.filter((m) => m.communication !== 'lost' && fresh(m.voltageV) !== null);
    const ris = usable.map((m) => fresh(m.resistanceOhm)).filter((r): r is number => r !== null);
    const riDefault = ris.length ? median(ris) : 0;
    const i = current ?? 0;
    // Voltage under load, back to the block's rest voltage by its own Ri.
    const comp = new Map<number, number>();
    for (const m of usable) comp.set(m.global, (fresh(m.voltageV) as number) - i * (fresh(m.resistanceOhm) ?? riDefault));
    const starts = mods.map((m) => this.blocks[m.global - 1].startSoc);
    const startMedian = median(starts);
    const stringSoc = clampSoc(startMedian - (st.ahOut / cap) * 100);
    const discharging = st.mode === 'discharge';
    const useVoltage = discharging && usable.length >= 3 && now - st.modeSinceMs >= BASELINE_AFTER_MS;
    const compMedian = useVoltage ? median([...comp.values()]) : 0;
    for (const m of mods) {
      const b = this.blocks[m.global - 1];
      const own = clampSoc(b.startSoc - (st.ahOut / cap) * 100);
      const c = comp.get(m.global);
      if (useVoltage && c !== undefined) {
        // Each block's deviation from the string median, less the deviation it had when the
        // discharge began (individual rest-voltage offsets), says how much faster it empties.
        const expected = restVoltageV(s.moduleType, b.startSoc) - restVoltageV(s.moduleType, startMedian);
        b.baselineV ??= c - compMedian - expected;
        b.socPercent = clampSoc(socFromRestVoltage(s.moduleType, restVoltageV(s.moduleType, stringSoc) + (c - compMedian - b.baselineV)));
      } else if (discharging || b.socPercent === null) b.socPercent = own;
      else b.socPercent = clampSoc(Math.max(b.socPercent, own));
      methods.set(m.global, 'discharge');
    }
  }

  /** Minutes until the weakest block reaches the end-of-discharge voltage at the present (or expected) load. */
  private autonomyMin(snap: SiteSnapshot, s: StringState, mods: readonly ModuleState[], st: StringEngineState, cap: number, current: number | null): number | null {
    let loadA: number | null = null;
    if (current !== null && current < 0 && st.mode === 'discharge') loadA = -current;
    else if (snap.ups && snap.ups.quality === 'fresh') {
      const powerW = snap.ups.output.lines.reduce((a, l) => a + l.powerW, 0);
      const v = fresh(s.sumVoltageV);
      if (powerW > 0 && v) loadA = powerW / v / snap.strings.length;
    }
    loadA ??= st.lastLoadA ?? cap / 10;
    if (st.mode === 'discharge') st.lastLoadA = loadA;
    const cells = cellsOf(s.moduleType);
    const temps = mods.map((m) => fresh(m.temperatureC)).filter((t): t is number => t !== null);
    const meanT = temps.length ? temps.reduce((a, b) => a + b, 0) / temps.length : 25;
    // Lead-acid gives less below 25 deg C (about 0.6 %/K) and less at high rates (Peukert).
    const tempFactor = Math.min(1.1, Math.max(0.5, 1 + 0.006 * (meanT - 25)));
    const peukert = Math.pow(cap / 10 / loadA, 0.1);
    let worstAh = Infinity;
    for (const m of mods) {
      const soc = this.blocks[m.global - 1].socPercent;
      if (soc === null || m.communication === 'lost') continue;
      const ri = fresh(m.resistanceOhm) ?? 0;
      // With a high Ri the block reaches cut-off under load at a higher state of charge.
      const cutoffSoc = socFromRestVoltage(s.moduleType, this.opts.cutoffVoltsPerCell * cells + loadA * ri);
      // A block that has lost charge faster than the string so far (a weak block) will go on doing so.
      const b = this.blocks[m.global - 1];
      const percentPerAh = st.mode === 'discharge' && st.ahOut > 0.005 * cap ? Math.max(100 / cap, (b.startSoc - soc) / st.ahOut) : 100 / cap;
      worstAh = Math.min(worstAh, Math.max(0, soc - cutoffSoc) / percentPerAh);
    }
    if (!Number.isFinite(worstAh) || loadA <= 0) return null;
    return Math.round(((worstAh * tempFactor * peukert) / loadA) * 60 * 10) / 10;
  }
}
