// Charge-mode detection per string: what the charger is doing (float, boost, recharge, rest with
// the charger off, discharge), from the string voltage per cell against the temperature-compensated
// float and boost voltages, the UPS status, and the string current as confirmation. Used by the
// SoC, balancing and runaway engines; a lost module or a blown fuse only removes that block.
import type { ChargeMode, ModuleState, SiteSnapshot, StringState } from '@kirchhoff/core';
import { BOOST_VOLTS_PER_CELL, FLOAT_VOLTS_PER_CELL, cellsOf, defaultCapacityAh } from './lead-acid';

export interface ChargeModeOptions {
  /** Charger float voltage per cell at 25 deg C. Default 2.27 V (VRLA). */
  readonly floatVoltsPerCell?: number;
  /** Charger boost voltage per cell at 25 deg C. Default 2.40 V. */
  readonly boostVoltsPerCell?: number;
  /** Temperature compensation of float and boost, volts per cell per kelvin. Default -0.003 (EN/IEC practice, VRLA datasheets -2..-5 mV). */
  readonly temperatureCoefficientVPerCellK?: number;
  /** The charger holds float when the voltage per cell is at most this far below the compensated float voltage. Default 0.05 V. */
  readonly floatBandVPerCell?: number;
  /** What the current sensor may read at zero current (offset plus noise): |I| within this is no current. Default 0.1 A. */
  readonly currentOffsetA?: number;
  /** Charge current above offset plus this (per Ah of capacity) is a recharge, not float. Default 0.005 A/Ah (0.5 A at 100 Ah). */
  readonly rechargeCurrentAPerAh?: number;
  /** Discharge current beyond offset plus this (per Ah) is a discharge. Default 0.002 A/Ah (0.2 A at 100 Ah). */
  readonly dischargeCurrentAPerAh?: number;
}

export const CHARGE_MODE_DEFAULTS: Required<ChargeModeOptions> = {
  floatVoltsPerCell: FLOAT_VOLTS_PER_CELL,
  boostVoltsPerCell: BOOST_VOLTS_PER_CELL,
  temperatureCoefficientVPerCellK: -0.003,
  floatBandVPerCell: 0.05,
  currentOffsetA: 0.1,
  rechargeCurrentAPerAh: 0.005,
  dischargeCurrentAPerAh: 0.002,
};

/** Hysteresis so that a string sitting on a threshold does not flip every cycle. */
const VOLTAGE_HYSTERESIS_V_PER_CELL = 0.01;
const CURRENT_HYSTERESIS = 0.8;
/**
 * A charger holds its voltage; a battery left alone decays from float towards its rest voltage
 * (tens of mV per cell in the first hour). With no current to see, a fall of this much per cell
 * within DECAY_WINDOW_MS, in the raw voltage and in the temperature-compensated one alike (so that
 * neither a compensating charger in a warming room nor a plain one in a cooling room counts), is a
 * charger that went off; in rest, a rise of as much is a charger that came back.
 */
const DECAY_V_PER_CELL = 0.005;
const DECAY_WINDOW_MS = 1_800_000;
/** Chargers limit their temperature compensation to a range (beyond it they hold the limit's voltage). */
const COMPENSATION_MIN_C = 0;
const COMPENSATION_MAX_C = 40;
/** A block left alone in the float band still decays by more than this per cell in DECAY_WINDOW_MS. */
const FLAT_V_PER_CELL = 0.001;

/** What the detector saw for one string, beside the mode (for the engines and for explaining the mode). */
export interface StringChargeState {
  readonly mode: ChargeMode;
  /** Mean voltage per cell of the blocks that answer, or null. */
  readonly voltsPerCell: number | null;
  /** Median block temperature of the string (25 when none is known). */
  readonly temperatureC: number;
  /** Temperature-compensated float voltage per cell. */
  readonly floatVoltsPerCell: number;
  /** The string current, when the sensor reading is fresh. */
  readonly currentA: number | null;
  /** Blocks the voltage was taken from. */
  readonly blocksUsed: number;
}

const fresh = (m: { value: number | null; quality: string }): number | null => (m.quality === 'fresh' ? m.value : null);
// A typed array sorts numbers without a comparator call per comparison (every string, every step).
const median = (xs: readonly number[]): number => {
  const s = Float64Array.from(xs).sort();
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// Math.max/min over a window of samples without an array per call (every string, every step, up to 180 samples).
function highest(samples: readonly Sample[], pick: (x: Sample) => number): number {
  let m = -Infinity;
  for (const x of samples) m = Math.max(m, pick(x));
  return m;
}
function lowest(samples: readonly Sample[], pick: (x: Sample) => number): number {
  let m = Infinity;
  for (const x of samples) m = Math.min(m, pick(x));
  return m;
}

/** A block whose reading can be used: it answers, its fuse is intact and its voltage is fresh. */
export function usableBlock(m: ModuleState): boolean {
  return m.communication !== 'lost' && m.fuse !== 'blown' && m.voltageV.quality === 'fresh' && m.voltageV.value !== null;
}

export function stringModules(snap: SiteSnapshot, s: StringState): readonly ModuleState[] {
  return snap.modules.slice(s.firstGlobal - 1, s.firstGlobal - 1 + s.moduleCount);
}

interface Sample { readonly atMs: number; readonly rawV: number; readonly compV: number }
interface Track {
  mode: ChargeMode;
  /** Voltage per cell over the last DECAY_WINDOW_MS, for the decay test. */
  samples: Sample[];
  /** Lowest voltage per cell since the string went to rest (raw and compensated). */
  restMin: { rawV: number; compV: number } | null;
}

export class ChargeModeDetector {
  readonly options: Required<ChargeModeOptions>;
  private states: StringChargeState[] = [];
  private tracks: Track[] = [];

  constructor(options: ChargeModeOptions = {}) {
    this.options = { ...CHARGE_MODE_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
  }

  /**
   * The mode of every string (index = string - 1), updated from the snapshot taken at `nowMs` (the
   * control step's time; the snapshot's own time is that of its last change, which stands still while
   * the readings do).
   */
  step(snap: SiteSnapshot, nowMs: number = snap.atMs): ChargeMode[] {
    if (this.tracks.length !== snap.strings.length) this.tracks = snap.strings.map(() => ({ mode: 'unknown', samples: [], restMin: null }));
    this.states = snap.strings.map((s) => this.detect(snap, s, this.tracks[s.string - 1], nowMs));
    return this.states.map((st) => st.mode);
  }

  /** Forgets what was seen (a gateway restart): hysteresis and decay windows start over. */
  reset(): void {
    this.tracks = [];
    this.states = [];
  }

  /** The last step's detail per string. */
  state(string: number): StringChargeState | undefined {
    return this.states[string - 1];
  }

  /** One string's mode; `track` (what was seen before) gives the hysteresis its direction. */
  private detect(snap: SiteSnapshot, s: StringState, track: Track, now: number): StringChargeState {
    const o = this.options;
    const mods = stringModules(snap, s).filter(usableBlock);
    const cells = cellsOf(s.moduleType);
    const voltsPerCell = mods.length ? mods.reduce((a, m) => a + (m.voltageV.value as number), 0) / mods.length / cells : null;
    const temps = mods.map((m) => fresh(m.temperatureC)).filter((t): t is number => t !== null);
    const temperatureC = temps.length ? median(temps) : 25;
    const shift = o.temperatureCoefficientVPerCellK * (Math.min(COMPENSATION_MAX_C, Math.max(COMPENSATION_MIN_C, temperatureC)) - 25);
    const floatV = o.floatVoltsPerCell + shift;
    const boostV = o.boostVoltsPerCell + shift;
    const currentA = fresh(s.dcCurrentA);
    const cap = s.capacityAh ?? defaultCapacityAh(s.moduleType);
    const base = { voltsPerCell, temperatureC, floatVoltsPerCell: floatV, currentA, blocksUsed: mods.length };
    if (voltsPerCell === null) track.samples = [];
    else {
      track.samples.push({ atMs: now, rawV: voltsPerCell, compV: voltsPerCell - shift });
      while (track.samples.length > 1 && now - track.samples[0].atMs > DECAY_WINDOW_MS) track.samples.shift();
    }
    const mode = this.classify(snap, voltsPerCell, floatV, boostV, currentA, cap, track);
    if (mode === 'rest' && voltsPerCell !== null) {
      const low = track.mode === 'rest' && track.restMin ? track.restMin : { rawV: Infinity, compV: Infinity };
      track.restMin = { rawV: Math.min(low.rawV, voltsPerCell), compV: Math.min(low.compV, voltsPerCell - shift) };
    } else if (mode !== 'rest') track.restMin = null;
    track.mode = mode;
    return { ...base, mode };
  }

  private classify(snap: SiteSnapshot, vpc: number | null, floatV: number, boostV: number, currentA: number | null, capAh: number, track: Track): ChargeMode {
    const o = this.options;
    const previous = track.mode;
    // The UPS says so before any current sensor can: the load is on the battery.
    if (snap.ups && snap.ups.quality === 'fresh' && snap.ups.output.source === 'battery') return 'discharge';
    const dischargeA = o.currentOffsetA + o.dischargeCurrentAPerAh * capAh;
    const rechargeA = o.currentOffsetA + o.rechargeCurrentAPerAh * capAh * (previous === 'recharge' ? CURRENT_HYSTERESIS : 1);
    if (currentA !== null && currentA < -dischargeA) return 'discharge';
    if (vpc === null) {
      if (currentA === null) return 'unknown';
      if (currentA > rechargeA) return 'recharge';
      return Math.abs(currentA) <= o.currentOffsetA ? 'rest' : 'unknown';
    }
    const h = VOLTAGE_HYSTERESIS_V_PER_CELL;
    const boostAt = (floatV + boostV) / 2 - (previous === 'boost' ? h : 0);
    if (vpc >= boostAt) return 'boost';
    const charging = previous === 'float' || previous === 'recharge' || previous === 'boost';
    if (vpc >= floatV - o.floatBandVPerCell - (charging ? h : 0)) {
      // At float voltage the float current itself is below what a Hall sensor can see; only a
      // clearly larger current (the absorption phase after a discharge) says recharge.
      if (currentA !== null && currentA > rechargeA) return 'recharge';
      const noCurrent = currentA === null || Math.abs(currentA) <= o.currentOffsetA;
      if (noCurrent && previous === 'rest' && !this.rising(track, vpc, floatV) && !this.flat(track)) return 'rest';
      if (noCurrent && previous !== 'rest' && this.fallen(track, DECAY_V_PER_CELL)) return 'rest';
      return 'float';
    }
    // Below the float band: the charger is off (rest) or in current limit (recharge). A charger in
    // current limit drives amperes; a reading just above the sensor's offset is its noise.
    if (currentA !== null && currentA > rechargeA) return 'recharge';
    return 'rest';
  }

  /** Over the window the voltage fell by at least `byV` per cell from its highest, raw and compensated alike. */
  private fallen(track: Track, byV: number): boolean {
    const first = track.samples[0];
    const last = track.samples[track.samples.length - 1];
    if (!first || last.atMs - first.atMs < DECAY_WINDOW_MS / 2) return false;
    const fell = (pick: (x: Sample) => number) => highest(track.samples, pick) - pick(last) >= byV;
    return fell((x) => x.rawV) && fell((x) => x.compV);
  }

  /** A charger holding the voltage (after a boost, say): over a whole window it stayed within FLAT_V_PER_CELL. */
  private flat(track: Track): boolean {
    const first = track.samples[0];
    const last = track.samples[track.samples.length - 1];
    if (!first || last.atMs - first.atMs < DECAY_WINDOW_MS * 0.9) return false;
    const span = (pick: (x: Sample) => number) => highest(track.samples, pick) - lowest(track.samples, pick);
    return span((x) => x.rawV) < FLAT_V_PER_CELL || span((x) => x.compV) < FLAT_V_PER_CELL;
  }

  /** Back from rest: the voltage rose again, raw and compensated alike. */
  private rising(track: Track, vpc: number, floatV: number): boolean {
    const low = track.restMin;
    if (!low) return true;
    const shift = floatV - this.options.floatVoltsPerCell;
    return vpc - low.rawV >= DECAY_V_PER_CELL && vpc - shift - low.compV >= DECAY_V_PER_CELL;
  }
}
