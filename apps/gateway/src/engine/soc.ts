// State of charge and autonomy per block and string. The method follows the charge mode
// (charge-mode.ts): float (a balanced block held at float is full), rest/intermittent charging
// (time at rest with temperature-compensated self-discharge, checked against the voltage decay),
// discharge and recharge (coulomb counting on the string current plus each block's voltage under load).
import type { ChargeMode, ModuleState, SiteSnapshot, SiteTransaction, SocMethod, StringState } from '@kirchhoff/core';
import {
  SELF_DISCHARGE_PER_S_25C, arrhenius, cellsOf, defaultCapacityAh, deliverableFraction,
  restVoltageSlopeVPerPercent, socFromRestVoltage,
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
  /** Hour averages of the rest voltage (hour number since the epoch). */
  decay: { hour: number; sum: number; n: number }[];
  /** The last complete hour the decay rate was taken at. */
  lastRateHour: number;
  measuredRatePercentPerS: number;
  // Discharge.
  startSoc: number;
  /** C10 capacity learned from the last discharge to the cut-off, Ah (null: the configured one). */
  capacityAh: number | null;
  /** Ri at the start of the discharge (the voltage is compensated with it, so that re-measurements add no steps). */
  startRiOhm: number | null;
  /** Least-squares sums of the compensated voltage against the Ah counted in this discharge. */
  fit: { n: number; sx: number; sy: number; sxx: number; sxy: number };
  /** This discharge's capacity of the block relative to the string (from the voltage slopes), or null. */
  relative: number | null;
  /** This discharge's voltage under load against the Ah counted (for the Shepherd fit of the cut-off). */
  curve: { q: number; v: number }[];
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
  /** A block reached the cut-off under load in this discharge. */
  cutoffSeen: boolean;
  lastFitAh: number;
  lastCurveAh: number;
  /** Current of the last curve sample (a load step starts the curve over). */
  curveA: number | null;
  /** Ah counted at which the Shepherd fit expects the first block to reach the cut-off at this load, or null. */
  fitCutoffAh: number | null;
}

/**
 * What the estimator must remember across a gateway restart (a plain JSON value that the data
 * logger keeps): a restart on day 7 of a charging pause must not start the rest over from a
 * rest-voltage lookup.
 */
export interface SocPersistedState {
  /** 2 adds the learned capacity per block and the cut-off flag; a version-1 state is read with neither. */
  readonly version: 1 | 2;
  readonly atMs: number;
  readonly strings: readonly {
    readonly mode: ChargeMode; readonly modeSinceMs: number; readonly ahOut: number; readonly full: boolean; readonly lastFullMs: number | null;
    readonly cutoffSeen?: boolean;
    /** The discharge's last fitted depth and load (a state without them starts the fit over). */
    readonly lastFitAh?: number; readonly lastLoadA?: number | null;
  }[];
  readonly blocks: readonly {
    readonly socPercent: number | null; readonly restStartSoc: number; readonly restLossPercent: number; readonly measuredRatePercentPerS: number; readonly startSoc: number;
    readonly capacityAh?: number | null;
    /**
     * The discharge's voltage-slope fit and the share it gives (kept so that a restart in a discharge
     * does not start the block-to-block shares over from a few minutes of data).
     */
    readonly startRiOhm?: number | null;
    readonly fit?: { readonly n: number; readonly sx: number; readonly sy: number; readonly sxx: number; readonly sxy: number };
    readonly relative?: number | null;
  }[];
}

/** A gap in the readings longer than this is not coulomb-counted (what flowed meanwhile is unknown). */
const MAX_COUNT_GAP_S = 900;

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** The voltage slope is fitted from this depth of the discharge on (before it, the float's surface charge decays), fraction of capacity. */
const FIT_FROM = 0.03;
/** ... and its block-to-block ratios are used once this much has been taken out. */
const FIT_USE_FROM = 0.08;
/** ... and until this share of what the string can give at the present rate has been taken out. */
const FIT_UNTIL = 0.6;
/** A learned capacity stays within this factor of the configured one. */
const LEARNED_RANGE = [0.3, 1.5] as const;
/** The decay rate is fitted over at most this many hours. */
const DECAY_WINDOW_H = 14 * 24;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const clampSoc = (v: number) => Math.min(100, Math.max(0, v));
const fresh = (m: { value: number | null; quality: string }): number | null => (m.quality === 'fresh' ? m.value : null);
const newBlock = (): BlockState => ({
  socPercent: null, restStartSoc: 100, restLossPercent: 0, decay: [], lastRateHour: -1, measuredRatePercentPerS: 0, startSoc: 100,
  capacityAh: null, startRiOhm: null, fit: { n: 0, sx: 0, sy: 0, sxx: 0, sxy: 0 }, relative: null, curve: [],
});
const newStringState = (atMs: number): StringEngineState => ({
  mode: 'unknown', modeSinceMs: atMs, ahOut: 0, full: false, taperedSinceMs: null, lastLoadA: null, lastFullMs: null,
  cutoffSeen: false, lastFitAh: -Infinity, lastCurveAh: -Infinity, curveA: null, fitCutoffAh: null,
});
const slopeOf = (f: BlockState['fit']): number | null => {
  const d = f.n * f.sxx - f.sx * f.sx;
  return f.n >= 6 && d > 0 ? (f.n * f.sxy - f.sx * f.sy) / d : null;
};

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

  /**
   * The self-discharge a block showed in the present or last rest phase once its voltage decay had
   * settled (see rest()), percent of capacity per day; null before any such measurement.
   */
  selfDischargePercentPerDay(global: number): number | null {
    const b = this.blocks[global - 1];
    return b && b.measuredRatePercentPerS > 0 ? b.measuredRatePercentPerS * 86_400 : null;
  }

  /** The state to keep across a restart, or null before the first step. */
  exportState(): SocPersistedState | null {
    if (this.lastMs === null) return null;
    return {
      version: 2,
      atMs: this.lastMs,
      strings: this.strings.map((st) => ({
        mode: st.mode, modeSinceMs: st.modeSinceMs, ahOut: st.ahOut, full: st.full, lastFullMs: st.lastFullMs, cutoffSeen: st.cutoffSeen,
        lastFitAh: Number.isFinite(st.lastFitAh) ? st.lastFitAh : undefined, lastLoadA: st.lastLoadA,
      })),
      blocks: this.blocks.map((b) => ({
        socPercent: b.socPercent, restStartSoc: b.restStartSoc, restLossPercent: b.restLossPercent, measuredRatePercentPerS: b.measuredRatePercentPerS,
        startSoc: b.startSoc, capacityAh: b.capacityAh, startRiOhm: b.startRiOhm, fit: { ...b.fit }, relative: b.relative,
      })),
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
    if (!state || (state.version !== 1 && state.version !== 2) || state.blocks.length !== snap.modules.length || state.strings.length !== snap.strings.length) return false;
    this.blocks = state.blocks.map((b) => ({
      ...newBlock(), ...b, capacityAh: b.capacityAh ?? null, startRiOhm: b.startRiOhm ?? null, fit: b.fit ? { ...b.fit } : newBlock().fit,
      relative: b.relative ?? null, decay: [], lastRateHour: -1,
    }));
    this.strings = state.strings.map((st) => ({
      ...newStringState(st.modeSinceMs), ...st, cutoffSeen: st.cutoffSeen ?? false, lastFitAh: st.lastFitAh ?? -Infinity, lastLoadA: st.lastLoadA ?? null,
    }));
    this.lastMs = state.atMs;
    return true;
  }

  /** One estimation step on the charge modes detected for this snapshot: writes SoC, SoC method and autonomy to `tx`. */
  step(snap: SiteSnapshot, tx: SiteTransaction, modes: readonly ChargeMode[]): void {
    if (this.blocks.length !== snap.modules.length) {
      this.blocks = snap.modules.map(() => newBlock());
      this.strings = snap.strings.map(() => newStringState(tx.atMs));
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
      this.enter(st, mode, mods);
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

  private enter(st: StringEngineState, mode: ChargeMode, mods: readonly ModuleState[]): void {
    if (mode === 'discharge') {
      st.ahOut = 0;
      st.cutoffSeen = false;
      st.lastFitAh = -Infinity;
      st.lastCurveAh = -Infinity;
      st.curveA = null;
      st.fitCutoffAh = null;
      for (const m of mods) {
        const b = this.blocks[m.global - 1];
        b.startSoc = b.socPercent ?? 100;
        b.startRiOhm = null;
        b.fit = { n: 0, sx: 0, sy: 0, sxx: 0, sxy: 0 };
        b.relative = null;
        b.curve = [];
      }
    }
    if (mode === 'rest') {
      for (const m of mods) {
        const b = this.blocks[m.global - 1];
        const v = fresh(m.voltageV);
        // No history: the rest voltage is all there is, whatever its worth.
        b.restStartSoc = b.socPercent ?? (v === null ? 100 : socFromRestVoltage(m.type, v));
        b.restLossPercent = 0;
        b.decay = [];
        b.lastRateHour = -1;
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
    if (v !== null) {
      // Hour averages: the modules report whole millivolts, and a day's decay is a few of them.
      const hour = Math.floor(now / HOUR_MS);
      const last = b.decay[b.decay.length - 1];
      if (last && last.hour === hour) { last.sum += v; last.n++; } else b.decay.push({ hour, sum: v, n: 1 });
      while (b.decay.length && hour - b.decay[0].hour > DECAY_WINDOW_H) b.decay.shift();
    }
    if (now - restSinceMs >= 3 * DAY_MS && (v !== null && b.decay.length >= 2 && b.decay[b.decay.length - 2].hour !== b.lastRateHour)) {
      b.lastRateHour = b.decay[b.decay.length - 2].hour;
      const rate = this.decayRate(b, restSinceMs, now);
      if (rate !== null) {
        const est = clampSoc(b.restStartSoc - b.restLossPercent);
        b.measuredRatePercentPerS = rate / restVoltageSlopeVPerPercent(m.type, est);
      }
    }
    // A steady self-discharge has been at work since the rest began, not only since it became visible.
    const measuredLoss = (b.measuredRatePercentPerS * (now - restSinceMs)) / 1000;
    b.socPercent = clampSoc(b.restStartSoc - Math.max(b.restLossPercent, measuredLoss));
    methods.set(m.global, 'rest');
  }

  /**
   * The block's settled voltage decay, volts per second, or null while it cannot be told: a straight
   * line through the complete hour averages of the later half of the rest (at most the last
   * DECAY_WINDOW_H hours, at least two days). Surface charge from the last charge decays for days
   * and, while it does, hides self-discharge: the decay counts once the older half of that window fell
   * no faster than 1.3 times the newer half (then a block losing voltage faster than the model says is
   * losing charge faster too).
   */
  private decayRate(b: BlockState, restSinceMs: number, now: number): number | null {
    const fromHour = Math.floor((restSinceMs + (now - restSinceMs) / 2) / HOUR_MS);
    const pts = b.decay.slice(0, -1).filter((p) => p.hour >= fromHour);
    if (pts.length < 47) return null;
    const slope = (xs: typeof pts): number => {
      const n = xs.length;
      const mx = xs.reduce((a, p) => a + p.hour, 0) / n;
      const my = xs.reduce((a, p) => a + p.sum / p.n, 0) / n;
      let sxy = 0;
      let sxx = 0;
      for (const p of xs) { sxy += (p.hour - mx) * (p.sum / p.n - my); sxx += (p.hour - mx) ** 2; }
      return (-sxy / sxx / HOUR_MS) * 1000;
    };
    const half = Math.floor(pts.length / 2);
    const earlier = slope(pts.slice(0, half));
    const recent = slope(pts.slice(half));
    const all = slope(pts);
    return recent > 0 && all > 0 && earlier <= 1.3 * recent ? all : null;
  }

  /**
   * Discharge (and recharge): the string's coulombs, per block over its own capacity: the one learned
   * from the last discharge to the cut-off and, in a discharge, each block's share from how fast its
   * voltage falls against the string's (a block with half the capacity falls twice as fast).
   */
  private countCoulombs(st: StringEngineState, s: StringState, mods: readonly ModuleState[], cap: number, current: number | null,
    now: number, methods: Map<number, SocMethod>): void {
    const discharging = st.mode === 'discharge';
    const i = current ?? 0;
    if (discharging) {
      this.fitSlopes(st, mods, cap, i);
      this.followCurve(st, s, mods, cap, i);
    }
    const capOf = (b: BlockState) => b.capacityAh ?? cap;
    const stringCap = median(mods.map((m) => capOf(this.blocks[m.global - 1])));
    for (const m of mods) {
      const b = this.blocks[m.global - 1];
      const c = discharging && b.relative !== null ? stringCap * b.relative : capOf(b);
      const own = clampSoc(b.startSoc - (st.ahOut / c) * 100);
      if (discharging || b.socPercent === null) b.socPercent = own;
      else b.socPercent = clampSoc(Math.max(b.socPercent, own));
      methods.set(m.global, 'discharge');
    }
    if (discharging && !st.cutoffSeen && i < 0) this.learnAtCutoff(st, s, mods, cap, now);
  }

  /** Fits each block's compensated voltage against the Ah counted; from FIT_USE_FROM on, the slopes give each block's share of the capacity. */
  private fitSlopes(st: StringEngineState, mods: readonly ModuleState[], cap: number, i: number): void {
    if (i >= 0 || st.ahOut < FIT_FROM * cap || st.ahOut - st.lastFitAh < 0.002 * cap) return;
    // The slopes are taken on the straight part only: near the end the knee makes the first blocks
    // to get there look smaller than they are.
    const stringCap = median(mods.map((m) => this.blocks[m.global - 1].capacityAh ?? cap));
    const startSoc = median(mods.map((m) => this.blocks[m.global - 1].startSoc));
    const straightAh = (stringCap * (startSoc / 100 - (1 - deliverableFraction(stringCap, -i)))) * FIT_UNTIL;
    if (st.ahOut > straightAh) return;
    st.lastFitAh = st.ahOut;
    const ris = mods.map((m) => fresh(m.resistanceOhm)).filter((r): r is number => r !== null);
    const riDefault = ris.length ? median(ris) : 0;
    for (const m of mods) {
      const v = m.communication === 'lost' ? null : fresh(m.voltageV);
      if (v === null) continue;
      const b = this.blocks[m.global - 1];
      b.startRiOhm ??= fresh(m.resistanceOhm) ?? riDefault;
      const y = v - i * b.startRiOhm;
      const x = st.ahOut;
      b.fit.n++; b.fit.sx += x; b.fit.sy += y; b.fit.sxx += x * x; b.fit.sxy += x * y;
    }
    if (st.ahOut < FIT_USE_FROM * cap) return;
    const slopes = new Map<number, number>();
    for (const m of mods) {
      const k = slopeOf(this.blocks[m.global - 1].fit);
      if (k !== null && k < 0) slopes.set(m.global, k);
    }
    if (slopes.size < 3) return;
    const mid = median([...slopes.values()]);
    for (const m of mods) {
      const k = slopes.get(m.global);
      // Relative to the string's median block, whose capacity is the string's.
      this.blocks[m.global - 1].relative = k === undefined ? null : Math.min(2, Math.max(0.3, mid / k));
    }
  }

  /**
   * Keeps the voltage under load of every block against the Ah counted while the load is steady, and
   * fits the blocks nearest the cut-off with Shepherd's form V = a + b q - K q / (Q - q): the knee
   * ahead, from the curve this discharge has drawn so far, says at how many Ah the cut-off comes.
   */
  private followCurve(st: StringEngineState, s: StringState, mods: readonly ModuleState[], cap: number, i: number): void {
    if (i >= 0 || st.ahOut < FIT_FROM * cap || st.ahOut - st.lastCurveAh < 0.005 * cap) return;
    if (st.curveA !== null && Math.abs(-i - st.curveA) > 0.1 * st.curveA + 0.01 * cap) {
      // Another load: another curve.
      for (const m of mods) this.blocks[m.global - 1].curve = [];
      st.fitCutoffAh = null;
    }
    st.curveA = -i;
    st.lastCurveAh = st.ahOut;
    const last: { m: ModuleState; v: number }[] = [];
    for (const m of mods) {
      const v = m.communication === 'lost' || m.fuse === 'blown' ? null : fresh(m.voltageV);
      if (v === null) continue;
      this.blocks[m.global - 1].curve.push({ q: st.ahOut, v });
      last.push({ m, v });
    }
    last.sort((a, b) => a.v - b.v);
    const cutoffV = this.opts.cutoffVoltsPerCell * cellsOf(s.moduleType);
    let end: number | null = null;
    for (const { m } of last.slice(0, 3)) {
      const q = shepherdCutoffAh(this.blocks[m.global - 1].curve, cutoffV, st.ahOut, cap);
      if (q !== null) end = end === null ? q : Math.min(end, q);
    }
    st.fitCutoffAh = end;
  }

  /**
   * The first block to reach the cut-off under load ends the discharge: the Ah counted to there, at
   * this rate, give its C10 capacity (through the rate dependence), and the slopes the others'.
   */
  private learnAtCutoff(st: StringEngineState, s: StringState, mods: readonly ModuleState[], cap: number, now: number): void {
    const cutoffV = this.opts.cutoffVoltsPerCell * cellsOf(s.moduleType);
    const hit = mods.filter((m) => m.communication !== 'lost' && m.fuse !== 'blown' && (fresh(m.voltageV) ?? Infinity) <= cutoffV);
    if (!hit.length || st.ahOut < 0.05 * cap) return;
    st.cutoffSeen = true;
    const hours = (now - st.modeSinceMs) / 3_600_000;
    if (!(hours > 0)) return;
    const meanA = st.ahOut / hours;
    const w = this.blocks[hit[0].global - 1];
    // Solve C = Q / (startSoc - 100 (1 - f(C))) * 100 for the block that reached the cut-off.
    let c = w.capacityAh ?? cap;
    for (let k = 0; k < 8; k++) {
      const depth = w.startSoc - 100 * (1 - deliverableFraction(c, meanA));
      if (depth <= 5) return;
      c = Math.min(LEARNED_RANGE[1] * cap, Math.max(LEARNED_RANGE[0] * cap, (st.ahOut * 100) / depth));
    }
    const wRel = w.relative ?? 1;
    for (const m of mods) {
      const b = this.blocks[m.global - 1];
      const rel = b.relative ?? wRel;
      b.capacityAh = Math.min(LEARNED_RANGE[1] * cap, Math.max(LEARNED_RANGE[0] * cap, (c * rel) / wRel));
      b.relative = null;
      b.socPercent = clampSoc(b.startSoc - (st.ahOut / b.capacityAh) * 100);
    }
  }

  /**
   * Minutes until the first block reaches the cut-off at the present (or expected) load: each block's
   * charge above what it cannot give at this rate (the cut-off judged under load), over the load.
   */
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
    const temps = mods.map((m) => fresh(m.temperatureC)).filter((t): t is number => t !== null);
    const meanT = temps.length ? temps.reduce((a, b) => a + b, 0) / temps.length : 25;
    // Lead-acid gives less below 25 deg C (about 0.6 %/K).
    const tempFactor = Math.min(1.1, Math.max(0.5, 1 + 0.006 * (meanT - 25)));
    const capOf = (b: BlockState) => b.capacityAh ?? cap;
    const stringCap = median(mods.map((m) => capOf(this.blocks[m.global - 1])));
    let worstAh = Infinity;
    for (const m of mods) {
      const b = this.blocks[m.global - 1];
      if (b.socPercent === null || m.communication === 'lost') continue;
      const c = st.mode === 'discharge' && b.relative !== null ? stringCap * b.relative : capOf(b);
      const unavailable = 1 - deliverableFraction(c, loadA * tempFactor);
      worstAh = Math.min(worstAh, Math.max(0, (c * (b.socPercent / 100 - unavailable)) * tempFactor));
    }
    if (st.mode === 'discharge' && st.fitCutoffAh !== null && st.curveA !== null && Math.abs(loadA - st.curveA) <= 0.1 * st.curveA + 0.01 * cap) {
      // Once the curve has run long enough to show where it bends, it knows better than the rate rule.
      const expected = worstAh + Math.max(0, st.ahOut);
      const w = Math.min(1, Math.max(0, (st.ahOut / expected - 0.3) / 0.2));
      worstAh = (1 - w) * worstAh + w * Math.max(0, st.fitCutoffAh - st.ahOut);
    }
    if (st.cutoffSeen && st.mode === 'discharge') worstAh = 0;
    if (!Number.isFinite(worstAh) || loadA <= 0) return null;
    return Math.round((worstAh / loadA) * 60 * 10) / 10;
  }
}

/**
 * Shepherd fit of one block's discharge curve: for each candidate end Q, least squares of
 * V = a + b q + c q / (Q - q) (c < 0: the knee); the best Q's curve crosses `cutoffV` at the
 * returned Ah. Null when the curve shows no knee yet or too few points.
 */
export function shepherdCutoffAh(curve: readonly { q: number; v: number }[], cutoffV: number, qNow: number, capAh: number): number | null {
  if (curve.length < 12) return null;
  const fitAt = (qEnd: number) => {
    // Normal equations of the three features.
    const m = [0, 0, 0, 0, 0, 0, 0, 0, 0];
    const r = [0, 0, 0];
    for (const p of curve) {
      const f = [1, p.q, p.q / (qEnd - p.q)];
      for (let i = 0; i < 3; i++) {
        r[i] += f[i] * p.v;
        for (let j = 0; j < 3; j++) m[i * 3 + j] += f[i] * f[j];
      }
    }
    const x = solve3(m, r);
    if (!x) return null;
    let sse = 0;
    for (const p of curve) {
      const e = x[0] + x[1] * p.q + x[2] * (p.q / (qEnd - p.q)) - p.v;
      sse += e * e;
    }
    return { x, sse };
  };
  let best: { qEnd: number; x: number[]; sse: number } | null = null;
  const tryAt = (qEnd: number) => {
    const f = fitAt(qEnd);
    if (f && f.x[2] < 0 && (!best || f.sse < best.sse)) best = { qEnd, ...f };
  };
  // A knee closer than three curve samples ahead is one low reading, not a knee.
  const lo = 0.015 * capAh;
  const hi = 1.5 * capAh;
  const steps = 60;
  for (let k = 0; k <= steps; k++) tryAt(qNow + lo * Math.pow(hi / lo, k / steps));
  if (!best) return null;
  const coarse: { qEnd: number; x: number[]; sse: number } = best;
  const r0 = coarse.qEnd - qNow;
  const step = Math.pow(hi / lo, 1 / steps);
  for (let k = -10; k <= 10; k++) tryAt(qNow + r0 * Math.pow(step, k / 10));
  const b: { qEnd: number; x: number[]; sse: number } = best;
  // At the upper end of the grid the knee is not in sight yet; nor is it while a straight line fits
  // about as well (F test, one parameter more).
  if (b.qEnd - qNow >= 0.95 * hi) return null;
  const n = curve.length;
  const mq = curve.reduce((a, p) => a + p.q, 0) / n;
  const mv = curve.reduce((a, p) => a + p.v, 0) / n;
  const sqq = curve.reduce((a, p) => a + (p.q - mq) ** 2, 0);
  const sqv = curve.reduce((a, p) => a + (p.q - mq) * (p.v - mv), 0);
  const sseLine = curve.reduce((a, p) => a + (p.v - mv - (sqv / sqq) * (p.q - mq)) ** 2, 0);
  if (!(sqq > 0) || (sseLine - b.sse) / Math.max(b.sse / (n - 3), 1e-12) < 20) return null;
  const v = (q: number) => b.x[0] + b.x[1] * q + b.x[2] * (q / (b.qEnd - q));
  if (v(qNow) <= cutoffV) return qNow;
  let a = qNow;
  let z = b.qEnd - 1e-9 * capAh;
  for (let k = 0; k < 50; k++) {
    const mid = (a + z) / 2;
    if (v(mid) > cutoffV) a = mid;
    else z = mid;
  }
  return a;
}

function solve3(m: number[], r: number[]): number[] | null {
  const a = [[m[0], m[1], m[2], r[0]], [m[3], m[4], m[5], r[1]], [m[6], m[7], m[8], r[2]]];
  for (let c = 0; c < 3; c++) {
    let p = c;
    for (let i = c + 1; i < 3; i++) if (Math.abs(a[i][c]) > Math.abs(a[p][c])) p = i;
    if (Math.abs(a[p][c]) < 1e-12) return null;
    [a[c], a[p]] = [a[p], a[c]];
    for (let i = 0; i < 3; i++) {
      if (i === c) continue;
      const f = a[i][c] / a[c][c];
      for (let j = c; j < 4; j++) a[i][j] -= f * a[c][j];
    }
  }
  return [a[0][3] / a[0][0], a[1][3] / a[1][1], a[2][3] / a[2][2]];
}
