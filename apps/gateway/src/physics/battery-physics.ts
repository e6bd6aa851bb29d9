// String physics: blocks in series strings on a virtual clock. One series current per string
// (Kirchhoff), divided per block between its cells and its bypass; float voltage per block from its
// own gassing/oxygen-cycle (Tafel) characteristic; a kinetic two-well charge model with a Shepherd
// knee for discharge; heat balance with the room and the neighbouring blocks; ageing; faults, among
// them a thermal runaway fed by the charger (docs/physics.md).
// The constants come from physics/chemistry.ts (the simulator's own table; see docs/physics.md).
import { MODULE_TYPES, ModuleType } from '@kirchhoff/core';
import { ageing, cellsPerBlock, Chemistry, CHEMISTRY, ChemistryName, ocvPerCell } from './chemistry';

/** Default boost temperature compensation, V per cell and kelvin (see ChargerSetting). */
const BOOST_COMPENSATION_V_PER_CELL_K = -0.005;
import { createRng, Rng } from './rng';

export type ChargerMode = 'float' | 'boost' | 'off' | 'discharge';

export interface ChargerSetting {
  readonly mode: ChargerMode;
  /** Discharge: constant load current per string, amperes (positive). */
  readonly currentA?: number;
  /** Discharge: constant load power per string, watts (instead of currentA). */
  readonly powerW?: number;
  /** Float/boost: charger current limit per string; default 0.1 C. */
  readonly currentLimitA?: number;
  /**
   * Boost: voltage compensation per cell and kelvin of the string's mean block temperature from
   * 25 degC, as a charger with a battery temperature probe applies it. Default -0.005 V (the
   * -4 to -6 mV/cell/K VRLA datasheets give for boost and cyclic charging); 0 = none. Float is not
   * compensated here (the float-current figures the validation checks are at fixed voltage).
   */
  readonly boostCompensationVPerCellPerK?: number;
}

export interface PhysicsStringLayout {
  readonly modules: number;
  readonly moduleType: ModuleType;
  /** Rated (C10) capacity of a new block; default by module type. */
  readonly capacityAh?: number;
}

export interface PhysicsOptions {
  readonly strings: readonly PhysicsStringLayout[];
  /** Same seed, same blocks. Default 1. */
  readonly seed?: number;
  /** Virtual clock start, ms since the epoch. Default 2025-01-01T00:00:00Z. */
  readonly startMs?: number;
  /** Room temperature, deg C. Default 25. */
  readonly ambientC?: number;
  /** Initial float voltages deviate from the string mean by up to +-this, volts. Default 0.15. */
  readonly initialSpreadV?: number;
  /** Years in float service (capacity fade, float current, self-discharge and Ri rise). Default 5. */
  readonly ageYears?: number;
  /** Default vrla-agm. */
  readonly chemistry?: ChemistryName;
  readonly charger?: ChargerSetting;
  readonly initialSocPercent?: number;
  /**
   * Time constant of a thermal-runaway fault's onset (the dry-out's float-current rise, the cell short and
   * the lost heat path grow as 1 - e^(-t/this)), seconds. Default 600 (the demo shortens it).
   */
  readonly runawayGrowthS?: number;
  /**
   * Parameter variations the gateway's estimators do not assume (for validating them): the real
   * capacity against the configured one, the OCV curve and self-discharge within datasheet tolerance.
   * None of them draws from the seeded generator, so a seed gives the same blocks with or without them.
   */
  readonly variation?: PhysicsVariation;
}

export interface PhysicsVariation {
  /** Real capacity over the configured (rated) one, per string (index = string - 1) or for all. Default 1. */
  readonly capacityFactor?: number | readonly number[];
  /** Extra block-to-block capacity factor, per global module (index = global - 1), multiplied in. Default 1 each. */
  readonly blockCapacityFactors?: readonly number[];
  /** Shifts the whole OCV curve, volts per cell. Default 0. */
  readonly ocvOffsetPerCellV?: number;
  /** Scales the OCV span below full (the slope of the curve) around the full-charge voltage. Default 1. */
  readonly ocvSlopeFactor?: number;
  /** Scales every block's self-discharge. Default 1. */
  readonly selfDischargeFactor?: number;
}

export type BlockFault = 'weak-block' | 'high-ri' | 'fuse-blown' | 'module-lost' | 'thermal-runaway';

/** What a block really is right now (the simulator's truth, not a measurement). */
export interface BlockTruth {
  readonly voltageV: number;
  /**
   * Charge left, percent of the rated capacity: 100 minus the charge taken out since full, per rated
   * (C10) Ah. A new block holds more than its rating (it gives more at slower rates), so a long slow
   * discharge can take this below 0.
   */
  readonly socPercent: number;
  readonly temperatureC: number;
  readonly resistanceOhm: number;
  readonly cellCurrentA: number;
  readonly bypassCurrentA: number;
  /** Rated (C10) capacity after ageing and faults. */
  readonly capacityAh: number;
  /** Gassing/oxygen-cycle current at this moment (the float current in float), amperes. */
  readonly floatCurrentA: number;
}

/** Block temperature at which a module stops its own bypass, whatever the gateway says. */
export const MODULE_SELF_PROTECT_C = 55;

/** Default capacity by module type (typical UPS blocks of each size). */
export function defaultBlockCapacityAh(type: ModuleType): number {
  return { C20: 100, C23: 80, C30: 200, C41: 300, C40: 1000 }[type];
}

// Fraction of the bypass resistor's heat that reaches the block surface sensor.
const BYPASS_HEAT_SHARE = 0.5;
// Rest voltages of blocks in service sit a little below the datasheet table and vary per block.
const OCV_OFFSET_MEAN_PER_CELL_V = -0.02;
const OCV_OFFSET_SIGMA_PER_CELL_V = 0.003;
// Block-to-block spread of the float current, decades (sigma).
const LEAKAGE_SPREAD_DECADES = 0.092;
// Thermal: heat capacity and heat transfer per Ah and cell (a 12 V 100 Ah block: 24 kJ/K, 3 W/K to
// the room, 0.5 W/K to each neighbour through the rack and the air gap between the cases).
const HEAT_CAPACITY_J_PER_K_AH_CELL = 40;
const ROOM_W_PER_K_AH_CELL = 0.03 / 6;
const NEIGHBOUR_W_PER_K_AH_CELL = 0.005 / 6;
// Thermal runaway (charger-fed; see docs/physics.md): at the end of its float life the string has dried
// out and its oxygen cycle carries this many times the float current at the same voltage; the faulted
// block's separator has lost its electrolyte (it keeps this share of its heat transfer to the room) and
// one of its cells shorts (the block's rest voltage falls by one cell's).
const RUNAWAY_DRY_OUT_FLOAT_FACTOR = 16;
const RUNAWAY_DRY_ROOM_SHARE = 0.25;
// Below this fill of the available well the block is exhausted; the Shepherd term stops growing there.
const SHEPHERD_MIN_FILL = 0.002;
const MAX_BLOCK_C = 150;

interface StringRange {
  readonly first: number;
  readonly count: number;
  readonly type: ModuleType;
  readonly capacityAh: number;
  readonly cells: number;
}

/** Per-string constants of the step, computed once. */
interface StringConstants {
  readonly ibMax: number;
  readonly rct: number;
  readonly capF: number;
  readonly etaRef: number;
  readonly etaMax: number;
  readonly cth: number;
  readonly hRoom: number;
  readonly hNeighbour: number;
  readonly i0: number;
  readonly bd: number;
  readonly shepherdOhm: number;
  readonly floatV: number;
  readonly boostV: number;
}

export class BatteryPhysics {
  readonly strings: readonly StringRange[];
  readonly moduleCount: number;
  readonly chemistry: Chemistry;
  readonly ageYears: number;
  private ambient: number;
  private timeMs: number;
  readonly startMs: number;
  private readonly rng: Rng;
  private readonly consts: StringConstants[];

  // Per block (index = global - 1). h1/h2: fill of the available and the bound charge wells, 0..1.
  private readonly h1: Float64Array;
  private readonly h2: Float64Array;
  private readonly eta: Float64Array;
  private readonly temp: Float64Array;
  private readonly capAh: Float64Array;
  private readonly riBase: Float64Array;
  private readonly iRef: Float64Array;
  private readonly tafelB: Float64Array;
  private readonly ocvOffset: Float64Array;
  private readonly selfDis: Float64Array;
  private readonly ambientOffset: Float64Array;
  private readonly duty: Float64Array;
  private readonly voltage: Float64Array;
  private readonly cellCurrent: Float64Array;
  private readonly floatCurrent: Float64Array;
  private readonly riFault: Float64Array;
  private readonly capFault: Float64Array;
  private readonly runawaySinceS: Float64Array;
  /** Runaway onset per block, 0..1: the faulted block's cell short and lost heat path. */
  private readonly onset: Float64Array;
  /** Dry-out factor of the float current per block (1 = none): the whole string of a runaway block. */
  private readonly dryOut: Float64Array;
  private readonly fuse: Uint8Array;
  private readonly lost: Uint8Array;
  // Scratch for the per-step linear solve.
  private readonly a: Float64Array;
  private readonly g: Float64Array;
  private readonly ocv: Float64Array;
  private readonly ri: Float64Array;
  private readonly ib: Float64Array;
  private readonly heatW: Float64Array;

  // Per string.
  private readonly current: Float64Array;
  private readonly breakerOpen: Uint8Array;
  private readonly chargers: ChargerSetting[];
  private upsOnBattery: ChargerSetting | null = null;
  private readonly runawayGrowthS: number;
  private readonly ocvSlopeFactor: number;

  constructor(options: PhysicsOptions) {
    this.rng = createRng(options.seed ?? 1);
    this.startMs = options.startMs ?? Date.UTC(2025, 0, 1);
    this.timeMs = this.startMs;
    this.ambient = options.ambientC ?? 25;
    this.runawayGrowthS = options.runawayGrowthS ?? 600;
    const chem = (this.chemistry = CHEMISTRY[options.chemistry ?? 'vrla-agm']);
    if (!chem) throw new RangeError(`no chemistry ${String(options.chemistry)}`);
    const age = (this.ageYears = options.ageYears ?? 5);
    const aged = ageing(chem, age);
    const v = options.variation ?? {};
    this.ocvSlopeFactor = v.ocvSlopeFactor ?? 1;
    const capacityFactor = (si: number) => (typeof v.capacityFactor === 'number' ? v.capacityFactor : v.capacityFactor?.[si] ?? 1);
    let first = 0;
    this.strings = options.strings.map((s) => {
      const r = { first, count: s.modules, type: s.moduleType, capacityAh: s.capacityAh ?? defaultBlockCapacityAh(s.moduleType), cells: cellsPerBlock(s.moduleType, chem) };
      first += s.modules;
      return r;
    });
    const n = (this.moduleCount = first);
    const f = () => new Float64Array(n);
    this.h1 = f(); this.h2 = f(); this.eta = f(); this.temp = f(); this.capAh = f(); this.riBase = f(); this.iRef = f(); this.tafelB = f();
    this.ocvOffset = f(); this.selfDis = f(); this.ambientOffset = f(); this.duty = f(); this.voltage = f(); this.cellCurrent = f(); this.floatCurrent = f();
    this.riFault = f().fill(1); this.capFault = f().fill(1);
    this.runawaySinceS = f().fill(-1); this.onset = f(); this.dryOut = f().fill(1); this.fuse = new Uint8Array(n); this.lost = new Uint8Array(n);
    this.a = f(); this.g = f(); this.ocv = f(); this.ri = f(); this.ib = f(); this.heatW = f();
    this.current = new Float64Array(this.strings.length);
    this.breakerOpen = new Uint8Array(this.strings.length);
    const charger = options.charger ?? { mode: 'float' };
    this.chargers = this.strings.map(() => charger);
    const d = chem.discharge;
    this.consts = this.strings.map((s) => {
      const cells = s.cells;
      return {
        ibMax: MODULE_TYPES[s.type].bypassCurrentA,
        rct: (0.27 * cells) / s.capacityAh,
        capF: (30 * s.capacityAh) / cells,
        // The float current at the float voltage stays the datasheet's whatever the OCV offset.
        etaRef: cells * (chem.floatVPerCell - ocvPerCell(chem, 1) - OCV_OFFSET_MEAN_PER_CELL_V - (v.ocvOffsetPerCellV ?? 0)),
        etaMax: 0.6 * cells,
        cth: HEAT_CAPACITY_J_PER_K_AH_CELL * s.capacityAh * cells,
        hRoom: ROOM_W_PER_K_AH_CELL * s.capacityAh * cells,
        hNeighbour: NEIGHBOUR_W_PER_K_AH_CELL * s.capacityAh * cells,
        i0: d.exchangeCurrentPerAh * s.capacityAh,
        bd: d.activationVPerCell * cells,
        shepherdOhm: (d.shepherdOhmAh * cells) / s.capacityAh,
        floatV: chem.floatVPerCell * cells,
        boostV: chem.boostVPerCell * cells,
      };
    });

    const spread = options.initialSpreadV ?? 0.15;
    const soc0 = Math.min(1, Math.max(0, (options.initialSocPercent ?? 100) / 100));
    const clip = (x: number) => Math.max(-2, Math.min(2, x));
    for (const [si, s] of this.strings.entries()) {
      const cells = s.cells;
      for (let k = s.first; k < s.first + s.count; k++) {
        this.capAh[k] = s.capacityAh * aged.capacity * (1 + 0.02 * clip(this.rng.normal())) * capacityFactor(si) * (v.blockCapacityFactors?.[k] ?? 1);
        this.riBase[k] = ((chem.resistanceOhmAhPerCell * cells) / s.capacityAh) * aged.resistance * (1 + 0.05 * clip(this.rng.normal()));
        this.iRef[k] = chem.floatCurrentAPerAh * s.capacityAh * aged.floatCurrent * Math.pow(10, LEAKAGE_SPREAD_DECADES * clip(this.rng.normal()));
        this.tafelB[k] = ((chem.tafelVPerDecadePerCell * cells) / Math.LN10) * (1 + 0.05 * clip(this.rng.normal()));
        this.ocvOffset[k] = cells * (OCV_OFFSET_MEAN_PER_CELL_V + OCV_OFFSET_SIGMA_PER_CELL_V * clip(this.rng.normal()) + (v.ocvOffsetPerCellV ?? 0));
        this.selfDis[k] = Math.exp(0.15 * clip(this.rng.normal())) * aged.selfDischarge * (v.selfDischargeFactor ?? 1);
        // Blocks higher in the rack run slightly warmer.
        this.ambientOffset[k] = 1.5 * ((k - s.first) / Math.max(1, s.count - 1) - 0.5);
        this.temp[k] = this.ambient + this.ambientOffset[k];
        this.h1[k] = soc0;
        this.h2[k] = soc0;
      }
      // Start at the charger's float voltage per block, deviating by up to +-spread.
      const vf = chem.floatVPerCell * cells;
      const dev = new Float64Array(s.count);
      let mean = 0;
      for (let i = 0; i < s.count; i++) mean += (dev[i] = (2 * this.rng.next() - 1) * spread) / s.count;
      for (let i = 0; i < s.count; i++) {
        const k = s.first + i;
        const ocv = this.ocvAt(k, cells);
        this.eta[k] = soc0 >= 0.999 && charger.mode !== 'discharge' ? vf + dev[i] - mean - ocv : 0;
        this.voltage[k] = ocv + this.eta[k];
      }
    }
  }

  get nowMs(): number {
    return this.timeMs;
  }

  get elapsedS(): number {
    return (this.timeMs - this.startMs) / 1000;
  }

  /** Room temperature, deg C; scenarios may change it as time passes (an air-conditioning failure, a day/night swing). */
  get ambientC(): number {
    return this.ambient;
  }

  set ambientC(temperatureC: number) {
    if (!Number.isFinite(temperatureC)) throw new RangeError(`ambient temperature must be a number of deg C, got ${temperatureC}`);
    this.ambient = temperatureC;
  }

  /** String number (1-based) and index range of a global module number. */
  stringOf(global: number): number {
    for (let i = 0; i < this.strings.length; i++) {
      const s = this.strings[i];
      if (global - 1 < s.first + s.count) return i + 1;
    }
    throw new RangeError(`no module ${global} (1..${this.moduleCount})`);
  }

  setCharger(setting: ChargerSetting, string?: number): void {
    for (let i = 0; i < this.chargers.length; i++) if (string === undefined || string === i + 1) this.chargers[i] = setting;
  }

  charger(string: number): ChargerSetting {
    return this.upsOnBattery ?? this.chargers[string - 1];
  }

  /** Mains failure: every string discharges into the UPS load while on battery. */
  setUpsOnBattery(load: ChargerSetting | null): void {
    this.upsOnBattery = load;
  }

  setBreakerOpen(string: number, open: boolean): void {
    this.breakerOpen[string - 1] = open ? 1 : 0;
  }

  isBreakerOpen(string: number): boolean {
    return this.breakerOpen[string - 1] === 1;
  }

  /** Series current of a string, amperes; positive = charging. */
  stringCurrentA(string: number): number {
    return this.current[string - 1];
  }

  /** Sum of the block voltages of a string. */
  stringVoltageV(string: number): number {
    const s = this.strings[string - 1];
    let sum = 0;
    for (let k = s.first; k < s.first + s.count; k++) sum += this.voltage[k];
    return sum;
  }

  setBypassDuty(global: number, dutyPercent: number): void {
    this.duty[this.index(global)] = Number.isFinite(dutyPercent) ? Math.max(0, Math.min(100, dutyPercent)) : 0;
  }

  bypassDutyPercent(global: number): number {
    const k = this.index(global);
    return this.appliedDuty(k);
  }

  isFuseBlown(global: number): boolean {
    return this.fuse[this.index(global)] === 1;
  }

  isLost(global: number): boolean {
    return this.lost[this.index(global)] === 1;
  }

  /** Scales a block's self-discharge (1 = its own individual rate, new), e.g. for a block with a soft short. */
  setSelfDischargeFactor(global: number, factor: number): void {
    this.selfDis[this.index(global)] = Math.max(0, factor);
  }

  /** Scales a block's internal resistance (1 = its own, as aged at the start): a scenario lets Ri rise over time. */
  setResistanceFactor(global: number, factor: number): void {
    if (!(factor > 0)) throw new RangeError(`resistance factor must be positive, got ${factor}`);
    this.riFault[this.index(global)] = factor;
  }

  /** Injects or clears a fault on one block. */
  setFault(global: number, fault: BlockFault, active: boolean): void {
    const k = this.index(global);
    switch (fault) {
      case 'weak-block': this.capFault[k] = active ? 0.5 : 1; break;
      case 'high-ri': this.riFault[k] = active ? 3 : 1; break;
      case 'fuse-blown': this.fuse[k] = active ? 1 : 0; break;
      case 'module-lost': this.lost[k] = active ? 1 : 0; break;
      case 'thermal-runaway':
        if (active && this.runawaySinceS[k] < 0) this.runawaySinceS[k] = this.elapsedS;
        if (!active) this.runawaySinceS[k] = -1;
        break;
    }
  }

  truth(global: number): BlockTruth {
    const k = this.index(global);
    const s = this.strings[this.stringOf(global) - 1];
    const c = this.chemistry.discharge.wellFraction;
    return {
      voltageV: this.voltage[k],
      socPercent: (1 - (1 - (c * this.h1[k] + (1 - c) * this.h2[k])) * this.chemistry.discharge.totalChargeFactor) * 100,
      temperatureC: this.temp[k],
      resistanceOhm: this.resistanceAt(k),
      cellCurrentA: this.cellCurrent[k],
      bypassCurrentA: (MODULE_TYPES[s.type].bypassCurrentA * this.appliedDuty(k)) / 100,
      capacityAh: this.capAh[k] * this.capFault[k],
      floatCurrentA: this.floatCurrent[k],
    };
  }

  /** Measurement noise source for the modules (seeded, so runs repeat). */
  noise(): number {
    return this.rng.next() - 0.5;
  }

  /** Advances the virtual clock by `seconds` in steps of at most `stepS`. */
  advance(seconds: number, stepS = 1): void {
    if (!(stepS > 0) || !Number.isFinite(stepS)) throw new RangeError(`physics step must be a positive number of seconds, got ${stepS}`);
    let left = Number.isFinite(seconds) ? seconds : 0;
    while (left > 1e-9) {
      const dt = Math.min(stepS, left);
      this.step(dt);
      left -= dt;
    }
  }

  step(dt: number): void {
    for (let si = 0; si < this.strings.length; si++) this.stepString(si, dt);
    this.timeMs += dt * 1000;
  }

  private stepString(si: number, dt: number): void {
    const s = this.strings[si];
    const k0 = this.consts[si];
    const chem = this.chemistry;
    const dm = chem.discharge;
    const cells = s.cells;
    const end = s.first + s.count;
    const charger = this.upsOnBattery ?? this.chargers[si];
    const open = this.breakerOpen[si] === 1;
    const discharging = !open && charger.mode === 'discharge';
    const elapsed = this.elapsedS;
    const { ibMax, rct, capF, etaRef, i0, bd } = k0;
    const lnTempPerK = Math.LN2 / chem.doublingK;
    const lnKinPerK = Math.LN2 / dm.kineticsDoublingK;
    this.runawayOnset(s, elapsed);

    // Pass 1: linearize each block around its state; its next voltage is affine in the string current.
    let sumConst = 0;
    let sumSlope = 0;
    let sumV = 0;
    for (let k = s.first; k < end; k++) {
      const h1 = this.h1[k];
      const eta = this.eta[k];
      const ocv = this.ocvAt(k, cells);
      let ri = this.resistanceAt(k);
      // Shepherd: the polarization of discharge grows as the available charge runs out (the knee).
      if (discharging) ri += k0.shepherdOhm * Math.exp(-(this.temp[k] - 25) * lnKinPerK) * (1 / (h1 > SHEPHERD_MIN_FILL ? h1 : SHEPHERD_MIN_FILL) - 1);
      const ib = (ibMax * this.appliedDuty(k)) / 100;
      // Gassing/oxygen cycle: Tafel in the overvoltage, zero at the open-circuit voltage (no charger, no gas).
      const scale = this.iRef[k] * this.dryOut[k] * Math.exp((this.temp[k] - 25) * lnTempPerK);
      const tafel = scale * Math.exp((eta - etaRef) / this.tafelB[k]);
      const lkAt0 = scale * Math.exp(-etaRef / this.tafelB[k]);
      const lk = eta > 0 ? tafel - lkAt0 : 0;
      let main: number;
      let dMain: number;
      if (eta >= 0) {
        const acc = chargeAcceptance(h1);
        main = (eta * acc) / rct;
        dMain = acc / rct;
      } else {
        // As the available well empties the reaction runs out of acid at the plates.
        const acc = dischargeAcceptance(h1);
        const e = Math.exp(-eta / bd);
        main = -i0 * acc * (e - 1);
        dMain = (i0 * acc * e) / bd;
      }
      const g = dt / (capF + dt * ((eta > 0 ? tafel / this.tafelB[k] : 0) + dMain));
      const a = eta + g * (-ib - lk - main);
      this.a[k] = a; this.g[k] = g; this.ocv[k] = ocv; this.ri[k] = ri; this.ib[k] = ib;
      sumConst += ocv - ib * ri + a;
      sumSlope += ri + g;
      sumV += this.voltage[k];
    }

    let current = 0;
    if (open) current = 0;
    else if (charger.mode === 'float' || charger.mode === 'boost') {
      let target = (charger.mode === 'float' ? k0.floatV : k0.boostV) * s.count;
      if (charger.mode === 'boost') {
        let sumT = 0;
        for (let k = s.first; k < end; k++) sumT += this.temp[k];
        target += (charger.boostCompensationVPerCellPerK ?? BOOST_COMPENSATION_V_PER_CELL_K) * (sumT / s.count - 25) * cells * s.count;
      }
      const limit = charger.currentLimitA ?? 0.1 * s.capacityAh;
      // A rectifier sources current but cannot sink it: above its voltage the string just rests.
      current = Math.max(0, Math.min(limit, (target - sumConst) / sumSlope));
    } else if (charger.mode === 'discharge') {
      const load = charger.powerW !== undefined ? charger.powerW / Math.max(1, sumV) : (charger.currentA ?? 0);
      current = -Math.max(0, load);
    }
    this.current[si] = current;

    // Pass 2: apply the current: voltage, charge wells, heat.
    const c = dm.wellFraction;
    // Self-discharge is stated per rated capacity; the wells hold totalChargeFactor times that.
    const sdBase = (chem.selfDischargePerMonth / (30 * 86_400) / dm.totalChargeFactor) * dt;
    for (let k = s.first; k < end; k++) {
      const ic = current - this.ib[k];
      let eta = this.a[k] + this.g[k] * current;
      if (eta > k0.etaMax) eta = k0.etaMax;
      else if (eta < -k0.etaMax) eta = -k0.etaMax;
      let h1 = this.h1[k];
      let h2 = this.h2[k];
      // The linearized step can overshoot the exponential discharge reaction (from float into a heavy
      // load): it never goes beyond the overvoltage that carries the whole cell current.
      if (eta < 0 && ic < 0) {
        const acc = dischargeAcceptance(h1);
        const steady = acc > 0 ? -bd * Math.log(1 - ic / (i0 * acc)) : -k0.etaMax;
        if (eta < steady) eta = steady > -k0.etaMax ? steady : -k0.etaMax;
      }
      this.eta[k] = eta;
      let main: number;
      if (eta >= 0) main = (eta * chargeAcceptance(h1)) / rct;
      else main = -i0 * dischargeAcceptance(h1) * (Math.exp(-eta / bd) - 1);
      const v = this.ocv[k] + ic * this.ri[k] + eta;
      this.voltage[k] = v;
      this.cellCurrent[k] = ic;
      const t = this.temp[k];
      const q = this.capAh[k] * this.capFault[k] * dm.totalChargeFactor * 3600;
      const flow = ((dm.rateConstantPerH * Math.exp((t - 25) * lnKinPerK)) / 3600) * dt * (h2 - h1);
      const sd = sdBase * this.selfDis[k] * Math.exp((t - 25) * lnTempPerK);
      h1 += ((main * dt) / q + flow) / c - sd;
      h2 -= flow / (1 - c) + sd;
      this.h1[k] = h1 > 1 ? 1 : h1 < 0 ? 0 : h1;
      this.h2[k] = h2 > 1 ? 1 : h2 < 0 ? 0 : h2;
      // Heat: ohmic and Shepherd, polarization, the gassing/oxygen-cycle current (recombination turns
      // all of it into heat), the bypass resistor; lost to the room and exchanged with the neighbours.
      const side = ic - main > 0 ? ic - main : 0;
      this.floatCurrent[k] = side;
      const heat = ic * ic * this.ri[k] + Math.abs(main * eta) + side * v + BYPASS_HEAT_SHARE * this.ib[k] * v;
      // A runaway block's dried-out separator is a poor heat path from the plates to the case.
      const room = k0.hRoom * (1 - (1 - RUNAWAY_DRY_ROOM_SHARE) * this.onset[k]) * (t - this.ambient - this.ambientOffset[k]);
      let neighbours = 0;
      if (k > s.first) neighbours += t - this.temp[k - 1];
      if (k < end - 1) neighbours += t - this.temp[k + 1];
      this.heatW[k] = heat - room - k0.hNeighbour * neighbours;
    }
    for (let k = s.first; k < end; k++) {
      // Beyond this the case has melted and vented: the model no longer applies, but must stay finite.
      const t = this.temp[k] + (dt * this.heatW[k]) / k0.cth;
      this.temp[k] = t < MAX_BLOCK_C ? t : MAX_BLOCK_C;
    }
  }

  /**
   * Thermal runaway as the charger feeds it (docs/physics.md): the onset of a faulted block grows as
   * 1 - e^(-t/runawayGrowthS); its string's float current at the same voltage rises towards
   * RUNAWAY_DRY_OUT_FLOAT_FACTOR (dry-out), the block itself loses a cell's voltage and most of its heat path.
   * None of this makes heat by itself: the heat is the charger's current times each block's voltage.
   */
  private runawayOnset(s: StringRange, elapsed: number): void {
    let worst = 0;
    for (let k = s.first; k < s.first + s.count; k++) {
      const since = this.runawaySinceS[k];
      const onset = since < 0 ? 0 : 1 - Math.exp(-(elapsed - since) / this.runawayGrowthS);
      this.onset[k] = onset;
      if (onset > worst) worst = onset;
    }
    const dry = Math.pow(RUNAWAY_DRY_OUT_FLOAT_FACTOR, worst);
    for (let k = s.first; k < s.first + s.count; k++) this.dryOut[k] = dry;
  }

  private ocvAt(k: number, cells: number): number {
    // The electrolyte at the plates (the available well) sets the open-circuit voltage; the shorted cell
    // of a runaway block gives none (modelled as a lost cell voltage, not as a current path).
    const table = ocvPerCell(this.chemistry, this.h1[k]);
    const full = this.chemistry.ocvPerCellV[10];
    // (Without a slope variation, bit for bit the table: seeds keep their results.)
    const perCell = this.ocvSlopeFactor === 1 ? table : full - (full - table) * this.ocvSlopeFactor;
    return perCell * (cells - this.onset[k]) + this.ocvOffset[k];
  }

  private resistanceAt(k: number): number {
    const c = this.chemistry.discharge.wellFraction;
    const lowCharge = 1 - (c * this.h1[k] + (1 - c) * this.h2[k]);
    const cold = this.temp[k] < 25 ? 25 - this.temp[k] : 0;
    return this.riBase[k] * this.riFault[k] * (1 + 1.2 * lowCharge * lowCharge) * (1 + 0.01 * cold);
  }

  private appliedDuty(k: number): number {
    if (this.fuse[k] || this.lost[k] || this.temp[k] > MODULE_SELF_PROTECT_C) return 0;
    return this.duty[k];
  }

  private index(global: number): number {
    if (!Number.isInteger(global) || global < 1 || global > this.moduleCount) throw new RangeError(`no module ${global} (1..${this.moduleCount})`);
    return global - 1;
  }
}

function dischargeAcceptance(h1: number): number {
  return h1 <= 0 ? 0 : h1 >= 0.02 ? 1 : h1 / 0.02;
}

/** Share of the overvoltage current the charge reaction takes as the available well fills. */
function chargeAcceptance(h1: number): number {
  if (h1 >= 1) return 0;
  const x = (1 - h1) / 0.1;
  return x >= 1 ? 1 : x * x;
}
