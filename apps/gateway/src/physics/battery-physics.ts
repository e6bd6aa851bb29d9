// String physics: lead-acid blocks in series strings on a virtual clock. One series current per
// string (Kirchhoff), divided per block between its cells and its bypass; float voltage per block
// from its own leakage/gassing (Tafel) characteristic; state of charge, temperature, Ri; faults.
import { MODULE_TYPES, ModuleType } from '@kirchhoff/core';
import {
  BOOST_VOLTS_PER_CELL, FLOAT_VOLTS_PER_CELL, SELF_DISCHARGE_PER_S_25C, cellsOf, defaultCapacityAh, restVoltageV,
} from '../engine/lead-acid';
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
}

export interface PhysicsStringLayout {
  readonly modules: number;
  readonly moduleType: ModuleType;
  readonly capacityAh?: number;
}

export interface PhysicsOptions {
  readonly strings: readonly PhysicsStringLayout[];
  /** Same seed, same blocks. Default 1. */
  readonly seed?: number;
  /** Virtual clock start, ms since the epoch. Default 2025-01-01T00:00:00Z. */
  readonly startMs?: number;
  readonly ambientC?: number;
  /** Initial float voltages deviate from the string mean by up to +-this, volts. Default 0.15. */
  readonly initialSpreadV?: number;
  readonly ageYears?: number;
  readonly charger?: ChargerSetting;
  readonly initialSocPercent?: number;
  /** A thermal-runaway fault's internal short grows e-fold this often, seconds. Default 600 (the demo shortens it). */
  readonly runawayGrowthS?: number;
}

export type BlockFault = 'weak-block' | 'high-ri' | 'fuse-blown' | 'module-lost' | 'thermal-runaway';

/** What a block really is right now (the simulator's truth, not a measurement). */
export interface BlockTruth {
  readonly voltageV: number;
  readonly socPercent: number;
  readonly temperatureC: number;
  readonly resistanceOhm: number;
  readonly cellCurrentA: number;
  readonly bypassCurrentA: number;
  readonly capacityAh: number;
}

/** Block temperature at which a module stops its own bypass, whatever the gateway says. */
export const MODULE_SELF_PROTECT_C = 55;

// Fraction of the bypass resistor's heat that reaches the block surface sensor.
const BYPASS_HEAT_SHARE = 0.5;
// Datasheet tables read high for blocks in service: real rest voltages sit lower and vary per block.
const OCV_OFFSET_MEAN_PER_CELL_V = -0.024;
const OCV_OFFSET_SIGMA_PER_CELL_V = 0.003;
// Float (leakage + gassing) current per Ah at the nominal float overvoltage, and its Tafel slope.
const FLOAT_CURRENT_A_PER_AH = 0.00025;
const TAFEL_V_PER_DECADE_PER_CELL = 0.05;
const LEAKAGE_SPREAD_DECADES = 0.3;
const LN2_PER_K = Math.LN2 / 10;

interface StringRange { readonly first: number; readonly count: number; readonly type: ModuleType; readonly capacityAh: number }

export class BatteryPhysics {
  readonly strings: readonly StringRange[];
  readonly moduleCount: number;
  /** Room temperature, deg C; scenarios may change it as time passes. */
  ambientC: number;
  private timeMs: number;
  readonly startMs: number;
  private readonly rng: Rng;

  // Per block (index = global - 1).
  private readonly soc: Float64Array;
  private readonly eta: Float64Array;
  private readonly temp: Float64Array;
  private readonly capAh: Float64Array;
  private readonly riBase: Float64Array;
  private readonly leak: Float64Array;
  private readonly tafelB: Float64Array;
  private readonly ocvOffset: Float64Array;
  private readonly selfDis: Float64Array;
  private readonly ambientOffset: Float64Array;
  private readonly duty: Float64Array;
  private readonly voltage: Float64Array;
  private readonly cellCurrent: Float64Array;
  private readonly riFault: Float64Array;
  private readonly capFault: Float64Array;
  private readonly runawaySinceS: Float64Array;
  private readonly fuse: Uint8Array;
  private readonly lost: Uint8Array;
  // Scratch for the per-step linear solve.
  private readonly a: Float64Array;
  private readonly g: Float64Array;
  private readonly ocv: Float64Array;
  private readonly ri: Float64Array;
  private readonly ib: Float64Array;
  private readonly short: Float64Array;

  // Per string.
  private readonly current: Float64Array;
  private readonly breakerOpen: Uint8Array;
  private readonly chargers: ChargerSetting[];
  private upsOnBattery: ChargerSetting | null = null;
  private readonly runawayGrowthS: number;

  constructor(options: PhysicsOptions) {
    this.rng = createRng(options.seed ?? 1);
    this.startMs = options.startMs ?? Date.UTC(2025, 0, 1);
    this.timeMs = this.startMs;
    this.ambientC = options.ambientC ?? 25;
    this.runawayGrowthS = options.runawayGrowthS ?? 600;
    let first = 0;
    this.strings = options.strings.map((s) => {
      const r = { first, count: s.modules, type: s.moduleType, capacityAh: s.capacityAh ?? defaultCapacityAh(s.moduleType) };
      first += s.modules;
      return r;
    });
    const n = (this.moduleCount = first);
    const f = () => new Float64Array(n);
    this.soc = f(); this.eta = f(); this.temp = f(); this.capAh = f(); this.riBase = f(); this.leak = f(); this.tafelB = f();
    this.ocvOffset = f(); this.selfDis = f(); this.ambientOffset = f(); this.duty = f(); this.voltage = f(); this.cellCurrent = f();
    this.riFault = f().fill(1); this.capFault = f().fill(1); this.runawaySinceS = f().fill(-1);
    this.fuse = new Uint8Array(n); this.lost = new Uint8Array(n);
    this.a = f(); this.g = f(); this.ocv = f(); this.ri = f(); this.ib = f(); this.short = f();
    this.current = new Float64Array(this.strings.length);
    this.breakerOpen = new Uint8Array(this.strings.length);
    const charger = options.charger ?? { mode: 'float' };
    this.chargers = this.strings.map(() => charger);

    const age = options.ageYears ?? 5;
    const spread = options.initialSpreadV ?? 0.15;
    const soc0 = (options.initialSocPercent ?? 100) / 100;
    const clip = (x: number) => Math.max(-2, Math.min(2, x));
    for (const s of this.strings) {
      const cells = cellsOf(s.type);
      for (let k = s.first; k < s.first + s.count; k++) {
        this.capAh[k] = s.capacityAh * (1 + 0.02 * clip(this.rng.normal()));
        this.riBase[k] = (0.45 * cells) / 6 / s.capacityAh * (1 + 0.06 * age) * (1 + 0.05 * clip(this.rng.normal()));
        this.leak[k] = Math.pow(10, LEAKAGE_SPREAD_DECADES * clip(this.rng.normal()));
        this.tafelB[k] = ((TAFEL_V_PER_DECADE_PER_CELL * cells) / Math.LN10) * (1 + 0.05 * clip(this.rng.normal()));
        this.ocvOffset[k] = cells * (OCV_OFFSET_MEAN_PER_CELL_V + OCV_OFFSET_SIGMA_PER_CELL_V * clip(this.rng.normal()));
        this.selfDis[k] = Math.exp(0.15 * clip(this.rng.normal()));
        // Blocks higher in the rack run slightly warmer.
        this.ambientOffset[k] = 1.5 * ((k - s.first) / Math.max(1, s.count - 1) - 0.5);
        this.temp[k] = this.ambientC + this.ambientOffset[k];
        this.soc[k] = soc0;
      }
      // Start at the charger's float voltage per block, deviating by up to +-spread.
      const vf = FLOAT_VOLTS_PER_CELL * cells;
      const dev = new Float64Array(s.count);
      let mean = 0;
      for (let i = 0; i < s.count; i++) mean += (dev[i] = (2 * this.rng.next() - 1) * spread) / s.count;
      for (let i = 0; i < s.count; i++) {
        const k = s.first + i;
        const ocv = this.ocvAt(k, s.type);
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

  /** Scales a block's self-discharge (1 = its own individual rate), e.g. for a block with a soft short. */
  setSelfDischargeFactor(global: number, factor: number): void {
    this.selfDis[this.index(global)] = Math.max(0, factor);
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
    return {
      voltageV: this.voltage[k],
      socPercent: this.soc[k] * 100,
      temperatureC: this.temp[k],
      resistanceOhm: this.resistanceAt(k),
      cellCurrentA: this.cellCurrent[k],
      bypassCurrentA: (MODULE_TYPES[s.type].bypassCurrentA * this.appliedDuty(k)) / 100,
      capacityAh: this.capAh[k] * this.capFault[k],
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
    const elapsed = this.elapsedS;
    for (let si = 0; si < this.strings.length; si++) this.stepString(si, dt, elapsed);
    this.timeMs += dt * 1000;
  }

  private stepString(si: number, dt: number, elapsed: number): void {
    const s = this.strings[si];
    const cells = cellsOf(s.type);
    const ibMax = MODULE_TYPES[s.type].bypassCurrentA;
    const rct = ((1.6 * cells) / 6) / s.capacityAh;
    const capF = (30 * s.capacityAh) / cells;
    const iRef = FLOAT_CURRENT_A_PER_AH * s.capacityAh;
    const etaRef = FLOAT_VOLTS_PER_CELL * cells - restVoltageV(s.type, 100) - OCV_OFFSET_MEAN_PER_CELL_V * cells;
    const etaMax = 0.6 * cells;
    const cth = (240 * s.capacityAh * cells) / 6;
    const hLoss = (0.02 * s.capacityAh * cells) / 6;
    const end = s.first + s.count;

    // Pass 1: linearize each block around its state; its next voltage is affine in the string current.
    let sumConst = 0;
    let sumSlope = 0;
    let sumV = 0;
    for (let k = s.first; k < end; k++) {
      const soc = this.soc[k];
      const eta = this.eta[k];
      const ocv = this.ocvAt(k, s.type);
      const ri = this.resistanceAt(k);
      // An internal short, like the bypass, takes current around the cells, but heats the block itself.
      const short = this.shortCurrentA(k, elapsed, s.capacityAh);
      this.short[k] = short;
      const ib = (ibMax * this.appliedDuty(k)) / 100 + short;
      const lk = iRef * this.leak[k] * Math.exp((eta - etaRef) / this.tafelB[k] + (this.temp[k] - 25) * LN2_PER_K);
      const acc = this.acceptance(eta, soc);
      const d = lk / this.tafelB[k] + acc / rct;
      const g = dt / (capF + dt * d);
      const a = eta + g * (-ib - lk - (eta * acc) / rct);
      this.a[k] = a; this.g[k] = g; this.ocv[k] = ocv; this.ri[k] = ri; this.ib[k] = ib;
      sumConst += ocv - ib * ri + a;
      sumSlope += ri + g;
      sumV += this.voltage[k];
    }

    const charger = this.upsOnBattery ?? this.chargers[si];
    let current = 0;
    if (this.breakerOpen[si]) current = 0;
    else if (charger.mode === 'float' || charger.mode === 'boost') {
      const perCell = charger.mode === 'float' ? FLOAT_VOLTS_PER_CELL : BOOST_VOLTS_PER_CELL;
      const limit = charger.currentLimitA ?? 0.1 * s.capacityAh;
      // A rectifier sources current but cannot sink it: above its voltage the string just rests.
      current = Math.max(0, Math.min(limit, (perCell * cells * s.count - sumConst) / sumSlope));
    } else if (charger.mode === 'discharge') {
      const load = charger.powerW !== undefined ? charger.powerW / Math.max(1, sumV) : (charger.currentA ?? 0);
      current = -Math.max(0, load);
    }
    this.current[si] = current;

    // Pass 2: apply the current.
    for (let k = s.first; k < end; k++) {
      const ic = current - this.ib[k];
      let eta = this.a[k] + this.g[k] * current;
      if (eta > etaMax) eta = etaMax;
      else if (eta < -etaMax) eta = -etaMax;
      this.eta[k] = eta;
      const soc = this.soc[k];
      const main = (eta * this.acceptance(eta, soc)) / rct;
      const v = this.ocv[k] + ic * this.ri[k] + eta;
      this.voltage[k] = v;
      this.cellCurrent[k] = ic;
      const tf = Math.exp((this.temp[k] - 25) * LN2_PER_K);
      const cap = this.capAh[k] * this.capFault[k];
      let next = soc + (main * dt) / (3600 * cap) - SELF_DISCHARGE_PER_S_25C * this.selfDis[k] * tf * dt;
      if (next > 1) next = 1;
      else if (next < 0) next = 0;
      this.soc[k] = next;
      // Heat: ohmic, polarization, float current (recombination turns it all into heat), bypass resistor.
      const side = Math.max(0, ic - main);
      const short = this.short[k];
      const heat = ic * ic * this.ri[k] + Math.abs(main * eta) + side * v + BYPASS_HEAT_SHARE * (this.ib[k] - short) * v + short * v;
      this.temp[k] += (dt * (heat - hLoss * (this.temp[k] - this.ambientC - this.ambientOffset[k]))) / cth;
    }
  }

  /** Share of the overvoltage current the main (charge/discharge) reaction takes, by state of charge. */
  private acceptance(eta: number, soc: number): number {
    if (eta >= 0) {
      if (soc >= 1) return 0;
      const x = (1 - soc) / 0.1;
      return x >= 1 ? 1 : x * x;
    }
    return soc <= 0 ? 0 : soc >= 0.02 ? 1 : soc / 0.02;
  }

  /** Thermal runaway as it starts in a dried-out VRLA block: an internal short growing e-fold every runawayGrowthS (10 minutes). */
  private shortCurrentA(k: number, elapsed: number, capacityAh: number): number {
    const since = this.runawaySinceS[k];
    if (since < 0) return 0;
    // An empty block has nothing left to drive the short with.
    return 0.0002 * capacityAh * Math.exp(Math.min((elapsed - since) / this.runawayGrowthS, 6)) * Math.min(1, this.soc[k] / 0.05);
  }

  private ocvAt(k: number, type: ModuleType): number {
    return restVoltageV(type, this.soc[k] * 100) + this.ocvOffset[k];
  }

  private resistanceAt(k: number): number {
    const lowCharge = 1 - this.soc[k];
    const cold = Math.max(0, 25 - this.temp[k]);
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
